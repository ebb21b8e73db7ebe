"""Reliability over every public estimator: hostile data, divergence, interruption, threads.

Every estimator found by ``all_estimators()`` runs here with its small ``FAST_PARAMS``, so a
new family is covered the day it is exported.

- Property-based (hypothesis): for arrays of any small shape and dtype, with NaN, infinity,
  values up to +-1e30, tiny values, constant and duplicated columns, every call either
  raises a ValueError whose message is one of the documented ones (``CLEAR_ERRORS``) or
  returns finite output of the documented shape and dtype. A watchdog ends the run if a
  call hangs.
- A diverging fit raises the documented error, for every family.
- A fit interrupted by KeyboardInterrupt (between or within epochs) leaves an estimator that
  transforms, scores, pickles and trains on consistently.
- Inference from several threads at once gives the results of one thread.
"""

import faulthandler
import pickle
import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import is_clusterer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from _instances import AUTOENCODERS, ESTIMATORS, NAMES, low_rank, make, scaled_digits
from sklearn_ae import AutoencoderTransformer

#: The errors an estimator raises on purpose for hostile data. Anything else is a defect.
CLEAR_ERRORS = re.compile("|".join(map(re.escape, [
    "Input X contains NaN",  # scikit-learn's validation, at fit and after
    "Input X contains infinity or a value too large",
    "Input contains NaN",  # the same, for codes given to inverse_transform
    "Input contains infinity or a value too large",
    "; the optimizer diverged. Lower learning_rate_init",  # DivergenceCheck
    "too large for the network's arithmetic in",  # DivergenceCheck, of overflowing data
    "the network returned NaN or infinity for X that is finite",  # BaseAutoencoder._predict
    "the network's weights are NaN or infinite",
    "contains NaN or infinity. Check the estimator",  # ReconstructionOutlierDetector
    "turned X into NaN or infinity",  # ReconstructionOutlierDetector's scaling
    "The reconstruction errors of X overflowed float64",
    "The squared distances from the codes of X to the cluster centres overflowed float64",
    "should be >= n_clusters",  # DeepEmbeddedClustering, as KMeans: fewer samples than clusters
    "time steps (rows), fewer than window_size",  # TimeSeriesOutlierDetector: too short
    "have no observed value (every entry is NaN)",  # NaN-aware families: a row of holes
    "every value of X is missing (NaN)",  # NaN-aware families: nothing observed at all
])))

#: Seconds after which a hung test ends the whole run, with every thread's traceback.
WATCHDOG_S = 300

HYPOTHESIS = dict(
    deadline=None,
    database=None,  # write nothing into the checkout
    derandomize=True,  # the same examples on every run and machine: no flaky failures
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BIG32 = float(np.float32(1e30))
# float32 values as Python floats: hypothesis refuses a float that float32 cannot hold exactly
# (with numpy 1.x, which compares np.float32(1e-30) with 1e-30 in float64).
TINY32 = float(np.float32(1e-30))


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@st.composite
def matrices(draw, n_features=None, allow_non_finite=True):
    """Small 2-D arrays that estimators meet in the wild, and some they should not."""
    n = draw(st.integers(1, 8))
    p = n_features or draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    if dtype == "int64":
        X = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(-10**9, 10**9)))
    else:
        width = 32 if dtype == "float32" else 64
        top = draw(st.sampled_from([1.0, 1e6, BIG32]))
        elements = st.floats(-top, top, width=width) | st.sampled_from(
            [0.0, TINY32, -TINY32, BIG32, -BIG32])
        X = draw(hnp.arrays(dtype, (n, p), elements=elements))
        if allow_non_finite and draw(st.booleans()):
            X[draw(st.integers(0, n - 1)), draw(st.integers(0, p - 1))] = draw(
                st.sampled_from([np.nan, np.inf, -np.inf]))
    if p > 1 and draw(st.booleans()):
        X[:, draw(st.integers(0, p - 1))] = X[0, 0]  # a constant column
    if p > 1 and draw(st.booleans()):
        X[:, 1] = X[:, 0]  # a duplicated column
    return as_layout(X, draw(st.sampled_from(LAYOUTS)))


#: Memory layouts of valid numpy input: torch refuses negative strides, so they need care.
LAYOUTS = ["C", "Fortran", "reversed"]


def as_layout(X, layout):
    """`X`'s values in another memory layout: Fortran order, or a view with negative strides."""
    if layout == "Fortran":
        return np.asfortranarray(X)
    if layout == "reversed":
        return X[::-1, ::-1].copy()[::-1, ::-1]
    return X


def clear_error_or(method, *args):
    """The result of ``method(*args)``, or None if it raised one of the clear errors."""
    try:
        return method(*args)
    except ValueError as exc:
        assert CLEAR_ERRORS.search(str(exc)), f"{method.__qualname__}: unclear error {exc!r}"
        return None


def check_outputs(est, X):
    """Every method gives finite output of the documented shape and dtype, or a clear error."""
    n, p = X.shape
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    codes = None
    if hasattr(est, "transform"):
        codes = clear_error_or(est.transform, X)
        if codes is not None:
            n_out = len(est.get_feature_names_out())
            assert codes.shape == (n, n_out) and codes.dtype == dtype
            assert np.isfinite(codes).all()
    if codes is not None and hasattr(est, "inverse_transform"):
        X_back = clear_error_or(est.inverse_transform, codes)
        if X_back is not None:
            assert X_back.shape == (n, p) and X_back.dtype == codes.dtype
            assert np.isfinite(X_back).all()
    if hasattr(est, "reconstruct"):
        X_rec = clear_error_or(est.reconstruct, X)
        if X_rec is not None:
            assert X_rec.shape == (n, p) and X_rec.dtype == dtype and np.isfinite(X_rec).all()
    for method in ("score_samples", "decision_function"):
        if hasattr(est, method):
            scores = clear_error_or(getattr(est, method), X)
            if scores is not None:
                assert scores.shape == (n,) and scores.dtype == np.float64
                assert np.isfinite(scores).all()
    if hasattr(est, "predict"):
        labels = clear_error_or(est.predict, X)
        if labels is not None:
            assert labels.shape == (n,) and labels.dtype.kind == "i"
            if is_clusterer(est):
                assert set(np.unique(labels)) <= set(range(est.n_clusters))
            else:  # an outlier detector
                assert set(np.unique(labels)) <= {-1, 1}
    if hasattr(est, "predict_proba"):
        proba = clear_error_or(est.predict_proba, X)
        if proba is not None:
            assert proba.shape == (n, est.n_clusters) and proba.dtype == np.float64
            assert np.isfinite(proba).all() and (proba >= 0).all()
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    if hasattr(est, "score"):
        score = clear_error_or(est.score, X)
        assert score is None or np.isfinite(score)


@pytest.mark.parametrize("layout", LAYOUTS[1:])
@pytest.mark.parametrize("name", NAMES)
def test_every_memory_layout_gives_the_results_of_a_contiguous_array(name, layout):
    X = low_rank(40, 3, noise=0)
    X_view = as_layout(X, layout)
    assert np.array_equal(X_view, X) and not X_view.flags.c_contiguous
    method = "transform" if hasattr(ESTIMATORS[name], "transform") else "score_samples"
    expected = getattr(make(name).fit(X), method)(X)
    est = make(name).fit(X_view)
    # Equal up to float64 rounding: a sum over another memory order may round differently.
    np.testing.assert_allclose(getattr(est, method)(X_view), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (4, 1)], ids=["1x1", "1-row", "1-column"])
def test_a_reversed_view_with_an_axis_of_length_one_is_copied_too(shape):
    # numpy counts such a view contiguous, and np.ascontiguousarray returned it as it was,
    # negative strides included, which torch refuses.
    X = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    X_view = X[::-1, ::-1].copy()[::-1, ::-1]
    assert min(X_view.strides) < 0 and np.array_equal(X_view, X)
    expected = make("AutoencoderTransformer").fit(X).transform(X)
    np.testing.assert_array_equal(
        make("AutoencoderTransformer").fit(X_view).transform(X_view), expected)


# ---------------------------------------------------------------------- property-based tests


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, **HYPOTHESIS)
@given(X=matrices())
@example(X=np.array([[1e30, 0.0, 1.0], [0.0, -1e30, 2.0], [3.0, 4.0, 5.0]]))
@example(X=np.array([[1e30, 0.0], [0.0, -1e30]], dtype=np.float32))
@example(X=np.ones((5, 3)))
@example(X=np.array([[np.nan, 1.0], [2.0, 3.0]]))
def test_fit_then_every_method_finite_output_or_a_clear_error(name, X):
    est = make(name)
    with warnings.catch_warnings():
        # Hostile data on purpose: this test checks errors and outputs, and the warnings such
        # data draw are expected here and only here (an overshooting fit, KMeans's duplicate
        # points, a batch_size clipped to a few rows, numpy's overflow): the one test that
        # filters warnings itself, rather than in pyproject.toml's list.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Got batch_size=")
        # numpy's own warning when a statistic of float32 data near 1e30 overflows.
        warnings.filterwarnings("ignore", message="overflow encountered", category=RuntimeWarning)
        fitted = clear_error_or(est.fit, X)
        if fitted is None:
            return
        assert fitted is est
        check_outputs(est, X)
        if hasattr(est, "partial_fit") and clear_error_or(est.partial_fit, X) is not None:
            check_outputs(est, X)


@pytest.fixture(scope="module")
def fitted_on_clean_data():
    """Each estimator fitted once on ordinary data of 3 features."""
    X = low_rank(60, 3, noise=0)
    return {name: make(name).fit(X) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, **HYPOTHESIS)
@given(X=matrices(n_features=3))
@example(X=np.full((2, 3), 1e30))
@example(X=np.full((2, 3), -BIG32, dtype=np.float32))
@example(X=np.array([[1e300, 0.0, 0.0]]))  # beyond float32: overflows a float32 network
def test_every_method_after_a_clean_fit_finite_output_or_a_clear_error(
        name, X, fitted_on_clean_data):
    check_outputs(fitted_on_clean_data[name], X)


def test_an_overflowing_output_is_an_error_that_says_why():
    X = np.random.RandomState(0).uniform(size=(50, 3)).astype(np.float32)
    ae = make("AutoencoderTransformer", max_iter=2).fit(X)
    huge = np.array([[1e300, 0.0, 0.0]])  # fine in float64, infinite in the float32 network
    msg = (
        "AutoencoderTransformer: the network returned NaN or infinity for X that is finite. "
        "X holds values up to 1e+300 in absolute value, and the network computes in "
        "torch.float32 (whose largest value is 3.4e+38): values this far from the training "
        "data overflow its arithmetic. Scale X as the training data were scaled (e.g. with the "
        "same StandardScaler, in a Pipeline), or clip it."
    )
    for method in (ae.transform, ae.reconstruct, ae.score_samples):
        with pytest.raises(ValueError, match=re.escape(msg)):
            method(huge)
    with torch.no_grad():
        next(ae.net_.module_.parameters())[0, 0] = float("nan")
    with pytest.raises(ValueError, match=re.escape(
            "AutoencoderTransformer: the network's weights are NaN or infinite, so every output "
            "is: its training diverged before the divergence check could stop it (e.g. it was "
            "interrupted). Refit with a lower learning_rate_init, or scale X first (e.g. with "
            "StandardScaler).")):
        ae.transform(X)


# --------------------------------------------------------------------------------- divergence


def diverging(name, optimizer):
    """``name`` set up to diverge: learning_rate_init=1e3, on itself or on its estimator.

    A meta-estimator that trains too (DeepEmbeddedClustering, whose fine-tuning has no
    choice of optimizer) pretrains its estimator with ``optimizer`` and diverges itself.
    """
    params = ESTIMATORS[name]().get_params()
    explosive = dict(learning_rate_init=1e3, optimizer=optimizer, max_iter=20)
    if "optimizer" in params:
        return make(name, **explosive)
    if "estimator" in params and "learning_rate_init" in params:
        return make(name, learning_rate_init=1e3, max_iter=20, estimator=AutoencoderTransformer(
            hidden_layer_sizes=(8,), optimizer=optimizer, max_iter=5))
    if "estimator" in params:
        return make(name, estimator=AutoencoderTransformer(hidden_layer_sizes=(8,), **explosive))
    if "learning_rate_init" in params:  # AutoencoderImputer: its network trains with Adam
        if optimizer != "adam":
            pytest.skip(f"{name} has no choice of optimizer")
        return make(name, learning_rate_init=1e3, max_iter=20)
    raise AssertionError(f"{name}: teach diverging() how to make this estimator diverge")


@pytest.fixture(scope="module")
def standardized():
    return StandardScaler().fit_transform(scaled_digits(200)[0])


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("name", NAMES)
def test_a_diverging_fit_raises_the_documented_error(name, optimizer, standardized):
    est = diverging(name, optimizer)
    with pytest.raises(ValueError, match=re.compile(
            r"\w+: the training loss became \S+ at epoch \d+ of this call's 20[^;]*; the "
            r"optimizer diverged\. Lower learning_rate_init \(got 1000\.0\), for example to "
            r"100, or scale X first \(e\.g\. with StandardScaler\)\.")):
        est.fit(standardized)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_data_scaled_to_1e30_raises_the_documented_error(name, standardized):
    # In float32, the squared error of such data overflows at the first batch: the error
    # leads with the data's scale, not with the learning rate.
    X = (standardized * 1e30).astype(np.float32)
    with pytest.raises(ValueError, match=(
            r"the training loss became (inf|nan) at epoch 1 of this call's \d+: X holds values "
            r"up to .* in absolute value, too large for the network's arithmetic in float32 "
            r"\(whose largest number is 3\.4e\+38\): their squared errors and the optimizer's "
            r"statistics of their gradients overflow\. Scale X first")):
        make(name).fit(X)


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_near_overflow_in_float32_the_error_leads_with_the_data_scale(name, standardized):
    # Values near 1e19: their squares approach float32's largest number. The error used to
    # advise a lower learning_rate_init first; the step is not what overflows.
    X = (standardized * 1e19).astype(np.float32)
    with pytest.raises(ValueError) as error:
        make(name).fit(X)
    message = str(error.value)
    assert "too large for the network's arithmetic in float32" in message
    assert "learning_rate_init" not in message


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_partial_fit_calls_that_diverge_raise_and_keep_the_last_good_state(name, standardized):
    # Each call is measured against the network's first batch, not against the blown-up
    # weights that the previous call left.
    est = make(name, learning_rate_init=1e6)
    before = None
    with pytest.raises(ValueError, match=r"; the optimizer diverged\. Lower learning_rate_init"):
        for _ in range(10):
            before = est.transform(standardized) if hasattr(est, "net_") else None
            est.partial_fit(standardized)
    if before is None:
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    else:
        np.testing.assert_array_equal(est.transform(standardized), before)


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_a_blow_up_in_the_last_step_of_a_fit_is_caught(name, standardized):
    # One batch per epoch and one epoch: no epoch's loss sees the weights of the only step.
    est = make(name, learning_rate_init=1e6, max_iter=1, batch_size=60)
    with pytest.raises(ValueError, match=r"after the last training step of this call.*; the "
                                         r"optimizer diverged\."):
        est.fit(standardized[:60])
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def test_a_fit_that_overshoots_to_a_bounded_loss_warns():
    X, _ = scaled_digits(300)  # in [0, 1]: a sigmoid output, which saturates
    with pytest.warns(ConvergenceWarning, match=re.escape(
            "times its lowest value in this fit") + r".*the optimizer overshot and the network "
            r"got worse\. Lower learning_rate_init \(got 1000000\.0\)"):
        make("AutoencoderTransformer", learning_rate_init=1e6, max_iter=11).fit(X)
    # A fit that goes well does not say so.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        make("AutoencoderTransformer", max_iter=20, tol=0.5).fit(X)


def test_data_too_large_to_square_as_a_python_float_is_no_overflow_error(standardized):
    # The divergence bound squares the data's scale: above 1e154 that overflows a float.
    est = make("AutoencoderTransformer", loss="mae")
    try:
        est.fit(standardized * 1e200)
    except ValueError as exc:
        assert CLEAR_ERRORS.search(str(exc)), exc
    else:
        assert np.isfinite(est.transform(standardized * 1e200)).all()


# ------------------------------------------------------------------------ KeyboardInterrupt


class InterruptAt(Callback):
    """Raise KeyboardInterrupt once: at the end of ``epoch``, or after its batch ``batch``."""

    def __init__(self, epoch, batch=None):
        self.epoch = epoch
        self.batch = batch
        self.fired_ = False

    def _interrupt(self):
        self.fired_ = True
        raise KeyboardInterrupt

    def on_batch_end(self, net, training=False, **kwargs):
        if self.batch is not None and training and not self.fired_:
            if len(net.history) == self.epoch and len(net.history[-1]["batches"]) == self.batch:
                self._interrupt()

    def on_epoch_end(self, net, **kwargs):
        if self.batch is None and not self.fired_ and len(net.history) == self.epoch:
            self._interrupt()


def interrupted(name, callback):
    """``name`` whose training (or its estimator's) ``callback`` interrupts.

    A meta-estimator that trains on after its estimator (DeepEmbeddedClustering) does so for
    a fixed budget (``tol=None``), so that no warning of its own mixes with the interruption.
    """
    params = ESTIMATORS[name]().get_params()
    training = dict(max_iter=6, batch_size=20, callbacks=[callback])
    if "callbacks" in params:
        return make(name, **training)
    if "estimator" not in params:  # AutoencoderImputer: its DenoisingAutoencoder's, tested
        pytest.skip(f"{name} takes no callbacks to interrupt it with")
    fixed_budget = {"tol": None} if "tol" in params else {}
    return make(name, estimator=AutoencoderTransformer(hidden_layer_sizes=(8,), **training),
                **fixed_budget)


@pytest.mark.parametrize("where", ["between-epochs", "within-an-epoch"])
@pytest.mark.parametrize("name", NAMES)
def test_an_interrupted_fit_leaves_a_consistent_estimator(name, where):
    X = np.random.RandomState(0).uniform(size=(100, 4))  # 5 batches of 20
    callback = InterruptAt(3) if where == "between-epochs" else InterruptAt(3, batch=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopped by the user: no warning
        est = interrupted(name, callback).fit(X)
    ae = getattr(est, "estimator_", est)
    n_epochs = 3 if where == "between-epochs" else 2  # an unfinished epoch is not counted
    assert ae.n_iter_ == len(ae.loss_curve_) == n_epochs
    assert len(ae.net_.history) == n_epochs
    assert np.isfinite(ae.loss_curve_).all()
    check_outputs(est, X)
    if hasattr(est, "score_samples") and hasattr(est, "score") and est is ae:
        assert est.score(X) == pytest.approx(est.score_samples(X).mean(), rel=1e-12)
    if hasattr(est, "reconstruct"):
        np.testing.assert_allclose(est.reconstruct(X), est.inverse_transform(est.transform(X)),
                                   rtol=1e-6, atol=1e-6)
    if hasattr(est, "offset_"):
        np.testing.assert_allclose(est.decision_function(X), est.score_samples(X) - est.offset_)
        np.testing.assert_array_equal(est.train_scores_, est.score_samples(X))
    restored = pickle.loads(pickle.dumps(est))
    method = "transform" if hasattr(est, "transform") else "score_samples"
    np.testing.assert_array_equal(getattr(restored, method)(X), getattr(est, method)(X))
    if hasattr(est, "partial_fit"):
        est.partial_fit(X)  # and it trains on
        assert est.n_iter_ == n_epochs + 1


def test_an_interruption_in_the_first_epoch_leaves_a_usable_estimator():
    X = np.random.RandomState(0).uniform(size=(100, 4))
    est = make("AutoencoderTransformer", batch_size=20, callbacks=[InterruptAt(1, batch=2)])
    est.fit(X)
    assert est.n_iter_ == 0 and est.loss_curve_ == [] and est.best_loss_ is None
    assert np.isfinite(est.transform(X)).all()


def test_an_interrupted_early_stopping_fit_keeps_its_best_weights():
    X = np.random.RandomState(0).uniform(size=(200, 4))
    est = make("AutoencoderTransformer", batch_size=20, early_stopping=True,
               callbacks=[InterruptAt(4)], learning_rate_init=1e-2).fit(X)
    assert len(est.validation_scores_) == est.n_iter_ == 4
    assert est.best_validation_score_ == max(est.validation_scores_)


# ---------------------------------------------------------------------------------- threads


@pytest.mark.parametrize("name", NAMES)
def test_inference_from_several_threads_matches_one_thread(name):
    X = np.random.RandomState(0).uniform(size=(3000, 5)).astype(np.float32)
    est = make(name).fit(X[:300])
    methods = [m for m in ("transform", "reconstruct", "score_samples", "decision_function",
                           "predict") if hasattr(est, m)]
    chunks = np.array_split(X, 6)
    for chunk in chunks:
        chunk.flags.writeable = False  # as a memmap opened 'r': torch warns about those
    expected = {m: [getattr(est, m)(chunk) for chunk in chunks] for m in methods}
    jobs = [(m, i) for m in methods for i in range(len(chunks))] * 3
    filters = list(warnings.filters)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: getattr(est, job[0])(chunks[job[1]]), jobs))
    # No call leaves a warning filter behind in the caller's list (catch_warnings around
    # each call would, when threads interleave).
    assert warnings.filters == filters
    for (method, i), result in zip(jobs, results):
        # Equal up to the last bits: torch may split an operation among fewer intra-op
        # threads while other calls hold them; a race (a shared train mode, a batch from
        # another call) would give other values altogether.
        np.testing.assert_allclose(result, expected[method][i], rtol=1e-5, atol=1e-6,
                                   err_msg=method)


@pytest.mark.parametrize("name", NAMES)
def test_fits_in_several_threads_match_one_thread(name):
    # torch's generator is global to the process: seeded fits take turns, so that each gets
    # the stream its random_state seeds (corruption, shuffling and initialisation).
    X = np.random.RandomState(0).uniform(size=(120, 4)).astype(np.float32)

    def fit(_):
        est = make(name, **({} if name in ("ReconstructionOutlierDetector",
                                           "TimeSeriesOutlierDetector")
                            else {"batch_size": 20}))
        est.fit(X)
        return est.transform(X) if hasattr(est, "transform") else est.score_samples(X)

    expected = fit(None)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(fit, range(6)))
    for result in results:
        np.testing.assert_array_equal(result, expected)
