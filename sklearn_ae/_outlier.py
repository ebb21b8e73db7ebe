"""Outlier detection by reconstruction error: :class:`ReconstructionOutlierDetector`."""

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._dense import AutoencoderTransformer
from ._meta import reconstruct_with, seed_unset_random_states, unchanged_on_error
from ._thresholds import ThresholdMixin
from ._training import interrupt_scope, report_interrupt


class _RobustScaler(RobustScaler):
    """Median and interquartile range, with the standard deviation where the IQR is zero.

    ``unit_variance=True`` divides the IQR by that of a standard normal (1.349), so that a
    normal feature ends with unit variance, as with StandardScaler. A feature constant on at
    least half of the rows has a zero IQR, which scikit-learn's RobustScaler replaces by 1:
    the feature would keep its raw unit and could dominate the errors. Its standard deviation
    is used instead (and 1 only for a constant feature).
    """

    def fit(self, X, y=None):
        super().fit(X, y)
        X = np.asarray(X)
        q1, q3 = np.percentile(X, self.quantile_range, axis=0)
        std = X.std(axis=0)
        fallback = np.where(std > 0, std, 1.0)
        self.scale_ = np.where(q3 - q1 > 0, self.scale_, fallback)
        return self


SCALERS = {
    "standard": StandardScaler,
    "robust": lambda: _RobustScaler(unit_variance=True),
}

#: The default autoencoder, for tabular data: a ``ceil(sqrt(n_features))`` code (see
#: :func:`default_n_components`), one hidden layer of 64 units, minibatches of 32 so that
#: small data sets still get a few thousand optimizer steps, the MAE loss and a strong L2
#: penalty. Both keep the network from learning to rebuild the rare outliers of a
#: contaminated training set: the MAE lets them pull the weights less than the squared
#: error would, and the penalty keeps the map smooth, so that what only a few training
#: rows show is the first thing it fails to rebuild.
DEFAULT_AUTOENCODER = dict(hidden_layer_sizes=(64,), batch_size=32, loss="mae", alpha=1e-2)


def default_n_components(n_features):
    """Code width of the default autoencoder: ``ceil(sqrt(n_features))``, below ``n_features``.

    A bottleneck well below the input width, so that the network must learn the structure of
    the normal rows instead of copying them, and wide enough to keep it on tens of features.
    """
    return max(1, min(n_features - 1, math.ceil(math.sqrt(n_features))))


class ReconstructionOutlierDetector(ThresholdMixin, OutlierMixin, BaseEstimator):
    """Flag the samples that a reconstruction model rebuilds worst.

    A reconstruction model (an autoencoder by default, or any transformer with
    ``transform`` and ``inverse_transform``, such as :class:`~sklearn.decomposition.PCA`)
    is fit on (mostly) normal data. Each sample is then scored by how badly the model
    rebuilds it: :meth:`score_samples` is the negative mean reconstruction error, so that,
    as for :class:`~sklearn.ensemble.IsolationForest`, lower means more abnormal, and
    :meth:`predict` returns -1 for outliers and 1 for inliers. Swapping the autoencoder for
    PCA is a change of the ``estimator`` parameter.

    Read more in the :ref:`User Guide <outlier>`.

    **Scaling.** Tabular features come in different units, and a reconstruction error
    summed over them would be decided by the feature with the largest unit. The detector
    therefore scales every feature with statistics of the training data before it reaches
    the estimator, and measures the reconstruction error in these scaled units, so that
    each feature weighs the same in the score whatever its unit. ``scale='robust'`` (the
    default) subtracts the median and divides by the interquartile range (IQR) over 1.349,
    which is the standard deviation for normally distributed data; a feature whose IQR is
    zero (constant on at least half of the rows) is divided by its standard deviation
    instead, so no feature keeps its raw unit. Robust statistics matter because the
    training data may hold outliers: with ``scale='standard'`` (mean and standard
    deviation) an extreme value inflates the standard deviation of its feature, which then
    shrinks and hides the other unusual values of that feature. ``scale=None`` leaves `X`
    as it is, for data already on one scale (pixels, the samples of a signal) or an
    estimator that scales for itself.

    **Threshold.** ``offset_`` separates inliers from outliers. With a float
    ``contamination`` it is the ``contamination`` quantile of the training scores, as in
    :class:`~sklearn.ensemble.IsolationForest`. With ``contamination='auto'`` no guess of
    the proportion of outliers is needed: a sample is an outlier when its error lies more
    than ``n_std`` robust standard deviations above the median of the training errors,
    where the robust standard deviation is 1.4826 times the median absolute deviation
    (MAD). This is Hampel's identifier, the robust form of the three-sigma rule: the median
    and the MAD do not move when up to half of the training samples are outliers, so the
    same rule serves clean training data (novelty detection) and contaminated data, where
    a mean and a standard deviation would be inflated by the very outliers to be found. For
    normally distributed errors it flags 0.13% of the training samples with the default
    ``n_std=3``; reconstruction errors usually have a longer right tail, and it flags a few
    percent. ``threshold='mean_std'`` uses the mean and the standard deviation instead;
    with ``n_std=1`` it is the rule of TensorFlow's ECG5000 autoencoder tutorial.
    :meth:`set_threshold` changes the threshold without refitting.

    **A false-alarm rate you can state.** Training errors are optimistic (the model has
    seen those rows), so the rules above give no guarantee on new data. With
    ``false_alarm_rate`` set, the detector calibrates instead (split-conformal): it holds
    ``calibration_fraction`` of the training rows out of the scaler and the model, and
    flags a new sample when its conformal p-value (:meth:`pvalues`), the rank of its score
    among the scores of the held-out rows, is at most ``false_alarm_rate``. If the
    training rows are normal and the new inliers come from the same distribution, the
    probability that a new inlier is flagged is at most ``false_alarm_rate``, whatever the
    model and the number of rows. This is novelty detection: train on clean data. Outliers
    among the held-out rows only make the threshold stricter (fewer false alarms, more
    misses).

    Parameters
    ----------
    estimator : object, default=None
        The reconstruction model: any estimator with ``fit``, ``transform`` and
        ``inverse_transform`` (an autoencoder of this package, PCA, a
        :class:`~sklearn.pipeline.Pipeline` of such steps). A sample is rebuilt as
        ``estimator.reconstruct(X)`` where the estimator has that method, else as
        ``estimator.inverse_transform(estimator.transform(X))``. The estimator is cloned:
        the object passed is never fitted or changed. None uses an
        :class:`~sklearn_ae.AutoencoderTransformer` for tabular data, the same for every
        data set: ``n_components=ceil(sqrt(n_features))`` (at most ``n_features - 1``),
        one hidden layer of 64 units, ``batch_size=32`` (small data sets still get
        thousands of optimizer steps within ``max_iter='auto'``), ``loss='mae'`` (the
        outliers of a contaminated training set pull the network less than with the
        squared error) and ``alpha=1e-2``, an L2 penalty strong enough that the network
        does not learn to rebuild the patterns of a few rows; every other parameter at its
        default. Its fixed budget of epochs is
        part of the default, so it raises no ``ConvergenceWarning``. Like every
        autoencoder of this package it trains in the dtype of `X`: pass float32 data for a
        fit about twice as fast on a CPU.

    contamination : 'auto' or float, default='auto'
        The proportion of outliers expected in the training data, in (0, 0.5]: ``offset_``
        is then the ``contamination`` quantile of the training scores, so that this
        proportion of the training samples is flagged. With ``'auto'``, the threshold on the
        error is set by the rule ``threshold`` from the training errors. On clean data it
        flags few training samples, or none: 0 to 12 of the 300 rows of ``make_blobs`` in
        scikit-learn's checks, by seed, where
        :class:`~sklearn.ensemble.IsolationForest`'s ``'auto'`` flags 63.

    threshold : {'median_mad', 'mean_std'}, default='median_mad'
        The rule of ``contamination='auto'`` (ignored for a float ``contamination``): the
        threshold on the error is ``centre + n_std * spread`` of the training errors, with
        ``'median_mad'`` their median and robust standard deviation (1.4826 times their
        median absolute deviation; their standard deviation if that is zero), with
        ``'mean_std'`` their mean and standard deviation.

    n_std : float, default=3.0
        Number of (robust) standard deviations above the centre of the training errors at
        which ``threshold`` puts the threshold. ``threshold='mean_std', n_std=1``
        reproduces TensorFlow's ECG5000 tutorial.

    false_alarm_rate : float or None, default=None
        Target rate of false alarms on new inliers, in (0, 1), e.g. 0.01: the detector is
        then calibrated on held-out rows (see above), ``predict`` flags the samples whose
        p-value is at most this, and ``contamination``, ``threshold`` and ``n_std`` are
        not used. It needs at least ``1 / false_alarm_rate - 1`` held-out rows. None: the
        threshold comes from the training scores, by ``contamination``.

    calibration_fraction : float, default=0.2
        Share of the training rows held out for calibration when ``false_alarm_rate`` is
        set, in (0, 1); the model is fit on the rest. Ignored otherwise.

    metric : {'mae', 'mse'}, default='mae'
        The reconstruction error of a sample: the mean over features of the absolute
        (``'mae'``) or squared (``'mse'``) differences between the sample and its
        reconstruction. ``'mae'``, the loss of the default autoencoder, lets a single badly
        rebuilt feature weigh less; ``'mse'`` suits least-squares models such as PCA.

    scale : {'robust', 'standard'} or None, default='robust'
        How features are scaled before they reach the estimator; errors are measured on the
        same scale (see above). ``'robust'``: median and IQR (standard deviation where the
        IQR is zero), with :class:`~sklearn.preprocessing.RobustScaler`;
        ``'standard'``: :class:`~sklearn.preprocessing.StandardScaler`; None: no scaling.

    random_state : int, RandomState instance or None, default=None
        Seeds the estimator: every ``random_state`` parameter of the (cloned) estimator
        that is None, nested ones included, is set to a seed drawn from it, so that an int
        gives reproducible scores. Seeds set on the estimator itself are kept. With None,
        the estimator is left as it is. It also draws the rows held out for calibration.

    Attributes
    ----------
    estimator_ : object
        The fitted clone of ``estimator`` (or the fitted default autoencoder).

    scaler_ : RobustScaler, StandardScaler or None
        The fitted scaler applied before the estimator; None if ``scale=None``.

    offset_ : float
        Offset used to define the decision function from the raw scores, with
        ``decision_function = score_samples - offset_``: a sample is an outlier when its
        reconstruction error exceeds ``-offset_``.

    train_scores_ : ndarray of shape (n_fit_samples,)
        :meth:`score_samples` of the rows the model was fit on (all the training rows
        without ``false_alarm_rate``), kept so that :meth:`set_threshold` can recompute
        ``offset_`` without refitting.

    calibration_scores_ : ndarray of shape (n_calibration_samples,) or None
        :meth:`score_samples` of the rows held out for calibration, from which
        :meth:`pvalues` and, with ``false_alarm_rate``, ``offset_`` are computed; None
        without ``false_alarm_rate``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has feature names
        that are all strings.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outlier detection by random partitioning.
    sklearn.neighbors.LocalOutlierFactor : Outlier detection by local density.
    sklearn.covariance.EllipticEnvelope : Outlier detection for Gaussian data.
    sklearn.decomposition.PCA : A linear reconstruction model, to pass as ``estimator``.
    AutoencoderTransformer : The default reconstruction model.

    Notes
    -----
    Training errors are slightly optimistic: the model has seen those rows. On new normal
    data the rule of ``contamination='auto'`` therefore flags a little more than it does on
    the training data; set ``false_alarm_rate`` when false alarms must stay below a stated
    rate. The threshold can be moved after fitting with :meth:`set_threshold`, from the
    scores kept in ``train_scores_`` and ``calibration_scores_``.

    Unlike PyOD's detectors, :meth:`predict` returns -1 / 1 and :meth:`score_samples` is
    higher for normal samples, as everywhere in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae import ReconstructionOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(300, 1))
    >>> X = np.hstack([z, 2 * z, -z]) + 0.1 * rng.normal(size=(300, 3))
    >>> detector = ReconstructionOutlierDetector(PCA(n_components=1)).fit(X)
    >>> detector.predict([[1.0, 2.0, -1.0], [1.0, 2.0, 3.0]])
    array([ 1, -1])
    >>> errors = detector.reconstruction_error([[1.0, 2.0, 3.0]], per_feature=True)
    >>> int(errors.argmax())  # the feature that breaks the pattern
    2
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "transform", "inverse_transform"]), None],
        **ThresholdMixin._parameter_constraints,
        "metric": [StrOptions({"mae", "mse"})],
        "scale": [StrOptions(set(SCALERS)), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        contamination="auto",
        threshold="median_mad",
        n_std=3.0,
        false_alarm_rate=None,
        calibration_fraction=0.2,
        metric="mae",
        scale="robust",
        random_state=None,
    ):
        self.estimator = estimator
        self.contamination = contamination
        self.threshold = threshold
        self.n_std = n_std
        self.false_alarm_rate = false_alarm_rate
        self.calibration_fraction = calibration_fraction
        self.metric = metric
        self.scale = scale
        self.random_state = random_state

    # ------------------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the reconstruction model on `X` and set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, (mostly) normal samples. Integer data are converted to float64.

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        self : object
            The fitted detector.
        """
        # A failed fit leaves the detector as it was (unfitted, or fitted as before).
        with unchanged_on_error(self):
            X = validate_data(self, X, dtype=[np.float64, np.float32])
            # Rows held out for calibration (false_alarm_rate) reach neither the scaler nor
            # the model: they must be scored as new samples are.
            fit_rows, calibration_rows = self._calibration_rows(X.shape[0])
            X_fit = X if fit_rows is None else X[fit_rows]
            # numpy out, whatever sklearn.set_config(transform_output=...) says.
            scaler = (
                None if self.scale is None
                else SCALERS[self.scale]().set_output(transform="default")
            )
            X_scaled = X_fit if scaler is None else self._finite(scaler.fit_transform(X_fit),
                                                                 X_fit)
            estimator = self._make_estimator(X.shape[1])
            # One Ctrl-C ends the whole fit: the threshold is set on the model as trained so
            # far, and the interruption is reported once, below.
            with interrupt_scope() as training, warnings.catch_warnings():
                if self.estimator is None:
                    # The default's budget of epochs is a choice of ours, not the user's: a
                    # warning that it ran out would ask them to change a parameter they did
                    # not set.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                # y=None passed on, as scikit-learn's meta-estimators do (FrozenEstimator
                # requires it), but never labels: the model learns the data alone.
                estimator.fit(X_scaled, None)
            # Fitted attributes are set only once the training data could be scored.
            train_scores = -self._errors(X_scaled, estimator).mean(axis=1)
            self.scaler_ = scaler
            self.estimator_ = estimator
            calibration_scores = (
                None if calibration_rows is None
                else self._score_samples(X[calibration_rows])
            )
            self._set_threshold_from(train_scores, calibration_scores)
        if training.interrupted:
            report_interrupt(
                self, "The threshold is set on the reconstruction model as trained so far."
            )
        return self

    def fit_predict(self, X, y=None):
        """Fit the detector on `X` and say which of its samples are outliers.

        Equal to ``fit(X).predict(X)``, without scoring `X` twice (with
        ``false_alarm_rate``, the rows held out for calibration are scored again).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for outliers, 1 for inliers (ints).
        """
        self.fit(X)
        if self.calibration_scores_ is not None:
            return self.predict(X)
        return np.where(self.train_scores_ - self.offset_ >= 0, 1, -1)

    def _make_estimator(self, n_features):
        """An unfitted clone of the estimator, with its unset seeds drawn from random_state."""
        if self.estimator is None:
            estimator = AutoencoderTransformer(
                n_components=default_n_components(n_features), **DEFAULT_AUTOENCODER
            )
        else:
            estimator = clone(self.estimator)
        return seed_unset_random_states(estimator, self.random_state)

    # ---------------------------------------------------------------------------- inference

    def _validate_data_for_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _errors(self, X_scaled, estimator=None):
        """Per-feature reconstruction errors (float64) of scaled, validated `X`."""
        estimator = self.estimator_ if estimator is None else estimator
        X_rec = reconstruct_with(estimator, X_scaled)
        if X_rec.shape != X_scaled.shape:
            raise ValueError(
                f"The estimator {type(estimator).__name__} rebuilt X of shape "
                f"{X_scaled.shape} as an array of shape {X_rec.shape}; a reconstruction "
                "must have the shape of its input. Check that its inverse_transform undoes "
                "its transform."
            )
        X_rec = np.asarray(X_rec, dtype=np.float64)
        if not np.isfinite(X_rec).all():
            raise ValueError(
                f"The reconstruction of X by {type(estimator).__name__} contains NaN or "
                "infinity. Check the estimator, or scale X first (scale='robust')."
            )
        diff = X_rec - X_scaled
        with np.errstate(over="ignore"):
            errors = diff**2 if self.metric == "mse" else np.abs(diff)
        if not np.isfinite(errors).all():
            raise ValueError(
                f"The reconstruction errors of X overflowed float64: X holds values (up to "
                f"{np.abs(X_scaled).max():.3g} in absolute value, after scaling) too large to "
                f"measure with metric={self.metric!r}. Clip or rescale those values, or use "
                "metric='mae'."
            )
        return errors

    def _scale(self, X):
        return X if self.scaler_ is None else self._finite(self.scaler_.transform(X), X)

    def _finite(self, X_scaled, X):
        """`X_scaled` as an array, or a clear error where scaling overflowed."""
        X_scaled = np.asarray(X_scaled)
        if not np.isfinite(X_scaled).all():
            raise ValueError(
                f"scale={self.scale!r} turned X into NaN or infinity: its values (up to "
                f"{np.abs(X).max():.3g} in absolute value) are too large to scale in "
                f"{X.dtype}. Divide X by a large constant first, or pass scale=None."
            )
        return X_scaled

    def reconstruction_error(self, X, per_feature=False):
        """Reconstruction error of each sample, or of each feature of each sample.

        The errors are measured on the scale the estimator works on (features scaled as
        ``scale`` says, robustly by default), so that they can be compared across features:
        the features with the largest errors are those that make a sample abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        per_feature : bool, default=False
            If False, return one error per sample (the mean over features, equal to
            ``-score_samples(X)``); if True, one per sample and feature.

        Returns
        -------
        errors : ndarray of shape (n_samples,) or (n_samples, n_features)
            Squared (``metric='mse'``) or absolute (``metric='mae'``) differences between
            the (scaled) samples and their reconstructions, as float64.
        """
        X = self._validate_data_for_predict(X)
        errors = self._errors(self._scale(X))
        return errors if per_feature else errors.mean(axis=1)

    def score_samples(self, X):
        """Negative reconstruction error of each sample: the lower, the more abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-reconstruction_error(X)``, as float64.
        """
        X = self._validate_data_for_predict(X)
        return self._score_samples(X)

    def _score_samples(self, X):
        return -self._errors(self._scale(X)).mean(axis=1)

    def decision_function(self, X):
        """Shifted score: negative for outliers, positive or zero for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``, as float64.
        """
        X = self._validate_data_for_predict(X)
        return self._score_samples(X) - self.offset_

    def predict(self, X):
        """Predict whether each sample is an outlier (-1) or an inlier (1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for outliers, 1 for inliers (ints).
        """
        X = self._validate_data_for_predict(X)
        is_inlier = self._score_samples(X) - self.offset_ >= 0
        return np.where(is_inlier, 1, -1)
