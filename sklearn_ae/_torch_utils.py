"""Torch plumbing that the estimators share: tensors from arrays, devices, seeded generators.

Nothing in here knows about scikit-learn parameters; :mod:`sklearn_ae._training` and the
estimators use it.
"""

import contextlib
import threading
import warnings

import numpy as np
import torch

#: Serialises the calls that silence torch's warning about read-only arrays (see as_tensor).
_READ_ONLY_LOCK = threading.Lock()


def as_tensor(X, dtype=None):
    """A tensor sharing memory with ``X`` where possible (read-only memmaps included)."""
    if isinstance(X, np.ndarray) and any(stride < 0 for stride in X.strides):
        # A reversed view (X[::-1], np.flipud(X)): torch has no negative strides, so copy.
        # (Not np.ascontiguousarray: it returns a reversed view with an axis of length 1
        # as it is, since numpy already counts it contiguous.)
        X = X.copy()
    if isinstance(X, np.ndarray) and not X.flags.writeable:
        # torch warns that writing to a read-only array (a memmap opened 'r') is undefined;
        # nothing here writes to X. catch_warnings is not thread-safe: two calls interleaving
        # their enter and exit could leave the filter in the caller's list, so they take turns.
        with _READ_ONLY_LOCK, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            return torch.as_tensor(X, dtype=dtype)
    return torch.as_tensor(X, dtype=dtype)


#: Training data up to this share of a GPU's free memory is copied to the GPU once per fit.
GPU_STAGING_FRACTION = 0.25


def stage_on_device(X_tensor, device):
    """``X_tensor`` on the GPU when it trains there and fits in a quarter of its free memory.

    Otherwise every batch crosses from host to GPU memory on its own: measured on an H100,
    that made an epoch of a small dense autoencoder 1.4x slower than a torch loop over data
    already on the GPU. Larger data (and CPU training) stay where they are, read batch by
    batch, so memory stays bounded by the batch.
    """
    if not device.startswith("cuda") or X_tensor.device.type == "cuda":
        return X_tensor
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    if X_tensor.element_size() * X_tensor.nelement() > GPU_STAGING_FRACTION * free:
        return X_tensor
    return X_tensor.to(device)


def resolve_device(device):
    """Turn the ``device`` parameter into a torch device string, or say what is wrong."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"The 'device' parameter got {device!r}, which torch does not recognise. "
            "Use 'cpu', 'cuda', 'cuda:N' or 'auto'."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available "
            f"(torch {torch.__version__}). Use device='cpu', or device='auto' to take a GPU "
            "only when there is one."
        )
    if resolved.type == "meta":
        raise ValueError(
            "device='meta' holds no data, so nothing can be trained on it. Use 'cpu', "
            "'cuda', 'cuda:N' or 'auto'."
        )
    try:  # a device torch knows but this build or machine cannot use (mps, xpu, cuda:7, ...)
        torch.zeros(1, device=resolved).add_(1).cpu()
    except Exception as exc:
        raise ValueError(
            f"device={device!r} cannot be used with this torch {torch.__version__} on this "
            f"machine ({type(exc).__name__}: {exc}). Use 'cpu', 'cuda', 'cuda:N' or 'auto'."
        ) from None
    return device


def move_net(net, device):
    """Move a fitted skorch ``net`` (module, loss, optimizer state) to ``device``."""
    net.device = device
    target = torch.empty(0, device=device).device  # 'cuda' -> 'cuda:0'
    if next(net.module_.parameters()).device != target:
        net.module_.to(device)  # in place: the optimizer keeps the same parameters
        net.criterion_.to(device)
        # Loading its own state moves the optimizer's moments to the parameters' device.
        net.optimizer_.load_state_dict(net.optimizer_.state_dict())


#: Seeded training draws from torch's global generator (weight initialisation, shuffling,
#: corruption, dropout), which is global to the process: fits in threads take turns, so that
#: each one gets the stream its ``random_state`` seeds.
_TORCH_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded_torch(seed, device, rng_state=None):
    """Run the block with torch's global generators seeded, and the caller's put back after.

    The generators (CPU, and the GPU of ``device``) are seeded with ``seed``, then set to
    ``rng_state`` where one is given (a state the block yielded before, to go on with the
    same stream). The block gets a function that returns their current state: CPU tensors,
    so that the pickle of a model trained on a GPU still loads on a CPU. Blocks in several
    threads take turns (:data:`_TORCH_RNG_LOCK`).
    """
    fork_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    with _TORCH_RNG_LOCK, torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        if rng_state is not None:
            cpu_state, gpu_state = rng_state
            torch.set_rng_state(cpu_state)
            if fork_devices and gpu_state is not None:
                torch.cuda.set_rng_state(gpu_state, fork_devices[0])

        def state():
            return (
                torch.get_rng_state(),
                torch.cuda.get_rng_state(fork_devices[0]) if fork_devices else None,
            )

        yield state


def all_finite(a):
    """Whether the array ``a`` holds no NaN or infinity.

    A sum is NaN or infinite as soon as one value is, so the common case needs no temporary
    of the size of ``a``; only a sum that overflows is checked value by value.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum(dtype=np.float64)) or np.isfinite(a).all())

