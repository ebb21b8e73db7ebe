"""The one shared base of every autoencoder estimator: :class:`BaseAutoencoder`.

Its parameters (the training ones), data validation, the lifecycle of a fit and the
``transform`` / ``inverse_transform`` / ``reconstruct`` / ``score`` machinery are written
here once. A family (dense, conv, ...) adds its architecture's parameters and constraints
and says which torch module to build (``_module_params``); a capability comes as a mixin on
the left (:class:`~sklearn_ae._corruption.CorruptionMixin` makes a denoiser). Training goes
through :mod:`sklearn_ae._training`, the torch plumbing lives in
:mod:`sklearn_ae._torch_utils`, pickling in :mod:`sklearn_ae._persistence`, the shared
docs in :mod:`sklearn_ae._docstrings`.
"""

import copy
import math
import warnings
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.dataset import ValidSplit

from ._diagnostics import (
    non_finite_output_message,
    warn_if_not_converged,
    warn_if_sigmoid_clips,
)
from ._docstrings import (
    MODULE_PARAMETERS_DOC,
    TRAINING_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
)
from ._meta import draw_seed, unchanged_on_error
from ._missing import observed_means, value_range
from ._modules import ACTIVATIONS, CustomAutoencoderModule
from ._net import AutoencoderNet, KeepBestEarlyStopping
from ._persistence import VersionedPickleMixin
from ._torch_utils import all_finite, as_tensor, move_net, resolve_device, seeded_torch
from ._training import (
    LOSSES,
    OPTIMIZERS,
    EarlyStoppingConfig,
    TrainingConfig,
    check_callbacks,
    configure,
    curve,
    current_augmentation,
    make_net,
    report_interrupt,
    train,
)

#: The prefixes of the parameters routed to the user's modules (``encoder__width``).
MODULE_PREFIXES = ("encoder", "decoder")


def is_module_param(name):
    """Whether ``name`` is a parameter of a user's module, such as ``encoder__width``."""
    return any(name.startswith(f"{prefix}__") and len(name) > len(prefix) + 2
               for prefix in MODULE_PREFIXES)


def _same_setting(a, b):
    """Whether two values of a module argument build the same network.

    A user's module instance is compared by its architecture (its class and its ``repr``):
    pickling or copying an estimator copies it apart from the fitted net's own reference,
    and the fitted weights, not the instance's, are what a warm start goes on from.
    """
    if isinstance(a, torch.nn.Module) or isinstance(b, torch.nn.Module):
        return type(a) is type(b) and repr(a) == repr(b)
    return a == b


def _short(value):
    return f"{type(value).__name__} instance" if isinstance(value, torch.nn.Module) else repr(value)


#: Optimizer steps that ``max_iter='auto'`` aims at, and the bounds on the epochs it picks.
AUTO_STEPS, AUTO_MIN_EPOCHS, AUTO_MAX_EPOCHS = 8_000, 10, 200


class BaseAutoencoder(
    VersionedPickleMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Base class of the autoencoder estimators. Not for direct use.

    **What a family provides.** Its architecture's parameters, in its ``__init__`` and in
    ``_parameter_constraints`` (which extends this class's dict, never deletes from it);
    :meth:`_module_params`, the torch module to build for `X`; where the code width is not
    known before the module is built, the ``_n_features_out`` property; and, optionally,
    :meth:`_store_module_attributes` (fitted attributes read off the module),
    :meth:`_net_params` and ``_net_class`` (a net with another loss), and the class
    attribute ``_stochastic_code`` (True where the code is a distribution); where its
    training defaults differ, ``_auto_batch_size`` (the batch size of ``batch_size='auto'``),
    ``_auto_steps`` (the optimizer steps of ``max_iter='auto'``) and ``_doc_values`` (the
    sentences of the shared docs that explain them). For a network of the user's own
    (``encoder`` and ``decoder``, which replace :meth:`_module_params`): :meth:`_input_shape`
    (the shape in which its encoder receives a sample) and ``_custom_module_class`` (the
    module that wraps it).

    **Hooks for the meta-estimators of the package.** :meth:`_transform` (codes),
    :meth:`_score_samples` and :meth:`_predict` take `X` that is already validated, so that
    :class:`~sklearn_ae.ReconstructionOutlierDetector` and
    :class:`~sklearn_ae.DeepEmbeddedClustering` validate their data once.
    """

    _parameter_constraints: dict = {
        "output_activation": [StrOptions({"auto", *ACTIVATIONS})],
        "loss": [StrOptions(set(LOSSES))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str],
        "callbacks": [list, None],
        # A class is checked to be a torch module at fit (a constraint cannot say "a
        # subclass of"), with the other checks of the user's network.
        "encoder": [type, torch.nn.Module, None],
        "decoder": [type, torch.nn.Module, None],
    }

    _doc_fragments = {
        "training_parameters": TRAINING_PARAMETERS_DOC,
        "module_parameters": MODULE_PARAMETERS_DOC,
        "training_attributes": TRAINING_ATTRIBUTES_DOC,
    }
    _doc_values = {
        "batch_size_auto_doc": (
            "``'auto'`` uses ``min(200, n_samples)`` as\n        "
            ":class:`~sklearn.neural_network.MLPRegressor` does."
        ),
        "learning_rate_init_doc": (
            "The default is twice Adam's usual 1e-3: for\n        "
            "the step budget of ``max_iter='auto'`` it reached a lower reconstruction error."
        ),
        "max_iter_auto_doc": (
            "``'auto'`` picks enough\n"
            "        epochs for about 8,000 optimizer steps, at least 10 and at most 200:\n"
            "        small data sets get many epochs, large ones few, so that from 40 to 800\n"
            "        batches per epoch the default fit takes about as long whatever the number\n"
            "        of samples (above that, 10 epochs, whose time grows with the data)."
        ),
        "tol_default_doc": "1e-4",
        "tol_doc": "",
    }

    #: The batch size of ``batch_size='auto'`` (at most ``n_samples``); a family may differ.
    _auto_batch_size = 200

    #: The optimizer steps that ``max_iter='auto'`` aims at; a family may differ.
    _auto_steps = AUTO_STEPS

    #: The module that holds a user's encoder and decoder; the VAE's holds a posterior.
    _custom_module_class = CustomAutoencoderModule

    #: Rows per batch at inference; memory is bounded by one batch, not by the data.
    _predict_batch_size = 1024

    #: The skorch net class that trains the module; a family may subclass
    #: :class:`~sklearn_ae._net.AutoencoderNet` (e.g. to add a term to the loss).
    _net_class = AutoencoderNet

    #: Whether the code is a distribution (a VAE's) rather than a deterministic map:
    #: :class:`~sklearn_ae.DeepEmbeddedClustering` fine-tunes deterministic codes only.
    _stochastic_code = False

    #: Whether `X` may hold missing values (NaN): set by
    #: :class:`~sklearn_ae._missing.MissingValuesMixin`, which handles them.
    _allow_nan = False

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

    def _corruption(self, X):
        """The corruption of the training batches, or None: clean inputs.

        :class:`~sklearn_ae._corruption.CorruptionMixin` overrides it.
        """
        return None

    def _store_module_attributes(self, module):
        """Set the fitted attributes that the trained ``module`` knows (e.g. its shapes)."""

    # ------------------------------------------------------------- the user's own network

    def _assign_module_params(self, kwargs):
        """Store the ``encoder__*`` / ``decoder__*`` keyword arguments of ``__init__``.

        As skorch's ``module__*``: they are parameters (``get_params``, ``set_params``,
        ``clone``, searches) routed to the classes given as ``encoder`` and ``decoder``.
        Stored as given, like every parameter: ``fit`` refuses any other name
        (:meth:`_check_own_network`).
        """
        for key, value in kwargs.items():
            setattr(self, key, value)

    def _extra_param_names(self):
        """The parameters this instance holds beyond its signature's: the ``**kwargs``."""
        named = super()._get_param_names()
        return sorted(key for key in vars(self)
                      if not key.startswith("_") and not key.endswith("_") and key not in named)

    def _get_param_names(self):
        # The signature's parameters plus those of **kwargs that this instance holds, as
        # skorch's nets list their module__* parameters.
        return sorted([*super()._get_param_names(), *self._extra_param_names()])

    def set_params(self, **params):
        """Set the parameters of this estimator.

        As :meth:`sklearn.base.BaseEstimator.set_params`, and ``encoder__<name>`` /
        ``decoder__<name>`` set an argument of the module classes given as ``encoder`` /
        ``decoder`` (see the ``encoder`` parameter).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        for key in [key for key in params if is_module_param(key)]:
            setattr(self, key, params.pop(key))
        return super().set_params(**params)

    def _module_kwargs(self, prefix):
        """The ``{prefix}__*`` parameters, without their prefix."""
        start = len(prefix) + 2
        return {key[start:]: value for key, value in sorted(vars(self).items())
                if is_module_param(key) and key.startswith(f"{prefix}__")}

    @property
    def _own_network(self):
        """Whether the network is the user's (``encoder`` and ``decoder``), not the family's."""
        # getattr: a pickle or file of a release before these parameters has neither.
        return (getattr(self, "encoder", None) is not None
                or getattr(self, "decoder", None) is not None)

    def _input_shape(self, X):
        """The shape of one sample of `X` as a user's encoder receives it: rows here."""
        return (X.shape[1],)

    def _check_own_network(self):
        """The checks of ``encoder``, ``decoder`` and their parameters that need no data."""
        unexpected = [key for key in self._extra_param_names() if not is_module_param(key)]
        if unexpected:
            # Python's wording, as for any unexpected keyword argument.
            what = ("an unexpected keyword argument" if len(unexpected) == 1
                    else "unexpected keyword arguments")
            raise TypeError(
                f"{type(self).__name__}.__init__() got {what} "
                f"{', '.join(map(repr, unexpected))}. Besides its named parameters it takes "
                "only the arguments of your own modules, as encoder__<name> and "
                "decoder__<name> (e.g. encoder__width=64)."
            )
        given = {name: getattr(self, name, None) for name in MODULE_PREFIXES}
        for name, module in given.items():
            routed = self._module_kwargs(name)
            if self._own_network and module is None:
                other = "decoder" if name == "encoder" else "encoder"
                raise ValueError(
                    f"{type(self).__name__} got {other}={given[other]!r} but {name}=None: a "
                    "network of your own needs both an encoder and a decoder (the family's "
                    "decoder mirrors the family's encoder only). Pass both, or neither for "
                    "the built-in network."
                )
            if isinstance(module, type) and not issubclass(module, torch.nn.Module):
                raise TypeError(
                    f"{name} must be a torch.nn.Module subclass or instance; got the class "
                    f"{module.__name__}."
                )
            if routed and not isinstance(module, type):
                what = "None" if module is None else f"an instance of {type(module).__name__}"
                raise ValueError(
                    f"{type(self).__name__} got {', '.join(f'{name}__{k}' for k in routed)}, "
                    f"arguments of the {name} class, but {name} is {what}. Pass the "
                    f"class (e.g. {name}=MyModule, {name}__width=64), or leave out the "
                    f"{name}__* parameters for an instance, which is used as given."
                )

    def _network(self, X, output_activation):
        """``(module_class, kwargs)`` of the network to train on `X`: the user's, or the
        family's (:meth:`_module_params`)."""
        if not self._own_network:
            return self._module_params(X, output_activation)
        return self._custom_module_class, {
            "encoder": self.encoder,
            "decoder": self.decoder,
            "input_shape": self._input_shape(X),
            "encoder_kwargs": self._module_kwargs("encoder"),
            "decoder_kwargs": self._module_kwargs("decoder"),
            "n_components": self.n_components,
            "output_activation": output_activation,
        }

    # ------------------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct `X`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 data are trained in float32 (faster), any other dtype
            (float64, float16, integers) in float64. A float numpy memmap (e.g.
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
            interrupted = self._fit(X)
        return self._report_interrupt(interrupted)

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
            The codes of `X`: float32 for float32 `X`, else float64.
        """
        with unchanged_on_error(self):
            X = self._validate_fit_data(X)
            interrupted = self._fit(X)
        return self._report_interrupt(interrupted)._transform(X)

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
            interrupted = self._fit(X, incremental=True)
        return self._report_interrupt(interrupted)

    def _validate(self, X, reset):
        """`X` checked and converted as scikit-learn does, with a hint for N-D arrays."""
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) > 2:
            raise ValueError(
                f"{type(self).__name__} takes 2-D X of shape (n_samples, n_features), one "
                f"flattened sample per row; got an array of shape {tuple(shape)}. "
                f"{self._flatten_hint(tuple(shape))}"
            )
        return validate_data(
            self, X, dtype=[np.float64, np.float32], reset=reset,
            ensure_all_finite="allow-nan" if self._allow_nan else True,
        )

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
        self._check_own_network()
        if self.loss == "bce":
            lo, hi = value_range(X)
            if lo < 0 or hi > 1:
                raise ValueError(
                    f"loss='bce' needs X in [0, 1]; got values in [{lo:g}, {hi:g}]. Scale X "
                    "with sklearn.preprocessing.MinMaxScaler, or use loss='mse'."
                )
            if self.output_activation not in ("auto", "sigmoid", "logistic") and not (
                self._own_network and self.output_activation == "identity"
            ):
                raise ValueError(
                    f"loss='bce' needs outputs in [0, 1], but output_activation="
                    f"{self.output_activation!r} does not guarantee that. Use "
                    "output_activation='sigmoid' or 'auto'."
                )

    def _check_validation_split(self, n_samples):
        n_valid = int(np.ceil(self.validation_fraction * n_samples))  # as ShuffleSplit
        if n_samples < 2 or n_valid >= n_samples:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.validation_fraction} "
                f"of the samples ({min(n_valid, n_samples)} of n_samples={n_samples}), which "
                "must leave at least one sample for training and one for validation. Pass "
                "more samples, a smaller validation_fraction, or set early_stopping=False."
            )

    def _resolve_output_activation(self, X):
        if self.output_activation != "auto":
            return self.output_activation
        if self._own_network:
            return "identity"  # the user's decoder ends as its author wrote it
        lo, hi = value_range(X)
        in_unit_interval = lo >= 0 and hi <= 1
        return "sigmoid" if in_unit_interval else "identity"

    def _resolve_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(self._auto_batch_size, n_samples)
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
        return int(np.clip(self._auto_steps // steps_per_epoch, AUTO_MIN_EPOCHS,
                           AUTO_MAX_EPOCHS))

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
        module, wanted = self._network(X, output_activation)
        built = self.net_.get_params_for("module")
        changes = [
            f"{key}: {_short(built.get(key))} -> {_short(value)}"
            for key, value in wanted.items() if not _same_setting(built.get(key), value)
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

        The plan: decide (check the parameters against the data, resolve the budget, and
        whether the fitted network goes on), build a new net or copy the fitted one,
        configure it, train it, store the fitted attributes. Returns whether the user
        interrupted the training (Ctrl-C): the callers report it once the fitted attributes
        are in place.
        """
        self._check_data_dependent_params(X)
        check_callbacks(self.callbacks, self.early_stopping)
        n_samples = X.shape[0]
        validate = self.early_stopping and not incremental
        if validate:
            self._check_validation_split(n_samples)
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
            net, X_tensor = self._continued_net(X, device)
            output_activation = self.output_activation_
        else:
            net, output_activation = None, self._resolve_output_activation(X)
        rng_state = getattr(self, "_rng_state_", None) if incremental and continuing else None
        callbacks = list(self.callbacks or [])
        # The user's callbacks reach a new net, and a fitted one only where they changed (the
        # elements themselves are compared): an unchanged callback keeps its state.
        new_callbacks = (
            None if continuing and callbacks == getattr(self, "_built_callbacks_", None)
            else callbacks
        )
        config = self._training_config(X, batch_size, max_iter, validate, seed, new_callbacks)
        with seeded_torch(seed, device, rng_state) as current_rng_state:
            if continuing:
                configure(net, config)
                code_width = self._n_features_out  # the fitted width
            else:
                net = self._make_net(X, X_tensor.dtype, device, output_activation)
                configure(net, config)
                code_width = self._initialize_net(net, X, X_tensor, device)
            epochs_run, interrupted = train(net, X_tensor, device)
            rng_state = current_rng_state()  # for the next partial_fit

        self.net_ = net
        self.device_ = device
        self._built_callbacks_ = callbacks
        self.batch_size_ = batch_size
        self.max_iter_ = max_iter
        self.output_activation_ = output_activation
        self._warm_start_shape_ = X_tensor.shape[1:]
        self._rng_state_ = rng_state
        self._code_width_ = code_width
        self._store_module_attributes(net.module_)
        self._set_training_attributes(net, epochs_run)
        if not incremental and not interrupted:
            warn_if_not_converged(self, net, epochs_run)
        return interrupted

    def _report_interrupt(self, interrupted):
        """Say that Ctrl-C cut the training short (see ``report_interrupt``); return self."""
        if interrupted:
            report_interrupt(self, (
                "The network keeps the weights of the optimizer steps taken; "
                f"n_iter_={self.n_iter_} epochs were completed."
            ))
        return self

    def _continued_net(self, X, device):
        """A copy of the fitted net to train on, on ``device``, and `X` as a tensor for it.

        A copy, so that a fit that fails (diverges, is interrupted by an error) leaves the
        fitted estimator as it was.
        """
        net = copy.deepcopy(self.net_)
        move_net(net, device)  # it trains on the current device, as a new fit would
        warn_if_sigmoid_clips(self, X, self.output_activation_)
        # partial_fit converts a batch of another dtype to the network's, as transform does.
        return net, as_tensor(X, next(net.module_.parameters()).dtype)

    def _make_net(self, X, dtype, device, output_activation):
        """A new, uninitialised skorch net for `X` (:func:`~sklearn_ae._training.make_net`)."""
        module, module_kwargs = self._network(X, output_activation)
        return make_net(
            self._net_class, module, name=type(self).__name__, device=device,
            callbacks=[("early_stopping", KeepBestEarlyStopping())],
            module_kwargs=module_kwargs, dtype=dtype,
        )

    def _initialize_net(self, net, X, X_tensor, device):
        """Draw the weights of a new, configured net; return the width of its code."""
        net.initialize()
        # Start the output at the data's mean (see _modules.start_at_mean). numpy sums in
        # float64 through a small buffer: a memmap is read, not copied.
        mean = np.mean(X, axis=0, dtype=np.float64)
        if np.isnan(mean).any():  # missing values: the means of the observed ones
            mean = observed_means(X)
        net.module_.init_output_bias(torch.as_tensor(mean, dtype=X_tensor.dtype).to(device))
        module = net.module_
        training = module.training
        module.eval()  # a user's module may hold dropout or batch normalisation
        try:
            with torch.no_grad():
                probe = torch.zeros((1, *X_tensor.shape[1:]), dtype=X_tensor.dtype)
                return int(module.encode(probe.to(device)).shape[1])
        finally:
            module.train(training)

    def _training_config(self, X, batch_size, max_iter, validate, seed, callbacks):
        """The :class:`~sklearn_ae._training.TrainingConfig` of one training call on `X`."""
        optimizer, optimizer_kwargs = OPTIMIZERS[self.optimizer]
        return TrainingConfig(
            criterion=LOSSES[self.loss],
            optimizer=optimizer,
            optimizer_kwargs={"weight_decay": self.alpha, **optimizer_kwargs},
            learning_rate=self.learning_rate_init,
            batch_size=batch_size,
            max_epochs=max_iter,
            divergence_scale=max(abs(value) for value in value_range(X)),
            shuffle=self.shuffle,
            verbose=self.verbose,
            train_split=(
                ValidSplit(self.validation_fraction, random_state=seed) if validate else None
            ),
            corruption=self._corruption(X),
            augmentation=current_augmentation(),
            net_params=self._net_params(),
            early_stopping=EarlyStoppingConfig(
                monitor="valid_loss" if validate else "train_loss",
                # tol=None: no stopping rule, max_iter epochs (the best validation
                # epoch's weights are still restored with early_stopping=True).
                patience=self.n_iter_no_change if self.tol is not None else math.inf,
                threshold=self.tol if self.tol is not None else 0.0,
                load_best=validate,
            ),
            callbacks=callbacks,
        )

    def _set_training_attributes(self, net, epochs_run):
        history = net.history
        self.n_iter_ = len(history)
        self.loss_curve_ = curve(history, "train_loss")
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

    # ---------------------------------------------------------------------------- inference

    def _predict(self, X, fn, out_dtype=None):
        """``fn`` applied to validated `X` in batches, as a numpy array.

        The array has the dtype ``out_dtype`` (default: the network's). Memory is bounded by
        one batch plus the output: `X` is neither copied nor converted as a whole. A result
        with NaN or infinity raises an error that says why, instead of being returned.
        """
        out = self.net_.predict_batches(as_tensor(X), fn, self._predict_batch_size, out_dtype)
        if not all_finite(out):
            raise ValueError(non_finite_output_message(self, X))
        return out

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
            The codes: float32 for float32 `X`, else float64 (float16 and integer `X`
            are converted to float64).
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
            The decoded data: float32 for float32 codes, else float64.
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
            The reconstruction: float32 for float32 `X`, else float64.
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = self._allow_nan
        return tags
