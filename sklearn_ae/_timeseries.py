"""Per-timestamp anomaly scores of a long series: :class:`TimeSeriesOutlierDetector`."""

import sys
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._dense import AutoencoderTransformer
from ._meta import reconstruction_errors, seed_unset_random_states, unchanged_on_error
from ._scaling import SCALERS, check_scaled
from ._thresholds import ThresholdMixin
from ._training import interrupt_scope, report_interrupt

#: Values (windows x steps x channels) scored at once: 32 MB of float64.
SCORE_CHUNK = 1 << 22

#: The longest window of ``window_size='auto'``.
MAX_AUTO_WINDOW = 256

#: The default reconstruction model over windows (see the ``estimator`` docstring).
DEFAULT_WINDOW_AUTOENCODER = dict(hidden_layer_sizes=(64,), batch_size=32, loss="mae",
                                  max_iter=30)


def default_window_estimator(n_window_features):
    """The default model over windows of ``n_window_features`` values."""
    return AutoencoderTransformer(
        n_components=max(1, min(n_window_features - 1, 8)), **DEFAULT_WINDOW_AUTOENCODER
    )


def dominant_period(X, max_period=MAX_AUTO_WINDOW):
    """The lag of the highest autocorrelation peak of `X` (mean over channels), or None.

    A peak is a local maximum of the autocorrelation after its first fall below zero, at a
    lag in ``[2, max_period]``, with an autocorrelation of at least ``max(0.1, 3 /
    sqrt(n_samples))`` (above what white noise reaches); None when there
    is none (no period: noise, a trend, a series shorter than two periods).
    """
    n = X.shape[0]
    max_lag = min(max_period, n // 2)
    if max_lag < 3:
        return None
    centred = X - X.mean(axis=0)
    variance = (centred**2).sum(axis=0)
    keep = variance > 0
    if not keep.any():
        return None
    centred, variance = centred[:, keep], variance[keep]
    # Autocorrelations by FFT, zero-padded against wrap-around.
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=0)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=0)[: max_lag + 2]
    acf = (acf / variance).mean(axis=1)
    below = np.flatnonzero(acf < 0)
    if below.size == 0:
        return None
    lags = np.arange(max(below[0], 2), max_lag + 1)
    peaks = lags[(acf[lags] >= acf[lags - 1]) & (acf[lags] >= acf[lags + 1])]
    if peaks.size == 0:
        return None
    best = peaks[np.argmax(acf[peaks])]
    # Above what noise alone reaches (about 2 / sqrt(n) at 95%), and at least 0.1.
    return int(best) if acf[best] >= max(0.1, 3 / np.sqrt(n)) else None


def auto_window_size(X):
    """``window_size='auto'``: the longest window up to 256 steps and half of `X`, in periods.

    With a dominant period shorter than that, the longest whole number of periods.
    """
    n = X.shape[0]
    longest = max(2, min(MAX_AUTO_WINDOW, n // 2))
    period = dominant_period(X, max_period=n // 2)
    if period is None or period >= longest:
        return longest
    return period * (longest // period)


def _window_starts(n_samples, window_size, stride):
    """Start of each window: every ``stride`` steps, and a last one that ends the series."""
    starts = np.arange(0, n_samples - window_size + 1, stride)
    if starts[-1] != n_samples - window_size:
        starts = np.append(starts, n_samples - window_size)
    return starts


class TimeSeriesOutlierDetector(ThresholdMixin, OutlierMixin, BaseEstimator):
    """Score every time step of a long series by how badly its windows are rebuilt.

    The rows of `X` are the time steps of one series (in time order), its columns the
    channels. :meth:`fit` cuts the series into sliding windows of ``window_size`` steps
    (every ``stride`` steps), scales it with statistics of the training series, and trains
    a reconstruction model (an autoencoder over windows by default, or any ``estimator``
    with ``transform`` and ``inverse_transform``) on the windows. :meth:`score_samples`
    cuts a series (new, or the continuation of the training series) the same way,
    measures how badly each window is rebuilt and gives every time step one score from
    the windows that cover it: as in scikit-learn, the lower, the more abnormal.
    :meth:`predict` returns -1 or 1 for every time step, with the threshold rules of
    :class:`ReconstructionOutlierDetector`.

    Read more in the :ref:`User Guide <timeseries>`.

    **Windows.** ``window_size='auto'`` takes the longest window that the training series
    affords, up to 256 steps and at most half of the series, made of whole periods when
    the series has one (its dominant period, from the autocorrelation of the training
    series), so that every window holds whole cycles. Long windows won on the Numenta
    Anomaly Benchmark, whose anomalies last long (see the User Guide).

    **Scores.** With ``aggregation='window'`` (the default) a window's error is the mean
    error over its steps and channels, and a time step's error is the mean of the errors
    of the windows that cover it: a time step is abnormal when the stretches of the series
    around it are. With ``aggregation='step'`` a time step's error is the mean of its own
    errors (over channels) in the windows that cover it, sharper in time: it points at
    the steps that break the pattern rather than at the stretch that holds them.

    Parameters
    ----------
    estimator : object, default=None
        The reconstruction model of a window: any estimator with ``fit``, ``transform``
        and ``inverse_transform`` (an autoencoder of this package, PCA, a Pipeline). Each
        window is one row of ``window_size * n_features`` values, time step by time step
        (the layout of :class:`SequenceAutoencoder`, whose ``n_timesteps`` is set to
        ``window_size_`` when left at None). It is cloned, and rebuilds a window as
        ``estimator.reconstruct(W)`` where it has that method, else as
        ``inverse_transform(transform(W))``. None uses an
        :class:`AutoencoderTransformer` with a code of 8 (at most the window's width
        minus one), one hidden layer of 64 units, ``batch_size=32``, ``loss='mae'`` and
        30 epochs. On NAB it beat a :class:`SequenceAutoencoder` over the same windows,
        at a small fraction of its cost, and was on a par with PCA (see the User Guide).

    window_size : int or 'auto', default='auto'
        Number of time steps in a window, at least 2. ``'auto'``: see above. The value
        used is stored in ``window_size_``; a series to score needs at least that many
        rows.

    stride : int, default=1
        Steps between the starts of two consecutive windows, when fitting and scoring. A
        last window always ends with the series, so every time step is covered. A larger
        stride trains and scores faster, with fewer windows per time step.

    aggregation : {'window', 'step'}, default='window'
        How the errors of the windows that cover a time step make its error (see above).

    contamination : 'auto' or float, default='auto'
        The proportion of abnormal time steps expected in the training series, in (0, 0.5]:
        ``offset_`` is then that quantile of the training scores. ``'auto'``: the threshold
        on the error is ``centre + n_std * spread`` of the training errors, by
        ``threshold``. As in :class:`ReconstructionOutlierDetector`.

    threshold : {'median_mad', 'mean_std'}, default='median_mad'
        The rule of ``contamination='auto'``: the centre and spread of the training
        errors are their median and robust standard deviation (1.4826 times their median
        absolute deviation) or their mean and standard deviation.

    n_std : float, default=3.0
        Number of (robust) standard deviations above the centre of the training errors at
        which ``contamination='auto'`` puts the threshold.

    false_alarm_rate : float or None, default=None
        Target rate of false alarms on new normal time steps, in (0, 1): the detector is
        then calibrated (split-conformal) on the last ``calibration_fraction`` of the
        training series, held out of the scaler and the model and scored as a new series;
        ``predict`` flags the time steps whose p-value (:meth:`pvalues`) is at most this.
        The time steps of a series are not exchangeable (neighbours share windows), so the
        guarantee of :class:`ReconstructionOutlierDetector` holds only approximately: for
        a series whose behaviour does not drift, the share of false alarms stays close to
        the target. None: the threshold comes from the training scores, by
        ``contamination``.

    calibration_fraction : float, default=0.2
        Share of the training series, at its end, held out for calibration when
        ``false_alarm_rate`` is set; it must hold at least one window.

    metric : {'mae', 'mse'}, default='mae'
        The error of a step of a window: the absolute (``'mae'``) or squared (``'mse'``)
        difference between the scaled value and its reconstruction, averaged over
        channels.

    scale : {'robust', 'standard'} or None, default='robust'
        How each channel is scaled, with statistics of the training series, before it is
        cut into windows; errors are measured on that scale, so channels in different
        units weigh the same. ``'robust'``: median and interquartile range (over 1.349);
        ``'standard'``: mean and standard deviation; None: no scaling. One scaling for the
        whole series (not one per window), so that a shift of level is an anomaly.

    random_state : int, RandomState instance or None, default=None
        Seeds the estimator: every ``random_state`` parameter of the (cloned) estimator
        that is None is set to a seed drawn from it, so that an int gives reproducible
        scores. With None, the estimator is left as it is.

    Attributes
    ----------
    estimator_ : object
        The fitted clone of ``estimator`` (or the fitted default autoencoder).

    scaler_ : RobustScaler, StandardScaler or None
        The scaler fitted on the training series; None if ``scale=None``.

    window_size_ : int
        Number of time steps in a window, resolved from ``window_size``.

    offset_ : float
        Offset used to define the decision function from the raw scores, with
        ``decision_function = score_samples - offset_``.

    train_scores_ : ndarray of shape (n_fit_samples,)
        :meth:`score_samples` of the time steps the model was fit on, from which
        :meth:`set_threshold` recomputes ``offset_``.

    calibration_scores_ : ndarray of shape (n_calibration_samples,) or None
        Scores of the time steps held out for calibration (the end of the training
        series), scored as a new series; None without ``false_alarm_rate``.

    n_features_in_ : int
        Number of channels seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of channels seen during :term:`fit`. Defined only when `X` has feature names
        that are all strings.

    See Also
    --------
    ReconstructionOutlierDetector : One score per row, for rows that are samples (e.g.
        windows cut beforehand, or whole sequences).
    SequenceAutoencoder : A recurrent autoencoder, to pass as ``estimator``.
    sklearn.ensemble.IsolationForest : Outlier detection by random partitioning.
    sklearn.neighbors.LocalOutlierFactor : Outlier detection by local density.

    Notes
    -----
    The threshold of ``contamination`` comes from the scores of the training series,
    which the model has seen. On a short training series without structure (noise), the
    model partly memorises its windows and new data score lower than the training series
    did: with the defaults, every scored step of NAB's ``art_noisy`` series is flagged
    (fit on its first 604 steps), although the ranking of its time steps is not at stake.
    Fit on a longer series, or raise the threshold without refitting
    (:meth:`set_threshold`, e.g. a larger ``n_std``).

    The rows are not independent samples: shuffling them changes the scores, and a
    series shorter than a window cannot be scored. A series with gaps (NaN) is refused;
    fill the gaps first (``X.interpolate()`` for a pandas DataFrame). A pandas time index
    must be increasing, without repeats.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae import TimeSeriesOutlierDetector
    >>> t = np.arange(1000)
    >>> X = np.sin(2 * np.pi * t / 50)[:, None]
    >>> X[700:710] += 1.0
    >>> detector = TimeSeriesOutlierDetector(PCA(n_components=4), window_size=50)
    >>> detector.fit(X[:500]).window_size_
    50
    >>> scores = detector.score_samples(X[500:])
    >>> scores.shape
    (500,)
    >>> 700 <= 500 + int(np.argmin(scores)) < 710
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "transform", "inverse_transform"]), None],
        "window_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "aggregation": [StrOptions({"window", "step"})],
        **ThresholdMixin._parameter_constraints,
        "metric": [StrOptions({"mae", "mse"})],
        "scale": [StrOptions({"robust", "standard"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        window_size="auto",
        stride=1,
        aggregation="window",
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
        self.window_size = window_size
        self.stride = stride
        self.aggregation = aggregation
        self.contamination = contamination
        self.threshold = threshold
        self.n_std = n_std
        self.false_alarm_rate = false_alarm_rate
        self.calibration_fraction = calibration_fraction
        self.metric = metric
        self.scale = scale
        self.random_state = random_state

    # ------------------------------------------------------------------------- validation

    def _validate(self, X, reset):
        """`X` validated as a series: time-ordered, finite, 2-D, float."""
        index = _time_index(X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset,
                          ensure_all_finite=False, ensure_min_samples=1)
        _check_finite(X, index)
        if not reset:
            self._check_length(X.shape[0], "X")
        return X

    def _check_length(self, n_samples, what):
        if n_samples < self.window_size_:
            raise ValueError(
                f"{what} has n_samples={n_samples} time steps (rows), fewer than "
                f"window_size_={self.window_size_}: no window fits in it. Pass a series of "
                f"at least {self.window_size_} rows (e.g. prepend the last "
                f"{self.window_size_ - 1} rows of the series before it), or fit with a "
                "smaller window_size."
            )

    def _validate_data_for_predict(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    # ----------------------------------------------------------------------------- fitting

    def _calibration_rows(self, n_samples):
        """The rows held out for calibration: a contiguous block at the end of the series.

        Rows drawn at random, as for tabular data, would leave their neighbours (which
        share their windows) in the training rows: their scores would not be those of new
        data. The block at the end is scored as a new series.
        """
        if self.false_alarm_rate is None:
            return None, None
        n_calibration = int(np.ceil(self.calibration_fraction * n_samples))
        rows = np.arange(n_samples)
        return rows[: n_samples - n_calibration], rows[n_samples - n_calibration:]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the reconstruction model on the windows of the series `X`; set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training series: one row per time step (in time order), one column per
            channel. A pandas DataFrame with a time index must have it sorted.

        y : None
            Ignored. Present for API consistency.

        Returns
        -------
        self : object
            The fitted detector.
        """
        with unchanged_on_error(self):
            X = self._validate(X, reset=True)
            fit_rows, calibration_rows = self._calibration_rows(X.shape[0])
            X_fit = X if fit_rows is None else X[fit_rows]
            scaler = (
                None if self.scale is None
                else SCALERS[self.scale]().set_output(transform="default")
            )
            X_scaled = (X_fit if scaler is None
                        else check_scaled(scaler.fit_transform(X_fit), X_fit, self.scale))
            window_size = self._resolve_window_size(X_scaled, calibration_rows)
            self._check_fit_length(X.shape[0], X_fit.shape[0], calibration_rows, window_size)
            windows = self._windows(
                X_scaled, window_size, _window_starts(len(X_scaled), window_size, self.stride)
            )
            estimator = self._make_estimator(window_size, X.shape[1])
            with interrupt_scope() as training, warnings.catch_warnings():
                if self.estimator is None:
                    # The default's budget of epochs is ours, not the user's.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                estimator.fit(windows, None)
            self.scaler_ = scaler
            self.estimator_ = estimator
            self.window_size_ = window_size
            train_scores = self._score_scaled(X_scaled)
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

    def _resolve_window_size(self, X_scaled, calibration_rows):
        if self.window_size != "auto":
            return int(self.window_size)
        window_size = auto_window_size(X_scaled)
        if calibration_rows is not None:  # at most half of the held-out block, too
            window_size = max(2, min(window_size, len(calibration_rows) // 2))
        return window_size

    def _check_fit_length(self, n_samples, n_fit, calibration_rows, window_size):
        if n_fit < window_size:
            held = (
                "" if calibration_rows is None
                else f" once calibration_fraction={self.calibration_fraction} of them are "
                f"held out for calibration ({n_fit} left)"
            )
            raise ValueError(
                f"X has n_samples={n_samples} time steps (rows){held}, fewer than "
                f"window_size={window_size}: no window fits in it. Pass a longer series or "
                "a smaller window_size."
            )
        if calibration_rows is not None and len(calibration_rows) < window_size:
            raise ValueError(
                f"false_alarm_rate={self.false_alarm_rate} holds out the last "
                f"{len(calibration_rows)} rows (calibration_fraction="
                f"{self.calibration_fraction}) for calibration, fewer than "
                f"window_size={window_size}: no window fits in them. Pass a longer series "
                "or a larger calibration_fraction."
            )

    def _make_estimator(self, window_size, n_channels):
        n_window_features = window_size * n_channels
        if self.estimator is None:
            estimator = default_window_estimator(n_window_features)
        else:
            estimator = clone(self.estimator)
            # A sequence model reads each window as window_size steps of n_channels values.
            params = estimator.get_params(deep=False)
            if "n_timesteps" in params and params["n_timesteps"] is None:
                estimator.set_params(n_timesteps=window_size)
        return seed_unset_random_states(estimator, self.random_state)

    # --------------------------------------------------------------------------- windows

    @staticmethod
    def _windows(X, window_size, starts):
        """The windows of `X` at ``starts``, as rows: ``window_size`` steps of
        ``n_features`` values each, time step by time step (C order)."""
        view = np.lib.stride_tricks.sliding_window_view(X, window_size, axis=0)
        # view: (n_windows, n_features, window_size) -> rows of (window_size, n_features)
        return np.ascontiguousarray(view[starts].transpose(0, 2, 1)).reshape(len(starts), -1)

    def _step_errors(self, X_scaled, starts):
        """Errors of every step of the windows at ``starts`` (mean over channels)."""
        window_size, n_channels = self.window_size_, X_scaled.shape[1]
        windows = self._windows(X_scaled, window_size, starts)
        errors = reconstruction_errors(self.estimator_, windows, self.metric,
                                       what="the windows of X")
        return errors.reshape(len(windows), window_size, n_channels).mean(axis=2)

    def _score_scaled(self, X_scaled):
        n, w = X_scaled.shape[0], self.window_size_
        starts = _window_starts(n, w, self.stride)
        total, count = np.zeros(n), np.zeros(n)
        # Windows in chunks of about SCORE_CHUNK values: a long series never has all its
        # (overlapping) windows in memory at once.
        chunk = max(1, SCORE_CHUNK // (w * X_scaled.shape[1]))
        for i in range(0, len(starts), chunk):
            block = starts[i:i + chunk]
            errors = self._step_errors(X_scaled, block)
            if self.aggregation == "window":
                errors = np.repeat(errors.mean(axis=1, keepdims=True), w, axis=1)
            rows = (block[:, None] + np.arange(w)).ravel()
            total += np.bincount(rows, weights=errors.ravel(), minlength=n)
            count += np.bincount(rows, minlength=n)
        return -(total / count)

    # ------------------------------------------------------------------------- inference

    def _scale(self, X):
        return X if self.scaler_ is None else check_scaled(self.scaler_.transform(X), X, self.scale)

    def _score_samples(self, X):
        return self._score_scaled(self._scale(X))

    def score_samples(self, X):
        """Negative reconstruction error of each time step: the lower, the more abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A series (new, or the continuation of the training series) of at least
            ``window_size_`` time steps, with the channels seen in :meth:`fit`.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus the error of each time step, the mean of its errors in the windows that
            cover it, as float64.
        """
        X = self._validate_data_for_predict(X)
        return self._score_samples(X)


def _time_index(X):
    """The index of a pandas `X`, checked to be in time order; None for other `X`.

    The rows of a series are time steps: a pandas index that goes back in time or repeats
    a time stamp means rows out of order (a sort or a merge gone wrong, a clock change), and
    windows cut across them would mix moments that do not follow each other.
    """
    pandas = sys.modules.get("pandas")  # pandas is optional: X can be pandas only if loaded
    if pandas is None or not isinstance(X, (pandas.DataFrame, pandas.Series)):
        return None
    index = X.index
    if len(index) > 1 and not index.is_monotonic_increasing:
        try:
            back = int(np.argmax(np.asarray(index[1:] < index[:-1]))) + 1
        except TypeError:  # labels that do not compare (mixed types): not a time index
            return None
        raise ValueError(
            f"The time index of X is not increasing: rows must be time steps in time order "
            f"(row {back}, {index[back]}, comes after {index[back - 1]}). Sort the series "
            "first: X.sort_index()."
        )
    repeated = index[index.duplicated()]
    if len(repeated):
        shown = ", ".join(str(stamp) for stamp in repeated[:3])
        raise ValueError(
            f"The time index of X repeats {len(repeated)} time stamp(s) ({shown}"
            f"{', ...' if len(repeated) > 3 else ''}): each row must be its own time step. "
            "Keep one row per time stamp first, e.g. X.groupby(level=0).mean(), or pass "
            "the values without the index (X.to_numpy()) if the rows are in time order."
        )
    return index


def _check_finite(X, index):
    """A clear error, naming the time steps, where validated `X` holds NaN or infinity."""
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if not len(bad):
        return
    shown = bad[:5]
    rows = ", ".join(map(str, shown)) + (", ..." if len(bad) > len(shown) else "")
    at = "" if index is None else "; at " + ", ".join(str(index[i]) for i in shown)
    raise ValueError(
        f"Input X contains NaN or infinity in {len(bad)} time step(s) (rows {rows}{at}). A "
        "window cannot be rebuilt across a gap: fill the gaps first, e.g. X.interpolate() "
        "for a pandas DataFrame, or np.interp over the rows of each channel."
    )
