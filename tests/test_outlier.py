"""Behaviour of ReconstructionOutlierDetector."""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_ae
from sklearn_ae import AutoencoderTransformer, ReconstructionOutlierDetector
from sklearn_ae._outlier import default_n_components

#: A small autoencoder that trains in a fraction of a second.
TRAINING = dict(n_components=2, max_iter=40, batch_size=50, random_state=0)
FAST_AE = dict(TRAINING, hidden_layer_sizes=(16,))


def plane(n=200, n_features=6, noise=0.05, seed=0):
    """Inliers near a 2-D plane in ``n_features`` dimensions, features of different scales."""
    rng = np.random.RandomState(seed)
    mixing = rng.normal(size=(2, n_features))
    X = rng.normal(size=(n, 2)) @ mixing + noise * rng.normal(size=(n, n_features))
    return X * np.logspace(0, 3, n_features)  # units from 1 to 1000


def labelled(n_inliers=300, n_outliers=30, n_features=6, seed=0):
    """Inliers on a plane, outliers off it (within the inliers' range), labels 1 / -1."""
    rng = np.random.RandomState(seed)
    X = plane(n_inliers + n_outliers, n_features, seed=seed)
    # Outliers: inlier rows with one feature replaced by another row's value, so every
    # marginal distribution stays the same and only the structure across features breaks.
    rows = np.arange(n_inliers, n_inliers + n_outliers)
    cols = rng.randint(n_features, size=n_outliers)
    X[rows, cols] = X[rng.permutation(rows), cols] + 3 * X[:, cols].std(axis=0) * rng.choice(
        [-1, 1], size=n_outliers)
    y = np.r_[np.ones(n_inliers, dtype=int), -np.ones(n_outliers, dtype=int)]
    return X, y


# ------------------------------------------------------------------------------- detection


def test_default_detector_finds_outliers_in_unscaled_data():
    X, y = labelled()
    X_train = X[y == 1][:200]
    with warnings.catch_warnings():
        # Its training budget is part of the default: no ConvergenceWarning.
        warnings.simplefilter("error")
        detector = ReconstructionOutlierDetector(random_state=0).fit(X_train)
    X_test, y_test = X[200:], y[200:]
    assert roc_auc_score(y_test, detector.score_samples(X_test)) > 0.9
    assert roc_auc_score(y_test, detector.decision_function(X_test)) > 0.9
    assert detector.score_samples(X_test).dtype == np.float64
    # The default is the documented ensemble: 10 autoencoders on half of the rows each,
    # alternating robust and rank-Gaussian views, with the code-space term.
    assert (detector.n_estimators_, detector.max_samples_, detector.n_neighbors_) == (10, 100, 10)
    assert [len(rows) for rows in detector.estimators_samples_] == [100] * 10
    assert len({tuple(rows) for rows in detector.estimators_samples_}) == 10
    assert [type(s).__name__ for s in detector.scalers_[:2]] == [
        "_RobustScaler", "_RankGaussianScaler"]
    assert detector.scalers_[0] is detector.scalers_[2]  # one fitted scaler per view
    for ae in detector.estimators_:
        assert isinstance(ae, AutoencoderTransformer)
        assert ae.n_components == default_n_components(6) == 3
        assert (ae.hidden_layer_sizes, ae.batch_size, ae.loss, ae.alpha) == (
            (64,), 32, "trimmed_mae", 1e-2)
        assert ae.max_iter == 200  # 800 steps // 4 batches, at most 200 epochs
        assert next(ae.net_.module_.parameters()).dtype == torch.float32
    assert detector.estimator_ is detector.estimators_[0]
    assert isinstance(detector.scaler_, RobustScaler)
    assert detector.metric == "mae"
    # The training scores are those score_samples gives: predict(X_train) matches them.
    np.testing.assert_array_equal(detector.train_scores_, detector.score_samples(X_train))


def test_default_code_width():
    widths = [default_n_components(d) for d in (1, 2, 3, 9, 10, 64, 140)]
    assert widths == [1, 1, 2, 3, 4, 8, 12]


def test_pca_detector_scores_are_negative_standardised_reconstruction_errors():
    X, y = labelled()
    detector = ReconstructionOutlierDetector(PCA(n_components=2), metric="mse",
                                             scale="standard").fit(X)
    Z = StandardScaler().fit(X).transform(X)
    pca = PCA(n_components=2).fit(Z)
    expected = np.mean((pca.inverse_transform(pca.transform(Z)) - Z) ** 2, axis=1)
    np.testing.assert_allclose(detector.score_samples(X), -expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(detector.train_scores_, -expected, rtol=1e-10, atol=1e-12)
    # Fit on contaminated data, the outliers still get the lowest scores.
    assert roc_auc_score(y, detector.score_samples(X)) > 0.95


#: Each autoencoder of the package, with fast settings; rows are 1 x 6 images for the conv one.
AUTOENCODERS = {
    "AutoencoderTransformer": FAST_AE,
    "DenoisingAutoencoder": FAST_AE,
    "ConvAutoencoder": dict(TRAINING, image_shape=(1, -1), channels=(8,)),
}


@pytest.mark.parametrize("name", [n for n in AUTOENCODERS if hasattr(sklearn_ae, n)])
def test_with_our_autoencoders(name):
    X, y = labelled()
    ae = getattr(sklearn_ae, name)(**AUTOENCODERS[name])
    detector = ReconstructionOutlierDetector(ae, metric="mse", random_state=0).fit(X[y == 1])
    # The error is the one of the autoencoder's own reconstruct(), on standardised data.
    Z = detector.scaler_.transform(X)
    expected = np.mean((detector.estimator_.reconstruct(Z) - Z) ** 2, axis=1)
    np.testing.assert_allclose(detector.reconstruction_error(X), expected, rtol=1e-10)
    assert roc_auc_score(y, detector.score_samples(X)) > 0.9
    assert not hasattr(ae, "net_")  # the estimator passed is cloned, never fitted


def test_estimator_pipeline_reconstructs_through_inverse_transform():
    X, _ = labelled()
    pipe = make_pipeline(StandardScaler(), PCA(n_components=2))
    detector = ReconstructionOutlierDetector(pipe, metric="mse", scale=None).fit(X)
    fitted = detector.estimator_
    expected = np.mean((fitted.inverse_transform(fitted.transform(X)) - X) ** 2, axis=1)
    np.testing.assert_allclose(detector.score_samples(X), -expected, rtol=1e-10)


@pytest.mark.parametrize("prefit", [PCA(n_components=2), AutoencoderTransformer(**FAST_AE)])
def test_a_frozen_prefit_estimator_is_used_as_it_is(prefit):
    # FrozenEstimator, scikit-learn's wrapper of a pre-trained model, takes fit(X, y).
    from sklearn.frozen import FrozenEstimator

    X, y = labelled()
    prefit = clone(prefit).fit(X[:150])
    codes = prefit.transform(X)
    detector = ReconstructionOutlierDetector(FrozenEstimator(prefit), scale=None).fit(X, y)
    np.testing.assert_array_equal(detector.estimator_.transform(X), codes)  # not refitted
    expected = np.mean(np.abs(prefit.inverse_transform(codes) - X), axis=1)
    np.testing.assert_allclose(detector.score_samples(X), -expected, rtol=1e-10)


def test_inside_a_pipeline_after_standard_scaler():
    X, y = labelled()
    pipe = make_pipeline(StandardScaler(), ReconstructionOutlierDetector(PCA(2), scale=None))
    labels = pipe.fit(X).predict(X)
    alone = ReconstructionOutlierDetector(PCA(2), scale="standard").fit(X)
    # Scaling inside the detector is the same as a StandardScaler step before it.
    np.testing.assert_allclose(pipe.score_samples(X), alone.score_samples(X), rtol=1e-10)
    np.testing.assert_allclose(pipe.decision_function(X), alone.decision_function(X),
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(labels, alone.predict(X))
    np.testing.assert_array_equal(pipe.fit_predict(X), labels)


def test_grid_search_with_a_scorer_on_labelled_data():
    # The inliers span a plane: one component misses it, two capture it.
    X, y = labelled(n_inliers=240, n_outliers=24)
    search = GridSearchCV(
        ReconstructionOutlierDetector(PCA()),
        {"estimator__n_components": [1, 2], "metric": ["mse", "mae"]},
        scoring="roc_auc",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["estimator__n_components"] == 2
    assert search.best_score_ > 0.95
    assert search.best_estimator_.estimator_.n_components_ == 2


# ------------------------------------------------------------------------------- thresholds


def test_contamination_flags_that_share_of_the_training_data():
    X, _ = labelled()
    for contamination, n_outliers in [(0.1, 33), (0.2, 66), (0.5, 165)]:
        detector = ReconstructionOutlierDetector(PCA(2), contamination=contamination).fit(X)
        assert np.sum(detector.predict(X) == -1) == n_outliers == contamination * len(X)
        assert detector.offset_ == np.percentile(detector.train_scores_, 100 * contamination)


def test_auto_threshold_is_median_plus_n_std_robust_standard_deviations():
    X, _ = labelled()
    detector = ReconstructionOutlierDetector(PCA(2)).fit(X)
    errors = detector.reconstruction_error(X)
    assert (detector.threshold, detector.n_std) == ("median_mad", 3)
    median = np.median(errors)
    robust_std = 1.4826 * np.median(np.abs(errors - median))
    assert -detector.offset_ == pytest.approx(median + 3 * robust_std, rel=1e-4)
    np.testing.assert_array_equal(detector.predict(X) == -1,
                                  errors > median + 3 * robust_std)


def test_auto_flags_few_training_rows_of_clean_data():
    # The data of scikit-learn's outlier checks (see FAST_PARAMS in _instances.py).
    from sklearn.datasets import make_blobs
    from sklearn.ensemble import IsolationForest
    from sklearn.utils import shuffle

    X = shuffle(make_blobs(n_samples=300, random_state=0)[0], random_state=7)
    flagged = [(ReconstructionOutlierDetector(random_state=seed).fit(X).predict(X) == -1).sum()
               for seed in (0, 3)]
    forest = (IsolationForest(random_state=0).fit(X).predict(X) == -1).sum()
    # A few percent (7 to 10 here, on 2-D blobs that a one-value code describes poorly),
    # a third of what IsolationForest's 'auto' flags.
    assert max(flagged) < 0.1 * len(X) < 0.5 * forest
    # A float contamination flags its share, whatever the data.
    detector = ReconstructionOutlierDetector(random_state=0).fit(X)
    assert (detector.set_threshold(contamination=0.1).predict(X) == -1).sum() == 30


def test_seed_rule_is_mean_plus_one_standard_deviation():
    # threshold='mean_std', n_std=1 is the rule of TensorFlow's ECG5000 tutorial.
    X, _ = labelled()
    detector = ReconstructionOutlierDetector(PCA(2), threshold="mean_std", n_std=1).fit(X)
    errors = detector.reconstruction_error(X)
    assert -detector.offset_ == pytest.approx(errors.mean() + errors.std(), rel=1e-12)
    np.testing.assert_array_equal(detector.predict(X) == -1,
                                  errors > errors.mean() + errors.std())


def test_median_mad_rule_finds_the_outliers_that_inflate_the_mean_std_rule():
    # 10% of the training data are outliers with large errors: they inflate the standard
    # deviation, and mean + 3 std misses most of them; median + 3 MAD does not move.
    X, y = labelled(n_inliers=300, n_outliers=30)
    robust = ReconstructionOutlierDetector(PCA(2), metric="mse").fit(X)
    classic = ReconstructionOutlierDetector(PCA(2), metric="mse", threshold="mean_std").fit(X)
    found_robust = np.mean(robust.predict(X)[y == -1] == -1)
    found_classic = np.mean(classic.predict(X)[y == -1] == -1)
    assert found_robust > 0.9 > 0.5 > found_classic
    assert np.mean(robust.predict(X)[y == 1] == -1) < 0.05  # few false alarms


def test_mad_of_zero_falls_back_to_the_standard_deviation():
    detector = ReconstructionOutlierDetector(PCA(1), scale=None)
    scores = -np.r_[np.zeros(8), 1.0, 3.0]
    detector._set_threshold_from(scores)
    assert detector.offset_ == pytest.approx(-3 * scores.std())


@pytest.mark.parametrize(
    "before, after",
    [
        (dict(contamination=0.1), dict(contamination=0.25)),
        (dict(contamination="auto"), dict(contamination=0.05)),
        (dict(contamination=0.2), dict(contamination="auto")),
        (dict(contamination="auto"), dict(n_std=1.0)),
        (dict(contamination="auto"), dict(threshold="mean_std", n_std=1.0)),
        (dict(contamination=0.1, n_std=2.0), dict(contamination="auto", n_std=0.5)),
    ],
)
def test_set_threshold_equals_refitting_with_the_new_parameters(before, after):
    X, _ = labelled()
    ae = AutoencoderTransformer(**FAST_AE)
    detector = ReconstructionOutlierDetector(ae, **before).fit(X)
    net = detector.estimator_.net_
    assert detector.set_threshold(**after) is detector
    assert detector.estimator_.net_ is net  # no retraining
    refit = ReconstructionOutlierDetector(ae, **{**before, **after}).fit(X)
    assert detector.get_params() == refit.get_params()
    assert detector.offset_ == refit.offset_
    np.testing.assert_array_equal(detector.predict(X), refit.predict(X))
    np.testing.assert_array_equal(detector.decision_function(X), refit.decision_function(X))


def test_set_threshold_refuses_bad_values_and_changes_nothing():
    X, _ = labelled()
    detector = ReconstructionOutlierDetector(PCA(2), contamination=0.1).fit(X)
    offset = detector.offset_
    msg = ("The 'contamination' parameter of ReconstructionOutlierDetector.set_threshold must "
           "be a str among {'auto'} or a float in the range (0.0, 0.5]. Got 0.9 instead.")
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        detector.set_threshold(contamination=0.9)
    assert detector.contamination == 0.1 and detector.offset_ == offset
    with pytest.raises(NotFittedError):
        ReconstructionOutlierDetector().set_threshold(contamination=0.1)


# ------------------------------------------------------------------------ metric and scale


def test_metric_mae_is_the_mean_absolute_error():
    X, _ = labelled()
    mse = ReconstructionOutlierDetector(PCA(2), metric="mse").fit(X)
    mae = ReconstructionOutlierDetector(PCA(2), metric="mae").fit(X)
    residuals = mse.reconstruction_error(X, per_feature=True) ** 0.5
    np.testing.assert_allclose(mae.reconstruction_error(X, per_feature=True), residuals,
                               rtol=1e-8)
    np.testing.assert_allclose(-mae.score_samples(X), residuals.mean(axis=1), rtol=1e-8)


def test_no_feature_dominates_through_its_unit():
    # Feature units span 1 to 1000 and the outliers hide in every feature alike.
    X, y = labelled()
    for scale in ("standard", "robust"):
        detector = ReconstructionOutlierDetector(PCA(2), scale=scale).fit(X)
        assert roc_auc_score(y, detector.score_samples(X)) > 0.99
        # Rescaling a feature changes nothing.
        X_rescaled = X.copy()
        X_rescaled[:, 0] *= 1e6
        rescaled = ReconstructionOutlierDetector(PCA(2), scale=scale).fit(X_rescaled)
        np.testing.assert_allclose(rescaled.score_samples(X_rescaled),
                                   detector.score_samples(X), rtol=1e-6)
    # Unscaled, the errors are in the units of the features: one feature is the largest
    # error of nearly every sample, and outliers in the others go unseen.
    raw = ReconstructionOutlierDetector(PCA(2), scale=None).fit(X)
    assert raw.scaler_ is None
    largest = raw.reconstruction_error(X, per_feature=True).argmax(axis=1)
    assert np.bincount(largest).max() > 0.9 * len(X)
    assert roc_auc_score(y, raw.score_samples(X)) < 0.85


def test_robust_scaling_gives_no_feature_its_raw_unit():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3)) * [1.0, 10.0, 1.0]
    X[:, 1] = np.where(np.arange(100) < 70, 0.0, X[:, 1] * 1000)  # IQR 0, unit 1000s
    X[:, 2] = 5.0  # constant
    scaler = ReconstructionOutlierDetector(PCA(1)).fit(X).scaler_
    q1, q3 = np.percentile(X[:, 0], [25, 75])
    np.testing.assert_allclose(scaler.center_, np.median(X, axis=0))
    np.testing.assert_allclose(scaler.scale_, [(q3 - q1) / 1.3489795, X[:, 1].std(), 1.0],
                               rtol=1e-6)
    Z = scaler.transform(X)
    assert np.abs(Z[:, 1]).max() < 10  # not in the thousands
    assert np.all(Z[:, 2] == 0)


def test_per_feature_errors_point_at_the_broken_feature():
    X, _ = labelled()
    detector = ReconstructionOutlierDetector(PCA(2)).fit(X)
    x = X[:20].copy()
    x[np.arange(20), np.arange(20) % 6] += 5 * X.std(axis=0)[np.arange(20) % 6]
    per_feature = detector.reconstruction_error(x, per_feature=True)
    assert per_feature.shape == (20, 6) and per_feature.dtype == np.float64
    np.testing.assert_allclose(per_feature.mean(axis=1), -detector.score_samples(x))
    np.testing.assert_array_equal(per_feature.argmax(axis=1), np.arange(20) % 6)


# ------------------------------------------------------------------ outputs and randomness


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_are_float64_and_labels_ints(dtype):
    X, _ = labelled()
    detector = ReconstructionOutlierDetector(AutoencoderTransformer(**FAST_AE)).fit(
        X.astype(dtype))
    for output in (detector.score_samples(X.astype(dtype)), detector.decision_function(X),
                   detector.reconstruction_error(X), detector.train_scores_):
        assert output.dtype == np.float64
    assert isinstance(detector.offset_, float)
    labels = detector.predict(X)
    assert labels.dtype.kind == "i" and set(np.unique(labels)) == {-1, 1}


def test_same_random_state_same_scores_and_user_estimator_untouched():
    X, _ = labelled()
    ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(16,), max_iter=10)
    a = ReconstructionOutlierDetector(ae, random_state=0).fit(X).score_samples(X)
    b = ReconstructionOutlierDetector(ae, random_state=0).fit(X).score_samples(X)
    c = ReconstructionOutlierDetector(ae, random_state=1).fit(X).score_samples(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert ae.random_state is None and not hasattr(ae, "net_")
    # A seed set on the estimator itself is kept.
    seeded = ReconstructionOutlierDetector(clone(ae).set_params(random_state=7),
                                           random_state=0)
    assert seeded.fit(X).estimator_.random_state == 7


def test_nested_random_states_are_seeded_and_global_rng_untouched():
    X, _ = labelled()
    pipe = make_pipeline(PCA(2, svd_solver="randomized"))
    torch.manual_seed(123)
    np.random.seed(123)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    detector = ReconstructionOutlierDetector(pipe, random_state=0).fit(X)
    seed = detector.estimator_.get_params()["pca__random_state"]
    assert isinstance(seed, int)
    assert pipe.get_params()["pca__random_state"] is None
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    again = ReconstructionOutlierDetector(pipe, random_state=0).fit(X)
    assert again.estimator_.get_params()["pca__random_state"] == seed


def test_pickle_round_trip_keeps_scores_and_threshold():
    X, _ = labelled()
    detector = ReconstructionOutlierDetector(AutoencoderTransformer(**FAST_AE)).fit(X)
    restored = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))
    assert restored.offset_ == detector.offset_
    restored.set_threshold(contamination=0.1)
    assert np.sum(restored.predict(X) == -1) == round(0.1 * len(X))


def test_feature_names_and_y_is_ignored():
    pd = pytest.importorskip("pandas")
    X, y = labelled()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    detector = ReconstructionOutlierDetector(PCA(2)).fit(frame, y)
    assert list(detector.feature_names_in_) == list(frame.columns)
    np.testing.assert_allclose(detector.score_samples(frame),
                               ReconstructionOutlierDetector(PCA(2)).fit(X).score_samples(X),
                               rtol=1e-12)


# ---------------------------------------------------------------------------------- bad input

BAD_INPUT = [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "Input X contains NaN."),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "Input X contains infinity"),
    (np.empty((0, 2)), ValueError,
     "Found array with 0 sample(s) (shape=(0, 2)) while a minimum of 1 is required"),
    (np.array([["a", "b"], ["c", "d"]]), ValueError, "could not convert string to float"),
    (np.zeros((3, 2, 2)), ValueError,
     "Found array with dim 3"),  # (the rest of scikit-learn's message changed in 1.7)
    (sp.csr_matrix(np.eye(2)), TypeError,
     "Sparse data was passed for X, but dense data is required. Use '.toarray()' to "
     "convert to a dense numpy array."),
]
BAD_IDS = ["nan", "inf", "empty", "strings", "3d", "sparse"]


@pytest.mark.parametrize("X, error, msg", BAD_INPUT, ids=BAD_IDS)
def test_bad_input_at_fit(X, error, msg):
    detector = ReconstructionOutlierDetector(PCA(1))
    with pytest.raises(error, match=re.escape(msg)):
        detector.fit(X)
    assert not hasattr(detector, "offset_")


@pytest.mark.parametrize("method", ["predict", "score_samples", "decision_function",
                                    "reconstruction_error"])
@pytest.mark.parametrize("X, error, msg", BAD_INPUT, ids=BAD_IDS)
def test_bad_input_after_fit(method, X, error, msg):
    detector = ReconstructionOutlierDetector(PCA(1)).fit(plane(n_features=2))
    with pytest.raises(error, match=re.escape(msg)):
        getattr(detector, method)(X)


def test_wrong_number_of_features_and_not_fitted():
    detector = ReconstructionOutlierDetector(PCA(2)).fit(plane())
    msg = "X has 4 features, but ReconstructionOutlierDetector is expecting 6 features as input."
    for method in ("predict", "score_samples", "decision_function", "reconstruction_error"):
        with pytest.raises(ValueError, match=re.escape(msg)):
            getattr(detector, method)(np.zeros((2, 4)))
        with pytest.raises(NotFittedError):
            getattr(ReconstructionOutlierDetector(), method)(np.zeros((2, 6)))


class BadShape(TransformerMixin, BaseEstimator):
    """A transformer whose inverse_transform does not undo its transform."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X[:, :1]

    def inverse_transform(self, X):
        return X


class Exploding(BadShape):
    def inverse_transform(self, X):
        return np.full((len(X), 2), np.inf)


@pytest.mark.parametrize(
    "estimator, error, msg",
    [
        (KMeans(n_clusters=2), InvalidParameterError,
         "The 'estimator' parameter of ReconstructionOutlierDetector must be an object "
         "implementing 'fit', 'transform' and 'inverse_transform' or None. Got "
         "KMeans(n_clusters=2) instead."),
        ("pca", InvalidParameterError,
         "The 'estimator' parameter of ReconstructionOutlierDetector must be an object "
         "implementing 'fit', 'transform' and 'inverse_transform' or None. Got 'pca' "
         "instead."),
        (BadShape(), ValueError,
         "The estimator BadShape rebuilt X of shape (30, 2) as an array of shape (30, 1); a "
         "reconstruction must have the shape of its input. Check that its inverse_transform "
         "undoes its transform."),
        (Exploding(), ValueError,
         "The reconstruction of X by Exploding contains NaN or infinity. Check the "
         "estimator, or scale X first (scale='robust')."),
    ],
    ids=["no-inverse-transform", "string", "wrong-shape", "not-finite"],
)
def test_bad_estimator(estimator, error, msg):
    detector = ReconstructionOutlierDetector(estimator)
    with pytest.raises(error, match=re.escape(msg)):
        detector.fit(plane(n=30, n_features=2))
    assert not hasattr(detector, "estimator_") and not hasattr(detector, "offset_")


@pytest.mark.parametrize(
    "params, msg",
    [
        (dict(contamination=0.7),
         "The 'contamination' parameter of ReconstructionOutlierDetector must be a str among "
         "{'auto'} or a float in the range (0.0, 0.5]. Got 0.7 instead."),
        (dict(contamination=0.0),
         "The 'contamination' parameter of ReconstructionOutlierDetector must be a str among "
         "{'auto'} or a float in the range (0.0, 0.5]. Got 0.0 instead."),
        (dict(n_std=-1.0),
         "The 'n_std' parameter of ReconstructionOutlierDetector must be a float in the "
         "range [0.0, inf). Got -1.0 instead."),
        (dict(threshold="p99"),
         "The 'threshold' parameter of ReconstructionOutlierDetector must be a str among"),
        (dict(metric="rmse"),
         "The 'metric' parameter of ReconstructionOutlierDetector must be a str among"),
        (dict(scale="minmax"),
         "The 'scale' parameter of ReconstructionOutlierDetector must be a str among"),
    ],
)
def test_bad_parameters(params, msg):
    with pytest.raises(InvalidParameterError, match=re.escape(msg)):
        ReconstructionOutlierDetector(PCA(1), **params).fit(plane(n=30, n_features=2))


@pytest.mark.parametrize("scale", ["robust", "standard", None])
def test_works_under_the_global_pandas_output_setting(scale):
    # sklearn.set_config(transform_output="pandas") makes the scaler return a DataFrame:
    # the detector keeps working on arrays and returns arrays, as IsolationForest does.
    import sklearn

    X, _ = labelled()
    expected = ReconstructionOutlierDetector(PCA(2), scale=scale).fit(X)
    with sklearn.config_context(transform_output="pandas"):
        detector = ReconstructionOutlierDetector(PCA(2), scale=scale).fit(X)
        scores = detector.score_samples(X)
        labels = detector.predict(X)
    assert type(scores) is np.ndarray and type(labels) is np.ndarray
    np.testing.assert_allclose(scores, expected.score_samples(X))
    np.testing.assert_array_equal(labels, expected.predict(X))


def test_values_too_large_to_scale_or_measure_are_clear_errors():
    X, _ = labelled()
    with pytest.raises(ValueError, match=re.escape(
            "scale='standard' turned X into NaN or infinity: its values (up to 1e+300 in "
            "absolute value) are too large to scale in float64. Divide X by a large constant "
            "first, or pass scale=None.")):
        ReconstructionOutlierDetector(PCA(2), scale="standard").fit(
            np.vstack([X, np.full((2, X.shape[1]), 1e300)]))
    detector = ReconstructionOutlierDetector(PCA(2), scale=None, metric="mse").fit(X)
    far = X[:3].copy()
    far[0, 0] = 1e200
    with pytest.raises(ValueError, match=re.escape(
            "The reconstruction errors of X overflowed float64: X holds values (up to 1e+200 "
            "in absolute value, after scaling) too large to measure with metric='mse'.")):
        detector.score_samples(far)
