"""The one training path: make a skorch net, configure it, train it.

Every estimator that trains a network goes through these three steps: the autoencoders
(:meth:`~sklearn_ae._base.BaseAutoencoder._fit`) and the fine-tuning of
:class:`~sklearn_ae.DeepEmbeddedClustering`.

1. :func:`make_net` builds a new, uninitialised net around a module: the data pipeline
   (:class:`~sklearn_ae._net.ArrayDataset`, :class:`~sklearn_ae._net.BatchIterator`), the
   device, the :class:`~sklearn_ae._net.DivergenceCheck` and the estimator's own callbacks.
   Nothing the user sets for training reaches it there.
2. :func:`configure` is the only place where an estimator's training parameters reach a net,
   from a :class:`TrainingConfig`: loss, optimizer, learning rate, L2 penalty, minibatches,
   epochs, shuffling, verbosity, validation split, corruption, augmentation, the family's
   own (``beta``),
   and the settings of the library's callbacks. It serves a new net (before
   ``initialize``) and a fitted one that trains again (``warm_start``, ``partial_fit``),
   which keeps its optimizer's state unless the optimizer itself changed.
3. :func:`train` runs skorch's loop for one call and keeps only the epochs that finished.

Seeding (:func:`~sklearn_ae._torch_utils.seeded_torch`) is the caller's: it wraps the
initialisation of the weights and the training in one stream.

Interruptions (Ctrl-C) follow one rule, written here: :func:`train` ends the training at
once and tells the caller, which keeps what was trained and reports it with
:func:`report_interrupt` (a warning, as :class:`~sklearn.neural_network.MLPRegressor`
gives); a meta-estimator of the package gathers the interruptions of its inner fits with
:func:`interrupt_scope`, ends its whole fit and reports once; inside scikit-learn's model
selection the interruption goes on up as a ``KeyboardInterrupt``, so that one Ctrl-C ends
the whole search.

Augmentation follows one rule too: a meta-estimator that trains its estimator on augmented
batches (DEC-DA's pretraining) fits it inside :func:`augmented_training`, and every fit in
the block takes the augmentation into its :class:`TrainingConfig`; the estimator needs no
parameter for it, and a second training path is not needed.
"""

import contextlib
import contextvars
import copy
import dataclasses
import signal
import sys
import threading
import warnings

import torch
from skorch.callbacks import Callback

from ._modules import (
    MaskedBCELoss,
    MaskedHuberLoss,
    MaskedL1Loss,
    MaskedMSELoss,
    MaskedTrimmedL1Loss,
    TrimmedL1Loss,
)
from ._net import ArrayDataset, BatchIterator, DivergenceCheck
from ._torch_utils import stage_on_device

#: The ``loss`` parameter's torch criteria.
LOSSES = {
    "mse": torch.nn.MSELoss,
    "mae": torch.nn.L1Loss,
    "huber": torch.nn.HuberLoss,
    "bce": torch.nn.BCELoss,
    "trimmed_mae": TrimmedL1Loss,
}

#: The same losses over the observed entries only (NaN in the target is a missing value),
#: for the families that accept missing values.
MASKED_LOSSES = {
    "mse": MaskedMSELoss,
    "mae": MaskedL1Loss,
    "huber": MaskedHuberLoss,
    "bce": MaskedBCELoss,
    "trimmed_mae": MaskedTrimmedL1Loss,
}

#: The ``optimizer`` parameter's torch optimizers and their fixed keyword arguments.
OPTIMIZERS = {
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    # scikit-learn's MLP defaults for SGD: momentum 0.9 with Nesterov's momentum.
    "sgd": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
}


@dataclasses.dataclass(frozen=True)
class EarlyStoppingConfig:
    """Settings of the net's ``early_stopping`` callback for one training call."""

    monitor: str
    patience: int | float  # math.inf: no stopping rule (tol=None)
    threshold: float
    load_best: bool


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """What one training call takes from an estimator's parameters, resolved.

    Attributes
    ----------
    criterion : type
        The torch loss class.
    optimizer : type
        The torch optimizer class.
    optimizer_kwargs : dict
        Its keyword arguments other than the learning rate (``weight_decay``, momentum).
    learning_rate : float
        The learning rate.
    batch_size, max_epochs : int
        Minibatch size and maximum number of epochs of the call.
    divergence_scale : float
        The largest absolute value of the training data, for the divergence check.
    shuffle : bool
        Whether to shuffle the rows at every epoch.
    verbose : int
        skorch's verbosity.
    train_split : callable or None
        skorch's validation split (a ``ValidSplit``), or None to hold nothing out.
    corruption : callable or None
        Applied to every training batch (a :class:`~sklearn_ae._corruption.Corruption`).
    augmentation : callable or None
        Applied to every training batch before the corruption, input and target (an
        :class:`~sklearn_ae._augmentation.ImageAugmentation`).
    net_params : dict
        Parameters of the family's net class (e.g. ``{"beta": 1.0}``).
    early_stopping : EarlyStoppingConfig or None
        Settings of the net's ``early_stopping`` callback, where it has one.
    callbacks : list or None
        The user's callbacks to train with, in place of those the net holds (copies are
        used); None keeps the net's.
    """

    criterion: type
    optimizer: type
    optimizer_kwargs: dict
    learning_rate: float
    batch_size: int
    max_epochs: int
    divergence_scale: float
    shuffle: bool = True
    verbose: int = 0
    train_split: object = None
    corruption: object = None
    augmentation: object = None
    net_params: dict = dataclasses.field(default_factory=dict)
    early_stopping: EarlyStoppingConfig = None
    callbacks: list = None


#: The library's callbacks come first in every net, before the user's.
LIBRARY_CALLBACKS = ("divergence_check", "early_stopping")


def make_net(net_class, module, *, name, device, callbacks=(), module_kwargs=None, dtype=None):
    """A new, uninitialised skorch net of ``net_class`` around ``module``.

    Parameters
    ----------
    net_class : type
        :class:`~sklearn_ae._net.AutoencoderNet` or a subclass.
    module : type or torch.nn.Module
        The module class, instantiated with ``module_kwargs`` (and ``dtype``) by skorch, or
        an instance used as it is.
    name : str
        The estimator's name, for the errors of the divergence check.
    device : str
        The torch device.
    callbacks : sequence of (name, callback)
        Callbacks after the divergence check: the library's (``early_stopping``), then the
        estimator's or the user's.
    module_kwargs : dict or None
        Arguments of the module class.
    dtype : torch.dtype or None
        The module's ``dtype`` argument, for a module class.
    """
    module_params = {f"module__{key}": value for key, value in (module_kwargs or {}).items()}
    if dtype is not None:
        module_params["module__dtype"] = dtype
    return net_class(
        module=module,
        **module_params,
        criterion=None,  # a training parameter: configure sets it

        dataset=ArrayDataset,
        iterator_train=BatchIterator,
        iterator_valid=BatchIterator,
        callbacks=[
            ("divergence_check", DivergenceCheck(name, learning_rate_init=None, max_iter=None)),
            *callbacks,
        ],
        device=device,
    )


def configure(net, config):
    """Set up ``net`` for one training call from ``config``; return ``net``.

    The only place where an estimator's training parameters reach its net. A new net is
    configured before ``initialize``. A fitted one trains with the current parameters, as
    :class:`~sklearn.neural_network.MLPRegressor` does: its optimizer's parameter groups are
    changed in place (Adam keeps its moments), and only another loss or optimizer class
    replaces the criterion or the optimizer (MLPRegressor starts a new solver too).
    """
    fitted = net.initialized_
    if not fitted or type(net.criterion_) is not config.criterion:
        net.criterion = config.criterion
        if fitted:
            net.initialize_criterion()
    if not fitted or type(net.optimizer_) is not config.optimizer:
        # Another optimizer forgets the keyword arguments of the last one (momentum...).
        for key in [key for key in vars(net) if key.startswith("optimizer__")]:
            delattr(net, key)
        net.optimizer = config.optimizer
        for key, value in config.optimizer_kwargs.items():
            setattr(net, f"optimizer__{key}", value)
        if fitted:
            net.initialize_optimizer()
    if config.callbacks is not None:
        # Copies of the user's callbacks, after the library's (which keep their state).
        library = [
            item for item in net.callbacks
            if isinstance(item, tuple) and item[0] in LIBRARY_CALLBACKS
        ]
        net.callbacks = [*library, *copy.deepcopy(config.callbacks)]
        if fitted:
            net.initialize_callbacks()
    # skorch routes these: on a fitted net, lr and optimizer__* change the parameter groups.
    net.set_params(
        lr=config.learning_rate,
        **{f"optimizer__{key}": value for key, value in config.optimizer_kwargs.items()},
        max_epochs=config.max_epochs,
        batch_size=config.batch_size,
        train_split=config.train_split,
        verbose=config.verbose,
        corruption=config.corruption,
        augmentation=config.augmentation,
        **config.net_params,
    )
    # skorch's set_params refuses the iterator's arguments on an initialised net (it only
    # knows how to re-initialise modules, criteria and optimizers); the loop reads it as is.
    net.iterator_train__shuffle = config.shuffle
    callbacks = dict(item for item in net.callbacks if isinstance(item, tuple))
    divergence_check = callbacks["divergence_check"]
    divergence_check.learning_rate_init = config.learning_rate
    divergence_check.max_iter = config.max_epochs
    divergence_check.scale = config.divergence_scale
    if config.early_stopping is not None:
        stopper = callbacks["early_stopping"]
        stopper.monitor = config.early_stopping.monitor
        stopper.patience = config.early_stopping.patience
        stopper.threshold = config.early_stopping.threshold
        stopper.threshold_mode = "rel"
        stopper.load_best = config.early_stopping.load_best
    return net


def train(net, X_tensor, device):
    """Train the configured, initialised ``net`` on ``X_tensor``.

    skorch ends training quietly on a ``KeyboardInterrupt``, possibly in the middle of an
    epoch: a callback's (which is how early stopping stops it) or the user's (Ctrl-C). The
    weights keep the optimizer steps taken, but an epoch cut short is dropped from the
    history, so that ``n_iter_ == len(loss_curve_)``.

    Returns
    -------
    epochs_run : int
        The number of epochs completed.
    interrupted : bool
        Whether the user interrupted the training (a SIGINT, i.e. Ctrl-C, arrived), as
        opposed to a callback stopping it.
    """
    epochs_before = len(net.history)
    with catching_interrupts() as interruption:
        net.partial_fit(stage_on_device(X_tensor, device))
    if net.history:
        last = net.history[-1]
        finished = "train_loss" in last and (net.train_split is None or "valid_loss" in last)
        if not finished:
            net.history.pop()
    return len(net.history) - epochs_before, interruption.interrupted


class _Interruption:
    interrupted = False


@contextlib.contextmanager
def catching_interrupts():
    """Record whether a SIGINT (Ctrl-C) arrives during the block.

    The handler records the signal and calls the one it replaced (Python's, which raises
    ``KeyboardInterrupt``), so the block stops as it would have; the caller can then tell an
    interruption by the user from a callback's ``KeyboardInterrupt``. Signals reach the
    main thread only: elsewhere, and where SIGINT is ignored, nothing is installed.
    """
    interruption = _Interruption()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield interruption
        return

    def handler(signum, frame):
        interruption.interrupted = True
        previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield interruption
    finally:
        signal.signal(signal.SIGINT, previous)


#: The augmentation of the training batches of the fits in an :func:`augmented_training` block.
_AUGMENTATION = contextvars.ContextVar("sklearn_ae_augmentation", default=None)


@contextlib.contextmanager
def augmented_training(augmentation):
    """Train every fit in the block on batches that ``augmentation`` changes (None: as given).

    How :class:`~sklearn_ae.DeepEmbeddedClustering` pretrains its autoencoder on augmented
    images through the autoencoder's own ``fit``: the estimators read
    :func:`current_augmentation` when they configure their net.
    """
    token = _AUGMENTATION.set(augmentation)
    try:
        yield
    finally:
        _AUGMENTATION.reset(token)


def current_augmentation():
    """The augmentation of the enclosing :func:`augmented_training` block, or None."""
    return _AUGMENTATION.get()


#: The scope of the meta-estimator whose inner fits are running, if any.
_INTERRUPT_SCOPE = contextvars.ContextVar("sklearn_ae_interrupt_scope", default=None)


@contextlib.contextmanager
def interrupt_scope():
    """Gather the interruptions of the fits in the block instead of reporting each one.

    A meta-estimator of the package (the detector, the clusterer) fits its estimator in
    such a scope: an interrupted inner fit keeps what it trained and marks the scope, and
    the meta-estimator ends its whole fit (it trains nothing more) and reports once.
    """
    scope = _Interruption()
    token = _INTERRUPT_SCOPE.set(scope)
    try:
        yield scope
    finally:
        _INTERRUPT_SCOPE.reset(token)


def inside_model_selection():
    """Whether the call comes from scikit-learn's model selection (a search, cross-validation)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("sklearn.model_selection."):
            return True
        frame = frame.f_back
    return False


def report_interrupt(estimator, kept):
    """Report that the user interrupted ``estimator``'s training, which kept what was trained.

    ``kept`` says what the fitted estimator holds. Inside a meta-estimator of the package
    (:func:`interrupt_scope`), the scope is marked and the meta-estimator reports; inside
    scikit-learn's model selection, a ``KeyboardInterrupt`` goes on up, so that one Ctrl-C
    ends the whole search; otherwise a ``UserWarning`` says so and the fit returns, as
    :class:`~sklearn.neural_network.MLPRegressor`'s does.
    """
    scope = _INTERRUPT_SCOPE.get()
    if scope is not None:
        scope.interrupted = True
        return
    message = f"{type(estimator).__name__}: Training interrupted by user. {kept}"
    if inside_model_selection():
        raise KeyboardInterrupt(f"{message} The search stops: one Ctrl-C ends it whole.")
    warnings.warn(message, UserWarning, stacklevel=3)


def curve(history, key):
    """The values of ``key`` over the epochs of a skorch history that have it, as floats.

    Epochs trained by ``partial_fit`` have no validation loss.
    """
    return [float(row[key]) for row in history if key in row]


def check_callbacks(callbacks, early_stopping):
    """Raise a clear error for a ``callbacks`` parameter that cannot train."""
    for i, item in enumerate(callbacks or []):
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
        if isinstance(monitor, str) and monitor.startswith("valid") and not early_stopping:
            raise ValueError(
                f"callbacks item {i} ({type(callback).__name__}) monitors {monitor!r}, but "
                "nothing is held out for validation: early_stopping=False. Set "
                "early_stopping=True (which stops on the validation loss and keeps the best "
                "weights by itself), or monitor 'train_loss'."
            )
