"""How the outlier detector puts features on one scale: robust and rank-Gaussian scalers.

A reconstruction error summed over features is decided by the features with the largest
units, so :class:`~sklearn_ae.ReconstructionOutlierDetector` scales every feature with
statistics of its training rows first. Two views of a column:

- :class:`_RobustScaler`: median and interquartile range (the standard deviation where the
  IQR is zero), linear, so distances keep their meaning;
- :class:`_RankGaussianScaler`: each column's ranks mapped to standard normal scores, so a
  binary, count, heavy-tailed or nearly constant column weighs like any other, with linear
  tails beyond the training range so that a value more extreme than any seen in training
  still stands out by how far it lies.
"""

import numpy as np
from scipy.special import ndtri
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

def nan_aware(function, X):
    """``function`` (np.percentile, np.std), or its NaN-skipping twin where `X` has NaN.

    The plain one where there is none, so that complete data are scaled exactly as before.
    """
    if not np.isnan(X).any():
        return function
    return {np.percentile: np.nanpercentile, np.std: np.nanstd}[function]


#: IQR of a standard normal distribution: IQR / 1.349 estimates a normal's standard deviation.
NORMAL_IQR = 1.3489795003921634


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
        q1, q3 = nan_aware(np.percentile, X)(X, self.quantile_range, axis=0)
        std = nan_aware(np.std, X)(X, axis=0)
        fallback = np.where(std > 0, std, 1.0)
        self.scale_ = np.where(q3 - q1 > 0, self.scale_, fallback)
        return self


class _RankGaussianScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Map each column to normal scores of its ranks, with linear tails.

    Fitting sorts the distinct training values :math:`v_1 < \\dots < v_m` of a column and
    gives each the normal score :math:`\\Phi^{-1}((r_i - 1/2) / n)` of its mid-rank
    :math:`r_i` among the ``n`` training rows (tied rows share their mean rank). A value
    between two training values is interpolated linearly; beyond the training range the map
    goes on linearly with slope ``1 / s``, ``s`` the column's robust spread (IQR / 1.349, its
    standard deviation where the IQR is zero, 1 for a constant column), so that a new value
    more extreme than every training value maps further out in proportion to its distance.
    A constant column maps to 0.

    Every marginal thus becomes roughly standard normal: a 0/1 column with 2% of ones maps to
    about -0.03 and 2.3, a count or heavy-tailed column no longer lets its extremes decide
    the reconstruction loss. Unlike :class:`~sklearn.preprocessing.QuantileTransformer`,
    which clips new values to the range seen in training, an extreme new value is not
    hidden.

    Missing values (NaN) are left out of the fit (the ranks are among a column's observed
    values) and stay NaN in the output.

    Parameters
    ----------
    max_knots : int, default=1000
        Most interpolation knots kept per column: a column with more distinct values keeps
        this many, evenly spaced in rank (the smallest and largest always), so that memory
        and time stay bounded for large data.
    """

    def __init__(self, max_knots=1000):
        self.max_knots = max_knots

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")
        values, scores, offsets = [], [], [0]
        for column in X.T.astype(np.float64):
            column = column[~np.isnan(column)]  # the observed values
            n = len(column)
            v, counts = np.unique(column, return_counts=True)
            if n == 0:  # no observed value: a constant column
                v, z = np.zeros(1), np.zeros(1)
            elif len(v) == 1:
                z = np.zeros(1)
            else:
                below = np.cumsum(counts) - counts
                z = ndtri((below + (counts + 1) / 2 - 0.5) / n)
            if len(v) > self.max_knots:
                keep = np.unique(np.linspace(0, len(v) - 1, self.max_knots).round().astype(int))
                v, z = v[keep], z[keep]
            values.append(v)
            scores.append(z)
            offsets.append(offsets[-1] + len(v))
        self.knots_ = np.concatenate(values)
        self.normal_scores_ = np.concatenate(scores)
        self.knot_offsets_ = np.asarray(offsets)
        q1, q3 = nan_aware(np.percentile, X)(X, [25, 75], axis=0)
        spread = (q3 - q1) / NORMAL_IQR
        std = nan_aware(np.std, X)(X, axis=0)
        spread, std = np.nan_to_num(spread), np.nan_to_num(std)  # columns without values
        self.tail_slope_ = 1.0 / np.where(spread > 0, spread, np.where(std > 0, std, 1.0))
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], reset=False, ensure_all_finite="allow-nan"
        )
        out = np.empty(X.shape, dtype=np.float64)
        for j in range(X.shape[1]):
            start, stop = self.knot_offsets_[j], self.knot_offsets_[j + 1]
            v, z = self.knots_[start:stop], self.normal_scores_[start:stop]
            x = X[:, j].astype(np.float64)
            column = np.interp(x, v, z)
            above, below = x > v[-1], x < v[0]
            column[above] = z[-1] + (x[above] - v[-1]) * self.tail_slope_[j]
            column[below] = z[0] + (x[below] - v[0]) * self.tail_slope_[j]
            out[:, j] = column  # NaN stays NaN: np.interp and the tails keep it
        return out.astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def check_scaled(X_scaled, X, scale):
    """`X_scaled` (`X` through the ``scale`` scaler) as an array, or a clear error where
    scaling overflowed."""
    X_scaled = np.asarray(X_scaled)
    missing = np.isnan(X)  # NaN is allowed where X is missing, and only there
    if not np.isfinite(X_scaled[~missing] if missing.any() else X_scaled).all():
        raise ValueError(
            f"scale={scale!r} turned X into NaN or infinity: its values (up to "
            f"{np.nanmax(np.abs(X)):.3g} in absolute value) are too large to scale in "
            f"{X.dtype}. Divide X by a large constant first, or pass scale=None."
        )
    return X_scaled


#: The ``scale`` options of the detector: a factory of an unfitted scaler each.
SCALERS = {
    "standard": StandardScaler,
    "robust": lambda: _RobustScaler(unit_variance=True),
    "rank_gaussian": _RankGaussianScaler,
}
