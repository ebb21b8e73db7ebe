"""scikit-learn's estimator checks over every public estimator, found by discovery, and the
behaviour that every estimator (or every autoencoder family) shares, tested once for all."""

import copy
import pickle
import re

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from _instances import AUTOENCODERS, ESTIMATORS, FAST_PARAMS, NAMES, case

#: check name -> reason, per estimator. The goal is none at all.
EXPECTED_FAILED_CHECKS = {
    # Its rows are the time steps of one series, not independent samples: a time step is
    # scored from the windows of its neighbours.
    "TimeSeriesOutlierDetector": {
        "check_methods_sample_order_invariance": (
            "rows are time steps: shuffling them changes the windows, hence the scores"),
        "check_methods_subset_invariance": (
            "rows are time steps: a batch of rows is a shorter series, scored from its own "
            "windows (a single row is shorter than a window and refused)"),
    },
}

#: One instance of each estimator with its fast settings (and no seed: the checks set it).
INSTANCES = [ESTIMATORS[name](**FAST_PARAMS[name]) for name in NAMES]
#: The detector as an ensemble with the code-space term and both views, as its default is.
INSTANCES.append(ESTIMATORS["ReconstructionOutlierDetector"](
    **FAST_PARAMS["ReconstructionOutlierDetector"], n_estimators=3, n_neighbors=5))
#: DEC-DA: the clusterer trains on shifted copies; each row is a one-pixel-high image.
INSTANCES.append(ESTIMATORS["DeepEmbeddedClustering"](
    **FAST_PARAMS["DeepEmbeddedClustering"], augmentation="shift", image_shape=(1, -1)))


def test_every_estimator_has_fast_params():
    # A new estimator must choose its fast settings, not run the checks at full size.
    assert set(ESTIMATORS) == set(FAST_PARAMS)


@parametrize_with_checks(
    INSTANCES,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator", [est for est in INSTANCES if hasattr(est, "get_feature_names_out")],
    ids=lambda est: type(est).__name__,
)
def test_get_feature_names_out_needs_a_fit(estimator):
    # As scikit-learn's transformers: no names before the width of the code is known.
    with pytest.raises(NotFittedError):
        estimator.get_feature_names_out()


# ------------------------------------------------------------------- copies of an estimator


def outputs(est, X):
    """Everything an estimator computes from X, by method: to compare a copy with it."""
    methods = ["transform", "reconstruct", "score_samples", "decision_function", "predict",
               "predict_proba", "score"]
    found = {m: getattr(est, m)(X) for m in methods if hasattr(est, m)}
    if "transform" in found and hasattr(est, "inverse_transform"):
        found["inverse_transform"] = est.inverse_transform(found["transform"])
    if hasattr(est, "sample"):
        found["sample"] = est.sample(3, random_state=0)
    return found


def fitted_attributes(est):
    """The fitted attributes of ``est`` that hold data (not estimators, nor networks)."""
    def is_estimator(value):
        if isinstance(value, list):  # a detector's models and scalers
            return any(is_estimator(item) for item in value)
        return hasattr(value, "get_params")

    return {k: v for k, v in vars(est).items()
            if k.endswith("_") and not k.startswith("_") and not is_estimator(v)}


def corruption(est):
    """What the corruption of ``est``'s training inputs is set to, if it has one."""
    found = getattr(getattr(est, "net_", None), "corruption", None)
    return None if found is None else vars(found)


def assert_same_params(a, b):
    """``a`` and ``b`` have the same parameters; nested estimators compared by their own."""
    params_a, params_b = a.get_params(), b.get_params()
    assert params_a.keys() == params_b.keys()
    for key, value in params_a.items():
        if hasattr(value, "get_params"):
            assert type(params_b[key]) is type(value), key
        elif value is not params_b[key]:  # (np.nan, a missing_values, is not equal to itself)
            assert params_b[key] == value, key


@pytest.mark.parametrize("name", NAMES)
def test_pickle_joblib_deepcopy_round_trips_and_clone(name, tmp_path):
    est, X = case(name)
    est.fit(X)
    expected, attributes = outputs(est, X), fitted_attributes(est)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    for copied in (pickle.loads(pickle.dumps(est)), joblib.load(path), copy.deepcopy(est)):
        got = outputs(copied, X)
        assert got.keys() == expected.keys()
        for method, value in got.items():
            np.testing.assert_array_equal(value, expected[method], err_msg=method)
        # Image shapes, steps, code widths, curves... travel with it.
        np.testing.assert_equal(fitted_attributes(copied), attributes)
        assert corruption(copied) == corruption(est)  # the noise it trains with, too
    fresh = clone(est)
    assert not [k for k in vars(fresh) if k.endswith("_") and not k.startswith("_")]
    assert_same_params(fresh, est)


# ------------------------------------------------------------------- what every family shares


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_same_seed_gives_identical_fits_and_the_callers_random_state_is_untouched(name):
    # early_stopping=True: the validation split is drawn too, with the initial weights, the
    # shuffling and (for the families that corrupt their input) the noise.
    est, X = case(name, early_stopping=True)
    torch.manual_seed(123)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    a = clone(est).fit(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    b = clone(est).fit(X)
    for pa, pb in zip(a.net_.module_.parameters(), b.net_.module_.parameters()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    np.testing.assert_equal(fitted_attributes(a), fitted_attributes(b))  # curves, scores
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = clone(est).set_params(random_state=1).fit(X)
    assert not np.allclose(a.transform(X), c.transform(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", AUTOENCODERS)
def test_output_dtype_follows_input_dtype(name, dtype):
    est, X = case(name)
    X = X.astype(dtype)
    est.fit(X)
    assert next(est.net_.module_.parameters()).dtype == torch.from_numpy(X).dtype
    assert est.transform(X).dtype == dtype
    assert est.reconstruct(X).dtype == dtype
    assert est.inverse_transform(est.transform(X)).dtype == dtype
    assert est.fit_transform(X).dtype == dtype
    # Other dtype at predict time: computed in the model's dtype, returned in the input's.
    other = np.float64 if dtype == np.float32 else np.float32
    assert est.transform(X.astype(other)).dtype == other
    assert est.reconstruct(X.astype(other)).dtype == other


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_float16_and_integer_input_give_float64_as_documented(name):
    # The docs promise float32 out for float32 in, float64 for anything else; "the dtype of
    # the input" they used to say was wrong for float16.
    est, X = case(name)
    est.fit(X.astype(np.float16))
    assert next(est.net_.module_.parameters()).dtype == torch.float64
    assert est.transform(X.astype(np.float16)).dtype == np.float64
    assert est.reconstruct((X * 10).astype(np.int64)).dtype == np.float64
    for method in (est.transform, est.inverse_transform, est.reconstruct):
        assert "float32 for float32" in method.__doc__, method.__name__


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_feature_names_and_pandas_output(name):
    pd = pytest.importorskip("pandas")
    est, X = case(name, n_components=3)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    codes = est.set_output(transform="pandas").fit_transform(X)
    names = [f"{name.lower()}{i}" for i in range(3)]
    assert list(codes.columns) == names
    assert list(est.get_feature_names_out()) == names
    assert list(est.feature_names_in_) == list(X.columns)
    assert list(est.transform(X).index) == list(X.index)


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_bad_input_at_fit_and_after(name):
    est, X = case(name)
    n_features = X.shape[1]
    # The NaN-aware families take holes, not data without any observed value.
    nan_aware = est.__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match=re.escape(
            "every value of X is missing (NaN)" if nan_aware else "Input X contains NaN.")):
        clone(est).fit(np.full((3, n_features), np.nan))
    with pytest.raises(ValueError, match=re.escape("Input X contains infinity")):
        clone(est).fit(np.full((3, n_features), np.inf))
    est.fit(X)
    width = est.transform(X[:1]).shape[1]
    with pytest.raises(ValueError, match=re.escape(
            f"X has {n_features + 1} features, but {name} is expecting {n_features} features "
            "as input.")):
        est.transform(np.zeros((2, n_features + 1)))
    with pytest.raises(ValueError, match=re.escape(
            "2 row(s) of X have no observed value" if nan_aware else "Input X contains NaN.")):
        est.score_samples(np.full((2, n_features), np.nan))
    with pytest.raises(ValueError, match=re.escape(
            f"X has {width + 1} features, but {name}.inverse_transform is expecting {width} "
            "features (the width of the code) as input.")):
        est.inverse_transform(np.zeros((2, width + 1)))
    with pytest.raises(NotFittedError):
        ESTIMATORS[name]().transform(X)
