"""The one shared base of every autoencoder estimator.

Parameters, data validation, seeding, training through skorch, and the ``transform`` /
``inverse_transform`` / ``reconstruct`` / ``score`` machinery are written here once. A family
(dense, conv, ...) only says which torch module to build (``_module_params``) and how wide its
code is (``_n_features_out``). A family becomes a denoiser by having the ``noise``,
``noise_level`` and ``clip`` parameters (:data:`CORRUPTION_PARAMETER_CONSTRAINTS`, documented
by ``{corruption_parameters}``): the base then corrupts its training batches.
"""

import contextlib
import copy
import inspect
import pickle
import re
import threading
import warnings
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
import skorch
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from ._modules import ACTIVATIONS
from ._net import (
    NOISES,
    ArrayDataset,
    AutoencoderNet,
    BatchIterator,
    Corruption,
    DivergenceCheck,
    KeepBestEarlyStopping,
    lower_learning_rate,
)

LOSSES = {
    "mse": torch.nn.MSELoss,
    "mae": torch.nn.L1Loss,
    "huber": torch.nn.HuberLoss,
    "bce": torch.nn.BCELoss,
}

OPTIMIZERS = {
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    # scikit-learn's MLP defaults for SGD: momentum 0.9 with Nesterov's momentum.
    "sgd": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
}

#: A fit whose last epoch's training loss is over this many times the lowest of the fit (an
#: epoch's, or its first batch's) warns that the optimizer overshot: a too large step can
#: leave a bounded but useless network, e.g. a saturated sigmoid output.
OVERSHOOT = 2.0

#: Optimizer steps that ``max_iter='auto'`` aims at, and the bounds on the epochs it picks.
AUTO_STEPS, AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS = 8_000, 10, 200

#: Training parameters shared by every family, documented once and spliced into each class's
#: docstring by :func:`fill_doc` (``{training_parameters}``).
TRAINING_PARAMETERS_DOC = """\
loss : {'mse', 'mae', 'bce', 'huber'}, default='mse'
        Reconstruction loss minimised during training: mean squared error, mean absolute
        error, binary cross-entropy (needs `X` in [0, 1] and a sigmoid output) or Huber.

    optimizer : {'adam', 'adamw', 'sgd'}, default='adam'
        The torch optimizer. ``'sgd'`` uses momentum 0.9 with Nesterov's momentum, like
        :class:`~sklearn.neural_network.MLPRegressor`.

    alpha : float, default=0.0
        Strength of the L2 penalty, passed to the optimizer as ``weight_decay`` (decoupled
        from the gradient for ``'adamw'``). Off by default: with Adam, even ``1e-4`` raised
        the Fashion-MNIST reconstruction error by a quarter in our measurements.

    batch_size : int or 'auto', default='auto'
        Size of the minibatches. ``'auto'`` uses ``min(200, n_samples)`` as
        :class:`~sklearn.neural_network.MLPRegressor` does. A value larger than the number of
        samples is clipped, with a warning. The value used is stored in ``batch_size_``.

    learning_rate_init : float, default=2e-3
        Initial learning rate of the optimizer. The default is twice Adam's usual 1e-3: for
        the step budget of ``max_iter='auto'`` it reached a lower reconstruction error.

    max_iter : int or 'auto', default='auto'
        Maximum number of epochs (passes over the training data). ``'auto'`` picks enough
        epochs for about 8,000 optimizer steps, at least 10 and at most 200: small data sets
        get many epochs, large ones few, so that from 40 to 800 batches per epoch the
        default fit takes about as long whatever the number of samples (above that, 10
        epochs, whose time grows with the data). The value used is stored in
        ``max_iter_``. A fit that reaches an int ``max_iter`` before the stopping rule
        fires raises a :class:`~sklearn.exceptions.ConvergenceWarning`, as in
        :class:`~sklearn.neural_network.MLPRegressor`; with ``'auto'`` the budget is a
        deliberate trade of time for quality and no warning is raised (``loss_curve_``
        shows whether the loss was still falling). Either way, a fit whose loss ends over
        twice its lowest warns that the optimizer overshot.

    tol : float, default=1e-4
        Relative tolerance of the stopping rule: training stops when the monitored loss
        (training loss, or validation loss with ``early_stopping=True``) has not improved by
        at least ``tol`` times its best value for ``n_iter_no_change`` consecutive epochs.

    shuffle : bool, default=True
        Whether to shuffle the samples at every epoch.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data and stop when the
        loss on it stops improving. The weights of the epoch of the lowest validation loss
        (any improvement counts, not only one of ``tol``) are restored at the end.
        Not used by ``partial_fit``, which holds nothing out.

    validation_fraction : float, default=0.1
        Proportion of the training data held out for early stopping, in (0, 1). Only used
        if ``early_stopping=True``.

    n_iter_no_change : int, default=10
        Number of epochs without an improvement of at least ``tol`` before training stops.

    warm_start : bool, default=False
        When True, a new call to ``fit`` continues training the fitted network (if the
        number of features, the dtype and the parameters that shape the network are
        unchanged) instead of starting from new weights; it trains with the current
        training parameters (loss, optimizer, learning rate, callbacks, device, ...), as
        :class:`~sklearn.neural_network.MLPRegressor` does. ``n_iter_`` and ``loss_curve_``
        keep counting. ``partial_fit`` always continues, one epoch per call.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the corruption of the inputs and the
        validation split. Pass an int for reproducible results across calls: on CPU the
        same value gives identical weights. ``None`` draws the seed from numpy's global
        generator, as scikit-learn does (so ``np.random.seed`` makes a fit reproducible).
        Training runs inside :func:`torch.random.fork_rng`, so the caller's global torch
        random state is left untouched; fits in several threads of one process take turns,
        since torch's generator is global to the process (run them in processes, as
        joblib's default backend does, to train in parallel).

    verbose : int, default=0
        ``0`` is silent; ``1`` or more prints one line per epoch (training loss, validation
        loss, duration) while training, as skorch does; the best values are coloured only
        when standard output is a terminal.

    device : str, default='cpu'
        Torch device to train and predict on: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or
        ``'auto'`` (CUDA when available, else CPU). The device used is stored in
        ``device_``. A fitted estimator pickles and loads on a CPU-only machine, where its
        network moves to the CPU. A pickle loads with the sklearn_ae release series it was
        made with (same major and minor version) and with the same torch or a later release
        of the same major version; otherwise loading raises a ``ValueError`` that names the
        versions to install.

    callbacks : list of skorch callbacks or None, default=None
        Extra :mod:`skorch.callbacks` for power users (e.g. ``LRScheduler``, ``Checkpoint``,
        ``ProgressBar``); each fit works on copies, so the objects passed are not modified."""

#: Fitted attributes shared by every family (``{training_attributes}`` in docstrings).
TRAINING_ATTRIBUTES_DOC = """\
net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and ``net_.history``
        skorch's record of the training.

    n_iter_ : int
        Number of epochs trained (over all calls to ``fit`` with ``warm_start=True``, and to
        ``partial_fit``). An epoch cut short by a ``KeyboardInterrupt`` is not counted,
        though its optimizer steps are kept.

    loss_curve_ : list of float
        Training loss at the end of each epoch.

    best_loss_ : float or None
        Lowest training loss reached. None when ``early_stopping=True``, as in
        :class:`~sklearn.neural_network.MLPRegressor`.

    validation_scores_ : list of float or None
        Score on the validation split at each epoch: the negative validation loss, so
        higher is better; NaN for an epoch trained by ``partial_fit``, which holds nothing
        out. None when ``early_stopping=False``.

    best_validation_score_ : float or None
        Best of ``validation_scores_``, whose weights are kept; with ``warm_start``, the best
        over the early-stopping fits since the last ``partial_fit`` (which keeps its own last
        weights), as :class:`~sklearn.neural_network.MLPRegressor` keeps its best weights
        across warm starts. None when ``early_stopping=False``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature names
        that are all strings.

    device_ : str
        The torch device the network is on: the one it was trained on, or ``'cpu'`` once
        a pickle of a network trained on a GPU is loaded where CUDA is not available.

    batch_size_ : int
        The minibatch size used (by the last call to ``fit`` or ``partial_fit``).

    max_iter_ : int
        The maximum number of epochs of the last call to ``fit`` (resolved from
        ``max_iter='auto'``); 1 after ``partial_fit``, which trains one epoch per call.

    output_activation_ : str
        The activation of the decoder's last layer (resolved from
        ``output_activation='auto'``)."""


#: Parameters that switch on the corruption of the training inputs, for any family.
CORRUPTION_PARAMETER_CONSTRAINTS = {
    "noise": [StrOptions(set(NOISES)), None],
    "noise_level": [Interval(Real, 0, None, closed="left")],
    "clip": ["array-like", None],
}

#: Their documentation (``{corruption_parameters}``); the defaults are read from the signature.
CORRUPTION_PARAMETERS_DOC = """\
noise : {{'gaussian', 'masking', 'salt_and_pepper'}} or None, default={noise!r}
        Corruption of the training inputs, which makes a denoising autoencoder: the network
        is trained to rebuild the clean rows from corrupted ones. ``'gaussian'`` adds
        Gaussian noise of standard deviation ``noise_level``; ``'masking'`` sets each value
        to 0 with probability ``noise_level`` (dropout of input features, without
        rescaling); ``'salt_and_pepper'`` sets each value with probability ``noise_level``
        to the low or the high end of ``clip`` (without ``clip``: the minimum or maximum of
        the training data), with equal chances. None trains on clean inputs. Fresh noise is
        drawn for every batch, from ``random_state``, and only while training:
        :meth:`transform`, :meth:`inverse_transform`, :meth:`reconstruct` and :meth:`score`
        see the inputs as given, and the validation loss of ``early_stopping`` is measured
        on clean inputs.

    noise_level : float, default={noise_level!r}
        Strength of the corruption: the standard deviation of the Gaussian noise (in the
        units of `X`), or for ``'masking'`` and ``'salt_and_pepper'`` the probability that a
        value is corrupted, in [0, 1]. Ignored when ``noise=None``.

    clip : tuple of (float, float) or None, default={clip!r}
        ``(low, high)`` range the corrupted inputs are clipped to, e.g. ``(0, 1)`` for pixel
        intensities, so that noise does not push them out of the range of the data.
        Ignored when ``noise=None``."""


def fill_doc(cls):
    """Splice the shared parameter and attribute docs into ``cls.__doc__``."""
    defaults = {
        name: param.default
        for name, param in inspect.signature(cls.__init__).parameters.items()
        if name in CORRUPTION_PARAMETER_CONSTRAINTS
    }
    corruption = CORRUPTION_PARAMETERS_DOC.format(**defaults) if len(defaults) == 3 else ""
    cls.__doc__ = cls.__doc__.format(
        training_parameters=TRAINING_PARAMETERS_DOC,
        training_attributes=TRAINING_ATTRIBUTES_DOC,
        corruption_parameters=corruption,
    )
    return cls


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


def draw_seed(random_state):
    """An int seed from ``random_state``, as scikit-learn reads it.

    ``None`` is numpy's global generator (:func:`~sklearn.utils.check_random_state`), as in
    every scikit-learn estimator: ``np.random.seed(0)`` before a fit makes it reproducible.
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def seed_unset_random_states(estimator, random_state):
    """Seed an estimator of a meta-estimator from the meta-estimator's ``random_state``.

    Every ``random_state`` parameter of ``estimator`` that is None, nested ones included,
    is set to a seed drawn from ``random_state``, so that an int gives reproducible fits;
    seeds set on the estimator itself are kept. With ``random_state=None`` the estimator is
    left as it is. Returns ``estimator``.
    """
    if random_state is not None:
        rng = check_random_state(random_state)
        unset = sorted(
            key
            for key, value in estimator.get_params(deep=True).items()
            if (key == "random_state" or key.endswith("__random_state")) and value is None
        )
        estimator.set_params(**{key: draw_seed(rng) for key in unset})
    return estimator


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


def _move_net(net, device):
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


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Put the fitted attributes of ``estimator`` back as they were if the block raises.

    A fit that fails (bad data, a diverging loss) then leaves no half-fitted estimator: a
    first fit leaves it unfitted (``check_is_fitted`` raises ``NotFittedError``, not an
    ``AttributeError`` later), a refit leaves the previous fit whole (``n_features_in_``
    included, which validation sets before training starts).
    """
    fitted = {key: value for key, value in vars(estimator).items() if key.endswith("_")}
    try:
        yield
    except BaseException:
        for key in [key for key in vars(estimator) if key.endswith("_")]:
            delattr(estimator, key)
        vars(estimator).update(fitted)
        raise


def _curve(history, key):
    """The values of ``key`` over the epochs of a skorch history that have it, as floats.

    Epochs trained by :meth:`~BaseAutoencoder.partial_fit` have no validation loss.
    """
    return [float(row[key]) for row in history if key in row]


def _drop_unfinished_epoch(net, validate):
    """Forget the last epoch of ``net.history`` if an interruption cut it short.

    skorch stops quietly on a KeyboardInterrupt (Ctrl-C, or a callback's), which may come in
    the middle of an epoch: the weights keep the optimizer steps taken, but an epoch without
    its loss does not count in ``n_iter_``, so that ``n_iter_ == len(loss_curve_)``.
    """
    if net.history:
        last = net.history[-1]
        if "train_loss" not in last or (validate and "valid_loss" not in last):
            net.history.pop()


def all_finite(a):
    """Whether the array ``a`` holds no NaN or infinity.

    A sum is NaN or infinite as soon as one value is, so the common case needs no temporary
    of the size of ``a``; only a sum that overflows is checked value by value.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum(dtype=np.float64)) or np.isfinite(a).all())


def _release(version):
    """``(major, minor)`` of a version string such as ``'2.13.0+cpu'``, or None."""
    match = re.match(r"(\d+)\.(\d+)", str(version))
    return (int(match[1]), int(match[2])) if match else None


def check_pickle_versions(name, saved_sklearn_ae, saved_torch):
    """Raise a clear error when a pickle made with these versions cannot be loaded here.

    The rule: a pickle loads with the release series of sklearn_ae it was made with (same
    major and minor version; patch releases keep the fitted attributes), and with the torch
    it was made with or a later release of the same major version (torch reads the files of
    its earlier releases, but promises nothing of older releases reading newer files).
    """
    import sklearn_ae

    saved, installed = _release(saved_sklearn_ae), _release(sklearn_ae.__version__)
    if saved != installed:
        series = f"{saved[0]}.{saved[1]}" if saved else saved_sklearn_ae
        raise ValueError(
            f"This {name} was pickled with sklearn_ae {saved_sklearn_ae}, but sklearn_ae "
            f"{sklearn_ae.__version__} is installed. A pickle loads only with the release "
            f"series it was made with ({series}.*): the fitted attributes may change between "
            f"series. Install sklearn_ae {series}.* to load it (pip install "
            f"'sklearn_ae=={series}.*'), or fit the estimator again."
        )
    saved, installed = _release(saved_torch), _release(torch.__version__)
    if saved is not None and installed is not None and (
        installed[0] != saved[0] or installed < saved
    ):
        reason = "another major version" if installed[0] != saved[0] else "an older release"
        raise ValueError(
            f"This {name} was pickled with torch {saved_torch}, but torch {torch.__version__} "
            f"is installed, {reason}. Its network loads with torch {saved[0]}.{saved[1]} or a "
            f"later {saved[0]}.x release: install one (pip install "
            f"'torch>={saved[0]}.{saved[1]},<{saved[0] + 1}'), or fit the estimator again."
        )


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the autoencoder estimators. Not for direct use.

    Subclasses implement :meth:`_module_params` and, where the code width is not
    ``n_components``, the ``_n_features_out`` property.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "output_activation": [StrOptions({"auto", *ACTIVATIONS})],
        "loss": [StrOptions(set(LOSSES))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str],
        "callbacks": [list, None],
    }

    #: Rows per batch at inference; memory is bounded by one batch, not by the data.
    _predict_batch_size = 1024

    #: The skorch net class that trains the module; a family may subclass
    #: :class:`~sklearn_ae._net.AutoencoderNet` (e.g. to add a term to the loss).
    _net_class = AutoencoderNet

    # ------------------------------------------------------------------ what a family provides

    @abstractmethod
    def _module_params(self, X, output_activation):
        """Return ``(module_class, kwargs)`` of the torch module to train on ``X``."""

    @property
    def _n_features_out(self):
        """Width of the code returned by ``transform``: the fitted network's, once fitted.

        A later ``set_params(n_components=...)`` changes the next fit, not the fitted network.
        Unfitted, it is missing (``AttributeError``), so that ``get_feature_names_out`` raises
        ``NotFittedError`` as scikit-learn's transformers do.
        """
        return self._code_width_

    def _net_params(self):
        """Extra keyword arguments for :attr:`_net_class` (e.g. a loss weight)."""
        return {}

    # ------------------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct `X`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Integer data are converted to float64; float32 data are trained
            in float32 (faster) and float64 data in float64. A float numpy memmap (e.g.
            ``np.load(path, mmap_mode='r')``) is trained on in place, without a copy, one
            minibatch at a time.

        y : None
            Ignored. Present for API consistency; an autoencoder's target is `X` itself.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with unchanged_on_error(self):
            X = self._validate_fit_data(X)
            return self._fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to `X` and return its codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes of `X`, with the dtype of `X`.
        """
        with unchanged_on_error(self):
            X = self._validate_fit_data(X)
            self._fit(X)
        return self._transform(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one epoch on `X`, a batch of a stream: for data too large to fit at once.

        Each call makes one pass over `X` (in minibatches of ``batch_size``) and goes on
        from the weights, optimizer state and random stream that the previous call (or
        :meth:`fit`) left, as :meth:`sklearn.neural_network.MLPRegressor.partial_fit`
        does; the first call on an unfitted estimator builds the network, in the dtype of
        that first `X` (later batches are converted to it) and, with
        ``output_activation='auto'``, with the output activation that first `X` calls for
        (a sigmoid for data in [0, 1]: a later batch outside [0, 1] then warns that its
        reconstructions are clipped).
        ``n_iter_`` counts the calls and ``loss_curve_`` gets one value per call. Called
        ``k`` times on the same `X`, it gives the weights of ``fit`` with ``max_iter=k``
        and the same ``random_state``.

        ``max_iter``, ``tol``, ``n_iter_no_change``, ``warm_start`` and ``early_stopping``
        are not used: the caller decides when to stop, and no validation split is held
        out; ``batch_size='auto'`` is resolved for each `X`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch of training data, with the features of the first batch. A numpy
            memmap in the network's dtype is read one minibatch at a time, without a
            copy (one of another dtype is converted, which copies it).

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        self : object
            The estimator, trained for one more epoch.
        """
        with unchanged_on_error(self):
            first_call = not hasattr(self, "net_")
            X = self._validate(X, reset=first_call)
            return self._fit(X, incremental=True)

    def _validate(self, X, reset):
        """`X` checked and converted as scikit-learn does, with a hint for N-D arrays."""
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) > 2:
            raise ValueError(
                f"{type(self).__name__} takes 2-D X of shape (n_samples, n_features), one "
                f"flattened sample per row; got an array of shape {tuple(shape)}. "
                f"{self._flatten_hint(tuple(shape))}"
            )
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)

    def _flatten_hint(self, shape):
        """How to pass an N-D array of `shape`, for the error of :meth:`_validate`."""
        return "Flatten each sample: X.reshape(len(X), -1)."

    def _validate_fit_data(self, X):
        return self._validate(X, reset=True)

    def _validate_data_for_predict(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def _check_data_dependent_params(self, X):
        """The checks that need the data, with messages that name the parameter and a fix."""
        if self.loss == "bce":
            lo, hi = float(X.min()), float(X.max())
            if lo < 0 or hi > 1:
                raise ValueError(
                    f"loss='bce' needs X in [0, 1]; got values in [{lo:g}, {hi:g}]. Scale X "
                    "with sklearn.preprocessing.MinMaxScaler, or use loss='mse'."
                )
            if self.output_activation not in ("auto", "sigmoid", "logistic"):
                raise ValueError(
                    f"loss='bce' needs outputs in [0, 1], but output_activation="
                    f"{self.output_activation!r} does not guarantee that. Use "
                    "output_activation='sigmoid' or 'auto'."
                )
        if getattr(self, "noise", None) is not None:
            self._check_corruption_params()

    def _check_corruption_params(self):
        if self.noise in ("masking", "salt_and_pepper") and self.noise_level > 1:
            raise ValueError(
                f"noise={self.noise!r} corrupts each value with probability noise_level, which "
                f"must be in [0, 1]; got noise_level={self.noise_level}. Pass e.g. "
                "noise_level=0.25."
            )
        clip = self.clip
        valid = (
            clip is None
            or (
                len(clip) == 2
                and all(isinstance(v, Real) and np.isfinite(v) for v in clip)
                and clip[0] < clip[1]
            )
        )
        if not valid:
            raise ValueError(
                f"clip must be a pair (low, high) of finite numbers with low < high, got "
                f"{clip!r}. Pass e.g. clip=(0, 1) for pixel intensities, or clip=None."
            )

    def _corruption(self, X):
        """The :class:`~sklearn_ae._net.Corruption` of the training inputs, or None.

        A family switches it on by having the ``noise``, ``noise_level`` and ``clip``
        parameters; without them, or with ``noise=None``, training sees clean inputs.
        """
        noise = getattr(self, "noise", None)
        if noise is None:
            return None
        clip = None if self.clip is None else (float(self.clip[0]), float(self.clip[1]))
        values = None
        if noise == "salt_and_pepper":
            values = clip if clip is not None else (float(X.min()), float(X.max()))
        return Corruption(noise, float(self.noise_level), clip, values)

    def _resolve_output_activation(self, X):
        if self.output_activation != "auto":
            return self.output_activation
        in_unit_interval = X.min() >= 0 and X.max() <= 1
        return "sigmoid" if in_unit_interval else "identity"

    def _warn_if_sigmoid_cannot_fit(self, X, output_activation):
        """Warn when more data for a fitted net fall outside the range of its sigmoid output.

        ``'auto'`` chose the sigmoid from the first data, in [0, 1]; a later batch (of
        :meth:`partial_fit` or a warm-start fit) outside that range would be clipped in
        every reconstruction, silently.
        """
        if self.output_activation != "auto" or output_activation != "sigmoid":
            return
        lo, hi = float(X.min()), float(X.max())
        if lo < 0 or hi > 1:
            warnings.warn(
                f"{type(self).__name__}: X holds values in [{lo:.4g}, {hi:.4g}], but the "
                "fitted network's output is a sigmoid, which output_activation='auto' chose "
                "because the first training data lay in [0, 1]: reconstructions stay in "
                "[0, 1], so the values outside are clipped. Scale every batch the same way "
                "(e.g. with one fitted MinMaxScaler), or train a new network with "
                "output_activation='identity'.",
                UserWarning,
            )

    def _resolve_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"Got batch_size={self.batch_size} larger than the number of samples "
                f"({n_samples}); it is clipped to {n_samples}."
            )
            return n_samples
        return self.batch_size

    def _resolve_max_iter(self, n_samples, batch_size):
        if self.max_iter != "auto":
            return self.max_iter
        steps_per_epoch = -(-n_samples // batch_size)
        return int(np.clip(AUTO_STEPS // steps_per_epoch, AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS))

    def _build_net(self, X, *, dtype, device, output_activation):
        """A new skorch net for `X`; :meth:`_configure_training` sets up each training call."""
        module, module_kwargs = self._module_params(X, output_activation)
        optimizer, optimizer_kwargs = self._optimizer_params()
        name = type(self).__name__
        callbacks = [
            ("divergence_check", DivergenceCheck(name, self.learning_rate_init, max_iter=None)),
            ("early_stopping", KeepBestEarlyStopping()),
            *copy.deepcopy(self.callbacks or []),
        ]
        return self._net_class(
            module=module,
            **{f"module__{key}": value for key, value in module_kwargs.items()},
            module__dtype=dtype,
            criterion=LOSSES[self.loss],
            optimizer=optimizer,
            lr=self.learning_rate_init,
            **{f"optimizer__{key}": value for key, value in optimizer_kwargs.items()},
            dataset=ArrayDataset,
            iterator_train=BatchIterator,
            iterator_valid=BatchIterator,
            iterator_train__shuffle=self.shuffle,
            callbacks=callbacks,
            verbose=self.verbose,
            device=device,
            **self._net_params(),
        )

    def _check_callbacks(self):
        for i, item in enumerate(self.callbacks or []):
            callback = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            named = not isinstance(item, tuple) or isinstance(item[0], str)
            is_callback = isinstance(callback, Callback) or (
                isinstance(callback, type) and issubclass(callback, Callback)
            )
            if not (named and is_callback):
                raise ValueError(
                    f"callbacks must hold skorch callbacks (skorch.callbacks.Callback "
                    f"instances) or (name, callback) pairs; item {i} is {item!r}. Pass e.g. "
                    "callbacks=[skorch.callbacks.LRScheduler(policy='StepLR', step_size=10)]."
                )
            monitor = getattr(callback, "monitor", None)
            if isinstance(monitor, str) and monitor.startswith("valid") and not (
                    self.early_stopping):
                raise ValueError(
                    f"callbacks item {i} ({type(callback).__name__}) monitors {monitor!r}, but "
                    "nothing is held out for validation: early_stopping=False. Set "
                    "early_stopping=True (which stops on the validation loss and keeps the best "
                    "weights by itself), or monitor 'train_loss'."
                )

    def _optimizer_params(self):
        """The torch optimizer class and its keyword arguments (``lr`` aside)."""
        optimizer, kwargs = OPTIMIZERS[self.optimizer]
        return optimizer, {"weight_decay": self.alpha, **kwargs}

    def _configure_training(self, net, X, *, batch_size, max_iter, validate, seed):
        """Set up ``net`` (new or fitted) for one training call on `X`, from the parameters."""
        split = ValidSplit(self.validation_fraction, random_state=seed) if validate else None
        net.set_params(max_epochs=max_iter, batch_size=batch_size, train_split=split)
        net.corruption = self._corruption(X)
        # A fitted net (warm_start, partial_fit) trains with the current parameters, as
        # MLPRegressor does: loss, optimizer, learning rate, L2 penalty, shuffling, verbosity
        # and the family's own (beta).
        net.iterator_train__shuffle = self.shuffle
        net.verbose = self.verbose
        net.lr = self.learning_rate_init
        if type(net.criterion_) is not LOSSES[self.loss]:
            net.criterion = LOSSES[self.loss]
            net.initialize_criterion()
        optimizer, optimizer_kwargs = self._optimizer_params()
        if type(net.optimizer_) is not optimizer:
            # Another optimizer: a new one (MLPRegressor starts a new one for a new solver).
            for key in [key for key in vars(net) if key.startswith("optimizer__")]:
                delattr(net, key)
            net.optimizer = optimizer
            for key, value in optimizer_kwargs.items():
                setattr(net, f"optimizer__{key}", value)
            net.initialize_optimizer()
        # Otherwise its param groups are changed in place, so that Adam keeps its moments.
        for group in net.optimizer_.param_groups:
            group["lr"] = self.learning_rate_init
            group["weight_decay"] = self.alpha
        for name, value in self._net_params().items():
            setattr(net, name, value)
        callbacks = dict(net.callbacks_)
        divergence_check = callbacks["divergence_check"]
        divergence_check.learning_rate_init = self.learning_rate_init
        divergence_check.max_iter = max_iter
        divergence_check.scale = max(abs(float(X.max())), abs(float(X.min())))
        stopper = callbacks["early_stopping"]
        stopper.monitor = "valid_loss" if validate else "train_loss"
        stopper.patience = self.n_iter_no_change
        stopper.threshold = self.tol
        stopper.threshold_mode = "rel"
        stopper.load_best = validate

    def _can_warm_start(self, X_tensor):
        if not (self.warm_start and hasattr(self, "net_")):
            return False
        params = next(self.net_.module_.parameters())
        return (
            params.dtype == X_tensor.dtype
            and self._warm_start_shape_ == X_tensor.shape[1:]
            and not self._changed_architecture(X_tensor)
        )

    def _changed_architecture(self, X):
        """The network-shaping parameters changed since the fitted net was built, as text.

        Empty when the net that the current parameters build for `X` is the fitted one.
        """
        output_activation = (
            self.output_activation_ if self.output_activation == "auto"
            else self.output_activation
        )
        module, wanted = self._module_params(X, output_activation)
        built = self.net_.get_params_for("module")
        changes = [
            f"{key}: {built.get(key)!r} -> {value!r}"
            for key, value in wanted.items() if built.get(key) != value
        ]
        if module is not self.net_.module:
            changes.insert(0, f"module: {self.net_.module.__name__} -> {module.__name__}")
        return ", ".join(changes)

    def _fit(self, X, incremental=False):
        """Train on validated `X`; set the fitted attributes only once training succeeded.

        ``fit`` trains up to ``max_iter`` epochs, from new weights or, with ``warm_start``,
        from the fitted ones. ``incremental=True`` (:meth:`partial_fit`) trains one epoch
        without a validation split, from the fitted weights when there are some, and goes on
        with the random stream where the previous call left it: ``k`` calls on the same `X`
        give the weights of one ``fit`` with ``max_iter=k``.
        """
        self._check_data_dependent_params(X)
        self._check_callbacks()
        n_samples = X.shape[0]
        validate = self.early_stopping and not incremental
        n_valid = int(np.ceil(self.validation_fraction * n_samples))  # as ShuffleSplit
        if validate and (n_samples < 2 or n_valid >= n_samples):
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.validation_fraction} "
                f"of the samples ({min(n_valid, n_samples)} of n_samples={n_samples}), which "
                "must leave at least one sample for training and one for validation. Pass "
                "more samples, a smaller validation_fraction, or set early_stopping=False."
            )
        batch_size = self._resolve_batch_size(n_samples)
        max_iter = 1 if incremental else self._resolve_max_iter(n_samples, batch_size)
        seed = draw_seed(self.random_state)
        X_tensor = as_tensor(X)  # shares memory with X (a memmap included): no copy
        continuing = hasattr(self, "net_") if incremental else self._can_warm_start(X_tensor)
        if incremental and continuing:
            changes = self._changed_architecture(X_tensor)
            if changes:
                raise ValueError(
                    f"{type(self).__name__}.partial_fit continues the fitted network, but the "
                    f"parameters that shape it changed since it was built ({changes}). Set "
                    "them back, or call fit to train a new network."
                )
        device = resolve_device(self.device)
        if continuing:
            # Train a copy: a fit that fails (diverges, is interrupted by an error) leaves the
            # fitted estimator as it was.
            net = copy.deepcopy(self.net_)
            # It trains with the current device and callbacks, as a new fit would.
            _move_net(net, device)
            if list(self.callbacks or []) != getattr(self, "_built_callbacks_", None):
                # The library's own two come first and keep their state.
                net.callbacks = [*net.callbacks[:2], *copy.deepcopy(self.callbacks or [])]
                net.initialize_callbacks()
            output_activation = self.output_activation_
            self._warn_if_sigmoid_cannot_fit(X, output_activation)
            # partial_fit converts a batch of another dtype to the network's, as transform does.
            X_tensor = as_tensor(X, next(net.module_.parameters()).dtype)
        else:
            output_activation = self._resolve_output_activation(X)
        rng_state = getattr(self, "_rng_state_", None) if incremental and continuing else None
        with seeded_torch(seed, device, rng_state) as rng_state_now:
            if not continuing:
                net = self._build_net(
                    X, dtype=X_tensor.dtype, device=device, output_activation=output_activation
                )
                net.initialize()
                # Start the output at the data's mean (see _modules.start_at_mean). numpy sums
                # in float64 through a small buffer: a memmap is read, not copied.
                mean = np.mean(X, axis=0, dtype=np.float64)
                net.module_.init_output_bias(torch.as_tensor(mean, dtype=X_tensor.dtype).to(device))
                with torch.no_grad():  # no randomness: encoding is deterministic
                    probe = torch.zeros((1, *X_tensor.shape[1:]), dtype=X_tensor.dtype)
                    code_width = int(net.module_.encode(probe.to(device)).shape[1])
            else:
                code_width = self._n_features_out  # the fitted width
            self._configure_training(
                net, X, batch_size=batch_size, max_iter=max_iter, validate=validate, seed=seed
            )
            epochs_before = len(net.history)
            # skorch stops quietly on KeyboardInterrupt.
            net.partial_fit(stage_on_device(X_tensor, device))
            _drop_unfinished_epoch(net, validate)
            rng_state = rng_state_now()  # for the next partial_fit

        self.net_ = net
        self.device_ = device
        self._built_callbacks_ = list(self.callbacks or [])  # the elements themselves
        self.batch_size_ = batch_size
        self.max_iter_ = max_iter
        self.output_activation_ = output_activation
        self._warm_start_shape_ = X_tensor.shape[1:]
        self._rng_state_ = rng_state
        self._code_width_ = code_width
        epochs_run = len(net.history) - epochs_before
        self._set_training_attributes(net, epochs_run)
        if not incremental:
            self._warn_if_not_converged(net, epochs_run)
        return self

    def _set_training_attributes(self, net, epochs_run):
        history = net.history
        self.n_iter_ = len(history)
        self.loss_curve_ = _curve(history, "train_loss")
        if net.train_split is not None:
            # One value per epoch, NaN for an epoch of partial_fit (no validation split).
            self.validation_scores_ = [
                -float(row["valid_loss"]) if "valid_loss" in row else float("nan")
                for row in history
            ]
            # The score of the weights kept: the best of this call and of the warm-started
            # early-stopping calls before it (a partial_fit in between starts over).
            best = dict(net.callbacks_)["early_stopping"].best_score_
            self.best_validation_score_ = -float(best) if np.isfinite(best) else None
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_, default=None)

    def _warn_if_not_converged(self, net, epochs_run):
        losses = self.loss_curve_[len(self.loss_curve_) - epochs_run:]
        if net.train_split is None and losses:  # (a validation split keeps the best epoch)
            # The lowest loss of this fit: an epoch's, or its first batch's (which the
            # starting weights gave; a new network starts at the data's mean).
            first_batch = net.history[len(net.history) - epochs_run]["batches"][0]["train_loss"]
            best = int(np.argmin(losses))
            lowest, when = min((losses[best], f"epoch {best + 1}"), (first_batch, "first batch"))
            if losses[-1] > OVERSHOOT * lowest:
                warnings.warn(
                    f"{type(self).__name__}: the training loss ended at {losses[-1]:.4g}, over "
                    f"{OVERSHOOT:g} times its lowest value in this fit ({lowest:.4g}, {when}): "
                    "the optimizer overshot and the network got worse. "
                    f"{lower_learning_rate(self.learning_rate_init)}, or set "
                    "early_stopping=True to keep the best epoch's weights.",
                    ConvergenceWarning,
                )
                return
        stopper = dict(net.callbacks_)["early_stopping"]
        converged = stopper.misses_ >= stopper.patience
        if epochs_run >= self.max_iter_ and not converged and self.max_iter != "auto":
            monitored = "validation" if net.train_split is not None else "training"
            advice = (
                f"Increase max_iter: the {monitored} loss still improved by more than "
                f"tol={self.tol:g} within the last n_iter_no_change={self.n_iter_no_change} "
                "epochs. (max_iter='auto' picks the budget itself and does not warn.)"
            )
            warnings.warn(
                f"{type(self).__name__}: Maximum iterations ({self.max_iter_}) reached and the "
                f"optimization hasn't converged yet. {advice}",
                ConvergenceWarning,
            )

    # ---------------------------------------------------------------------------- inference

    def _predict(self, X, fn, out_dtype=None):
        """``fn`` applied to validated `X` in batches, as a numpy array.

        The array has the dtype ``out_dtype`` (default: the network's). Memory is bounded by
        one batch plus the output: `X` is neither copied nor converted as a whole. A result
        with NaN or infinity raises an error that says why, instead of being returned.
        """
        out = self.net_.predict_batches(as_tensor(X), fn, self._predict_batch_size, out_dtype)
        if not all_finite(out):
            raise ValueError(self._non_finite_output_message(X))
        return out

    def _non_finite_output_message(self, X):
        name = type(self).__name__
        weights = list(self.net_.module_.parameters())
        if not all(bool(torch.isfinite(w).all()) for w in weights):
            return (
                f"{name}: the network's weights are NaN or infinite, so every output is: "
                "its training diverged before the divergence check could stop it (e.g. it "
                "was interrupted). Refit with a lower learning_rate_init, or scale X first "
                "(e.g. with StandardScaler)."
            )
        dtype = weights[0].dtype
        largest = max(abs(float(X.max())), abs(float(X.min())))
        return (
            f"{name}: the network returned NaN or infinity for X that is finite. X holds values "
            f"up to {largest:.3g} in absolute value, and the network computes in {dtype} (whose "
            f"largest value is {torch.finfo(dtype).max:.3g}): values this far from the "
            "training data overflow its arithmetic. Scale X as the training data were scaled "
            "(e.g. with the same StandardScaler, in a Pipeline), or clip it."
        )

    def transform(self, X):
        """Encode `X`: return the latent code of each sample.

        Deterministic: the network runs in evaluation mode.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, with the dtype of `X` (float32 or float64).
        """
        X = self._validate_data_for_predict(X)
        return self._transform(X)

    def _transform(self, X):
        return self._predict(X, self.net_.module_.encode, X.dtype)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The decoded data, with the dtype of the codes.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32])
        n_out = self._n_features_out
        if X.shape[1] != n_out:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__}.inverse_transform is "
                f"expecting {n_out} features (the width of the code) as input."
            )
        return self._predict(X, self.net_.module_.decode, X.dtype)

    def reconstruct(self, X):
        """Encode and decode `X` in one pass: the autoencoder's reconstruction of `X`.

        Equal to ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to reconstruct.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features)
            The reconstruction, with the dtype of `X`.
        """
        X = self._validate_data_for_predict(X)
        return self._predict(X, self.net_.module_, X.dtype)

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each sample.

        Higher is better, as for :meth:`sklearn.decomposition.PCA.score_samples`; the error is
        averaged over features, so values are comparable across data sets of different width.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((X - reconstruct(X)) ** 2, axis=1)``, as float64.
        """
        X = self._validate_data_for_predict(X)
        return self._score_samples(X)

    def _score_samples(self, X):
        module = self.net_.module_

        def squared_error(xb):
            # In float64: the square of a float32 error beyond 1.8e19 would overflow.
            return (module(xb) - xb).double().square_().flatten(1).mean(dim=1)

        return -self._predict(X, squared_error, np.float64)

    def score(self, X, y=None):
        """Negative mean squared reconstruction error over `X`.

        Higher is better, so :class:`~sklearn.model_selection.GridSearchCV` can select an
        architecture with its default scoring.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean of :meth:`score_samples`.
        """
        X = self._validate_data_for_predict(X)
        return float(np.mean(self._score_samples(X)))

    # ---------------------------------------------------------------------------- pickling

    def __getstate__(self):
        import sklearn_ae

        state = dict(
            super().__getstate__(),
            _sklearn_ae_version=sklearn_ae.__version__,
            _torch_version=torch.__version__,
            _skorch_version=skorch.__version__,
        )
        if "net_" in state:
            # Pickled apart, so that __setstate__ checks the versions before torch reads it.
            state["net_"] = pickle.dumps(state["net_"], protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved_sklearn_ae = state.pop("_sklearn_ae_version", None)
        saved_torch = state.pop("_torch_version", None)
        saved_skorch = state.pop("_skorch_version", None)
        name = type(self).__name__
        if saved_sklearn_ae is not None:
            check_pickle_versions(name, saved_sklearn_ae, saved_torch)
        if isinstance(state.get("net_"), bytes):
            try:
                # skorch maps a network trained on a GPU to the CPU when CUDA is missing.
                state["net_"] = pickle.loads(state["net_"])
            except Exception as exc:
                raise ValueError(
                    f"This {name} could not load its trained network, pickled with torch "
                    f"{saved_torch} and skorch {saved_skorch} (installed: torch "
                    f"{torch.__version__}, skorch {skorch.__version__}): {exc}. Install the "
                    "versions it was pickled with, or fit the estimator again."
                ) from exc
            state["device_"] = str(state["net_"].device)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
