"""A threshold with a guarantee: ``false_alarm_rate``, conformal p-values, ``set_threshold``.

The guarantee (split-conformal): for a new inlier exchangeable with the rows held out for
calibration, ``P(pvalue <= a) <= a`` and ``P(flagged) <= false_alarm_rate``. Given one
calibration set of ``n`` rows, the false-alarm rate on new inliers is a random variable,
Beta(k, n + 1 - k) with ``k = floor(false_alarm_rate * (n + 1))``, of mean at most
``false_alarm_rate``; the false alarms among ``m`` test inliers then follow a
beta-binomial law. The tests check the observed counts against its 99.9% quantile, a
bound a correct implementation exceeds once in a thousand seeds and a threshold on
training errors (optimistic) breaks; the exact ranks are checked on their own.
"""

import re
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer, ReconstructionOutlierDetector
from sklearn_ae.datasets import ODDS_DATASETS, get_data_home, load_odds

ADBENCH = ("campaign", "Cardiotocography", "fault", "Hepatitis", "InternetAds", "landsat",
           "magic.gamma", "PageBlocks", "SpamBase", "Stamps", "WDBC", "yeast")


#: The 3-dimensional subspace near which every row of :func:`low_rank` lies.
BASIS = np.random.RandomState(42).normal(size=(3, 12))


def low_rank(n, seed=0):
    """Gaussian rows near a fixed 3-dimensional subspace, one distribution whatever ``seed``."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 3)) @ BASIS + 0.3 * rng.normal(size=(n, BASIS.shape[1]))


def false_alarm_bound(alpha, n_calibration, n_test, quantile=0.999):
    """The ``quantile`` of the number of false alarms among ``n_test`` new inliers."""
    k = int(np.floor(alpha * (n_calibration + 1) + 1e-9))
    return stats.betabinom(n_test, k, n_calibration + 1 - k).ppf(quantile)


def test_the_threshold_is_the_conformal_rank_of_the_held_out_scores():
    X = low_rank(500)
    det = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=0.1, random_state=0).fit(X)
    calibration = det.calibration_scores_
    assert len(calibration) == 100 and len(det.train_scores_) == 400
    # k = floor(0.1 * 101) = 10: the 10th lowest calibration score.
    assert det.offset_ == np.sort(calibration)[9]
    X_new = low_rank(300, seed=1)
    p = det.pvalues(X_new)
    expected = (1 + (calibration[None, :] <= det.score_samples(X_new)[:, None]).sum(1)) / 101
    np.testing.assert_array_equal(p, expected)
    # predict flags exactly the samples whose p-value is at most false_alarm_rate.
    np.testing.assert_array_equal(det.predict(X_new) == -1, p <= 0.1)
    np.testing.assert_array_equal(det.fit_predict(X), det.predict(X))


def test_the_held_out_rows_reach_neither_the_scaler_nor_the_model():
    X = low_rank(200)
    det = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=0.2,
                                        calibration_fraction=0.25, random_state=0).fit(X)
    held_out = np.isin(det.score_samples(X), det.calibration_scores_)
    fit_rows = ~held_out
    assert held_out.sum() == 50
    np.testing.assert_allclose(det.scaler_.center_, np.median(X[fit_rows], axis=0))
    np.testing.assert_allclose(det.estimator_.mean_,
                               det.scaler_.transform(X[fit_rows]).mean(axis=0))


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_new_inliers_are_flagged_at_most_at_the_stated_rate(alpha):
    # Many calibration rows, so that their scores pin the law of the p-values down.
    X = low_rank(12_000)
    det = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=alpha,
                                        calibration_fraction=0.75, random_state=0).fit(X)
    X_new = low_rank(3_000, seed=1)
    false_alarms = int((det.predict(X_new) == -1).sum())
    assert false_alarms <= false_alarm_bound(alpha, len(det.calibration_scores_), 3_000)
    # ... and not far fewer either: the threshold is calibrated, not merely safe.
    assert false_alarms >= stats.binom(3_000, alpha).ppf(0.001) * 0.8
    # The p-values of inliers are uniform.
    assert stats.kstest(det.pvalues(X_new), "uniform").pvalue > 1e-3


def test_a_threshold_on_training_errors_gives_no_such_guarantee():
    # What calibration fixes: the training errors of an overfit model are optimistic, so the
    # quantile of the training scores flags new inliers far more often than stated.
    rng = np.random.RandomState(0)
    X, X_new = rng.normal(size=(150, 20)), rng.normal(size=(2_000, 20))
    ae = AutoencoderTransformer(16, hidden_layer_sizes=(64,), max_iter=10, batch_size=16,
                                tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantile = ReconstructionOutlierDetector(ae, contamination=0.05, scale=None).fit(X)
        calibrated = ReconstructionOutlierDetector(ae, false_alarm_rate=0.05, scale=None,
                                                   calibration_fraction=0.3,
                                                   random_state=0).fit(X)
    assert np.mean(quantile.predict(X_new) == -1) > 0.15
    assert np.sum(calibrated.predict(X_new) == -1) <= false_alarm_bound(0.05, 45, 2_000)


def test_set_threshold_moves_the_false_alarm_rate_without_refitting():
    X = low_rank(1_000)
    det = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=0.1, random_state=0).fit(X)
    model = det.estimator_
    det.set_threshold(false_alarm_rate=0.02)
    assert det.estimator_ is model and det.false_alarm_rate == 0.02
    refit = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=0.02, random_state=0).fit(X)
    assert det.offset_ == refit.offset_
    np.testing.assert_array_equal(det.predict(X), refit.predict(X))


def test_errors_say_what_calibration_needs():
    X = low_rank(100)
    det = ReconstructionOutlierDetector(PCA(3), random_state=0).fit(X)
    assert det.calibration_scores_ is None
    with pytest.raises(ValueError, match=re.escape(
            "ReconstructionOutlierDetector.pvalues needs calibration scores, from rows held "
            "out of the model at fit time; this detector was fit with false_alarm_rate=None. "
            "Fit it with false_alarm_rate set (e.g. 0.01).")):
        det.pvalues(X)
    with pytest.raises(ValueError, match=re.escape(
            "set_threshold(false_alarm_rate=...) needs calibration scores")):
        det.set_threshold(false_alarm_rate=0.1)
    # Too few held-out rows for the rate: nothing could ever be flagged.
    small = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=0.01, random_state=0)
    with pytest.raises(ValueError, match=re.escape(
            "false_alarm_rate=0.01 is below 1 / (n + 1) for the n=20 calibration samples, the "
            "smallest p-value they can give: nothing could ever be flagged. Pass "
            "false_alarm_rate >= 0.0476, or hold out at least 99 samples")):
        small.fit(X)
    assert not hasattr(small, "offset_")
    calibrated = ReconstructionOutlierDetector(PCA(3), false_alarm_rate=0.1,
                                               random_state=0).fit(X)
    with pytest.raises(ValueError, match="nothing could ever be flagged"):
        calibrated.set_threshold(false_alarm_rate=0.001)
    assert calibrated.false_alarm_rate == 0.1  # unchanged by the refused call
    with pytest.raises(ValueError, match="which leaves none to fit the model on"):
        ReconstructionOutlierDetector(PCA(1), false_alarm_rate=0.5,
                                      calibration_fraction=0.9).fit(X[:5])


def _shared_sets():
    """The 23 real outlier sets beside the checkout, as (name, X, y), or a skip."""
    home = get_data_home(None)
    if not (home / "odds").is_dir() or not (home / "adbench").is_dir():
        pytest.skip("needs the real data sets: set SKLEARN_AE_DATA to the shared data folder")
    for name in ODDS_DATASETS:
        yield (name, *load_odds(name, data_home=home, return_X_y=True))
    for name in ADBENCH:
        with np.load(home / "adbench" / f"{name}.npz") as f:
            yield name, f["X"].astype(float), f["y"].astype(int)


def test_on_the_inliers_of_every_shared_set_false_alarms_stay_within_the_guarantee():
    # Novelty detection as the guarantee assumes: fit on inliers, flag new inliers.
    alpha, rates = 0.05, []
    for seed, (name, X, y) in enumerate(_shared_sets()):
        rng = np.random.RandomState(seed)
        inliers = rng.permutation(np.flatnonzero(y == 0))[:6_000]
        n_fit = int(0.6 * len(inliers))
        X_fit, X_new = X[inliers[:n_fit]], X[inliers[n_fit:]]
        det = ReconstructionOutlierDetector(
            PCA(min(3, X.shape[1] - 1)), false_alarm_rate=alpha, calibration_fraction=0.5,
            random_state=seed,
        ).fit(X_fit)
        false_alarms = int((det.predict(X_new) == -1).sum())
        bound = false_alarm_bound(alpha, len(det.calibration_scores_), len(X_new))
        assert false_alarms <= bound, name
        rates.append(false_alarms / len(X_new))
    # Averaged over the 23 sets, the rate is the stated one (the guarantee is on the mean).
    assert np.mean(rates) <= alpha + 0.01
