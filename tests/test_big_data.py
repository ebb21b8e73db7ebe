"""Data larger than one wants to copy: memmaps, batched inference, partial_fit, warm_start.

The memory tests run in a subprocess that resets its peak resident set size before each step
(Linux's ``/proc/self/clear_refs``), so each step's peak is measured on its own; a control step
that does copy the data shows that the measure sees a copy.
"""

import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Callback

from _instances import AUTOENCODERS, low_rank, make
from sklearn_ae import AutoencoderTransformer
from sklearn_ae._net import ArrayDataset, BatchIterator

FAST = dict(n_components=3, hidden_layer_sizes=(8,), random_state=0)


def save_npy(path, n, n_features, dtype=np.float32):
    """Write an ``(n, n_features)`` array to ``path`` chunk by chunk, without holding it."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, n_features))
    rng = np.random.RandomState(0)
    for start in range(0, n, 4096):
        out[start : start + 4096] = rng.uniform(size=out[start : start + 4096].shape)
    out.flush()
    del out
    return path


class RecordTrainingInput(Callback):
    """Keep the tensor that skorch trains on (``on_train_begin`` gets it)."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X


# ----------------------------------------------------------------------------------- memmap


@pytest.mark.parametrize("early_stopping", [False, True])
def test_fit_on_a_memmap_trains_on_the_file_itself(tmp_path, early_stopping):
    X = np.load(save_npy(tmp_path / "X.npy", 300, 5), mmap_mode="r")
    ae = AutoencoderTransformer(max_iter=2, early_stopping=early_stopping,
                                callbacks=[RecordTrainingInput()], **FAST)
    ae.fit(X)
    trained_on = dict(ae.net_.callbacks_)["RecordTrainingInput"].X_
    assert isinstance(trained_on, torch.Tensor)
    assert np.shares_memory(trained_on.numpy(), X)
    assert not X.flags.writeable  # read-only, and nothing tried to write to it
    assert ae.transform(X).shape == (300, 3)


def test_validation_split_is_indexed_batch_by_batch_not_copied():
    X = torch.arange(40.0).reshape(20, 2)
    dataset = ArrayDataset(X)
    subset = torch.utils.data.Subset(torch.utils.data.Subset(dataset, range(2, 18)), [0, 5, 9])
    iterator = BatchIterator(subset, batch_size=2)
    assert iterator.X is X  # the rows stay where they are
    batches = [xb for xb, _ in iterator]
    assert len(iterator) == len(batches) == 2
    torch.testing.assert_close(torch.cat(batches), X[[2, 7, 11]])
    torch.manual_seed(0)
    shuffled = torch.cat([xb for xb, _ in BatchIterator(subset, batch_size=2, shuffle=True)])
    assert sorted(shuffled[:, 0].tolist()) == [4.0, 14.0, 22.0]


def test_inference_converts_one_batch_at_a_time():
    # A float64 network given float32 X: each batch is cast on its own, and the result has
    # the dtype of X, whatever the batch boundaries.
    X = low_rank(noise=0)
    ae = AutoencoderTransformer(max_iter=3, **FAST)
    ae.fit(X)
    X32 = X.astype(np.float32)
    whole = ae.transform(X32)
    ae._predict_batch_size = 7
    assert ae.transform(X32).dtype == np.float32
    np.testing.assert_array_equal(ae.transform(X32), whole)
    np.testing.assert_allclose(ae.score_samples(X32), ae.score_samples(X), rtol=1e-5)


MEASURE_SCRIPT = r"""
import json, re, sys, warnings
import numpy as np
import torch

torch.set_num_threads(1)
warnings.simplefilter("ignore")
from sklearn_ae import AutoencoderTransformer


def status(key):
    with open("/proc/self/status") as f:
        return int(re.search(key + r":\s+(\d+) kB", f.read())[1]) * 1024


def measure(step):
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak resident set size (VmHWM) to the current one
    before = status("VmRSS")
    step()
    return status("VmHWM") - before


X = np.load(sys.argv[1], mmap_mode="r")
params = dict(n_components=4, hidden_layer_sizes=(16,), max_iter=2, random_state=0)
small = np.random.RandomState(0).uniform(size=(1000, X.shape[1]))
# Warm-up on small data, so that lazy initialisations are not measured.
ae = AutoencoderTransformer(warm_start=True, **params).fit(small.astype(np.float32))
ae.transform(small.astype(np.float32)), ae.score_samples(small.astype(np.float32))
net64 = AutoencoderTransformer(**params).fit(small)
net64.transform(small)
early = AutoencoderTransformer(early_stopping=True, **params)
early.fit(small.astype(np.float32))
steps = {
    "fit": lambda: ae.fit(X),
    "fit with warm_start": lambda: ae.fit(X),
    "partial_fit": lambda: ae.partial_fit(X),
    "fit with early_stopping": lambda: early.fit(X),
    "transform": lambda: ae.transform(X),
    "score_samples": lambda: ae.score_samples(X),
    "transform by a float64 network": lambda: net64.transform(X),
    "control: np.array(X)": lambda: np.array(X),
}
print(json.dumps({name: measure(step) for name, step in steps.items()}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                    reason="measuring peak memory per step needs Linux's /proc/self/clear_refs")
def test_memmap_fit_and_inference_make_no_copy_of_the_data(tmp_path):
    n, n_features = 20_000, 500  # 40 MB of float32
    path = save_npy(tmp_path / "X.npy", n, n_features)
    nbytes = n * n_features * 4
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", MEASURE_SCRIPT, str(path)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    growth = {name: peak / nbytes for name, peak in json.loads(result.stdout).items()}
    # The first pass maps the file's pages into memory (they count as resident): once the
    # data. A copy would add a second time the data.
    assert growth["fit"] < 1.4, growth
    # Then the pages are resident, and a step that copied the data would show it in full;
    # what shows is a few batches of 1024 rows and their temporaries.
    for step in ["fit with warm_start", "partial_fit", "fit with early_stopping", "transform",
                 "score_samples"]:
        assert growth[step] < 0.4, (step, growth)
    # The float64 network casts each batch to float64, 4 MB here (0.1 of the data), and the
    # allocator may keep a few such buffers: 0.2 to 0.404 measured (CI). A copy of X would
    # be 1.0 (float32) or 2.0 (float64), far above.
    assert growth["transform by a float64 network"] < 0.6, growth
    assert growth["control: np.array(X)"] > 0.9, growth


# ------------------------------------------------------------------------------ partial_fit


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_partial_fit_k_times_equals_fit_with_max_iter_k(name):
    X = low_rank(n=60, noise=0)
    fitted = make(name, max_iter=3).fit(X)
    streamed = make(name)
    for _ in range(3):
        streamed.partial_fit(X)
    assert streamed.n_iter_ == 3 and streamed.max_iter_ == 1
    assert streamed.loss_curve_ == fitted.loss_curve_
    for a, b in zip(streamed.net_.module_.parameters(), fitted.net_.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(streamed.transform(X), fitted.transform(X))


def test_partial_fit_streams_chunks_of_a_memmap(tmp_path):
    X = np.load(save_npy(tmp_path / "X.npy", 2000, 8), mmap_mode="r")
    ae = AutoencoderTransformer(**FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning: the caller decides when to stop
        for _ in range(3):
            for start in range(0, len(X), 500):
                ae.partial_fit(X[start : start + 500])
    assert ae.n_iter_ == len(ae.loss_curve_) == 12
    assert ae.batch_size_ == 200 and ae.max_iter_ == 1
    assert ae.loss_curve_[-1] < 0.95 * ae.loss_curve_[0]
    assert ae.best_loss_ == min(ae.loss_curve_)
    assert ae.validation_scores_ is None and ae.best_validation_score_ is None


def test_partial_fit_checks_the_features_and_converts_the_dtype():
    X = low_rank(noise=0, dtype=np.float32)
    ae = AutoencoderTransformer(**FAST).partial_fit(X)
    with pytest.raises(ValueError, match=re.escape(
            "X has 4 features, but AutoencoderTransformer is expecting 6 features as input.")):
        ae.partial_fit(X[:, :4])
    assert ae.n_iter_ == 1
    ae.partial_fit(X.astype(np.float64))  # trained in the dtype of the first batch
    assert next(ae.net_.module_.parameters()).dtype == torch.float32
    assert ae.n_iter_ == 2
    assert ae.transform(X.astype(np.float64)).dtype == np.float64


def test_partial_fit_continues_a_fit_and_ignores_early_stopping():
    X = low_rank(n=200, noise=0)
    ae = AutoencoderTransformer(max_iter=4, early_stopping=True, **FAST)
    ae.fit(X)
    assert len(ae.validation_scores_) == 4
    weights = [p.detach().clone() for p in ae.net_.module_.parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ae.partial_fit(X[:1])  # one sample: nothing is held out
    assert ae.n_iter_ == 5 and len(ae.loss_curve_) == 5
    assert ae.validation_scores_ is None and ae.best_loss_ == min(ae.loss_curve_)
    changed = [not torch.equal(a, b) for a, b in zip(weights, ae.net_.module_.parameters())]
    assert any(changed)  # it trained from the fitted weights...
    # ...and a later warm fit holds a validation split out again.
    ae.set_params(warm_start=True, max_iter=2).fit(X)
    assert ae.n_iter_ == 7 and len(ae.loss_curve_) == 7
    # One score per epoch; the epoch of partial_fit held nothing out.
    assert len(ae.validation_scores_) == 7
    assert [np.isnan(v) for v in ae.validation_scores_] == [False] * 4 + [True] + [False] * 2
    # The weights kept are the best since partial_fit, which kept its own last weights.
    assert ae.best_validation_score_ == max(ae.validation_scores_[5:])


def test_diverging_partial_fit_leaves_the_estimator_as_it_was():
    X = low_rank(noise=0, dtype=np.float32)
    ae = AutoencoderTransformer(optimizer="sgd", learning_rate_init=1e-2, **FAST)
    ae.partial_fit(X)
    codes, curve = ae.transform(X), list(ae.loss_curve_)
    with pytest.raises(ValueError, match="too large for the network's arithmetic in float32"):
        ae.partial_fit(X * 1e30)
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert ae.loss_curve_ == curve and ae.n_iter_ == 1


def test_partial_fit_clone_starts_over():
    X = low_rank(noise=0)
    ae = AutoencoderTransformer(**FAST).partial_fit(X).partial_fit(X)
    fresh = clone(ae).partial_fit(X)
    assert fresh.n_iter_ == 1
    assert fresh.loss_curve_ == ae.loss_curve_[:1]


def test_warm_start_on_a_memmap_continues_training(tmp_path):
    X = np.load(save_npy(tmp_path / "X.npy", 600, 8), mmap_mode="r")
    ae = AutoencoderTransformer(max_iter=3, warm_start=True, **FAST)
    ae.fit(X)
    first = list(ae.loss_curve_)
    ae.fit(X)
    assert ae.n_iter_ == 6 and ae.loss_curve_[:3] == first
    assert ae.loss_curve_[-1] < first[-1]


def test_a_read_only_memmap_raises_no_warning_even_as_errors(tmp_path):
    # torch warns once per process about read-only arrays, so this runs in a fresh process.
    script = f"""
import warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn_ae import AutoencoderTransformer
path = {str(tmp_path / "X.npy")!r}
np.save(path, np.random.RandomState(0).uniform(size=(300, 6)).astype(np.float32))
X = np.load(path, mmap_mode="r")
assert not X.flags.writeable
filters = list(warnings.filters)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    warnings.simplefilter("ignore", ConvergenceWarning)  # 2 epochs, on purpose
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    ae.partial_fit(X)
    codes = ae.fit(X).transform(X)
assert codes.shape == (300, 2)
assert warnings.filters == filters
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr
