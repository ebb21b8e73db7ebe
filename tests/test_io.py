"""Safe files (sklearn_ae.io): round trips of every family, and hostile files refused.

Loading must never run code from the file: each crafted file below would create a sentinel
file if anything in it were executed, and the tests check that it was not created.
"""

import copy
import io
import json
import pickle
import re
import zipfile

import numpy as np
import pytest
import sklearn
import sklearn.base
import torch
from _instances import case, low_rank, make
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EpochTimer

import sklearn_ae._version
from sklearn_ae import AutoencoderTransformer, ReconstructionOutlierDetector

pytest.importorskip("safetensors", reason="the optional extra [persist] is not installed")
from sklearn_ae.io import UntrustedTypeError, dump, load

FAMILIES = ["AutoencoderTransformer", "DenoisingAutoencoder", "ConvAutoencoder",
            "SequenceAutoencoder", "VariationalAutoencoder", "DeepEmbeddedClustering"]


def saved(est):
    buffer = io.BytesIO()
    dump(est, buffer)
    return buffer.getvalue()


def reloaded(est, **kwargs):
    return load(io.BytesIO(saved(est)), **kwargs)


def outputs(est, X):
    methods = ["transform", "reconstruct", "score_samples", "decision_function", "predict"]
    return {m: getattr(est, m)(X) for m in methods if hasattr(est, m)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FAMILIES)
def test_round_trip(name, dtype):
    est, X = case(name)
    X = X.astype(dtype)
    est.fit(X)
    new = reloaded(est)
    assert type(new) is type(est)
    assert repr(new.get_params()) == repr(est.get_params())
    expected = outputs(est, X)
    assert expected
    for method, values in outputs(new, X).items():
        np.testing.assert_array_equal(values, expected[method], err_msg=method)
    if hasattr(est, "partial_fit"):
        # Training goes on as it would have: weights, optimizer state, random stream, history.
        original = copy.deepcopy(est).partial_fit(X)
        new.partial_fit(X)
        np.testing.assert_array_equal(new.transform(X), original.transform(X))
        assert new.loss_curve_ == original.loss_curve_
    new.fit(X)  # and it can be fitted again
    np.testing.assert_array_equal(new.transform(X), est.fit(X).transform(X))


def test_round_trip_of_detectors_and_pipelines(tmp_path):
    X = low_rank(150, 5)
    detectors = [
        ReconstructionOutlierDetector(make("AutoencoderTransformer"), n_estimators=2,
                                      n_neighbors=3, random_state=0),
        ReconstructionOutlierDetector(PCA(n_components=2), scale="rank_gaussian"),
        make_pipeline(StandardScaler(), make("AutoencoderTransformer"),
                      KMeans(3, n_init=2, random_state=0)),
    ]
    for est in detectors:
        est.fit(X)
        path = tmp_path / "model.skae"
        dump(est, path)
        new = load(path)
        expected = outputs(est, X)
        for method, values in outputs(new, X).items():
            np.testing.assert_array_equal(values, expected[method], err_msg=method)
    # One object stays one object: a detector's estimator_ is its first member.
    detector = reloaded(detectors[0])
    assert detector.estimator_ is detector.estimators_[0]


def test_unfitted_estimators_round_trip():
    est = AutoencoderTransformer(hidden_layer_sizes=(16, 4), random_state=np.random.RandomState(3))
    new = reloaded(est)
    assert new.hidden_layer_sizes == (16, 4)
    assert new.random_state.randint(1000) == np.random.RandomState(3).randint(1000)


def test_data_only():
    est = make("AutoencoderTransformer", callbacks=[EpochTimer()]).fit(low_rank(40, 6))
    with pytest.raises(TypeError, match=re.escape(
            "estimator.AutoencoderTransformer['callbacks'][0]: cannot save a EpochTimer "
            "safely")):
        saved(est)


# ------------------------------------------------------------------------- hostile files


class Payload:
    """Creates ``path`` when unpickled: the proof that a loader ran code from a file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def archive(schema=None, data=None, base=None):
    """A file of dump's layout with its schema or data replaced."""
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        original_schema, original_data = z.read("schema.json"), z.read("data.safetensors")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("schema.json", original_schema if schema is None else json.dumps(schema))
        z.writestr("data.safetensors", original_data if data is None else data)
    return io.BytesIO(buffer.getvalue())


@pytest.fixture
def good():
    return saved(make("AutoencoderTransformer").fit(low_rank(40, 6)))


def schema_of(file_bytes):
    with zipfile.ZipFile(io.BytesIO(file_bytes)) as z:
        return json.loads(z.read("schema.json"))


def test_a_pickle_is_not_loaded(tmp_path):
    sentinel = tmp_path / "pwned"
    with pytest.raises(ValueError, match="This is not a file written by sklearn_ae.io.dump"):
        load(io.BytesIO(pickle.dumps(Payload(sentinel))))
    assert not sentinel.exists()
    pickle.loads(pickle.dumps(Payload(sentinel)))  # the payload works: pickle runs it
    assert sentinel.exists()


def test_a_pickle_instead_of_the_arrays_is_not_loaded(tmp_path, good):
    sentinel = tmp_path / "pwned"
    with pytest.raises(ValueError, match="cannot be read as safetensors"):
        load(archive(data=pickle.dumps(Payload(sentinel)), base=good))
    assert not sentinel.exists()


def test_arrays_of_objects_are_not_loaded(good):
    header = json.dumps({"a": {"dtype": "O", "shape": [1], "data_offsets": [0, 8]}}).encode()
    data = len(header).to_bytes(8, "little") + header + pickle.dumps(0)[:8].ljust(8, b" ")
    with pytest.raises(ValueError, match="cannot be read as safetensors"):
        load(archive(data=data, base=good))
    schema = schema_of(good)
    schema["object"] = {"__type__": "numpy_dtype", "name": "O"}
    with pytest.raises(ValueError, match="only numbers are loaded"):
        load(archive(schema=schema, base=good))


@pytest.mark.parametrize("name", ["posix.system", "builtins.eval", "subprocess.Popen",
                                  "sklearn_ae.io.load", "pickle.loads"])
def test_classes_outside_the_allow_list_are_refused(tmp_path, good, name):
    sentinel = tmp_path / "pwned"
    schema = schema_of(good)
    schema["object"] = {"__type__": "object", "id": 0, "class": name,
                        "state": {"__type__": "dict", "items": [["cmd", f"touch {sentinel}"]]}}
    msg = f"The file names the class {name!r}, which sklearn_ae.io.load does not build"
    with pytest.raises(UntrustedTypeError, match=re.escape(msg)):
        load(archive(schema=schema, base=good))
    schema["object"] = {"__type__": "class", "class": name}
    with pytest.raises(UntrustedTypeError, match=re.escape(msg)):
        load(archive(schema=schema, base=good))
    assert not sentinel.exists()


def test_a_net_naming_another_module_is_refused(good):
    schema = schema_of(good)
    state = dict(schema["object"]["state"]["items"])
    state["net_"]["module"] = "os.system"
    schema["object"]["state"]["items"] = [[k, v] for k, v in state.items()]
    with pytest.raises(UntrustedTypeError, match="'os.system'"):
        load(archive(schema=schema, base=good))


@pytest.mark.parametrize("node, error, msg", [
    ({"__type__": "tuple", "items": 5}, ValueError, "This file could not be loaded"),
    ({"__type__": "str_array", "items": [{"__type__": "class", "class": "os.system"}],
      "shape": [1]}, ValueError, "an array of strings with other values"),
    ({"__type__": "object", "id": 0, "class": "sklearn_ae._modules.DenseAutoencoderModule",
      "state": {"__type__": "dict", "items": []}}, UntrustedTypeError, "is not an estimator"),
    ({"__type__": "ndarray", "key": "missing"}, ValueError, "that it does not hold"),
    ({"__type__": "eval", "source": "print(1)"}, ValueError, "an unknown kind 'eval'"),
])
def test_malformed_files_are_refused_clearly(good, node, error, msg):
    schema = schema_of(good)
    schema["object"] = node
    with pytest.raises(error, match=re.escape(msg)):
        load(archive(schema=schema, base=good))


class HomeMadeScaler(StandardScaler):
    """A class of the user's, not on the allow-list."""


def test_trusted_classes_load():
    est = HomeMadeScaler().fit([[0.0], [2.0]])
    with pytest.raises(UntrustedTypeError, match="test_io.HomeMadeScaler"):
        reloaded(est)
    assert reloaded(est, trusted=[HomeMadeScaler]).mean_ == [1.0]


# --------------------------------------------------------------------------- versions


def saved_with(est, monkeypatch, module, version):
    """The file of ``est`` as if ``module`` had been of ``version``."""
    with monkeypatch.context() as m:
        m.setattr(module, "__version__", version)
        return io.BytesIO(saved(est))


def test_versions_follow_the_pickle_rule(monkeypatch, good):
    est = make("AutoencoderTransformer").fit(low_rank(40, 6))
    file = saved_with(est, monkeypatch, sklearn_ae._version, "0.0.1")
    msg = ("This AutoencoderTransformer was saved with sklearn_ae 0.0.1, but sklearn_ae "
           f"{sklearn_ae._version.__version__} is installed. A saved file loads only with "
           "the release series it was made with (0.0.*)")
    with pytest.raises(ValueError, match=re.escape(msg)):
        load(file)
    major = int(torch.__version__.split(".")[0])
    file = saved_with(est, monkeypatch, torch, f"{major}.999.0")
    with pytest.raises(ValueError, match=re.escape(
            f"This AutoencoderTransformer was saved with torch {major}.999.0, but torch "
            f"{torch.__version__} is installed, an older release.")):
        load(file)
    schema = schema_of(good)
    schema["format_version"] = 99
    with pytest.raises(ValueError, match="Upgrade sklearn_ae to load it"):
        load(archive(schema=schema, base=good))


def test_scikit_learn_versions_warn_as_its_pickles_do(monkeypatch):
    file = saved_with(StandardScaler().fit([[0.0], [1.0]]), monkeypatch, sklearn.base,
                      "0.1.0")
    with pytest.warns(InconsistentVersionWarning, match="from version 0.1.0 when using"):
        load(file)
    assert sklearn.__version__ != "0.1.0"
