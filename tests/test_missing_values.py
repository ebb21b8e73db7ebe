"""Missing values (NaN) in the NaN-aware dense families and in the outlier detector.

What :class:`~sklearn_ae._missing.MissingValuesMixin` adds: the tags, the masked losses,
the filled inputs, scores over observed entries, and the errors for rows and data without
any observed value. The imputer built on them is tested in ``test_impute.py``.
"""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.decomposition import PCA

from _instances import make
from sklearn_ae import AutoencoderTransformer, ReconstructionOutlierDetector
from sklearn_ae._scaling import _RankGaussianScaler, _RobustScaler
from sklearn_ae._training import LOSSES, MASKED_LOSSES

NAN_AWARE = ["AutoencoderTransformer", "DenoisingAutoencoder"]
NOT_NAN_AWARE = ["VariationalAutoencoder", "ConvAutoencoder", "SequenceAutoencoder"]


def with_holes(X, share=0.2, seed=0):
    X = X.copy()
    X[np.random.RandomState(seed).rand(*X.shape) < share] = np.nan
    return X


def structured(n=80, n_features=5, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, n_features))


@pytest.mark.parametrize("name", NAN_AWARE)
def test_nan_aware_families_say_so_and_refuse_infinity(name):
    est = make(name)
    assert est.__sklearn_tags__().input_tags.allow_nan
    X = structured()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match=re.escape("Input X contains infinity")):
        est.fit(X)


@pytest.mark.parametrize("name", NOT_NAN_AWARE)
def test_other_families_refuse_nan_as_before(name):
    assert not make(name).__sklearn_tags__().input_tags.allow_nan


@pytest.mark.parametrize("loss", sorted(MASKED_LOSSES))
def test_masked_loss_is_the_loss_over_observed_entries(loss):
    rng = torch.Generator().manual_seed(0)
    output = torch.rand(20, 4, generator=rng, dtype=torch.float64).requires_grad_()
    target = torch.rand(20, 4, generator=rng, dtype=torch.float64)
    masked, plain = MASKED_LOSSES[loss](), LOSSES[loss]()
    # Complete targets: exactly the plain loss.
    assert torch.equal(masked(output, target), plain(output, target))
    target[0, 1] = target[3, 2] = target[5, 0] = float("nan")
    observed = ~torch.isnan(target)
    value = masked(output, target)
    if loss == "trimmed_mae":  # per row over its observed entries, the 2 worst rows trimmed
        rows = torch.stack([(output[i] - target[i])[observed[i]].abs().mean() for i in range(20)])
        expected = rows.sort().values[:18].mean()
    else:
        expected = plain(output[observed], target[observed])
    torch.testing.assert_close(value, expected)
    value.backward()
    assert torch.isfinite(output.grad).all()
    assert (output.grad[~observed] == 0).all()  # a missing value does not pull


def test_a_batch_without_observed_targets_has_zero_loss_and_gradients():
    output = torch.rand(3, 2, requires_grad=True)
    for loss in MASKED_LOSSES.values():
        value = loss()(output, torch.full((3, 2), float("nan")))
        value.backward()
        assert float(value.detach()) == 0 and (output.grad == 0).all()
        output.grad = None


@pytest.mark.parametrize("name", NAN_AWARE)
def test_missing_inputs_are_the_training_means_and_scores_the_observed_error(name):
    X = with_holes(structured())
    est = make(name).fit(X)
    np.testing.assert_allclose(est.fill_values_, np.nanmean(X, axis=0))
    assert type(est.net_.criterion_).__name__.startswith("Masked")
    assert np.isfinite(est.loss_curve_).all()
    filled = np.where(np.isnan(X), est.fill_values_, X)
    np.testing.assert_array_equal(est.transform(X), est.transform(filled))
    rebuilt = est.reconstruct(X)
    np.testing.assert_array_equal(rebuilt, est.reconstruct(filled))
    expected = -np.nanmean((rebuilt - X) ** 2, axis=1)
    np.testing.assert_allclose(est.score_samples(X), expected, rtol=1e-6)
    assert est.score(X) == pytest.approx(expected.mean())


@pytest.mark.parametrize("name", NAN_AWARE)
def test_complete_data_train_with_the_plain_loss(name):
    est = make(name).fit(structured())
    assert type(est.net_.criterion_) is LOSSES["mse"]


def test_rows_without_observed_values():
    X = with_holes(structured())
    X[[3, 7]] = np.nan
    est = make("AutoencoderTransformer").fit(X)  # they take no part in the loss
    assert np.isfinite(est.transform(X)).all()
    np.testing.assert_array_equal(est.transform(X[[3]]), est.transform([est.fill_values_]))
    msg = ("AutoencoderTransformer.score_samples: 2 row(s) of X have no observed value "
           "(every entry is NaN): rows [3, 7].")
    with pytest.raises(ValueError, match=re.escape(msg)):
        est.score_samples(X)
    with pytest.raises(ValueError, match=re.escape("every value of X is missing (NaN)")):
        make("AutoencoderTransformer").fit(np.full((4, 3), np.nan))


def test_a_column_without_observed_values_is_filled_with_zero():
    X = with_holes(structured())
    X[:, 2] = np.nan
    est = make("AutoencoderTransformer").fit(X)
    assert est.fill_values_[2] == 0
    assert np.isfinite(est.reconstruct(X)).all()


def test_unit_data_with_holes_get_a_sigmoid_and_bce_checks_observed_values():
    rng = np.random.RandomState(0)
    X = with_holes(rng.uniform(size=(40, 4)))
    est = make("AutoencoderTransformer", loss="bce").fit(X)
    assert est.output_activation_ == "sigmoid"
    X[0, 0] = 3.0
    with pytest.raises(ValueError, match=re.escape("loss='bce' needs X in [0, 1]; got values "
                                                   "in [")):
        make("AutoencoderTransformer", loss="bce").fit(X)


def test_warm_start_and_partial_fit_with_holes():
    X = with_holes(structured())
    est = make("DenoisingAutoencoder", warm_start=True, noise="masking").fit(X)
    fill = est.fill_values_.copy()
    est.fit(X).partial_fit(X)
    np.testing.assert_array_equal(est.fill_values_, fill)  # the network's, from its build
    assert np.isfinite(est.loss_curve_).all()


@settings(max_examples=20, deadline=None, database=None, derandomize=True)
@given(
    mask=hnp.arrays(bool, (30, 4), elements=st.booleans()),
    name=st.sampled_from(NAN_AWARE),
)
def test_random_masks_give_finite_outputs_or_the_clear_error(mask, name):
    X = structured(30, 4)
    X[mask] = np.nan
    if mask.all():
        with pytest.raises(ValueError, match=re.escape("every value of X is missing")):
            make(name, max_iter=2).fit(X)
        return
    est = make(name, max_iter=2).fit(X)
    assert np.isfinite(est.transform(X)).all() and np.isfinite(est.reconstruct(X)).all()
    rows = ~mask.all(axis=1)
    scores = est.score_samples(X[rows])
    assert np.isfinite(scores).all()
    if not rows.all():
        with pytest.raises(ValueError, match="have no observed value"):
            est.score_samples(X)


# ------------------------------------------------------------------------------ the detector


def test_detector_scores_rows_by_their_observed_entries():
    X = with_holes(structured(200))
    detector = ReconstructionOutlierDetector(
        AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5), random_state=0,
    ).fit(X)
    assert detector.__sklearn_tags__().input_tags.allow_nan
    errors = detector.reconstruction_error(X, per_feature=True)
    assert np.array_equal(np.isnan(errors), np.isnan(X))
    np.testing.assert_allclose(detector.score_samples(X), -np.nanmean(errors, axis=1))
    assert set(detector.predict(X)) <= {-1, 1}


def test_default_detector_takes_holes():
    X = with_holes(structured(200))
    detector = ReconstructionOutlierDetector(n_estimators=2, random_state=0).fit(X)
    assert np.isfinite(detector.score_samples(X)).all()
    X[5] = np.nan
    with pytest.raises(ValueError, match=re.escape(
            "ReconstructionOutlierDetector.score_samples: 1 row(s) of X have no observed "
            "value (every entry is NaN): rows [5].")):
        detector.score_samples(X)


def test_detector_over_a_model_that_refuses_nan_refuses_it():
    detector = ReconstructionOutlierDetector(PCA(n_components=1))
    assert not detector.__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match=re.escape("Input X contains NaN")):
        detector.fit(with_holes(structured()))


def test_scalers_fit_on_observed_values_and_keep_nan():
    X = structured(60)
    holes = with_holes(X)
    for scaler in (_RankGaussianScaler(), _RobustScaler(unit_variance=True)):
        out = scaler.fit(holes).transform(holes)
        assert np.array_equal(np.isnan(out), np.isnan(holes))
        for j in range(X.shape[1]):  # each column as if fit on its observed values alone
            observed = holes[~np.isnan(holes[:, j]), j : j + 1]
            alone = type(scaler)(**scaler.get_params()).fit(observed).transform(observed)
            np.testing.assert_allclose(out[~np.isnan(holes[:, j]), j], alone[:, 0])


class _Encoder(torch.nn.Module):
    def __init__(self, n_features, n_components):
        super().__init__()
        self.layer = torch.nn.Linear(n_features, n_components)

    def forward(self, x):
        return self.layer(x)


class _Decoder(torch.nn.Module):
    def __init__(self, n_features, n_components):
        super().__init__()
        self.layer = torch.nn.Linear(n_components, n_features)

    def forward(self, z):
        return self.layer(z)


def test_a_network_of_your_own_refuses_missing_values():
    # The built-in dense module fills the holes; a user's encoder would receive NaN.
    X = np.random.RandomState(0).normal(size=(40, 4))
    est = AutoencoderTransformer(2, encoder=_Encoder, decoder=_Decoder, max_iter=2)
    assert est.__sklearn_tags__().input_tags.allow_nan is False
    assert AutoencoderTransformer().__sklearn_tags__().input_tags.allow_nan is True
    X_missing = X.copy()
    X_missing[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(X_missing)
    est.fit(X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.transform(X_missing)
