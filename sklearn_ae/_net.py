"""The private skorch net that trains every autoencoder.

skorch runs the loop (epochs, callbacks, history, early stopping, device, pickling); this module
adds what an autoencoder needs on top of it:

- an unsupervised loss: a batch is ``(input, target)`` with ``target`` the clean rows, so ``fit``
  takes ``y=None`` and no ``fit(X, X)`` is needed;
- a fast path for in-memory data: :class:`ArrayDataset` and :class:`BatchIterator` slice whole
  batches out of one tensor. skorch's default ``DataLoader`` collates sample by sample, which
  made a small dense autoencoder about 1.5x slower than a hand-written torch loop. On the CPU
  nothing copies the data as a whole: a tensor sharing memory with a numpy memmap is read
  one batch at a time, when training (validation split included) and when predicting (GPU
  training copies data that fit easily to the GPU once per fit: ``stage_on_device`` in
  ``_torch_utils.py``);
- corruption of the training inputs (a :class:`~sklearn_ae._corruption.Corruption`), which
  turns any autoencoder into a denoising one: only the training step sees corrupted rows, the
  target stays the clean rows;
- a check that stops a diverging fit with an error instead of returning NaN or absurd codes;
- a log (``verbose=1``) coloured only on a terminal (:class:`PrintLog`).
"""

import copy
import math
import sys

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring
from skorch.callbacks import PrintLog as SkorchPrintLog
from skorch.utils import Ansi, to_tensor

from ._diagnostics import lower_learning_rate

__all__ = [
    "ArrayDataset", "BatchIterator", "DivergenceCheck", "KeepBestEarlyStopping", "AutoencoderNet",
]


class ArrayDataset(torch.utils.data.Dataset):
    """The rows of one in-memory tensor; each row is both input and target."""

    def __init__(self, X, y=None):
        self.X = X

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.X[i]


def _rows(dataset):
    """``(X, indices)`` behind an :class:`ArrayDataset` or a ``Subset`` of one.

    ``indices`` is None for all the rows of ``X``, else the rows of the subset: the split of
    ``early_stopping`` is indexed batch by batch instead of copying the training rows.
    """
    if isinstance(dataset, ArrayDataset):
        return dataset.X, None
    if isinstance(dataset, torch.utils.data.Subset):
        X, indices = _rows(dataset.dataset)
        subset = torch.as_tensor(dataset.indices, dtype=torch.long)
        return X, subset if indices is None else indices[subset]
    raise TypeError(
        f"BatchIterator needs an ArrayDataset or a Subset of one, got {type(dataset).__name__}."
    )


class BatchIterator:
    """Yield ``(rows, rows)`` batches sliced straight out of a tensor.

    A drop-in for ``torch.utils.data.DataLoader`` as skorch's ``iterator_train`` and
    ``iterator_valid``. Shuffling draws a permutation from torch's global generator, which the
    estimators seed inside ``torch.random.fork_rng``. Only the rows of one batch are copied at
    a time, so a tensor that shares memory with a numpy memmap is read batch by batch.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False):
        self.X, self.indices = _rows(dataset)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        n = len(self.X) if self.indices is None else len(self.indices)
        return math.ceil(n / self.batch_size)

    def __iter__(self):
        X, indices, bs = self.X, self.indices, self.batch_size
        n = len(X) if indices is None else len(indices)
        if self.shuffle:
            order = torch.randperm(n)
            if indices is not None:
                order = indices[order]
        else:
            order = indices
        if order is not None:
            # The permutation is drawn on the CPU (the same on every device); index where
            # the rows are, e.g. on the GPU when the data were staged there.
            order = order.to(X.device)
        for start in range(0, n, bs):
            xb = X[start : start + bs] if order is None else X[order[start : start + bs]]
            yield xb, xb


class DivergenceCheck(Callback):
    """Raise a clear error as soon as the training loss is NaN, infinite or exploding.

    A finite loss counts as exploding above :attr:`EXPLOSION` times the larger of
    ``scale ** 2`` (``scale``: the largest absolute value in the training data, at least 1)
    and the loss of the network's first training batch, which its initial weights gave
    (kept across calls, so that ``partial_fit`` calls that go on from blown-up weights are
    still measured against sane ones): reconstructions that far from the data are no step of
    a converging fit. Without this, a fit whose weights grow without bound (in float64 above
    all) returns absurd codes long before its loss overflows. Each epoch's training loss is
    checked, and at the end of the call, the weights that the last step left (which no
    epoch's loss has seen): they must be finite and reconstruct the call's first rows within
    the same bound. A network that a too large step saturated (a sigmoid output stuck at 0
    or 1) keeps a bounded loss: the estimators warn of that one (``OVERSHOOT``).

    Parameters
    ----------
    estimator_name : str
        Named in the error.
    learning_rate_init : float
        The learning rate, named in the error with a smaller one to try.
    max_iter : int or None
        The number of epochs of the training call, named in the error.
    scale : float, default=1.0
        The largest absolute value in the training data (the estimators set it each call).
    """

    #: How many times the reference (see above) a finite loss must exceed to count as exploding.
    EXPLOSION = 1e3

    #: Rows of the training data on which the final weights are checked.
    FINAL_CHECK_ROWS = 256

    def __init__(self, estimator_name, learning_rate_init, max_iter, scale=1.0):
        self.estimator_name = estimator_name
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.scale = scale

    def _limit(self):
        scale = max(self.scale, 1.0)
        square = scale * scale if scale < 1e150 else math.inf  # no OverflowError
        return self.EXPLOSION * max(square, getattr(self, "reference_", None) or 0.0)

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history)
        self.dtype_ = next(net.module_.parameters()).dtype

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if getattr(self, "reference_", None) is None:
            first_batch = net.history[self.first_epoch_]["batches"][0]["train_loss"]
            self.reference_ = first_batch if math.isfinite(first_batch) else None
        if math.isfinite(loss) and loss <= self._limit():
            return
        epoch = len(net.history) - self.first_epoch_
        self._raise(loss, f"at epoch {epoch} of this call's {self.max_iter}")

    def on_train_end(self, net, X=None, **kwargs):
        if not isinstance(X, torch.Tensor) or len(net.history) == self.first_epoch_:
            return
        # Encoded and decoded in eval mode (not through forward, which hooks of the user may
        # record); weights that are not finite give a NaN loss.
        module, rows = net.module_, X[: self.FINAL_CHECK_ROWS]
        rebuilt = torch.as_tensor(
            net.predict_batches(rows, lambda xb: module.decode(module.encode(xb)), len(rows))
        )
        loss = float(net.criterion_(rebuilt, rows.to("cpu", rebuilt.dtype)))
        if math.isfinite(loss) and loss <= self._limit():
            return
        self._raise(loss, "after the last training step of this call")

    def _raise(self, loss, when):
        largest = torch.finfo(self.dtype_).max
        if not math.isfinite(loss) and self.scale**2 > math.sqrt(largest):
            # Values this large overflow the arithmetic whatever the step: the fourth power
            # of the data (about the squared gradients of a squared error that Adam keeps)
            # exceeds the largest number of the dtype. Scaling is the fix, not the step.
            raise ValueError(
                f"{self.estimator_name}: the training loss became {loss:.4g} {when}: X holds "
                f"values up to {self.scale:.3g} in absolute value, too large for the "
                f"network's arithmetic in {str(self.dtype_).replace('torch.', '')} (whose "
                f"largest number is {largest:.3g}): their squared errors and the optimizer's "
                "statistics of their gradients overflow. Scale X first (e.g. with "
                "StandardScaler, in a Pipeline), or divide it by a large constant."
            )
        why = (
            f", over {self.EXPLOSION:g} times both the loss of the network's first batch and "
            "the square of the largest absolute value in X"
            if math.isfinite(loss) else ""
        )
        raise ValueError(
            f"{self.estimator_name}: the training loss became {loss:.4g} {when}{why}; the "
            f"optimizer diverged. {lower_learning_rate(self.learning_rate_init)}, or scale X "
            "first (e.g. with StandardScaler)."
        )


class KeepBestEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` that keeps the weights :class:`MLPRegressor` would keep.

    Patience is skorch's: an epoch counts as a miss unless its loss beats, by ``threshold``,
    the last epoch that did. The weights are kept as scikit-learn's ``MLPRegressor`` keeps
    them, whereas skorch saves them only when an epoch beats that threshold, so that a
    smaller improvement (any, with a large ``tol``) was lost:

    - with ``load_best``, the weights of the epoch of the lowest loss, any improvement
      counting, are saved and restored at the end of the call;
    - a call that follows one that also used ``load_best`` on the same ``monitor`` (a
      ``warm_start`` fit) starts from that call's best, so the weights restored are the best
      of every such call. That call ended on its best weights, so they are the starting
      weights of this one (skorch drops the saved copy when the net is copied or pickled).

    ``best_score_`` is the lowest loss of those epochs (``inf`` before the first one).
    """

    def on_train_begin(self, net, **kwargs):
        carry = self.load_best and getattr(self, "carried_monitor_", None) == self.monitor
        best = getattr(self, "best_score_", math.inf) if carry else math.inf
        best_epoch = self.best_epoch_ if carry else 0
        super().on_train_begin(net, **kwargs)
        self.best_score_, self.best_epoch_ = best, best_epoch
        if carry and math.isfinite(best):
            self.best_model_weights_ = copy.deepcopy(net.module_.state_dict())
        self.carried_monitor_ = self.monitor if self.load_best else None

    def on_epoch_end(self, net, **kwargs):
        # skorch's own, with the saving rule changed. Not delegated to it: its threshold
        # starts over each call, so it would save the first epoch of a warm fit as the best
        # even when that epoch is worse than the best carried over.
        loss = net.history[-1, self.monitor]
        if loss < self.best_score_:
            self.best_score_ = loss
            self.best_epoch_ = net.history[-1, "epoch"]
            if self.load_best:
                self.best_model_weights_ = copy.deepcopy(net.module_.state_dict())
        if self._is_score_improved(loss):
            self.misses_ = 0
            self.dynamic_threshold_ = self._calc_new_threshold(loss)
        else:
            self.misses_ += 1
        if self.misses_ == self.patience:
            if net.verbose:
                self._sink(f"Stopping since {self.monitor} has not improved in the last "
                           f"{self.patience} epochs.", verbose=net.verbose)
            raise KeyboardInterrupt


class PrintLog(SkorchPrintLog):
    """skorch's table of epochs, whose colours (the best epoch's values) need a terminal.

    skorch always writes ANSI colour codes, which a log file or a notebook cell that does not
    render them shows as ``[36m0.0731[0m``. Here they are written only when standard output
    is a terminal.
    """

    def format_row(self, row, key, color):
        if sys.stdout.isatty():
            return super().format_row(row, key, color)
        formatted = super().format_row(row, key, color="")
        return formatted.replace(Ansi.ENDC.value, "") if isinstance(formatted, str) else formatted


class AutoencoderNet(NeuralNet):
    """skorch ``NeuralNet`` for reconstruction: the loss compares the output with the target rows.

    Private: estimators keep one as their fitted ``net_`` attribute.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`skorch.NeuralNet`.
    corruption : callable or None, default=None
        Applied to the input rows of every training batch (e.g. a
        :class:`~sklearn_ae._corruption.Corruption`); the target stays the clean rows.
        Validation and prediction see clean rows.
    augmentation : callable or None, default=None
        Applied to the rows of every training batch before the corruption (e.g. an
        :class:`~sklearn_ae._augmentation.ImageAugmentation`): unlike a corruption it
        changes the target too, so that the network rebuilds the augmented rows.
        Validation and prediction see the rows as given.
    """

    #: Names of the terms of a loss with several (e.g. ``("reconstruction", "kl")``): each
    #: batch records them with :meth:`record_loss_terms`, and the history gets their means
    #: over each epoch as ``train_<term>`` and ``valid_<term>``, like ``train_loss``.
    loss_terms = ()

    def __init__(self, *args, corruption=None, augmentation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.corruption = corruption
        self.augmentation = augmentation

    @property
    def _default_callbacks(self):
        callbacks = [
            (name, PrintLog() if name == "print_log" else callback)
            for name, callback in super()._default_callbacks
        ]
        # skorch averages a batch-level value over each epoch with PassthroughScoring. Placed
        # before print_log, so that the epoch's printed line shows the terms too.
        terms = [
            (f"{prefix}_{term}", PassthroughScoring(f"{prefix}_{term}", on_train=prefix == "train"))
            for prefix in ("train", "valid")
            for term in self.loss_terms
        ]
        at = [name for name, _ in callbacks].index("print_log")
        return [*callbacks[:at], *terms, *callbacks[at:]]

    def record_loss_terms(self, training, **values):
        """Record the value of each of :attr:`loss_terms` (tensors) for the current batch."""
        prefix = "train" if training else "valid"
        for term, value in values.items():
            self.history.record_batch(f"{prefix}_{term}", value.item())

    def train_step_single(self, batch, **fit_params):
        Xi, yi = batch
        if self.augmentation is not None:
            # The augmented rows are the sample: the input and the target.
            Xi = yi = self.augmentation(to_tensor(Xi, device=self.device))
        if self.corruption is not None:
            # Corrupt on the device: the noise is drawn where the batch is trained.
            Xi = self.corruption(to_tensor(Xi, device=self.device))
        return super().train_step_single((Xi, yi), **fit_params)

    def predict_batches(self, X, fn, batch_size, out_dtype=None):
        """Apply ``fn`` (e.g. ``module_.encode``) to the rows of ``X`` batch by batch, in eval mode.

        ``X`` is a CPU tensor (it may share memory with a numpy array or memmap). Each batch is
        cast to the module's dtype and moved to the device on its own, and its result written
        into one preallocated numpy array of ``out_dtype`` (default: the module's dtype), so
        that memory is bounded by one batch plus the output, not by the data.
        """
        self._set_training(False)
        dtype = next(self.module_.parameters()).dtype
        out = None
        with torch.inference_mode():
            for start in range(0, len(X), batch_size):
                yb = fn(X[start : start + batch_size].to(self.device, dtype)).cpu().numpy()
                if out is None:
                    out = np.empty((len(X), *yb.shape[1:]), dtype=out_dtype or yb.dtype)
                out[start : start + len(yb)] = yb
        return out
