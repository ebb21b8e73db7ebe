"""Saving and loading: the version rule, GPU pickles on a CPU, training on after a load.

The round trips of every estimator (pickle, joblib, deepcopy) are in test_common.py.

The rule (see ``check_pickle_versions``): a pickle loads with the sklearn_ae release series it
was made with (same major.minor) and with the same torch or a later release of the same major
version; anything else raises a ValueError naming the versions to install. Versions are
tampered by patching ``sklearn_ae._version.__version__`` (where the package reads its version)
/ ``torch.__version__`` while pickling.
"""

import pickle
import re
import warnings

import joblib
import numpy as np
import pytest
import torch
from skorch.exceptions import DeviceWarning

import sklearn_ae
import sklearn_ae._version
from _instances import low_rank, make
from sklearn_ae import AutoencoderTransformer, ReconstructionOutlierDetector

INSTALLED = tuple(int(v) for v in re.match(r"(\d+)\.(\d+)", sklearn_ae.__version__).groups())
TORCH = tuple(int(v) for v in re.match(r"(\d+)\.(\d+)", torch.__version__).groups())


def data():
    return low_rank(80, noise=0)


def fitted(name="AutoencoderTransformer"):
    return make(name).fit(data())


def pickled_with(est, monkeypatch, *, sklearn_ae_version=None, torch_version=None):
    """Pickle ``est`` as if made with other versions."""
    with monkeypatch.context() as m:
        if sklearn_ae_version:
            m.setattr(sklearn_ae._version, "__version__", sklearn_ae_version)
        if torch_version:
            m.setattr(torch, "__version__", torch_version)
        return pickle.dumps(est)


def test_the_pickle_records_the_versions_and_keeps_the_network_apart():
    state = fitted().__getstate__()
    assert state["_sklearn_ae_version"] == sklearn_ae.__version__
    assert state["_torch_version"] == torch.__version__
    assert isinstance(state["net_"], bytes)  # read only once the versions are checked
    # An unfitted estimator pickles too, with nothing to keep apart.
    assert "net_" not in AutoencoderTransformer().__getstate__()


def test_same_release_series_and_later_torch_load(monkeypatch):
    X = data()
    ae = fitted()
    patch = f"{INSTALLED[0]}.{INSTALLED[1]}.99"
    older_torch = f"{TORCH[0]}.{max(TORCH[1] - 1, 0)}.0"
    blob = pickled_with(ae, monkeypatch, sklearn_ae_version=patch, torch_version=older_torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(blob)
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))


@pytest.mark.parametrize("saved", [
    f"{INSTALLED[0]}.{INSTALLED[1] + 1}.0",
    f"{INSTALLED[0] + 1}.0.0",
    f"{INSTALLED[0]}.{INSTALLED[1] - 1}.3" if INSTALLED[1] else f"{INSTALLED[0] - 1}.9.0",
], ids=["newer-minor", "newer-major", "older"])
def test_another_sklearn_ae_release_series_refuses_to_load(monkeypatch, saved, tmp_path):
    blob = pickled_with(fitted(), monkeypatch, sklearn_ae_version=saved)
    series = ".".join(saved.split(".")[:2])
    msg = (
        f"This AutoencoderTransformer was pickled with sklearn_ae {saved}, but sklearn_ae "
        f"{sklearn_ae.__version__} is installed. A pickle loads only with the release series "
        f"it was made with ({series}.*): the fitted attributes may change between series. "
        f"Install sklearn_ae {series}.* to load it (pip install 'sklearn_ae=={series}.*'), or "
        "fit the estimator again."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        pickle.loads(blob)
    path = tmp_path / "model.joblib"
    with monkeypatch.context() as m:
        m.setattr(sklearn_ae._version, "__version__", saved)
        joblib.dump(fitted(), path)
    with pytest.raises(ValueError, match=re.escape(msg)):
        joblib.load(path)


@pytest.mark.parametrize("saved, reason", [
    (f"{TORCH[0]}.{TORCH[1] + 1}.0", "an older release"),
    (f"{TORCH[0] + 1}.0.0", "another major version"),
    (f"{TORCH[0] - 1}.99.0", "another major version"),
], ids=["installed-older", "installed-older-major", "installed-newer-major"])
def test_an_older_torch_or_another_major_refuses_to_load(monkeypatch, saved, reason):
    blob = pickled_with(fitted(), monkeypatch, torch_version=saved)
    major, minor = (int(v) for v in saved.split(".")[:2])
    msg = (
        f"This AutoencoderTransformer was pickled with torch {saved}, but torch "
        f"{torch.__version__} is installed, {reason}. Its network loads with torch "
        f"{major}.{minor} or a later {major}.x release: install one (pip install "
        f"'torch>={major}.{minor},<{major + 1}'), or fit the estimator again."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        pickle.loads(blob)


def test_the_detector_checks_the_versions_of_its_autoencoder(monkeypatch):
    detector = fitted("ReconstructionOutlierDetector")
    saved = f"{INSTALLED[0]}.{INSTALLED[1] + 1}.0"
    blob = pickled_with(detector, monkeypatch, sklearn_ae_version=saved)
    with pytest.raises(ValueError, match=re.escape(
            f"This AutoencoderTransformer was pickled with sklearn_ae {saved}")):
        pickle.loads(blob)


def test_a_network_that_cannot_be_read_is_a_clear_error():
    state = fitted().__getstate__()
    state["net_"] = state["net_"][: len(state["net_"]) // 2]  # a truncated file
    restored = AutoencoderTransformer.__new__(AutoencoderTransformer)
    msg = (
        f"This AutoencoderTransformer could not load its trained network, pickled with torch "
        f"{torch.__version__} and skorch "
    )
    with pytest.raises(ValueError, match=re.escape(msg)) as info:
        restored.__setstate__(state)
    assert "Install the versions it was pickled with, or fit the estimator again." in str(
        info.value)


def test_a_pickle_without_versions_still_loads():
    # The format of sklearn_ae 0.1.0 before the versions were recorded: the net inline.
    X = data()
    ae = fitted()
    state = ae.__getstate__()
    for key in ("_sklearn_ae_version", "_torch_version", "_skorch_version"):
        del state[key]
    state["net_"] = pickle.loads(state["net_"])
    restored = AutoencoderTransformer.__new__(AutoencoderTransformer)
    restored.__setstate__(state)
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))


def test_a_gpu_pickle_loads_on_a_machine_without_cuda(monkeypatch):
    # The GPU is simulated: a network marked as on 'cuda' is pickled, then loaded where
    # torch.cuda.is_available() is False. skorch maps it to the CPU (with its DeviceWarning);
    # device_ follows. tests/test_gpu.py does it for real where there is a GPU.
    X = data()
    ae = fitted()
    expected = ae.transform(X)
    ae.net_.device, ae.device_ = "cuda", "cuda"
    blob = pickle.dumps(ae)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning) as record:
        loaded = pickle.loads(blob)
    assert any('Loading on device "cpu" instead' in str(w.message) for w in record)
    assert loaded.device_ == "cpu" and str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.transform(X), expected)
    loaded.partial_fit(X)  # and it trains on, on the CPU
    assert loaded.n_iter_ == ae.n_iter_ + 1


def test_a_loaded_estimator_trains_on_as_the_original_would():
    X = data()
    params = dict(hidden_layer_sizes=(8,), random_state=0)
    a = AutoencoderTransformer(**params).partial_fit(X)
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(X)
    b.partial_fit(X)  # the random stream and the optimizer state travel with the pickle
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    detector = ReconstructionOutlierDetector(
        AutoencoderTransformer(**params, max_iter=3)).fit(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(detector)).predict(X),
                                  detector.predict(X))
