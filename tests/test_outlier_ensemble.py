"""The default detector's parts: the ensemble, the code-space term, the views, the trimmed loss."""

import re
import warnings

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae import AutoencoderTransformer, ReconstructionOutlierDetector
from sklearn_ae._modules import TrimmedL1Loss
from sklearn_ae._outlier import default_autoencoder
from sklearn_ae._scaling import _RankGaussianScaler

from _instances import low_rank

FAST_AE = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=5)


# ------------------------------------------------------------------ rank-Gaussian scaling


def test_rank_gaussian_makes_every_marginal_standard_normal():
    rng = np.random.RandomState(0)
    X = np.c_[rng.lognormal(sigma=2, size=2000), rng.poisson(3, size=2000),
              rng.uniform(size=2000) < 0.02, np.full(2000, 7.0)]
    Z = _RankGaussianScaler().fit_transform(X)
    # A heavy-tailed column becomes normal (its ranks, not its values, count).
    assert stats.kstest(Z[:, 0], "norm").pvalue > 0.05
    assert abs(Z[:, 1].mean()) < 0.1 and 0.8 < Z[:, 1].std() < 1.1
    # A rare binary value stands out by its rarity; a constant column is 0.
    low, high = np.unique(Z[:, 2])
    assert -0.1 < low < 0 and high > 2
    assert np.all(Z[:, 3] == 0)


def test_rank_gaussian_is_the_normal_score_of_the_mid_rank_and_monotone():
    X = np.array([[1.0], [2.0], [2.0], [5.0]])
    Z = _RankGaussianScaler().fit(X).transform(np.array([[1.0], [2.0], [3.5], [5.0]]))
    # Mid-ranks 1, 2.5 (tied), 4 of 4 rows: Phi^-1((r - 0.5) / 4); 3.5 is interpolated.
    expected = stats.norm.ppf([0.5 / 4, 2.0 / 4, np.nan, 3.5 / 4])
    expected[2] = (expected[1] + expected[3]) / 2
    np.testing.assert_allclose(Z.ravel(), expected, rtol=1e-12, atol=1e-12)


def test_rank_gaussian_tails_go_on_linearly_beyond_the_training_range():
    rng = np.random.RandomState(0)
    X = rng.normal(scale=5.0, size=(500, 1))
    scaler = _RankGaussianScaler().fit(X)
    top, bottom = X.max(), X.min()
    z_top, z_far = scaler.transform([[top], [top + 50.0]]).ravel()
    # Slope 1 / (IQR / 1.349), about 1 / 5 here: 50 units further is about 10 further.
    q1, q3 = np.percentile(X, [25, 75])
    assert z_far - z_top == pytest.approx(50.0 / ((q3 - q1) / 1.3489795), rel=1e-6)
    assert scaler.transform([[bottom - 50.0]])[0, 0] < scaler.transform([[bottom]])[0, 0] - 5


def test_rank_gaussian_keeps_a_bounded_number_of_knots():
    X = np.random.RandomState(0).normal(size=(5000, 2))
    scaler = _RankGaussianScaler(max_knots=100).fit(X)
    assert list(np.diff(scaler.knot_offsets_)) == [100, 100]
    full = _RankGaussianScaler().fit(X)
    # The coarser map is close to the full one (within the knots' spacing).
    assert np.abs(scaler.transform(X) - full.transform(X)).max() < 0.15
    assert np.abs(scaler.transform(X) - full.transform(X)).mean() < 0.01


# -------------------------------------------------------------------------- trimmed loss


def test_trimmed_loss_leaves_the_worst_rows_of_a_batch_out_of_the_gradient():
    target = torch.zeros(10, 3)
    output = torch.tensor([[0.1] * 3] * 9 + [[100.0] * 3], requires_grad=True)
    loss = TrimmedL1Loss(trim=0.1)(output, target)
    assert loss.item() == pytest.approx(0.1)  # the row of 100s is not in the mean
    loss.backward()
    assert torch.all(output.grad[9] == 0) and torch.all(output.grad[:9] != 0)
    # trim=0 is the plain mean absolute error; a batch too small to trim keeps every row.
    np.testing.assert_allclose(TrimmedL1Loss(trim=0.0)(output, target).item(),
                               torch.nn.L1Loss()(output, target).item(), rtol=1e-6)
    assert TrimmedL1Loss(trim=0.1)(output[:5], target[:5]).item() == pytest.approx(0.1)
    assert TrimmedL1Loss(reduction="none")(output, target).shape == (10, 3)


def test_trimmed_loss_lets_an_autoencoder_ignore_the_outliers_it_trains_on():
    X = low_rank(n=300, noise=0.02, seed=1).astype(np.float32)
    X_dirty = X.copy()
    X_dirty[:15] = np.random.RandomState(0).normal(scale=3.0, size=(15, 6))
    errors = {}
    for loss in ("mae", "trimmed_mae"):
        ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(32,), loss=loss,
                                    batch_size=32, max_iter=80, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ae.fit(X_dirty)
        errors[loss] = np.abs(ae.reconstruct(X_dirty) - X_dirty).mean(axis=1)
    # The outliers stop pulling the network: it rebuilds them worse, and still ranks them
    # above every clean row.
    assert np.median(errors["trimmed_mae"][:15]) > 1.05 * np.median(errors["mae"][:15])
    assert roc_auc_score(np.arange(300) < 15, errors["trimmed_mae"]) == 1.0


# -------------------------------------------------------------------------------- ensemble


def test_default_member_budget_follows_the_rows():
    small, large = default_autoencoder(40, 100), default_autoencoder(40, 2048)
    assert (small.batch_size, small.max_iter) == (32, 200)  # 800 // 4 = 200 epochs
    assert (large.batch_size, large.max_iter) == (32, 12)  # 800 // 64 = 12 epochs
    assert default_autoencoder(40, 10).batch_size == 10
    assert default_autoencoder(40, 100).n_components == 7  # ceil(sqrt(40))


@pytest.mark.parametrize(
    "params, n_rows, expected",
    [
        (dict(), 300, (1, 300, 0)),  # a given estimator: one model, all rows, no code term
        (dict(n_estimators=4), 300, (4, 150, 0)),
        (dict(n_estimators=4), 10_000, (4, 2048, 0)),
        (dict(n_estimators=3, max_samples=0.2), 300, (3, 60, 0)),
        (dict(n_estimators=3, max_samples=50, n_neighbors=4), 300, (3, 50, 4)),
        (dict(n_neighbors=500), 300, (1, 300, 299)),  # at most the reference rows - 1
    ],
)
def test_ensemble_sizes_resolve_as_documented(params, n_rows, expected):
    X = low_rank(n=n_rows, noise=0.1)
    detector = ReconstructionOutlierDetector(PCA(2), random_state=0, **params).fit(X)
    assert (detector.n_estimators_, detector.max_samples_, detector.n_neighbors_) == expected
    assert [len(rows) for rows in detector.estimators_samples_] == [expected[1]] * expected[0]
    assert len(detector.estimators_) == len(detector.scalers_) == expected[0]


def test_a_single_model_without_the_code_term_scores_its_raw_error():
    X = low_rank(n=200, noise=0.1)
    detector = ReconstructionOutlierDetector(PCA(2), random_state=0).fit(X)
    np.testing.assert_array_equal(detector.score_samples(X), -detector.reconstruction_error(X))
    # With the code term (or several models), terms are standardised on the training rows.
    both = ReconstructionOutlierDetector(PCA(2), n_neighbors=5, random_state=0).fit(X)
    terms = -both.train_scores_  # sum of two terms, each (value - median) / spread
    assert abs(np.median(terms)) < 1.0 and not np.allclose(
        both.score_samples(X), -both.reconstruction_error(X))


def test_max_samples_above_the_rows_warns_and_uses_them_all():
    X = low_rank(n=40)
    with pytest.warns(UserWarning, match=re.escape(
            "max_samples=100 is greater than the number of training samples (40)")):
        detector = ReconstructionOutlierDetector(PCA(2), n_estimators=2, max_samples=100).fit(X)
    assert detector.max_samples_ == 40


def test_scale_auto_alternates_views_and_a_fixed_scale_applies_to_all():
    X = low_rank(n=100)
    mixed = ReconstructionOutlierDetector(PCA(2), n_estimators=3, random_state=0).fit(X)
    assert [type(s).__name__ for s in mixed.scalers_] == [
        "_RobustScaler", "_RankGaussianScaler", "_RobustScaler"]
    fixed = ReconstructionOutlierDetector(PCA(2), n_estimators=3, scale="rank_gaussian",
                                          random_state=0).fit(X)
    assert {id(s) for s in fixed.scalers_} == {id(fixed.scalers_[0])}
    none = ReconstructionOutlierDetector(PCA(2), n_estimators=2, scale=None).fit(X)
    assert none.scalers_ == [None, None]


def test_the_code_term_finds_what_reconstructs_well_but_lies_where_no_row_does():
    # Two tight clusters on a plane: a point on the plane between them is rebuilt exactly
    # by PCA(2) (no reconstruction error), but its code is far from every training code.
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(2, 5))
    centres = np.array([[-4.0, 0.0], [4.0, 0.0]])
    latent = centres[rng.randint(2, size=400)] + 0.3 * rng.normal(size=(400, 2))
    X = latent @ basis + 0.01 * rng.normal(size=(400, 5))
    gap = np.array([[0.0, 0.0]]) @ basis
    inliers = (centres[[0, 1]] + 0.3 * rng.normal(size=(2, 2))) @ basis
    X_test = np.vstack([gap, inliers])
    error_only = ReconstructionOutlierDetector(PCA(2), random_state=0).fit(X)
    with_codes = ReconstructionOutlierDetector(PCA(2), n_neighbors=10, random_state=0).fit(X)
    assert error_only.score_samples(X_test).argmin() != 0  # reconstruction misses it
    scores = with_codes.score_samples(X_test)
    assert scores.argmin() == 0 and with_codes.predict(X_test)[0] == -1


def test_the_training_rows_are_scored_as_score_samples_scores_them():
    X = low_rank(n=150, noise=0.1)
    detector = ReconstructionOutlierDetector(
        FAST_AE, n_estimators=3, n_neighbors=5, contamination=0.1, random_state=0).fit(X)
    np.testing.assert_array_equal(detector.train_scores_, detector.score_samples(X))
    assert (detector.predict(X) == -1).sum() == 15


def test_ensemble_is_reproducible_and_each_member_differs():
    X = low_rank(n=120, noise=0.1)
    a = ReconstructionOutlierDetector(FAST_AE, n_estimators=3, random_state=0).fit(X)
    b = ReconstructionOutlierDetector(FAST_AE, n_estimators=3, random_state=0).fit(X)
    c = ReconstructionOutlierDetector(FAST_AE, n_estimators=3, random_state=1).fit(X)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    assert not np.array_equal(a.score_samples(X), c.score_samples(X))
    seeds = [est.random_state for est in a.estimators_]
    assert len(set(seeds)) == 3 and FAST_AE.random_state is None  # the user's is untouched


def test_reconstruction_error_of_an_ensemble_is_the_members_mean():
    X = low_rank(n=100, noise=0.1)
    detector = ReconstructionOutlierDetector(PCA(2), n_estimators=2, scale="robust",
                                             random_state=0).fit(X)
    Z = detector.scaler_.transform(X)
    expected = np.mean([np.abs(pca.inverse_transform(pca.transform(Z)) - Z)
                        for pca in detector.estimators_], axis=0)
    np.testing.assert_allclose(detector.reconstruction_error(X, per_feature=True), expected)


@pytest.mark.parametrize(
    "params, msg",
    [
        (dict(n_estimators=0), "The 'n_estimators' parameter"),
        (dict(max_samples=0.0), "The 'max_samples' parameter"),
        (dict(max_samples=1.5), "The 'max_samples' parameter"),
        (dict(n_neighbors=-1), "The 'n_neighbors' parameter"),
        (dict(scale="quantile"), "The 'scale' parameter"),
    ],
)
def test_bad_ensemble_parameters(params, msg):
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        ReconstructionOutlierDetector(PCA(1), **params).fit(low_rank(n=30))
