"""Outlier detection by reconstruction error: :class:`ReconstructionOutlierDetector`."""

import math
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data

from ._dense import AutoencoderTransformer
from ._meta import reconstruction_errors, seed_unset_random_states, unchanged_on_error
from ._missing import check_rows_observed, has_missing
from ._scaling import SCALERS, check_scaled
from ._thresholds import MAD_TO_STD, ThresholdMixin
from ._training import interrupt_scope, report_interrupt

#: The default autoencoder of every member of the default ensemble, for tabular data: a
#: ``ceil(sqrt(n_features))`` code (see :func:`default_n_components`), one hidden layer of
#: 64 units, the trimmed absolute error and a strong L2 penalty. Both keep the network from
#: learning to rebuild the rare outliers of a contaminated training set: each minibatch
#: leaves its 10% worst-rebuilt rows out of the gradient, the absolute error lets the others
#: pull less than the squared error would, and the penalty keeps the map smooth, so that
#: what only a few training rows show is the first thing it fails to rebuild.
DEFAULT_AUTOENCODER = dict(hidden_layer_sizes=(64,), loss="trimmed_mae", alpha=1e-2)

#: Minibatch rows and optimizer steps of a default member: ``max_iter`` is the number of
#: epochs that gives about this many steps, within [10, 200] epochs.
DEFAULT_BATCH_SIZE, DEFAULT_STEPS, DEFAULT_EPOCHS = 32, 800, (10, 200)

#: The default ensemble: members, the rows each is trained on, the code-space neighbours.
DEFAULT_N_ESTIMATORS, DEFAULT_MAX_SAMPLES, DEFAULT_N_NEIGHBORS = 10, 2048, 10

#: Most training rows whose codes a member keeps as its neighbours' reference.
MAX_REFERENCE_ROWS = 10_000


def default_n_components(n_features):
    """Code width of the default autoencoder: ``ceil(sqrt(n_features))``, below ``n_features``.

    A bottleneck well below the input width, so that the network must learn the structure of
    the normal rows instead of copying them, and wide enough to keep it on tens of features.
    """
    return max(1, min(n_features - 1, math.ceil(math.sqrt(n_features))))


def default_autoencoder(n_features, n_samples):
    """The default autoencoder of a member trained on ``n_samples`` rows."""
    batch_size = min(DEFAULT_BATCH_SIZE, n_samples)
    epochs = DEFAULT_STEPS // math.ceil(n_samples / batch_size)
    return AutoencoderTransformer(
        n_components=default_n_components(n_features),
        batch_size=batch_size,
        max_iter=int(np.clip(epochs, *DEFAULT_EPOCHS)),
        **DEFAULT_AUTOENCODER,
    )


def robust_location_scale(values):
    """Median and robust spread (1.4826 MAD; the std where that is 0; 1 where both are)."""
    centre = float(np.median(values))
    spread = MAD_TO_STD * float(np.median(np.abs(values - centre)))
    if not spread > 0:
        spread = float(np.std(values))
    return centre, spread if spread > 0 else 1.0


class ReconstructionOutlierDetector(ThresholdMixin, OutlierMixin, BaseEstimator):
    """Flag the samples that a reconstruction model rebuilds worst.

    A reconstruction model (an autoencoder by default, or any transformer with
    ``transform`` and ``inverse_transform``, such as :class:`~sklearn.decomposition.PCA`)
    is fit on (mostly) normal data. Each sample is then scored by how badly the model
    rebuilds it: :meth:`score_samples` is the negative reconstruction error, so that, as
    for :class:`~sklearn.ensemble.IsolationForest`, lower means more abnormal, and
    :meth:`predict` returns -1 for outliers and 1 for inliers. Swapping the autoencoder for
    PCA is a change of the ``estimator`` parameter.

    Read more in the :ref:`User Guide <outlier>`.

    **The default: an ensemble chosen on data it is scored elsewhere.** With
    ``estimator=None`` the detector fits 10 small autoencoders, each on its own random
    half of the rows (at most 2,048), alternately on two views of the features (robustly
    scaled, and rank-Gaussian: each column's ranks mapped to normal scores), each trained
    with a trimmed loss that ignores the rows it rebuilds worst. A member scores a sample by
    its reconstruction error and by the mean distance of the sample's code to its 10
    nearest codes among the training rows (how crowded the code space is there), each
    standardised by its median and robust spread on the training rows; the score is minus
    the mean over members. Every one of these choices was made by nested selection over 23
    public outlier data sets (chosen on some, scored on the others); on those sets it ranks
    samples better than IsolationForest and PyOD's ECOD, KNN and AutoEncoder (see the User
    Guide for the figures and the sets it loses on). With an ``estimator`` given, the
    detector is that one model on all the rows, scored by its reconstruction error alone
    (``n_estimators``, ``max_samples``, ``n_neighbors`` and ``scale`` say otherwise).

    **Scaling.** Tabular features come in different units, and a reconstruction error
    summed over them would be decided by the feature with the largest unit. The detector
    therefore scales every feature with statistics of the training data before it reaches
    the estimator, and measures the reconstruction error in these scaled units, so that
    each feature weighs the same in the score whatever its unit. ``scale='robust'``
    subtracts the median and divides by the interquartile range (IQR) over 1.349, which is
    the standard deviation for normally distributed data; a feature whose IQR is zero
    (constant on at least half of the rows) is divided by its standard deviation instead,
    so no feature keeps its raw unit. Robust statistics matter because the training data
    may hold outliers: with ``scale='standard'`` (mean and standard deviation) an extreme
    value inflates the standard deviation of its feature, which then shrinks and hides the
    other unusual values of that feature. ``scale='rank_gaussian'`` maps each column to
    the normal scores of its ranks, so that binary, count and heavy-tailed columns weigh
    like the others, and goes on linearly beyond the training range, so that a value more
    extreme than any seen in training still stands out. ``scale=None`` leaves `X` as it
    is, for data already on one scale (pixels, the samples of a signal) or an estimator
    that scales for itself.

    **Threshold.** ``offset_`` separates inliers from outliers. With a float
    ``contamination`` it is the ``contamination`` quantile of the training scores, as in
    :class:`~sklearn.ensemble.IsolationForest`. With ``contamination='auto'`` no guess of
    the proportion of outliers is needed: a sample is an outlier when its error (minus its
    score) lies more than ``n_std`` robust standard deviations above the median of the
    training errors, where the robust standard deviation is 1.4826 times the median
    absolute deviation (MAD). This is Hampel's identifier, the robust form of the
    three-sigma rule: the median and the MAD do not move when up to half of the training
    samples are outliers, so the same rule serves clean training data (novelty detection)
    and contaminated data, where a mean and a standard deviation would be inflated by the
    very outliers to be found. For normally distributed errors it flags 0.13% of the
    training samples with the default ``n_std=3``; reconstruction errors usually have a
    longer right tail, and it flags a few percent. ``threshold='mean_std'`` uses the mean
    and the standard deviation instead; with ``n_std=1`` it is the rule of TensorFlow's
    ECG5000 autoencoder tutorial. :meth:`set_threshold` changes the threshold without
    refitting.

    **Missing values.** Where the estimator accepts missing values (NaN), as the default
    autoencoders do (:class:`~sklearn_ae.AutoencoderTransformer`), so does the detector:
    the scalers are fit on the observed values of each feature, a row's reconstruction
    error is the mean over its observed entries, and its code is that of the row with its
    holes filled by the training means. A row without any observed value has no error and
    is refused with a clear error. With an estimator that refuses NaN (e.g. PCA), NaN in
    `X` is refused as before.

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
        the object passed is never fitted or changed. None: the default ensemble (above),
        whose members are each an :class:`~sklearn_ae.AutoencoderTransformer` for tabular
        data, the same for every data set: ``n_components=ceil(sqrt(n_features))`` (at most
        ``n_features - 1``), one hidden layer of 64 units, ``loss='trimmed_mae'``,
        ``alpha=1e-2`` (an L2 penalty strong enough that the network does not learn to
        rebuild the patterns of a few rows), minibatches of 32 rows and about 800 optimizer
        steps (10 to 200 epochs), trained in float32. Its budget of epochs is part of the
        default, so it raises no ``ConvergenceWarning``.

    n_estimators : int or 'auto', default='auto'
        Number of reconstruction models (clones of ``estimator``), each fit on its own
        random subset of the rows (``max_samples``); the score is the mean of theirs.
        ``'auto'``: 10 for the default autoencoder, 1 for a given ``estimator``.

    max_samples : 'auto', int or float, default='auto'
        Rows each model is fit on, drawn without replacement: an int is a number of rows,
        a float in (0, 1] a share of them. ``'auto'``: all the rows for a single model;
        for several, half of them, at most 2,048, so that the members differ and the cost
        of a fit stays bounded for large data. A number above the number of rows uses all
        of them (with a warning).

    n_neighbors : int or 'auto', default='auto'
        Number of nearest codes in a model's code space (its ``transform``) whose mean
        distance is added to the reconstruction error of a sample, both standardised by
        their median and robust spread over the training rows. Anomalies that the model
        rebuilds well but that land where few training rows do are caught by it. The
        reference codes are those of the training rows (at most 10,000, drawn at random).
        0 scores the reconstruction error alone. ``'auto'``: 10 for the default
        autoencoder, 0 for a given ``estimator``.

    contamination : 'auto' or float, default='auto'
        The proportion of outliers expected in the training data, in (0, 0.5]: ``offset_``
        is then the ``contamination`` quantile of the training scores, so that this
        proportion of the training samples is flagged. With ``'auto'``, the threshold on
        minus the score is set by the rule ``threshold`` from the training scores.

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

    scale : {'auto', 'robust', 'standard', 'rank_gaussian'} or None, default='auto'
        How features are scaled before they reach the estimator; errors are measured on the
        same scale (see above). ``'robust'``: median and IQR (standard deviation where the
        IQR is zero); ``'standard'``: :class:`~sklearn.preprocessing.StandardScaler`;
        ``'rank_gaussian'``: normal scores of the ranks, with linear tails; None: no
        scaling. ``'auto'``: ``'robust'`` for a single model; with several, the members
        alternate between ``'robust'`` and ``'rank_gaussian'`` (two views of the data,
        which the default's evidence found better than either alone).

    random_state : int, RandomState instance or None, default=None
        Seeds the models and draws their rows: every ``random_state`` parameter of a
        (cloned) model that is None, nested ones included, is set to a seed drawn from it,
        so that an int gives reproducible scores. Seeds set on the estimator itself are
        kept. With None and a single model, the estimator is left as it is. It also draws
        the rows held out for calibration.

    Attributes
    ----------
    estimators_ : list of objects
        The fitted models: clones of ``estimator`` (or the default autoencoders), one per
        member of the ensemble.

    estimators_samples_ : list of ndarray
        The rows (indices into the rows the models were fit on) that each model was
        trained on.

    scalers_ : list of (RobustScaler, StandardScaler, _RankGaussianScaler or None)
        The fitted scaler of each model, applied to `X` before it (members that share a
        view share the object); None entries where ``scale=None``.

    estimator_ : object
        The first of ``estimators_`` (the only one for a single model).

    scaler_ : RobustScaler, StandardScaler, _RankGaussianScaler or None
        The first of ``scalers_``.

    n_estimators_, max_samples_, n_neighbors_ : int
        The resolved values of ``n_estimators``, ``max_samples`` and ``n_neighbors`` (the
        last one at most the number of reference rows minus one). Fewer models than
        ``n_estimators`` if a Ctrl-C ended the fit early.

    offset_ : float
        Offset used to define the decision function from the raw scores, with
        ``decision_function = score_samples - offset_``: a sample is an outlier when its
        score is below ``offset_``.

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
    With a single model and ``n_neighbors=0``, ``score_samples(X)`` is exactly
    ``-reconstruction_error(X)``. With several models or the code-space term, each term is
    standardised first (``(term - median) / spread`` over the training rows), so the score
    is in robust standard deviations, and ``reconstruction_error`` gives the mean raw error
    over the models.

    Training scores are slightly optimistic: the models have seen those rows (and a
    training row is among its own nearest codes). On new normal data the rule of
    ``contamination='auto'`` therefore flags a little more than it does on the training
    data; set ``false_alarm_rate`` when false alarms must stay below a stated rate. The
    threshold can be moved after fitting with :meth:`set_threshold`, from the scores kept
    in ``train_scores_`` and ``calibration_scores_``.

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
        "n_estimators": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_samples": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "n_neighbors": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        **ThresholdMixin._parameter_constraints,
        "metric": [StrOptions({"mae", "mse"})],
        "scale": [StrOptions({"auto", *SCALERS}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators="auto",
        max_samples="auto",
        n_neighbors="auto",
        contamination="auto",
        threshold="median_mad",
        n_std=3.0,
        false_alarm_rate=None,
        calibration_fraction=0.2,
        metric="mae",
        scale="auto",
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.n_neighbors = n_neighbors
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
        """Fit the reconstruction models on `X` and set the threshold.

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
            X = self._validate(X, reset=True, method="fit")
            # Rows held out for calibration (false_alarm_rate) reach neither the scalers nor
            # the models: they must be scored as new samples are.
            fit_rows, calibration_rows = self._calibration_rows(X.shape[0])
            X_fit = X if fit_rows is None else X[fit_rows]
            n_samples, n_features = X_fit.shape
            n_estimators, max_samples, n_neighbors = self._resolve_ensemble(n_samples)
            scales = self._member_scales(n_estimators)
            # One fitted scaler per view; numpy out, whatever sklearn.set_config says.
            scalers = {
                scale: None if scale is None
                else SCALERS[scale]().set_output(transform="default")
                for scale in set(scales)
            }
            views = {
                scale: X_fit if scaler is None
                else check_scaled(scaler.fit_transform(X_fit), X_fit, scale)
                for scale, scaler in scalers.items()
            }
            rng = check_random_state(self.random_state)
            estimators, samples = [], []
            # One Ctrl-C ends the whole fit: the threshold is set on the models trained so
            # far, and the interruption is reported once, below.
            with interrupt_scope() as training, warnings.catch_warnings():
                if self.estimator is None:
                    # The default's budget of epochs is a choice of ours, not the user's: a
                    # warning that it ran out would ask them to change a parameter they did
                    # not set.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                for m, scale in enumerate(scales):
                    if n_estimators == 1 and max_samples == n_samples:
                        # A single model on every row, seeded as it always was.
                        rows, seed = np.arange(n_samples), self.random_state
                    else:
                        seed = int(rng.randint(np.iinfo(np.int32).max))
                        rows = np.sort(
                            np.random.RandomState(seed).choice(n_samples, max_samples,
                                                               replace=False)
                        )
                    estimator = self._make_estimator(n_features, len(rows), seed)
                    # y=None passed on, as scikit-learn's meta-estimators do (FrozenEstimator
                    # requires it), but never labels: the model learns the data alone.
                    estimator.fit(self._model_input(views[scale][rows]), None)
                    estimators.append(estimator)
                    samples.append(rows)
                    if training.interrupted:
                        break
            # Fitted attributes are set only once the training data could be scored.
            self.estimators_ = estimators
            self.estimators_samples_ = samples
            self.scalers_ = [scalers[scale] for scale in scales[: len(estimators)]]
            self.estimator_, self.scaler_ = estimators[0], self.scalers_[0]
            self.n_estimators_, self.max_samples_ = len(estimators), max_samples
            train_scores = self._fit_score_terms(views, scales, n_neighbors)
            if train_scores is None:
                train_scores = self._score_samples(X_fit)
            calibration_scores = (
                None if calibration_rows is None
                else self._score_samples(X[calibration_rows])
            )
            self._set_threshold_from(train_scores, calibration_scores)
        if training.interrupted:
            report_interrupt(
                self, "The threshold is set on the reconstruction models as trained so far."
            )
        return self

    def _resolve_ensemble(self, n_samples):
        """``(n_estimators, max_samples, n_neighbors)`` for ``n_samples`` training rows."""
        default = self.estimator is None
        n_estimators = (
            (DEFAULT_N_ESTIMATORS if default else 1)
            if self.n_estimators == "auto" else self.n_estimators
        )
        if self.max_samples == "auto":
            max_samples = (
                n_samples if n_estimators == 1
                else max(1, min(round(0.5 * n_samples), DEFAULT_MAX_SAMPLES))
            )
        elif isinstance(self.max_samples, Integral):
            max_samples = self.max_samples
            if max_samples > n_samples:
                warnings.warn(
                    f"max_samples={max_samples} is greater than the number of training "
                    f"samples ({n_samples}); every model is fit on all {n_samples}. Pass "
                    "a smaller max_samples, or a float share of the rows.",
                    UserWarning,
                )
                max_samples = n_samples
        else:
            max_samples = max(1, round(self.max_samples * n_samples))
        n_neighbors = (
            (DEFAULT_N_NEIGHBORS if default else 0)
            if self.n_neighbors == "auto" else self.n_neighbors
        )
        return n_estimators, max_samples, n_neighbors

    def _member_scales(self, n_estimators):
        """The ``scale`` of each member: one for all, or alternating views for 'auto'."""
        if self.scale != "auto":
            return [self.scale] * n_estimators
        if n_estimators == 1:
            return ["robust"]
        return [("robust", "rank_gaussian")[m % 2] for m in range(n_estimators)]

    def _make_estimator(self, n_features, n_samples, random_state):
        """An unfitted model for ``n_samples`` rows, its unset seeds drawn from random_state."""
        if self.estimator is None:
            estimator = default_autoencoder(n_features, n_samples)
        else:
            estimator = clone(self.estimator)
        return seed_unset_random_states(estimator, random_state)

    def _model_input(self, X_scaled):
        """What the models see: float32 for the default autoencoders, `X`'s dtype otherwise."""
        if self.estimator is None:
            return np.ascontiguousarray(X_scaled, dtype=np.float32)
        return X_scaled

    def _fit_score_terms(self, views, scales, n_neighbors):
        """Fit the terms of the score; return the scores of the training rows, or None.

        For the code-space term, the reference codes are those of the training rows. A
        training row is among them, so its nearest code is its own: the centre and spread
        of the term skip it (a training row is then measured as a new sample would be),
        while its training score, like ``score_samples`` of any row, counts it. Both come
        from one query. None where the score is the raw error of a single model.
        """
        self._neighbors_, self._term_stats_ = [], []
        n_samples = len(next(iter(views.values())))
        n_reference = min(n_samples, MAX_REFERENCE_ROWS)
        self.n_neighbors_ = min(n_neighbors, n_reference - 1)
        self._standardized_ = self.n_estimators_ > 1 or self.n_neighbors_ > 0
        if not self._standardized_:
            return None
        rng = check_random_state(self.random_state)
        total = np.zeros(n_samples)
        for estimator, scale in zip(self.estimators_, scales):
            Z = self._model_input(views[scale])
            errors = self._row_errors(self._errors(Z, estimator))
            fitted_terms, scored_terms = [errors], [errors]
            if self.n_neighbors_ > 0:
                codes = self._codes(estimator, Z)
                reference = (
                    slice(None) if n_reference == n_samples
                    else np.sort(rng.choice(n_samples, n_reference, replace=False))
                )
                neighbors = NearestNeighbors(n_neighbors=self.n_neighbors_).fit(
                    codes[reference]
                )
                in_reference = np.zeros(n_samples, dtype=bool)
                in_reference[reference] = True
                distances, _ = neighbors.kneighbors(codes, n_neighbors=self.n_neighbors_ + 1)
                scored = distances[:, :-1].mean(axis=1)
                fitted_terms.append(np.where(in_reference, distances[:, 1:].mean(axis=1), scored))
                scored_terms.append(scored)
                self._neighbors_.append(neighbors)
            stats = np.array([robust_location_scale(term) for term in fitted_terms])
            self._term_stats_.append(stats)
            for term, (centre, spread) in zip(scored_terms, stats):
                total += (term - centre) / spread
        return -total / len(self.estimators_)

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

    # ---------------------------------------------------------------------------- inference

    def _allows_missing(self):
        """Whether `X` may hold NaN: when the estimator (the default's included) accepts it."""
        estimator = self.estimator or AutoencoderTransformer()
        return get_tags(estimator).input_tags.allow_nan

    def _validate(self, X, reset, method):
        """`X` validated; with missing values, only if the estimator accepts them."""
        allow_nan = self._allows_missing()
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], reset=reset,
            ensure_all_finite="allow-nan" if allow_nan else True,
        )
        if allow_nan and has_missing(X):
            check_rows_observed(self, X, method)
        return X

    def _validate_data_for_predict(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False, method="score_samples")

    @staticmethod
    def _row_errors(errors):
        """The error of each row: its mean over the observed entries (NaN marks the others)."""
        if np.isnan(errors).any():
            return np.nanmean(errors, axis=1)
        return errors.mean(axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allows_missing()
        return tags

    def _views(self, X):
        """Each model's input: `X` scaled by its scaler (computed once per distinct scaler)."""
        scaled = {}
        for scaler in self.scalers_:
            if id(scaler) not in scaled:
                X_scaled = X if scaler is None else check_scaled(
                    scaler.transform(X), X, self.scale
                )
                scaled[id(scaler)] = self._model_input(X_scaled)
        return [scaled[id(scaler)] for scaler in self.scalers_]

    def _errors(self, X_scaled, estimator):
        """Per-feature reconstruction errors (float64) of scaled, validated `X`."""
        return reconstruction_errors(estimator, X_scaled, self.metric)

    @staticmethod
    def _codes(estimator, X_scaled):
        """The model's codes of scaled `X`, as a 2-D float64 array."""
        codes = np.asarray(estimator.transform(X_scaled), dtype=np.float64)
        return codes.reshape(len(codes), -1)

    def reconstruction_error(self, X, per_feature=False):
        """Reconstruction error of each sample, or of each feature of each sample.

        The errors are measured on the scale the estimator works on (features scaled as
        ``scale`` says), so that they can be compared across features: the features with
        the largest errors are those that make a sample abnormal. With several models, the
        mean of their errors, each measured in its own view of the features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        per_feature : bool, default=False
            If False, return one error per sample (the mean over features; equal to
            ``-score_samples(X)`` for a single model without the code-space term; over
            the observed entries for a row with missing values); if True, one per sample
            and feature (NaN where `X` is missing).

        Returns
        -------
        errors : ndarray of shape (n_samples,) or (n_samples, n_features)
            Squared (``metric='mse'``) or absolute (``metric='mae'``) differences between
            the (scaled) samples and their reconstructions, as float64.
        """
        X = self._validate_data_for_predict(X)
        errors = sum(
            self._errors(Z, estimator)
            for Z, estimator in zip(self._views(X), self.estimators_)
        ) / len(self.estimators_)
        return errors if per_feature else self._row_errors(errors)

    def score_samples(self, X):
        """Opposite of the anomaly score of each sample: the lower, the more abnormal.

        For a single model without the code-space term, minus its reconstruction error.
        Otherwise minus the mean over the models of the sum of their standardised terms
        (reconstruction error and mean distance to the nearest training codes), each as
        ``(term - median) / spread`` over the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The scores, as float64.
        """
        X = self._validate_data_for_predict(X)
        return self._score_samples(X)

    def _score_samples(self, X):
        views = self._views(X)
        if not self._standardized_:
            return -self._row_errors(self._errors(views[0], self.estimator_))
        total = np.zeros(len(X))
        for m, (Z, estimator) in enumerate(zip(views, self.estimators_)):
            terms = [self._row_errors(self._errors(Z, estimator))]
            if self.n_neighbors_ > 0:
                distances, _ = self._neighbors_[m].kneighbors(self._codes(estimator, Z))
                terms.append(distances.mean(axis=1))
            for term, (centre, spread) in zip(terms, self._term_stats_[m]):
                total += (term - centre) / spread
        return -total / len(self.estimators_)
