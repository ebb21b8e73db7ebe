"""ONNX export: onnxruntime gives the estimators' outputs, for every family and in pipelines."""

import re

import numpy as np
import pytest
import torch
from _instances import case, low_rank, make
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import (
    AutoencoderTransformer,
    ReconstructionOutlierDetector,
)

ort = pytest.importorskip("onnxruntime", reason="the optional extra [onnx] is not installed")
pytest.importorskip("onnx", reason="the optional extra [onnx] is not installed")
from sklearn_ae.onnx import to_onnx

FAMILIES = ["AutoencoderTransformer", "DenoisingAutoencoder", "ConvAutoencoder",
            "SequenceAutoencoder", "VariationalAutoencoder"]
DTYPES = [np.float32, np.float64]


def run(model, **feed):
    """The outputs of ``model`` on ``feed``, by output name."""
    session = ort.InferenceSession(model.SerializeToString())
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feed)))


def assert_close(actual, expected):
    """Equal within float32 rounding (the network runs in float32 in the graph)."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale)


_FITTED = {}


def fitted(name, dtype):
    """The family's case fitted on data of ``dtype`` (cached: the fits dominate the time)."""
    if (name, dtype) not in _FITTED:
        est, X = case(name)
        _FITTED[name, dtype] = est.fit(X.astype(dtype)), X
    return _FITTED[name, dtype]


@pytest.mark.parametrize("fit_dtype", DTYPES)
@pytest.mark.parametrize("name", FAMILIES)
def test_autoencoder_round_trip(name, fit_dtype):
    est, X = fitted(name, fit_dtype)
    methods = ("transform", "inverse_transform", "reconstruct")
    for dtype in DTYPES:
        model = to_onnx(est, X.astype(dtype), methods=methods)
        for n in (1, len(X)):  # batch sizes 1 and many
            rows = X[:n].astype(dtype)
            codes = est.transform(rows)
            out = run(model, X=rows, codes=codes)
            assert list(out) == list(methods)
            assert_close(out["transform"], codes)
            assert_close(out["inverse_transform"], est.inverse_transform(codes))
            assert_close(out["reconstruct"], est.reconstruct(rows))


class ResidualModule(torch.nn.Module):
    """A module of a user's own, with the package's encode/decode protocol."""

    def __init__(self, n_features, n_components):
        super().__init__()
        self.down = torch.nn.Linear(n_features, n_components)
        self.up = torch.nn.Linear(n_components, n_features)
        self.skip = torch.nn.Parameter(torch.tensor(0.5))

    def encode(self, x):
        return torch.tanh(self.down(x)) + self.skip * x[:, : self.down.out_features]

    def decode(self, z):
        return self.up(z) * torch.sigmoid(self.skip)

    def forward(self, x):
        return self.decode(self.encode(x))


def test_any_module_with_the_protocol_exports():
    X = low_rank(40, 6)
    est = make("AutoencoderTransformer", n_components=3).fit(X)
    # Until estimators take a user's module (issue 23, part 1), put one in the fitted net.
    torch.manual_seed(0)
    est.net_.module_ = ResidualModule(6, 3).double()
    model = to_onnx(est, X, methods=["transform", "reconstruct"])
    out = run(model, X=X)
    assert_close(out["transform"], est.transform(X))
    assert_close(out["reconstruct"], est.reconstruct(X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_clustering_round_trip(dtype):
    est, X = fitted("DeepEmbeddedClustering", dtype)
    model = to_onnx(est, X.astype(np.float32), methods=("transform", "predict"))
    for n in (1, len(X)):
        out = run(model, X=X[:n].astype(np.float32))
        assert_close(out["transform"], est.transform(X[:n].astype(np.float32)))
        np.testing.assert_array_equal(out["predict"], est.predict(X[:n]))
    assert [o.name for o in to_onnx(est).graph.output] == ["predict"]


DETECTORS = {
    "pca-robust-mae": lambda: ReconstructionOutlierDetector(PCA(n_components=2), scale="robust"),
    "pca-whiten-standard-mse": lambda: ReconstructionOutlierDetector(
        PCA(n_components=2, whiten=True), scale="standard", metric="mse"),
    "pca-rank-gaussian": lambda: ReconstructionOutlierDetector(
        PCA(n_components=2), scale="rank_gaussian"),
    "autoencoder-unscaled": lambda: ReconstructionOutlierDetector(
        AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        scale=None),
    # The ensemble's terms: two views, standardised errors and code-space neighbours.
    "ensemble-neighbors": lambda: ReconstructionOutlierDetector(
        AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        n_estimators=2, n_neighbors=3, scale="auto", random_state=0),
}


@pytest.mark.parametrize("fit_dtype", DTYPES)
@pytest.mark.parametrize("kind", DETECTORS)
def test_detector_round_trip(kind, fit_dtype):
    X = low_rank(150, 5, seed=0).astype(fit_dtype)
    new = 1.5 * low_rank(30, 5, seed=1)  # beyond the training range: the tails, flagged rows
    detector = DETECTORS[kind]().fit(X)
    for dtype in DTYPES:
        model = to_onnx(detector, X.astype(dtype))
        for rows in (new[:1], new, X):
            rows = rows.astype(dtype)
            out = run(model, X=rows)
            assert_close(out["score_samples"], detector.score_samples(rows))
            decision = detector.decision_function(rows)
            assert_close(out["decision_function"], decision)
            clear = np.abs(decision) > 1e-4  # a tie at the threshold may round either way
            np.testing.assert_array_equal(out["predict"][clear], detector.predict(rows)[clear])
            assert out["predict"].dtype == np.int64


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_with_kmeans(dtype):
    skl2onnx = pytest.importorskip("skl2onnx", reason="the optional extra [onnx] is not installed")
    X = low_rank(120, 6).astype(dtype)
    pipe = make_pipeline(StandardScaler(), make("AutoencoderTransformer"),
                         KMeans(3, n_init=2, random_state=0)).fit(X)
    model = skl2onnx.to_onnx(pipe, X[:1])
    for n in (1, len(X)):
        out = run(model, X=X[:n])
        np.testing.assert_array_equal(out["label"], pipe.predict(X[:n]))
        assert_close(out["scores"], pipe.transform(X[:n]).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_with_detector(dtype):
    skl2onnx = pytest.importorskip("skl2onnx", reason="the optional extra [onnx] is not installed")
    X = low_rank(120, 6).astype(dtype)
    new = (1.5 * low_rank(20, 6, seed=1)).astype(dtype)
    detector = ReconstructionOutlierDetector(make("AutoencoderTransformer"), n_estimators=2,
                                             n_neighbors=3, random_state=0)
    pipe = make_pipeline(StandardScaler(), detector).fit(X)
    model = skl2onnx.to_onnx(pipe, X[:1])
    for rows in (new[:1], new):
        out = run(model, X=rows)
        decision = pipe.decision_function(rows)
        assert out["scores"].dtype == dtype
        # skl2onnx's scaler and the scores of a float32 graph are float32.
        np.testing.assert_allclose(out["scores"].ravel(), decision, rtol=1e-4,
                                   atol=1e-4 * max(1, np.abs(decision).max()))
        clear = np.abs(decision) > 1e-3
        np.testing.assert_array_equal(out["label"][clear], pipe.predict(rows)[clear])


def test_pipeline_with_transformer_keeps_dtype():
    skl2onnx = pytest.importorskip("skl2onnx", reason="the optional extra [onnx] is not installed")
    X = low_rank(60, 6)
    pipe = make_pipeline(StandardScaler(), make("AutoencoderTransformer")).fit(X)
    out = run(skl2onnx.to_onnx(pipe, X[:1]), X=X)
    assert_close(next(iter(out.values())), pipe.transform(X))


def test_errors():
    X = low_rank(40, 6)
    with pytest.raises(NotFittedError):
        to_onnx(AutoencoderTransformer())
    est = make("AutoencoderTransformer").fit(X)
    msg = ("methods=('predict',) is not a non-empty set of the methods that "
           "AutoencoderTransformer exports: transform, inverse_transform, reconstruct.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        to_onnx(est, methods="predict")
    with pytest.raises(TypeError, match="ReconstructionOutlierDetector; got PCA"):
        to_onnx(PCA(2).fit(X))
    over_pipeline = ReconstructionOutlierDetector(
        make_pipeline(StandardScaler(), PCA(2)), scale=None).fit(X)
    msg = ("sklearn_ae.onnx cannot export a ReconstructionOutlierDetector over Pipeline: "
           "only the autoencoders of sklearn_ae and PCA are supported as its estimator.")
    with pytest.raises(NotImplementedError, match=re.escape(msg)):
        to_onnx(over_pipeline)
