"""Behaviour of VariationalAutoencoder: the KL term, sampling, deterministic maps, scores."""

import re

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from _instances import mixture
from sklearn_ae import ReconstructionOutlierDetector, VariationalAutoencoder
from sklearn_ae._modules import VariationalAutoencoderModule, gaussian_kl

FAST = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)


def energy_distance(a, b):
    """Energy distance between two samples: zero when they come from one distribution."""
    return 2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean()


@pytest.fixture(scope="module")
def fitted_on_mixture():
    X = mixture(1500)
    vae = VariationalAutoencoder(2, hidden_layer_sizes=(64, 64), max_iter=60,
                                 random_state=0).fit(X)
    plain = VariationalAutoencoder(2, hidden_layer_sizes=(64, 64), beta=0.0, max_iter=60,
                                   random_state=0).fit(X)
    return X, vae, plain


# --------------------------------------------------------------------- the KL term


def test_the_kl_term_is_real_and_pulls_the_codes_to_a_standard_normal(fitted_on_mixture):
    X, vae, plain = fitted_on_mixture
    # Measured: 1.3 nats with beta=1, 22 with beta=0 (a plain autoencoder with a noisy code).
    assert vae.kl_curve_[-1] > 0.5
    assert vae.kl_curve_[-1] < 0.25 * plain.kl_curve_[-1]
    codes = vae.transform(X)
    np.testing.assert_allclose(codes.mean(axis=0), 0, atol=0.2)
    # Posterior means spread a little less than the prior: the rest is posterior variance.
    assert np.all((codes.std(axis=0) > 0.5) & (codes.std(axis=0) < 1.2))
    # Without the KL term nothing holds the codes near N(0, 1) (measured: mean -3, std 3).
    loose = plain.transform(X)
    assert np.abs(loose.std(axis=0) - 1).max() > 1


def test_loss_is_reconstruction_plus_beta_kl_per_feature():
    X = mixture(300)
    vae = VariationalAutoencoder(2, beta=0.5, **FAST).fit(X)
    expected = np.add(vae.reconstruction_curve_, 0.5 * np.array(vae.kl_curve_) / X.shape[1])
    np.testing.assert_allclose(vae.loss_curve_, expected, rtol=1e-6)
    plain = VariationalAutoencoder(2, beta=0.0, **FAST).fit(X)
    np.testing.assert_allclose(plain.loss_curve_, plain.reconstruction_curve_, rtol=1e-6)
    assert len(vae.kl_curve_) == len(vae.loss_curve_) == vae.n_iter_


def test_training_samples_the_code_and_evaluation_uses_the_mean():
    torch.manual_seed(0)
    module = VariationalAutoencoderModule(5, 2, (8,), dtype=torch.float64)
    x = torch.randn(4, 5, dtype=torch.float64)
    module.train()
    assert not torch.equal(module(x), module(x))
    module.eval()
    torch.testing.assert_close(module(x), module.decode(module.encode(x)), rtol=0, atol=0)
    mu, logvar = module.encode_distribution(x)
    expected = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected)
    assert torch.all(gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2)) == 0)


# ------------------------------------------------------------------------ sampling


def test_samples_resemble_the_training_data(fitted_on_mixture):
    X, vae, _ = fitted_on_mixture
    X_test = mixture(1500, seed=1)
    samples = vae.sample(1500, random_state=0)
    uniform = np.random.RandomState(0).uniform(X.min(axis=0), X.max(axis=0), size=(1500, 2))
    # Measured: 0.06 for the samples, 0.21 for uniform noise over the data's bounding box.
    assert energy_distance(samples, X_test) < 0.4 * energy_distance(uniform, X_test)
    # Each of the three clusters gets a fair share of the samples.
    nearest = cdist(samples, [[-2, 0], [2, 0], [0, 3]]).argmin(axis=1)
    assert np.bincount(nearest, minlength=3).min() > 0.15 * len(samples)


def test_sample_is_seeded_locally_and_keeps_the_dtype():
    X = mixture(100).astype(np.float32)
    vae = VariationalAutoencoder(2, **FAST).fit(X)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    a = vae.sample(5, random_state=0)
    b = vae.sample(5, random_state=0)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    # None is numpy's global generator, as in scikit-learn: np.random.seed reproduces it.
    np.random.seed(1)
    c = vae.sample(5)
    d = vae.sample(5)
    np.random.seed(1)
    np.testing.assert_array_equal(vae.sample(5), c)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(c, d)
    with pytest.raises(TypeError, match=re.escape(
            "VariationalAutoencoder.sample: n_samples must be an int, the number of samples "
            "to generate; got the bool True. Pass e.g. n_samples=10.")):
        vae.sample(True)
    assert a.shape == (5, 2) and a.dtype == np.float32
    rng = np.random.RandomState(0)
    assert not np.allclose(vae.sample(5, random_state=rng), vae.sample(5, random_state=rng))
    # The decoder of prior draws: sample is inverse_transform of standard normal codes.
    codes = np.random.default_rng(3).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_allclose(vae.inverse_transform(codes), vae.net_.module_.decode(
        torch.from_numpy(codes)).detach().numpy(), rtol=1e-6)


# --------------------------------------------------------------- deterministic maps


def test_transform_and_scores_are_identical_across_calls():
    X = mixture(200)
    vae = VariationalAutoencoder(2, **FAST).fit(X)
    np.testing.assert_array_equal(vae.transform(X), vae.transform(X))
    np.testing.assert_array_equal(vae.score_samples(X), vae.score_samples(X))
    np.testing.assert_array_equal(vae.reconstruct(X), vae.reconstruct(X))
    assert vae.score(X) == vae.score(X)
    codes = vae.transform(X)
    vae._predict_batch_size = 7
    np.testing.assert_allclose(vae.transform(X), codes, rtol=1e-12)


def test_score_samples_is_the_negative_elbo_per_feature_at_the_posterior_mean():
    X = mixture(50)
    vae = VariationalAutoencoder(2, **FAST).fit(X)
    module = vae.net_.module_.eval()
    with torch.no_grad():
        mu, logvar = module.encode_distribution(torch.from_numpy(X))
        rec = ((module.decode(mu) - torch.from_numpy(X)) ** 2).mean(dim=1)
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1)
    expected = -(rec + kl / 2).numpy()
    scores = vae.score_samples(X)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, expected, rtol=1e-10)
    assert vae.score(X) == pytest.approx(expected.mean())
    # Whatever beta trained the model, the score weighs the KL term by 1.
    beta = VariationalAutoencoder(2, beta=5.0, **FAST).fit(X)
    with torch.no_grad():
        mu, logvar = beta.net_.module_.eval().encode_distribution(torch.from_numpy(X))
        kl = gaussian_kl(mu, logvar).numpy()
    reconstruction = np.mean((beta.reconstruct(X) - X) ** 2, axis=1)
    np.testing.assert_allclose(-beta.score_samples(X), reconstruction + kl / 2, rtol=1e-10)


def test_bce_score_is_the_bernoulli_elbo_per_feature(digits):
    X, _ = digits
    X = X[:200]
    vae = VariationalAutoencoder(4, loss="bce", **FAST).fit(X)
    assert vae.output_activation_ == "sigmoid"
    x = torch.from_numpy(X)
    with torch.no_grad():
        mu, logvar = vae.net_.module_.eval().encode_distribution(x)
        kl = gaussian_kl(mu, logvar)
    bce = torch.nn.functional.binary_cross_entropy(
        torch.from_numpy(vae.reconstruct(X)), x, reduction="none").mean(dim=1)
    np.testing.assert_allclose(-vae.score_samples(X), (bce + kl / 64).numpy(), rtol=1e-10)


def test_learns_the_digits_and_its_elbo_beats_a_short_fit(digits):
    X, _ = digits
    X = X.astype(np.float32)
    short = VariationalAutoencoder(8, loss="bce", max_iter=1, random_state=0).fit(X)
    vae = VariationalAutoencoder(8, loss="bce", max_iter=30, random_state=0).fit(X)
    # The decoder starts at the pixels' mean; the trained one must beat that constant guess.
    p = X.mean(axis=0).clip(0.01, 0.99)
    constant_bce = -np.mean(X * np.log(p) + (1 - X) * np.log(1 - p))
    assert vae.reconstruction_curve_[-1] < 0.9 * constant_bce
    assert vae.score(X) > short.score(X) + 0.02
    assert vae.sample(10, random_state=0).min() >= 0  # sigmoid output, like the pixels


# ------------------------------------------------------------------ composition


def test_works_inside_the_outlier_detector():
    rng = np.random.RandomState(0)
    z = rng.normal(size=(400, 1))
    X = np.hstack([z, 2 * z, -z, 0.5 * z]) + 0.05 * rng.normal(size=(400, 4))
    outliers = rng.uniform(-3, 3, size=(20, 4))
    detector = ReconstructionOutlierDetector(
        VariationalAutoencoder(1, hidden_layer_sizes=(16,), max_iter=60), random_state=0
    ).fit(X)
    scores = detector.score_samples(np.vstack([X, outliers]))
    labels = np.r_[np.ones(len(X)), np.zeros(len(outliers))]
    assert roc_auc_score(labels, scores) > 0.95
    np.testing.assert_array_equal(scores, detector.score_samples(np.vstack([X, outliers])))
    assert isinstance(detector.estimator_, VariationalAutoencoder)


def test_early_stopping_records_the_validation_objective():
    X = mixture(200)
    vae = VariationalAutoencoder(2, early_stopping=True, **FAST).fit(X)
    history = vae.net_.history
    valid = np.array(history[:, "valid_reconstruction"]) + np.array(history[:, "valid_kl"]) / 2
    np.testing.assert_allclose(vae.validation_scores_, -valid, rtol=1e-6)


def test_a_warm_fit_continues_every_curve():
    X = mixture(60)
    vae = VariationalAutoencoder(2, warm_start=True, **FAST).fit(X)
    vae.fit(X)
    assert vae.n_iter_ == 6 and len(vae.kl_curve_) == len(vae.reconstruction_curve_) == 6


# ------------------------------------------------------------------------ errors


def test_errors_name_the_parameter_and_the_value():
    X = mixture(30)
    msg = ("The 'beta' parameter of VariationalAutoencoder must be a float in the range "
           "[0.0, inf). Got -1.0 instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        VariationalAutoencoder(beta=-1.0).fit(X)
    with pytest.raises(NotFittedError):
        VariationalAutoencoder().sample(2)
    vae = VariationalAutoencoder(2, **FAST).fit(X)
    msg = ("The 'n_samples' parameter of VariationalAutoencoder.sample must be an int in the "
           "range [1, inf). Got 0 instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        vae.sample(0)
    with pytest.raises(InvalidParameterError, match="'random_state' parameter"):
        vae.sample(2, random_state="zero")


def test_a_warm_fit_and_partial_fit_train_with_the_new_beta():
    X = mixture(300)
    vae = VariationalAutoencoder(2, warm_start=True, **FAST).fit(X)
    vae.set_params(beta=0.0, max_iter=2).fit(X)
    assert vae.net_.beta == 0.0
    # The epochs after the change minimise the reconstruction alone.
    np.testing.assert_allclose(vae.loss_curve_[3:], vae.reconstruction_curve_[3:], rtol=1e-6)
    vae.set_params(beta=2.0).partial_fit(X)
    assert vae.loss_curve_[-1] == pytest.approx(
        vae.reconstruction_curve_[-1] + 2.0 * vae.kl_curve_[-1] / X.shape[1], rel=1e-6)


def test_sample_keeps_the_fitted_code_width_after_set_params():
    vae = VariationalAutoencoder(3, **FAST).fit(mixture(200))
    vae.set_params(n_components=5)  # changes the next fit, not this network
    assert vae.sample(4, random_state=0).shape == (4, 2)
    assert vae.transform(mixture(10)).shape == (10, 3)
    assert vae.inverse_transform(np.zeros((2, 3))).shape == (2, 2)
    assert vae.get_feature_names_out().tolist() == [f"variationalautoencoder{i}" for i in range(3)]


def test_bce_scores_refuse_values_outside_the_unit_interval(digits):
    X = digits[0][:200]
    vae = VariationalAutoencoder(4, loss="bce", **FAST).fit(X)
    msg = ("VariationalAutoencoder with loss='bce' scores X in [0, 1] only (a Bernoulli "
           "likelihood); got values in [-1, 1]. Scale X as for fit, e.g. with "
           "sklearn.preprocessing.MinMaxScaler, or use loss='mse'.")
    X_bad = X.copy()
    X_bad[0, 0] = -1.0
    with pytest.raises(ValueError, match=re.escape(msg)):
        vae.score_samples(X_bad)
    with pytest.raises(ValueError, match=re.escape(msg)):
        vae.score(X_bad)
    assert np.isfinite(vae.score_samples(X)).all()
