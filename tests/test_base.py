"""Behaviour of the shared base (BaseAutoencoder), through its plain dense family.

What every family shares and that depends on the family (copies, seeds, dtypes, feature
names, bad input after fit) is tested over all of them in test_common.py.
"""

import io
import re
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from _instances import low_rank
from sklearn_ae import AutoencoderTransformer

FAST = dict(hidden_layer_sizes=(16,), max_iter=10, random_state=0)


# --------------------------------------------------------------------------- training quality


def test_loss_goes_down_on_structured_data(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=8, max_iter=30, random_state=0).fit(X)
    assert ae.n_iter_ == len(ae.loss_curve_) == 30
    assert ae.loss_curve_[-1] < 0.5 * ae.loss_curve_[0]
    assert ae.best_loss_ == min(ae.loss_curve_)


def test_score_is_negative_mean_squared_reconstruction_error():
    X = low_rank()
    ae = AutoencoderTransformer(**FAST).fit(X)
    recon = ae.reconstruct(X)
    expected = -np.mean((X - recon) ** 2, axis=1)
    np.testing.assert_allclose(ae.score_samples(X), expected, rtol=1e-10)
    assert ae.score_samples(X).dtype == np.float64
    assert ae.score(X) == pytest.approx(expected.mean())
    np.testing.assert_allclose(recon, ae.inverse_transform(ae.transform(X)), rtol=1e-10)


# ------------------------------------------------------------------------ resolved parameters


def test_output_activation_auto_follows_the_data_range(digits):
    X, _ = digits
    assert AutoencoderTransformer(**FAST).fit(X).output_activation_ == "sigmoid"
    scaled = StandardScaler().fit_transform(X)
    assert AutoencoderTransformer(**FAST).fit(scaled).output_activation_ == "identity"
    explicit = AutoencoderTransformer(output_activation="tanh", **FAST).fit(X)
    assert explicit.output_activation_ == "tanh"
    assert isinstance(explicit.net_.module_.decoder[-1], torch.nn.Tanh)


@pytest.mark.parametrize("continue_with", ["partial_fit", "warm_start"])
def test_more_data_outside_the_range_of_an_auto_sigmoid_output_warn(digits, continue_with):
    X, _ = digits
    X = X[:200]
    ae = AutoencoderTransformer(**FAST, warm_start=continue_with == "warm_start")
    train = ae.partial_fit if continue_with == "partial_fit" else ae.fit
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # in [0, 1]: no warning, then or later
        warnings.simplefilter("ignore", ConvergenceWarning)
        train(X)
        train(X[::-1])
    assert ae.output_activation_ == "sigmoid"
    msg = ("AutoencoderTransformer: X holds values in [0, 3], but the fitted network's output "
           "is a sigmoid, which output_activation='auto' chose because the first training "
           "data lay in [0, 1]: reconstructions stay in [0, 1], so the values outside are "
           "clipped.")
    with pytest.warns(UserWarning, match=re.escape(msg)):
        train(3 * X)
    assert ae.reconstruct(3 * X).max() <= 1  # what the warning is about
    # A sigmoid asked for explicitly is the user's choice: no warning.
    explicit = AutoencoderTransformer(**FAST, output_activation="sigmoid").partial_fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        explicit.partial_fit(3 * X)


def test_batch_size_and_max_iter_auto():
    X = low_rank(n=50)
    ae = AutoencoderTransformer(hidden_layer_sizes=(4,), n_iter_no_change=1000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae.fit(X)
    assert ae.n_iter_ == 200
    # One batch per epoch: 8,000 steps wanted, capped at 200 epochs; no ConvergenceWarning
    # for a budget the estimator chose itself.
    assert ae.batch_size_ == 50
    assert ae.max_iter_ == 200
    large = AutoencoderTransformer()._resolve_max_iter(n_samples=60_000, batch_size=200)
    assert large == 26  # 300 steps per epoch -> 8,000 // 300
    assert AutoencoderTransformer()._resolve_max_iter(n_samples=10**7, batch_size=200) == 10


def test_batch_size_larger_than_data_is_clipped_with_a_warning():
    X = low_rank(n=30)
    ae = AutoencoderTransformer(batch_size=64, **FAST)
    msg = "Got batch_size=64 larger than the number of samples (30); it is clipped to 30."
    with pytest.warns(UserWarning, match=re.escape(msg)):
        ae.fit(X)
    assert ae.batch_size_ == 30
    assert np.isfinite(ae.transform(X)).all()


def test_device_auto_resolves_and_cuda_is_refused_without_a_gpu():
    X = low_rank()
    ae = AutoencoderTransformer(device="auto", **FAST).fit(X)
    assert ae.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the error for a missing GPU cannot be raised")
    msg = (
        f"device='cuda' was requested but CUDA is not available (torch {torch.__version__}). "
        "Use device='cpu', or device='auto' to take a GPU only when there is one."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        AutoencoderTransformer(device="cuda", **FAST).fit(X)


def test_unknown_device_is_named_in_the_error():
    msg = (
        "The 'device' parameter got 'gpu0', which torch does not recognise. "
        "Use 'cpu', 'cuda', 'cuda:N' or 'auto'."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        AutoencoderTransformer(device="gpu0", **FAST).fit(low_rank())


@pytest.mark.skipif(hasattr(torch, "xpu") and torch.xpu.is_available(),
                    reason="this machine has an XPU, which the test takes as unusable")
def test_a_device_torch_knows_but_cannot_use_is_a_clear_error():
    with pytest.raises(ValueError, match=re.escape(
            f"device='xpu' cannot be used with this torch {torch.__version__} on this "
            "machine (")):
        AutoencoderTransformer(device="xpu", **FAST).fit(low_rank())
    with pytest.raises(ValueError, match=re.escape("device='meta' holds no data")):
        AutoencoderTransformer(device="meta", **FAST).fit(low_rank())


# ------------------------------------------------------------------------------------- input


def test_integer_input_is_trained_as_float64():
    X = np.random.RandomState(0).randint(0, 5, size=(40, 4))
    ae = AutoencoderTransformer(**FAST).fit(X)
    assert ae.transform(X).dtype == np.float64


def test_fit_takes_y_none_and_ignores_y():
    X = low_rank()
    a = AutoencoderTransformer(**FAST).fit(X).transform(X)
    b = AutoencoderTransformer(**FAST).fit(X, y=np.arange(len(X))).transform(X)
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------- randomness


def test_random_state_instance_and_early_stopping_split_are_reproducible():
    X = low_rank(n=200)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True)
    a = AutoencoderTransformer(random_state=np.random.RandomState(3), **params).fit(X)
    b = AutoencoderTransformer(random_state=np.random.RandomState(3), **params).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert a.validation_scores_ == b.validation_scores_


def test_random_state_none_follows_numpy_global_seed_as_sklearn_does():
    # scikit-learn reads random_state=None as numpy's global generator: np.random.seed
    # makes the fit reproducible, and the fit moves the global stream on.
    X = low_rank()
    params = {**FAST, "random_state": None, "early_stopping": True}
    np.random.seed(7)
    first = AutoencoderTransformer(**params).fit(X).transform(X)
    after_fit = np.random.randint(2**31)
    np.random.seed(7)
    assert np.array_equal(AutoencoderTransformer(**params).fit(X).transform(X), first)
    np.random.seed(8)
    assert not np.array_equal(AutoencoderTransformer(**params).fit(X).transform(X), first)
    np.random.seed(7)
    assert np.random.randint(2**31) != after_fit  # the fit drew from the global stream


def test_transform_is_deterministic():
    X = low_rank()
    ae = AutoencoderTransformer(**FAST).fit(X)
    np.testing.assert_array_equal(ae.transform(X), ae.transform(X))
    # Batch boundaries at inference do not change the result.
    ae._predict_batch_size = 7
    np.testing.assert_allclose(ae.transform(X), ae.fit(X).transform(X), rtol=1e-12)


# ------------------------------------------------------------------- stopping and warm starts


@pytest.mark.parametrize("early_stopping, monitored", [(False, "training"),
                                                        (True, "validation")])
def test_convergence_warning_when_max_iter_is_reached(early_stopping, monitored):
    # The advice is the one that helps: early stopping can only stop sooner, so neither
    # message advises it.
    msg = (
        "AutoencoderTransformer: Maximum iterations (3) reached and the optimization hasn't "
        f"converged yet. Increase max_iter: the {monitored} loss still improved by more "
        "than tol=0.0001 within the last n_iter_no_change=10 epochs. (max_iter='auto' picks "
        "the budget itself and does not warn.)"
    )
    with pytest.warns(ConvergenceWarning, match=re.escape(msg)) as record:
        AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3,
                               early_stopping=early_stopping, random_state=0).fit(low_rank())
    assert not any("early_stopping=True" in str(w.message) for w in record)


def test_stops_when_the_training_loss_stalls():
    # With tol=1.0 no epoch can improve the loss by 100%: training stops after
    # n_iter_no_change epochs, without a ConvergenceWarning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae = AutoencoderTransformer(
            hidden_layer_sizes=(8,), max_iter=50, tol=1.0, n_iter_no_change=3, random_state=0
        ).fit(low_rank())
    assert ae.n_iter_ == 4  # the first epoch sets the reference, then 3 misses


@pytest.mark.parametrize("early_stopping", [False, True])
def test_tol_none_trains_max_iter_epochs_without_a_warning(early_stopping):
    # tol=1.0 stops after n_iter_no_change=3 misses (above); tol=None never stops early
    # and, having been asked for max_iter epochs, does not warn that it reached them.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae = AutoencoderTransformer(
            hidden_layer_sizes=(8,), max_iter=8, tol=None, n_iter_no_change=3,
            early_stopping=early_stopping, random_state=0,
        ).fit(low_rank())
    assert ae.n_iter_ == 8
    if early_stopping:  # the best validation epoch's weights are still the ones kept
        assert ae.best_validation_score_ == max(ae.validation_scores_)


def test_early_stopping_records_validation_scores_and_keeps_the_best():
    X = low_rank(n=300)
    ae = AutoencoderTransformer(
        hidden_layer_sizes=(8,), max_iter=40, early_stopping=True, n_iter_no_change=5,
        random_state=0,
    )
    ae.fit(X)
    assert len(ae.validation_scores_) == ae.n_iter_
    assert all(s <= 0 for s in ae.validation_scores_)
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    assert ae.best_loss_ is None
    # The held-out 10% is not trained on: 270 rows per epoch, 30 validated.
    batches = ae.net_.history[-1]["batches"]
    assert sum(b.get("train_batch_size", 0) for b in batches) == 270
    assert sum(b.get("valid_batch_size", 0) for b in batches) == 30


def correlated(n=600, n_features=10):
    rng = np.random.RandomState(0)
    return rng.normal(size=(n, n_features)) @ rng.normal(size=(n_features, n_features))


def validation_score_of_the_kept_weights(ae, X):
    _, valid = ae.net_.get_split_datasets(torch.as_tensor(X))
    rows = X[np.asarray(valid.indices)]
    return -float(np.mean((ae.reconstruct(rows) - rows) ** 2))


def test_early_stopping_keeps_the_best_epoch_whatever_tol():
    # tol only decides when to stop. skorch saved weights only on an improvement of tol, so
    # with tol=0.2 it restored epoch 3 (-6.85) of a fit whose epoch 5 was best (-5.57).
    X = correlated()
    ae = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16,), early_stopping=True, tol=0.2, max_iter=5,
        batch_size=50, random_state=0,
    )
    ae.fit(X)
    scores = ae.validation_scores_
    assert ae.best_validation_score_ == max(scores)
    assert max(scores) - sorted(scores)[-2] < 0.2 * abs(sorted(scores)[-2])  # within tol
    assert validation_score_of_the_kept_weights(ae, X) == pytest.approx(
        ae.best_validation_score_, rel=1e-9)


def test_warm_start_with_early_stopping_keeps_the_best_of_every_call():
    # As MLPRegressor: a warm fit that never beats the previous best gives that best back.
    X = correlated()
    ae = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16,), early_stopping=True, max_iter=5,
        batch_size=50, warm_start=True, random_state=0,
    )
    ae.fit(X)
    first_best = ae.best_validation_score_
    ae.set_params(learning_rate_init=0.3, max_iter=3).fit(X)  # a step far too large
    assert ae.n_iter_ == 8
    assert max(ae.validation_scores_[5:]) < first_best == ae.best_validation_score_
    assert validation_score_of_the_kept_weights(ae, X) == pytest.approx(first_best, rel=1e-9)


def test_warm_start_continues_training():
    X = low_rank()
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, warm_start=True)
    ae = AutoencoderTransformer(**params).fit(X)
    first_curve = list(ae.loss_curve_)
    ae.fit(X)
    assert ae.n_iter_ == 10
    assert ae.loss_curve_[:5] == first_curve
    assert ae.loss_curve_[5] < first_curve[0]
    # A cold refit starts over.
    cold = ae.set_params(warm_start=False).fit(X)
    assert cold.n_iter_ == 5
    assert cold.loss_curve_ == first_curve


def test_warm_start_trains_with_the_new_learning_rate_and_alpha():
    X = low_rank()
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                                warm_start=True).fit(X)
    state = ae.net_.optimizer_.state_dict()["state"]
    ae.set_params(learning_rate_init=1e-9, alpha=0.5).fit(X)
    group = ae.net_.optimizer_.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (1e-9, 0.5)
    assert len(state) > 0 and ae.net_.optimizer_.state_dict()["state"].keys() == state.keys()
    # With a learning rate of 1e-9 the warm epochs barely move the loss.
    assert ae.loss_curve_[3] == pytest.approx(ae.loss_curve_[2], rel=1e-3)


def test_warm_start_with_new_width_starts_over():
    params = dict(hidden_layer_sizes=(8,), max_iter=4, random_state=0, warm_start=True)
    ae = AutoencoderTransformer(**params).fit(low_rank(n_features=6))
    ae.fit(low_rank(n_features=4))
    assert ae.n_iter_ == 4
    assert ae.n_features_in_ == 4


def test_warm_start_trains_with_the_new_loss_optimizer_shuffle_and_verbose(capsys):
    X = low_rank()
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                                warm_start=True).fit(X)
    weights = ae.net_.module_.state_dict()
    ae.set_params(loss="mae", optimizer="sgd", shuffle=False, verbose=1, max_iter=1,
                  learning_rate_init=1e-6).fit(X)
    assert type(ae.net_.criterion_) is torch.nn.L1Loss
    optimizer = ae.net_.optimizer_
    assert type(optimizer) is torch.optim.SGD
    assert optimizer.defaults["momentum"] == 0.9 and optimizer.defaults["nesterov"]
    assert ae.net_.iterator_train__shuffle is False
    assert re.match(r"\s*3\s", capsys.readouterr().out)  # verbose=1 prints epoch 3's line
    assert ae.n_iter_ == 3  # the same network went on training
    assert not all(torch.equal(weights[k], v) for k, v in ae.net_.module_.state_dict().items())
    # The recorded loss is the new one: with steps this small, the epoch's mean absolute
    # error is that of the model, far from its mean squared error.
    errors = ae.reconstruct(X) - X
    mae, mse = np.abs(errors).mean(), (errors**2).mean()
    assert abs(mae - mse) > 0.1 * mae
    assert ae.loss_curve_[-1] == pytest.approx(mae, rel=0.01)


def test_warm_start_after_a_change_of_architecture_trains_a_new_network():
    X = low_rank()
    ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=3,
                                random_state=0, warm_start=True).fit(X)
    for change in [dict(n_components=3), dict(hidden_layer_sizes=(4,)),
                   dict(activation="tanh"), dict(output_activation="tanh")]:
        ae.set_params(**change).fit(X)
        assert ae.n_iter_ == 3, change  # started over, as warm_start=False would
        cold = clone(ae).set_params(warm_start=False).fit(X)
        np.testing.assert_array_equal(ae.transform(X), cold.transform(X))
    assert ae.transform(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must hold positive integers"):
        ae.set_params(hidden_layer_sizes=(0,)).fit(X)


def test_partial_fit_refuses_a_change_of_architecture_and_keeps_the_network():
    X = low_rank()
    ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), random_state=0)
    ae.partial_fit(X)
    codes = ae.transform(X)
    ae.set_params(n_components=3, hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match=re.escape(
            "AutoencoderTransformer.partial_fit continues the fitted network, but the "
            "parameters that shape it changed since it was built (n_components: 2 -> 3, "
            "hidden_layer_sizes: (8,) -> (4,)). Set them back, or call fit to train a new "
            "network.")):
        ae.partial_fit(X)
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert ae.n_iter_ == 1


# ------------------------------------------------------------------------------- divergence


def test_diverging_loss_raises_an_error_naming_the_learning_rate_and_epoch():
    X = low_rank()
    ae = AutoencoderTransformer(
        hidden_layer_sizes=(8,), optimizer="sgd", learning_rate_init=1e3, max_iter=20,
        random_state=0,
    )
    # A loss that explodes is stopped before it overflows, with the reason.
    with pytest.raises(ValueError, match=r"AutoencoderTransformer: the training loss became "
                       r"(nan|inf|\d\.\d+e\+\d+) at epoch \d+ of this call's 20(, over 1000 "
                       r"times both the loss of the network's first batch and the square of the "
                       r"largest "
                       r"absolute value in X)?; the optimizer diverged\. "
                       r"Lower learning_rate_init \(got 1000\.0\), for example to 100, or scale"
                       r" X first \(e\.g\. with StandardScaler\)\."):
        ae.fit(X)
    assert not hasattr(ae, "net_")


def test_diverging_warm_start_loses_nothing():
    X = low_rank()
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5, random_state=0,
                                warm_start=True, optimizer="sgd", learning_rate_init=1e-2)
    ae.fit(X)
    codes, n_iter, curve = ae.transform(X), ae.n_iter_, list(ae.loss_curve_)
    X_before = X.copy()
    with pytest.raises(ValueError, match="the optimizer diverged"):
        ae.fit(X * 1e30)
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert ae.n_iter_ == n_iter and ae.loss_curve_ == curve
    np.testing.assert_array_equal(X, X_before)


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "X, error, msg",
    [
        # The dense family takes holes (test_missing_values.py), not data without a value.
        (np.full((2, 2), np.nan), ValueError,
         "AutoencoderTransformer: every value of X is missing (NaN)"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "Input X contains infinity"),
        (np.empty((0, 3)), ValueError,
         "Found array with 0 sample(s) (shape=(0, 3)) while a minimum of 1 is required"),
        (np.empty((3, 0)), ValueError,
         "Found array with 0 feature(s) (shape=(3, 0)) while a minimum of 1 is required"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "could not convert string to float"),
        (np.zeros((3, 2, 2)), ValueError,
         "AutoencoderTransformer takes 2-D X of shape (n_samples, n_features), one flattened "
         "sample per row; got an array of shape (3, 2, 2). Flatten each sample: "
         "X.reshape(len(X), -1)."),
        (sp.csr_matrix(np.eye(3)), TypeError,
         "Sparse data was passed for X, but dense data is required. Use '.toarray()' to "
         "convert to a dense numpy array."),
    ],
    ids=["nan", "inf", "empty", "no-features", "strings", "3d", "sparse"],
)
def test_bad_input_at_fit_raises_scikit_learns_errors(X, error, msg):
    ae = AutoencoderTransformer(**FAST)
    with pytest.raises(error, match=re.escape(msg)):
        ae.fit(X)
    assert not hasattr(ae, "n_features_in_")


def test_single_sample_and_constant_columns_work():
    X = low_rank(n=1)
    ae = AutoencoderTransformer(**FAST)
    codes = ae.fit_transform(X)
    assert codes.shape == (1, 2) and np.isfinite(codes).all()

    X = low_rank()
    X[:, 2] = 3.5
    ae = AutoencoderTransformer(hidden_layer_sizes=(16,), max_iter=300, batch_size=16,
                                random_state=0)
    ae.fit(X)
    # The constant column is rebuilt to within 10% everywhere.
    assert np.abs(ae.reconstruct(X)[:, 2] - 3.5).max() < 0.35


def test_data_dependent_parameter_errors():
    with pytest.raises(ValueError, match=re.escape(
            "early_stopping=True holds out validation_fraction=0.1 of the samples (1 of "
            "n_samples=1), which must leave at least one sample for training and one for "
            "validation. Pass more samples, a smaller validation_fraction, or set "
            "early_stopping=False.")):
        AutoencoderTransformer(early_stopping=True, **FAST).fit(np.ones((1, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "validation_fraction=0.9 of the samples (3 of n_samples=3), which must leave")):
        AutoencoderTransformer(early_stopping=True, validation_fraction=0.9,
                               **FAST).fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "loss='bce' needs X in [0, 1]; got values in [-1, 2]. Scale X with "
            "sklearn.preprocessing.MinMaxScaler, or use loss='mse'.")):
        AutoencoderTransformer(loss="bce", **FAST).fit(np.array([[-1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=re.escape(
            "loss='bce' needs outputs in [0, 1], but output_activation='identity' does not "
            "guarantee that. Use output_activation='sigmoid' or 'auto'.")):
        AutoencoderTransformer(loss="bce", output_activation="identity", **FAST).fit(
            np.array([[0.0, 1.0], [0.5, 0.2]]))


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "bce"])
@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_every_loss_and_optimizer_trains(digits, loss, optimizer):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=8, hidden_layer_sizes=(32,), loss=loss,
                                optimizer=optimizer, max_iter=8, random_state=0)
    ae.fit(X[:500])
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]


# -------------------------------------------------------------------- verbosity and callbacks


def test_verbose_prints_one_line_per_epoch(capsys):
    AutoencoderTransformer(**{**FAST, "max_iter": 3}, verbose=1, early_stopping=True).fit(
        low_rank(n=60))
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out and "dur" in out
    epochs = [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert epochs == ["1", "2", "3"]


@pytest.mark.parametrize("terminal", [False, True])
def test_the_log_is_coloured_only_on_a_terminal(capsys, monkeypatch, terminal):
    # skorch colours the best epoch's values with ANSI codes, which a log file shows raw.
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    AutoencoderTransformer(**{**FAST, "max_iter": 3}, verbose=1).fit(low_rank(n=60))
    out = capsys.readouterr().out
    assert ("\x1b[" in out) == terminal
    if not terminal:
        assert re.search(r"^\s+3\s+\d\.\d{4}\s+\d\.\d{4}$", out, re.MULTILINE)


def test_quiet_by_default(capsys):
    AutoencoderTransformer(**FAST).fit(low_rank())
    assert capsys.readouterr().out == ""


class EpochCounter(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


def test_extra_skorch_callbacks_run_on_copies():
    counter = EpochCounter()
    ae = AutoencoderTransformer(callbacks=[counter], **FAST).fit(low_rank())
    used = [cb for _, cb in ae.net_.callbacks_ if isinstance(cb, EpochCounter)]
    assert len(used) == 1 and used[0].epochs == 10
    assert counter.epochs == 0


def test_a_warm_fit_runs_the_current_callbacks():
    first, second = EpochCounter(), EpochCounter()
    ae = AutoencoderTransformer(callbacks=[first], warm_start=True, **FAST).fit(low_rank())
    ae.fit(low_rank())  # the same callbacks: the net's copy keeps counting
    counters = [cb for _, cb in ae.net_.callbacks_ if isinstance(cb, EpochCounter)]
    assert [c.epochs for c in counters] == [20]
    ae.set_params(callbacks=[second]).fit(low_rank())
    counters = [cb for _, cb in ae.net_.callbacks_ if isinstance(cb, EpochCounter)]
    assert [c.epochs for c in counters] == [10] and ae.n_iter_ == 30  # a copy of `second`
    ae.set_params(callbacks=None).fit(low_rank())
    assert not [cb for _, cb in ae.net_.callbacks_ if isinstance(cb, EpochCounter)]
    # The library's own callbacks are kept: the divergence check still knows the first batch.
    assert dict(ae.net_.callbacks_)["divergence_check"].reference_ is not None


def test_a_warm_fit_on_a_device_that_cannot_train_is_a_clear_error():
    ae = AutoencoderTransformer(warm_start=True, **FAST).fit(low_rank())
    codes = ae.transform(low_rank())
    with pytest.raises(ValueError, match=re.escape("device='meta' holds no data")):
        ae.set_params(device="meta").fit(low_rank())
    assert ae.n_iter_ == 10 and ae.device_ == "cpu"
    np.testing.assert_array_equal(ae.transform(low_rank()), codes)


@pytest.mark.parametrize("monitor", ["valid_loss", "valid_loss_best"])
def test_a_callback_that_monitors_a_validation_split_needs_early_stopping(monitor):
    from skorch.callbacks import EarlyStopping

    with pytest.raises(ValueError, match=re.escape(
            f"callbacks item 0 (EarlyStopping) monitors {monitor!r}, but nothing is held out "
            "for validation: early_stopping=False. Set early_stopping=True")):
        AutoencoderTransformer(callbacks=[EarlyStopping(monitor=monitor)], **FAST).fit(low_rank())
    AutoencoderTransformer(callbacks=[EarlyStopping(monitor="valid_loss")],
                           early_stopping=True, **FAST).fit(low_rank())


@pytest.mark.parametrize("callbacks", [[42], [("name", 3)], [(1, EpochCounter())]])
def test_callbacks_that_are_not_skorch_callbacks_are_a_clear_error(callbacks):
    with pytest.raises(ValueError, match=re.escape(
            "callbacks must hold skorch callbacks (skorch.callbacks.Callback instances) or "
            "(name, callback) pairs; item 0 is")):
        AutoencoderTransformer(callbacks=callbacks, **FAST).fit(low_rank())
    # A callback class, or a named instance, is accepted, as skorch accepts them.
    AutoencoderTransformer(callbacks=[("count", EpochCounter())], **FAST).fit(low_rank())
    AutoencoderTransformer(callbacks=[EpochCounter], **FAST).fit(low_rank())


# ------------------------------------------------------------------------ sklearn composition


def test_pipeline_scaler_autoencoder_kmeans(digits):
    X, y = digits
    pipe = make_pipeline(
        StandardScaler(),
        AutoencoderTransformer(n_components=10, hidden_layer_sizes=(32,), max_iter=40,
                               random_state=0),
        KMeans(10, n_init=4, random_state=0),
    )
    labels = pipe.fit_predict(X)
    assert normalized_mutual_info_score(y, labels) > 0.45


def test_grid_search_with_default_scoring_prefers_the_wider_code():
    X = np.random.RandomState(0).normal(size=(150, 8)) @ np.random.RandomState(1).normal(
        size=(8, 8))
    search = GridSearchCV(
        AutoencoderTransformer(max_iter=60, random_state=0),
        {"n_components": [1, 6], "hidden_layer_sizes": [(16,), (32,)]},
        cv=3,
    )
    search.fit(X)
    assert search.best_params_["n_components"] == 6
    assert search.best_score_ < 0  # negative reconstruction error
    assert search.best_estimator_.transform(X).shape == (150, 6)


def test_cross_validation_clones_a_fresh_model_per_fold():
    X = low_rank(n=90)
    ae = AutoencoderTransformer(**FAST)
    scores = cross_val_score(ae, X, cv=3)
    result = cross_validate(ae, X, cv=3, return_estimator=True)
    assert scores.shape == (3,) and np.all(scores < 0)
    nets = [est.net_ for est in result["estimator"]]
    assert len({id(net) for net in nets}) == 3
    assert len({id(net.module_) for net in nets}) == 3
    assert not hasattr(ae, "net_")
    unfitted = clone(result["estimator"][0])
    assert not hasattr(unfitted, "net_")


# ------------------------------------------------------------------------------ persistence


def test_torch_save_state_dict_of_the_module():
    # The trained torch module is plain torch: users can take it out.
    X = low_rank()
    ae = AutoencoderTransformer(**FAST).fit(X)
    buffer = io.BytesIO()
    torch.save(ae.net_.module_.state_dict(), buffer)
    assert buffer.getbuffer().nbytes > 0
