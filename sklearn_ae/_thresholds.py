"""Where an outlier detector puts its threshold: :class:`ThresholdMixin`.

A detector mixes it in on the left when it scores samples as scikit-learn's detectors do
(``score_samples``: the lower, the more abnormal). The threshold, ``offset_``, comes from
one of three rules:

- ``contamination`` a float: that quantile of the training scores, as in
  :class:`~sklearn.ensemble.IsolationForest`;
- ``contamination='auto'``: ``n_std`` (robust) standard deviations above the centre of the
  training errors (``threshold``: the median and MAD, or the mean and standard deviation);
- ``false_alarm_rate`` a float: split-conformal calibration. A share of the training rows
  (``calibration_fraction``) is held out from the model; a new sample's conformal p-value
  is the rank of its score among the scores of those rows, and ``predict`` flags it when
  its p-value is at most ``false_alarm_rate``. For a new inlier exchangeable with the
  calibration rows (drawn from the same distribution), the chance of a false alarm is at
  most ``false_alarm_rate``, whatever the model and the sample size (Vovk et al.,
  "Algorithmic Learning in a Random World", 2005; Bates et al., "Testing for outliers with
  conformal p-values", Annals of Statistics 2023).
"""

from numbers import Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

#: Robust standard deviation per median absolute deviation: 1 / Phi^-1(3/4), so that the
#: two agree for normally distributed data.
MAD_TO_STD = 1.482602218505602


class ThresholdMixin:
    """The threshold rules of an outlier detector, its :meth:`set_threshold` and p-values.

    The detector declares ``contamination``, ``threshold``, ``n_std``, ``false_alarm_rate``
    and ``calibration_fraction`` in its ``__init__`` and adds
    :attr:`_parameter_constraints` to its own. Its ``fit`` holds out the rows of
    :meth:`_calibration_rows` from its model, then calls :meth:`_set_threshold_from` with
    the scores of the rows the model was fit on and of those held out; it implements
    ``_score_samples`` (scores of validated `X`) and ``_validate_data_for_predict``. The
    mixin gives it ``decision_function``, ``predict``, ``set_threshold`` and ``pvalues``.
    """

    _parameter_constraints: dict = {
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "threshold": [StrOptions({"median_mad", "mean_std"})],
        "n_std": [Interval(Real, 0, None, closed="left")],
        "false_alarm_rate": [Interval(Real, 0, 1, closed="neither"), None],
        "calibration_fraction": [Interval(Real, 0, 1, closed="neither")],
    }

    def _calibration_rows(self, n_samples):
        """``(fit_rows, calibration_rows)`` of `X`, or ``(None, None)`` without calibration.

        The calibration rows, ``ceil(calibration_fraction * n_samples)`` of them, are drawn
        at random (from ``random_state``) and never reach the model.
        """
        if self.false_alarm_rate is None:
            return None, None
        n_calibration = int(np.ceil(self.calibration_fraction * n_samples))
        if n_calibration >= n_samples:
            raise ValueError(
                f"false_alarm_rate={self.false_alarm_rate} holds out calibration_fraction="
                f"{self.calibration_fraction} of the {n_samples} samples for calibration, "
                "which leaves none to fit the model on. Pass more samples or a smaller "
                "calibration_fraction."
            )
        order = check_random_state(self.random_state).permutation(n_samples)
        return np.sort(order[n_calibration:]), np.sort(order[:n_calibration])

    def _set_threshold_from(self, train_scores, calibration_scores=None):
        """Store the scores the threshold comes from, then the threshold itself."""
        self.train_scores_ = train_scores
        self.calibration_scores_ = calibration_scores
        self.offset_ = self._offset()

    def _offset(self):
        if self.false_alarm_rate is not None:
            return self._conformal_offset()
        train_scores = self.train_scores_
        if self.contamination != "auto":
            return float(np.percentile(train_scores, 100.0 * self.contamination))
        errors = -train_scores
        if self.threshold == "mean_std":
            centre, spread = errors.mean(), errors.std()
        else:
            centre = np.median(errors)
            spread = MAD_TO_STD * np.median(np.abs(errors - centre))
            if spread == 0:  # more than half of the errors are equal
                spread = errors.std()
        return -float(centre + self.n_std * spread)

    def _conformal_offset(self):
        """The ``k``-th lowest calibration score, ``k = floor(false_alarm_rate * (n + 1))``.

        A sample scoring below it has ``1 + #{calibration scores <= its score} <= k``, i.e.
        a conformal p-value of at most ``false_alarm_rate``: it is flagged.
        """
        scores = self.calibration_scores_
        if scores is None:
            raise ValueError(
                f"{type(self).__name__} was fit without calibration (false_alarm_rate=None), "
                "so no held-out scores give a false-alarm rate. Fit it again with "
                "false_alarm_rate set."
            )
        n = len(scores)
        k = int(np.floor(self.false_alarm_rate * (n + 1) + 1e-9))  # no rounding below k
        if k < 1:
            raise ValueError(
                f"false_alarm_rate={self.false_alarm_rate} is below 1 / (n + 1) for the n={n} "
                f"calibration samples, the smallest p-value they can give: nothing could "
                f"ever be flagged. Pass false_alarm_rate >= {1 / (n + 1):.3g}, or hold out "
                f"at least {int(np.ceil(1 / self.false_alarm_rate)) - 1} samples (more "
                "samples, or a larger calibration_fraction)."
            )
        return float(np.sort(scores)[k - 1])

    def set_threshold(self, *, contamination=None, threshold=None, n_std=None,
                      false_alarm_rate=None):
        """Change the threshold without refitting the model.

        The parameters given replace the detector's (the others are kept) and ``offset_``
        is recomputed from the stored scores (``train_scores_``, or
        ``calibration_scores_`` for ``false_alarm_rate``). The detector ends in the state
        that fitting it afresh with the new parameters would give (for the same fitted
        model). ``false_alarm_rate`` can only be changed on a detector fit with one, whose
        calibration rows were held out.

        Parameters
        ----------
        contamination : 'auto' or float, default=None
            New value of ``contamination``, in (0, 0.5], or ``'auto'``. None keeps the
            current value.

        threshold : {'median_mad', 'mean_std'}, default=None
            New value of ``threshold``, the rule of ``contamination='auto'``. None keeps
            the current value.

        n_std : float, default=None
            New value of ``n_std`` (used when ``contamination='auto'``). None keeps the
            current value.

        false_alarm_rate : float, default=None
            New target rate of false alarms, in (0, 1). None keeps the current value.

        Returns
        -------
        self : object
            The detector, with the new parameters and ``offset_``.
        """
        check_is_fitted(self)
        new = {
            key: value
            for key, value in {
                "contamination": contamination, "threshold": threshold, "n_std": n_std,
                "false_alarm_rate": false_alarm_rate,
            }.items()
            if value is not None
        }
        validate_parameter_constraints(
            {key: self._parameter_constraints[key] for key in new},
            new,
            caller_name=f"{type(self).__name__}.set_threshold",
        )
        if "false_alarm_rate" in new and self.calibration_scores_ is None:
            raise ValueError(
                f"{type(self).__name__}.set_threshold(false_alarm_rate=...) needs calibration "
                "scores, from rows held out of the model at fit time; this detector was fit "
                "with false_alarm_rate=None. Fit it with false_alarm_rate set."
            )
        previous = self.get_params(deep=False)
        self.set_params(**new)
        try:
            self.offset_ = self._offset()
        except ValueError:
            self.set_params(**{key: previous[key] for key in new})  # nothing changes
            raise
        return self

    def pvalues(self, X):
        """Conformal p-value of each sample: how unusual its score is among inliers'.

        ``(1 + #{calibration scores <= score}) / (n_calibration + 1)``, from the scores of
        the rows held out for calibration (``calibration_scores_``). For a new inlier
        exchangeable with them, ``P(pvalue <= a) <= a`` for every ``a``: p-values of
        inliers are (slightly conservatively) uniform, those of outliers small. ``predict``
        flags the samples whose p-value is at most ``false_alarm_rate``. To test many
        samples at once while bounding the share of false discoveries, apply the
        Benjamini-Hochberg procedure to these p-values (Bates et al., 2023).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        pvalues : ndarray of shape (n_samples,)
            In ``[1 / (n_calibration + 1), 1]``, as float64. Lower means more abnormal.
        """
        X = self._validate_data_for_predict(X)
        calibration = self.calibration_scores_
        if calibration is None:
            raise ValueError(
                f"{type(self).__name__}.pvalues needs calibration scores, from rows held out "
                "of the model at fit time; this detector was fit with false_alarm_rate=None. "
                "Fit it with false_alarm_rate set (e.g. 0.01)."
            )
        ranks = np.searchsorted(np.sort(calibration), self._score_samples(X), side="right")
        return (1.0 + ranks) / (len(calibration) + 1.0)

    def decision_function(self, X):
        """Shifted score of each sample: negative for outliers, positive or zero for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data (for a detector of time series, a series: one row per time step).

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
            The data (for a detector of time series, a series: one row per time step).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for outliers, 1 for inliers (ints).
        """
        X = self._validate_data_for_predict(X)
        return np.where(self._score_samples(X) - self.offset_ >= 0, 1, -1)
