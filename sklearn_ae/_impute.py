"""Imputation of missing values by a denoising autoencoder: :class:`AutoencoderImputer`."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, MissingValues, StrOptions
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._dense import DenoisingAutoencoder
from ._meta import draw_seed, unchanged_on_error
from ._modules import ACTIVATIONS

#: Optimizer steps that ``max_iter='auto'`` aims at, over all the autoencoders of the
#: ensemble together, the bounds on each one's epochs, and the rows of a minibatch of
#: ``batch_size='auto'``. These defaults, the network's, ``noise_level`` and
#: ``n_estimators`` were chosen on 8 tables that ``bench_imputation.py`` does not report
#: (ODDS pima, glass, ionosphere, vowels, letter, vertebral; ADBench SpamBase, Stamps), at
#: 30% and 50% MCAR, by ``benchmarks/explore_imputer_defaults.py``.
AUTO_STEPS, AUTO_EPOCHS, AUTO_BATCH_SIZE = 3_000, (2, 300), 64


def _is_nan(value):
    return isinstance(value, Real) and math.isnan(value)


def auto_max_iter(n_samples, batch_size, steps):
    """Epochs of about ``steps`` optimizer steps on ``n_samples`` rows, within AUTO_EPOCHS."""
    return int(np.clip(steps // math.ceil(n_samples / batch_size), *AUTO_EPOCHS))


def default_n_components(n_features):
    """The code width of ``n_components='auto'``: half the features, at least 2 (or 1)."""
    return max(min(2, n_features), math.ceil(n_features / 2))


class AutoencoderImputer(TransformerMixin, BaseEstimator):
    """Impute missing values with a denoising autoencoder trained to rebuild hidden entries.

    The columns are standardised on their observed values, and a dense autoencoder
    (:class:`DenoisingAutoencoder`) learns to rebuild each row from the rest of it: in
    every training batch a share ``noise_level`` of the observed entries is hidden
    (masking corruption: set to the column mean, as a missing entry is), and the loss is
    the squared error over the entries observed in the data, hidden ones included. So the
    network learns to fill what it cannot see, from what it can. :meth:`transform` replaces
    each missing entry by its reconstruction (in the column's units) and leaves every
    observed entry exactly as it was; ``n_fill_iter`` feeds the filled rows back through
    the network that many times.

    It follows :mod:`sklearn.impute`: ``missing_values``, ``add_indicator`` and
    ``keep_empty_features`` mean what they mean for
    :class:`~sklearn.impute.SimpleImputer`, and it works in a
    :class:`~sklearn.pipeline.Pipeline` before any model and under
    :class:`~sklearn.model_selection.GridSearchCV`.

    Read more in the :ref:`User Guide <impute>`.

    Parameters
    ----------
    missing_values : int, float, str, np.nan or None, default=np.nan
        The placeholder for the missing values. All occurrences of `missing_values` are
        imputed. For pandas' dataframes with nullable integer dtypes with missing values,
        `missing_values` should be set to `np.nan`, since `pd.NA` will be converted to
        `np.nan`.

    n_components : int or 'auto', default='auto'
        Width of the autoencoder's code. ``'auto'``: half the number of (non-empty)
        features, rounded up, at least 2 (1 for a single feature). The masking noise keeps
        a wide code from copying its input.

    hidden_layer_sizes : array-like of int, default=(256, 256)
        Widths of the encoder's hidden layers; the decoder mirrors them.

    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', 'elu', 'gelu'}, \
default='relu'
        Activation of the hidden layers.

    noise_level : float, default=0.25
        Share of the observed entries hidden in each training batch, in [0, 1).

    n_fill_iter : int, default=1
        Passes through the network at :meth:`transform`: the first fills the missing
        entries from the row with its holes at the column means, each further pass
        refills them from the row as last filled.

    n_estimators : int, default=5
        Number of autoencoders, each trained with its own seed (weights, batches, masking
        noise); every fill is the average of their reconstructions, which cuts the noise of
        a single network. With ``max_iter='auto'`` they share the budget of optimizer
        steps, so on large tables more of them cost no more time (each trains less); on
        small ones each stops early on its own and the time grows with their number.

    alpha : float, default=1e-4
        L2 penalty (weight decay) of the autoencoder.

    batch_size : int or 'auto', default='auto'
        Rows per minibatch; ``'auto'``: ``min(64, n_samples)``.

    learning_rate_init : float, default=2e-3
        Learning rate of the Adam optimizer.

    max_iter : int or 'auto', default='auto'
        Epochs of training of each autoencoder. ``'auto'``: about 3,000 optimizer steps
        over all the autoencoders together (``3000 // n_estimators`` each), within 2 to
        300 epochs each.

    add_indicator : bool, default=False
        If True, a :class:`~sklearn.impute.MissingIndicator` transform is stacked onto the
        output of the imputer's transform: its columns say which entries were missing.

    keep_empty_features : bool, default=False
        If True, features that consist exclusively of missing values when `fit` is called
        are returned in results when `transform` is called, imputed with 0. If False,
        they are dropped.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batches and the masking noise; an int gives reproducible
        imputations.

    verbose : int, default=0
        The autoencoder's verbosity (skorch's log of the epochs).

    device : str, default='cpu'
        The torch device to train on: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``'auto'``.

    Attributes
    ----------
    autoencoders_ : list of DenoisingAutoencoder
        The fitted networks, on the standardised non-empty features (``n_estimators`` of
        them); empty when every feature is empty.

    mean_ : ndarray of shape (`n_features_in_`,)
        The mean of the observed values of each feature (0 for an empty feature).

    scale_ : ndarray of shape (`n_features_in_`,)
        Their standard deviation (1 where it is 0 or the feature is empty).

    indicator_ : :class:`~sklearn.impute.MissingIndicator` or None
        Indicator used to add binary indicators for missing values. None if
        ``add_indicator=False``.

    n_iter_ : int
        Number of epochs the first autoencoder trained (0 without any); each one's is
        ``autoencoders_[i].n_iter_``, as each may stop early on its own.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature names
        that are all strings.

    See Also
    --------
    sklearn.impute.SimpleImputer : Fill with a statistic of each column.
    sklearn.impute.KNNImputer : Fill from the nearest complete neighbours.
    sklearn.impute.IterativeImputer : Fill by regressing each feature on the others, in
        rounds.
    DenoisingAutoencoder : The network inside, which accepts missing values itself.

    Notes
    -----
    Observed entries are returned exactly as given (the network only fills the holes).
    Rows without any observed value are imputed too: from the column means, through the
    network. The method is that of the denoising autoencoder imputers (Gondara and Wang,
    "MIDA: Multiple Imputation using Denoising Autoencoders", PAKDD 2018; Lall and
    Robinson, "The MIDAS touch", Political Analysis 2022).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderImputer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 2)) @ rng.normal(size=(2, 4))
    >>> X[rng.rand(*X.shape) < 0.2] = np.nan
    >>> imputer = AutoencoderImputer(max_iter=10, random_state=0)
    >>> X_filled = imputer.fit_transform(X)
    >>> bool(np.isnan(X_filled).any())
    False
    >>> observed = ~np.isnan(X)
    >>> bool(np.array_equal(X_filled[observed], X[observed]))
    True
    """

    _parameter_constraints: dict = {
        "missing_values": [MissingValues()],
        "n_components": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "noise_level": [Interval(Real, 0, 1, closed="left")],
        "n_fill_iter": [Interval(Integral, 1, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str],
    }

    def __init__(
        self,
        missing_values=np.nan,
        *,
        n_components="auto",
        hidden_layer_sizes=(256, 256),
        activation="relu",
        noise_level=0.25,
        n_fill_iter=1,
        n_estimators=5,
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=2e-3,
        max_iter="auto",
        add_indicator=False,
        keep_empty_features=False,
        random_state=None,
        verbose=0,
        device="cpu",
    ):
        self.missing_values = missing_values
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.noise_level = noise_level
        self.n_fill_iter = n_fill_iter
        self.n_estimators = n_estimators
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # ------------------------------------------------------------------------------ fitting

    def _validate(self, X, reset):
        return validate_data(
            self, X, dtype=FLOAT_DTYPES, reset=reset, copy=False,
            ensure_all_finite="allow-nan" if _is_nan(self.missing_values) else True,
        )

    def _missing(self, X):
        if _is_nan(self.missing_values):
            return np.isnan(X)
        return X == self.missing_values

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the imputer on `X`: standardise its features and train the autoencoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data, where `n_samples` is the number of samples and `n_features` the
            number of features; its missing entries are `missing_values`.

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        with unchanged_on_error(self):
            X = self._validate(X, reset=True)
            missing = self._missing(X)
            self.indicator_ = None
            if self.add_indicator:
                self.indicator_ = MissingIndicator(
                    missing_values=self.missing_values, error_on_new=False
                ).fit(X)
            observed = ~missing
            counts = observed.sum(axis=0)
            self._valid_features_ = counts > 0
            sums = np.where(observed, X, 0).sum(axis=0, dtype=np.float64)
            mean = sums / np.maximum(counts, 1)
            squares = np.where(observed, (X - mean) ** 2, 0).sum(axis=0, dtype=np.float64)
            scale = np.sqrt(squares / np.maximum(counts, 1))
            self.mean_ = mean
            self.scale_ = np.where(scale > 0, scale, 1.0)
            self.autoencoders_ = []
            self.n_iter_ = 0
            if not self._valid_features_.all() and not self.keep_empty_features:
                warnings.warn(
                    "Skipping features without any observed values: "
                    f"{np.flatnonzero(~self._valid_features_)}. At least one non-missing "
                    "value is needed for imputation with AutoencoderImputer."
                )
            if self._valid_features_.any():
                Z = self._standardised(X, missing)
                n_features = Z.shape[1]
                n_components = (
                    default_n_components(n_features) if self.n_components == "auto"
                    else self.n_components
                )
                batch_size = (
                    min(AUTO_BATCH_SIZE, len(Z)) if self.batch_size == "auto"
                    else min(self.batch_size, len(Z))
                )
                max_iter = self.max_iter
                if max_iter == "auto":
                    max_iter = auto_max_iter(len(Z), batch_size,
                                             AUTO_STEPS // self.n_estimators)
                random_state = check_random_state(self.random_state)
                for _ in range(self.n_estimators):
                    self.autoencoders_.append(DenoisingAutoencoder(
                        n_components=n_components,
                        hidden_layer_sizes=self.hidden_layer_sizes,
                        activation=self.activation,
                        output_activation="identity",
                        noise="masking",
                        noise_level=self.noise_level,
                        alpha=self.alpha,
                        batch_size=batch_size,
                        learning_rate_init=self.learning_rate_init,
                        max_iter=max_iter,
                        random_state=draw_seed(random_state),
                        verbose=self.verbose,
                        device=self.device,
                    ).fit(Z))
                self.n_iter_ = self.autoencoders_[0].n_iter_
        return self

    def _standardised(self, X, missing):
        """The non-empty features of `X`, standardised, with NaN where `X` is missing."""
        valid = self._valid_features_
        Z = (X[:, valid] - self.mean_[valid]) / self.scale_[valid]
        Z[missing[:, valid]] = np.nan
        return Z

    # ---------------------------------------------------------------------------- inference

    def transform(self, X):
        """Impute all missing values in `X`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data to complete.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            `X` with its missing values imputed, in `X`'s float dtype (float64 for any
            other); the features empty at :meth:`fit` are dropped (or, with
            ``keep_empty_features=True``, filled with 0), and the indicator columns follow
            with ``add_indicator=True``.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        missing = self._missing(X)
        valid = self._valid_features_
        out = X.copy() if self.keep_empty_features else X[:, valid].copy()
        if self.keep_empty_features:
            out[:, ~valid] = np.where(missing[:, ~valid], 0, X[:, ~valid])
        if self.autoencoders_:
            Z = self._standardised(X, missing)
            holes = np.isnan(Z)
            filled = Z
            for _ in range(self.n_fill_iter):
                rebuilt = np.mean(
                    [member.reconstruct(filled) for member in self.autoencoders_], axis=0
                )
                filled = np.where(holes, rebuilt, Z)
            imputed = filled * self.scale_[valid] + self.mean_[valid]
            columns = np.flatnonzero(valid) if self.keep_empty_features else slice(None)
            block = out[:, columns]
            block[holes] = imputed[holes]
            out[:, columns] = block
        if self.indicator_ is not None:
            out = np.hstack([out, self.indicator_.transform(X).astype(out.dtype)])
        return out

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input features. If None, `feature_names_in_` is used if defined, else
            ``["x0", "x1", ..., "x(n_features_in_ - 1)"]``. If an array-like, it must
            match `feature_names_in_` if that is defined.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The names of the imputed features, then those of the indicator's columns.
        """
        check_is_fitted(self, "n_features_in_")
        input_features = _check_feature_names_in(self, input_features)
        names = (
            input_features if self.keep_empty_features
            else input_features[self._valid_features_]
        )
        if self.indicator_ is not None:
            names = np.concatenate(
                [names, self.indicator_.get_feature_names_out(input_features)]
            )
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = _is_nan(self.missing_values)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
