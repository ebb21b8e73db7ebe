"""AutoencoderImputer: what it adds to scikit-learn's imputer API, and that it imputes well.

scikit-learn's estimator checks run over it in ``test_common.py``.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_diabetes
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from _instances import make
from sklearn_ae import AutoencoderImputer

HYPOTHESIS = dict(max_examples=25, deadline=None, database=None, derandomize=True)


def low_rank_with_holes(n=200, n_features=6, share=0.2, seed=0):
    """``(X complete, X with holes, mask)``: rows near a 2-D plane, MCAR holes."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, n_features))
    X += 0.05 * rng.normal(size=X.shape)
    mask = rng.rand(*X.shape) < share
    return X, np.where(mask, np.nan, X), mask


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
@settings(**HYPOTHESIS)
@given(
    mask=hnp.arrays(bool, st.tuples(st.integers(1, 12), st.integers(1, 4)),
                    elements=st.booleans()),
    keep_empty_features=st.booleans(),
    add_indicator=st.booleans(),
)
def test_random_masks_no_nan_out_and_observed_entries_unchanged(
        mask, keep_empty_features, add_indicator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=mask.shape) * 10 + 3
    X[mask] = np.nan
    imputer = make("AutoencoderImputer", max_iter=2, keep_empty_features=keep_empty_features,
                   add_indicator=add_indicator)
    out = imputer.fit_transform(X)
    empty = mask.all(axis=0)
    kept = np.ones_like(empty) if keep_empty_features else ~empty
    n_indicator = mask.any(axis=0).sum() if add_indicator else 0
    assert out.shape == (len(X), kept.sum() + n_indicator)
    assert not np.isnan(out).any()
    values = out[:, : kept.sum()]
    observed = ~mask[:, kept]
    np.testing.assert_array_equal(values[observed], X[:, kept][observed])  # exactly
    if keep_empty_features:
        assert (values[:, empty] == 0).all()
    assert len(imputer.get_feature_names_out()) == out.shape[1]


def test_imputes_better_than_the_mean_on_structured_data():
    X, X_missing, mask = low_rank_with_holes(share=0.3)
    ours = AutoencoderImputer(random_state=0).fit_transform(X_missing)
    mean = SimpleImputer().fit_transform(X_missing)

    def rmse(filled):
        return np.sqrt(np.mean((filled[mask] - X[mask]) ** 2))

    assert rmse(ours) < 0.5 * rmse(mean)


def test_rows_without_observed_values_are_imputed():
    _, X, _ = low_rank_with_holes()
    X[[0, 5]] = np.nan
    imputer = make("AutoencoderImputer").fit(X)
    out = imputer.transform(X)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[0], out[5])


def test_all_missing_columns_dropped_or_kept_as_in_simple_imputer():
    _, X, _ = low_rank_with_holes()
    X[:, 1] = np.nan
    names = [f"x{i}" for i in range(6)]
    for keep in (False, True):
        with warnings.catch_warnings():
            # Both warn that they drop the empty column (tested below).
            warnings.filterwarnings("ignore", "Skipping features without any observed")
            ours = make("AutoencoderImputer", keep_empty_features=keep).fit(X)
            theirs = SimpleImputer(keep_empty_features=keep).fit(X)
            assert ours.transform(X).shape == theirs.transform(X).shape
        assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
        assert list(ours.get_feature_names_out()) == (names if keep else names[:1] + names[2:])


def test_dropping_empty_features_warns_as_simple_imputer_does():
    _, X, _ = low_rank_with_holes()
    X[:, [1, 4]] = np.nan
    msg = ("Skipping features without any observed values: [1 4]. At least one non-missing "
           "value is needed for imputation with AutoencoderImputer.")
    with pytest.warns(UserWarning, match=re.escape(msg)):
        out = make("AutoencoderImputer").fit(X).transform(X)
    assert out.shape == (len(X), 4)
    with warnings.catch_warnings():
        # kept, or none empty: nothing is skipped, no warning
        warnings.filterwarnings("error", "Skipping features")
        make("AutoencoderImputer", keep_empty_features=True).fit(X)
        make("AutoencoderImputer").fit(low_rank_with_holes()[1])


def test_every_column_empty():
    X = np.full((5, 2), np.nan)
    with pytest.warns(UserWarning, match=re.escape("without any observed values: [0 1]")):
        assert make("AutoencoderImputer").fit_transform(X).shape == (5, 0)
    imputer = make("AutoencoderImputer", keep_empty_features=True).fit(X)
    np.testing.assert_array_equal(imputer.transform(X), np.zeros((5, 2)))
    assert imputer.autoencoders_ == [] and imputer.n_iter_ == 0


def test_add_indicator_appends_missing_indicator_columns():
    _, X, _ = low_rank_with_holes()
    imputer = make("AutoencoderImputer", add_indicator=True).fit(X)
    out = imputer.transform(X)
    indicator = MissingIndicator().fit_transform(X)
    np.testing.assert_array_equal(out[:, 6:], indicator)
    assert isinstance(imputer.indicator_, MissingIndicator)
    assert imputer.get_feature_names_out()[-1] == "missingindicator_x5"


def test_numeric_missing_values_and_nan_then_refused():
    _, X, mask = low_rank_with_holes()
    X_minus = np.where(mask, -999.0, X)
    imputer = make("AutoencoderImputer", missing_values=-999.0).fit(X_minus)
    out = imputer.transform(X_minus)
    assert not (out == -999.0).any()
    np.testing.assert_array_equal(out[~mask], X_minus[~mask])
    assert not imputer.__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match=re.escape("Input X contains NaN")):
        imputer.transform(X)


def test_infinity_is_refused():
    _, X, _ = low_rank_with_holes()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match=re.escape("Input X contains infinity")):
        make("AutoencoderImputer").fit(X)


def test_seeded_fits_reproduce_and_float32_stays_float32():
    _, X, _ = low_rank_with_holes()
    a = make("AutoencoderImputer").fit_transform(X)
    np.testing.assert_array_equal(a, make("AutoencoderImputer").fit_transform(X))
    assert make("AutoencoderImputer").fit_transform(X.astype(np.float32)).dtype == np.float32


def test_pandas_feature_names_and_output():
    pd = pytest.importorskip("pandas")
    _, X, _ = low_rank_with_holes()
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    imputer = make("AutoencoderImputer", add_indicator=True).set_output(transform="pandas")
    out = imputer.fit_transform(df)
    assert list(out.columns[:6]) == list(df.columns)
    assert list(out.columns[6:]) == [f"missingindicator_f{i}" for i in range(6)]
    assert not out.isna().any().any()


def test_in_a_pipeline_under_grid_search():
    X, y = load_diabetes(return_X_y=True)
    X = np.where(np.random.RandomState(0).rand(*X.shape) < 0.2, np.nan, X)
    pipe = make_pipeline(make("AutoencoderImputer"), Ridge())
    search = GridSearchCV(pipe, {"autoencoderimputer__n_components": [2, 4]}, cv=2).fit(X, y)
    assert search.best_params_["autoencoderimputer__n_components"] in (2, 4)
    assert np.isfinite(search.predict(X)).all()


def test_n_fill_iter_refills_from_the_last_fill():
    _, X, mask = low_rank_with_holes()
    one = make("AutoencoderImputer", n_estimators=1).fit(X)
    three = make("AutoencoderImputer", n_estimators=1, n_fill_iter=3).fit(X)
    a, b = one.transform(X), three.transform(X)
    np.testing.assert_array_equal(a[~mask], b[~mask])
    assert not np.array_equal(a[mask], b[mask])
    # By hand: feed the standardised fill back twice.
    Z = (X - one.mean_) / one.scale_
    filled = Z
    for _ in range(3):
        filled = np.where(mask, one.autoencoders_[0].reconstruct(filled), Z)
    np.testing.assert_allclose(b[mask], (filled * one.scale_ + one.mean_)[mask])


def test_n_estimators_averages_differently_seeded_autoencoders():
    _, X, mask = low_rank_with_holes()
    one = make("AutoencoderImputer", n_estimators=1).fit(X)
    three = make("AutoencoderImputer", n_estimators=3).fit(X)
    assert len(three.autoencoders_) == 3
    seeds = {member.random_state for member in three.autoencoders_}
    assert len(seeds) == 3
    # The first member is the single imputer's network: same seed, same weights.
    assert three.autoencoders_[0].random_state == one.autoencoders_[0].random_state
    a, b = one.transform(X), three.transform(X)
    np.testing.assert_array_equal(a[~mask], X[~mask])
    np.testing.assert_array_equal(b[~mask], X[~mask])
    assert not np.allclose(a[mask], b[mask])
    # By hand: the holes get the members' mean reconstruction.
    Z = (X - three.mean_) / three.scale_  # NaN in the holes, as the members take them
    rebuilt = np.mean([m.reconstruct(Z) for m in three.autoencoders_], axis=0)
    np.testing.assert_allclose(b[mask], (rebuilt * three.scale_ + three.mean_)[mask])
    again = make("AutoencoderImputer", n_estimators=3).fit_transform(X)
    np.testing.assert_array_equal(b, again)


def test_auto_max_iter_shares_the_budget_between_the_autoencoders():
    from sklearn_ae._impute import AUTO_STEPS

    _, X, _ = low_rank_with_holes(n=640)  # 10 batches of 64 rows per epoch
    one = AutoencoderImputer(hidden_layer_sizes=(4,), n_estimators=1, random_state=0).fit(X)
    five = AutoencoderImputer(hidden_layer_sizes=(4,), n_estimators=5, random_state=0).fit(X)
    assert one.autoencoders_[0].max_iter == AUTO_STEPS // 10
    assert all(m.max_iter == AUTO_STEPS // 5 // 10 for m in five.autoencoders_)
