"""GPUs: ``device='cuda'`` and ``'auto'``, CPU/GPU agreement, GPU pickles loaded on a CPU.

Skipped where CUDA is not available; run ``python -m pytest tests/test_gpu.py`` on a
machine with a CUDA build of torch. A machine without a GPU is simulated for loading by a
subprocess with ``CUDA_VISIBLE_DEVICES=""`` (tests/test_persistence.py simulates the other
side on any machine).

Tolerances: weights start equal on both devices (the module is initialised on the CPU, then
moved) and the batches come in the same order (the permutation is drawn on the CPU), so in
float64 the two trainings agree to rounding. In float32, cuDNN may use TF32 for
convolutions, so agreement is looser.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import torch

from _instances import scaled_digits
from sklearn_ae import (
    AutoencoderTransformer,
    ConvAutoencoder,
    DeepEmbeddedClustering,
    DenoisingAutoencoder,
    ReconstructionOutlierDetector,
    SequenceAutoencoder,
    VariationalAutoencoder,
)

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")

FAMILIES = {
    "dense": (AutoencoderTransformer, dict(n_components=8, hidden_layer_sizes=(32,))),
    "conv": (ConvAutoencoder, dict(channels=(8, 4))),
    "denoising": (DenoisingAutoencoder, dict(n_components=8, hidden_layer_sizes=(32,),
                                             noise_level=0.1, clip=(0, 1))),
    # Each row read as a univariate sequence of 64 steps (cuDNN's LSTM on the GPU).
    "sequence": (SequenceAutoencoder, dict(n_components=4, hidden_layer_sizes=(8,))),
    "variational": (VariationalAutoencoder, dict(n_components=4, hidden_layer_sizes=(32,))),
}
#: (rtol, atol) of the CPU/GPU comparisons, per dtype.
TOLERANCE = {np.float64: (1e-7, 1e-9), np.float32: (2e-2, 2e-3)}


@pytest.fixture(scope="module")
def X():
    return scaled_digits(600)[0]


def fit(family, X, device, dtype=np.float32, **params):
    cls, family_params = FAMILIES[family]
    est = cls(**{**family_params, "max_iter": 3, "random_state": 0, **params}, device=device)
    return est.fit(X if X.dtype == dtype else X.astype(dtype))


def test_device_auto_picks_the_gpu(X):
    est = fit("dense", X, "auto")
    assert est.device_ == "cuda"
    assert all(p.is_cuda for p in est.net_.module_.parameters())
    codes = est.transform(X.astype(np.float32))
    assert isinstance(codes, np.ndarray) and codes.dtype == np.float32


def test_the_callers_gpu_random_state_is_untouched(X):
    torch.cuda.manual_seed(123)
    state = torch.cuda.get_rng_state()
    fit("denoising", X, "cuda")  # draws its noise on the GPU
    assert torch.equal(torch.cuda.get_rng_state(), state)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("family", ["dense", "conv", "sequence"])
def test_training_on_the_gpu_matches_the_cpu(X, family, dtype):
    cpu, gpu = fit(family, X, "cpu", dtype), fit(family, X, "cuda", dtype)
    rtol, atol = TOLERANCE[dtype]
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=rtol)
    Xt = X.astype(dtype)
    np.testing.assert_allclose(gpu.transform(Xt), cpu.transform(Xt), rtol=rtol,
                               atol=atol * 100)
    np.testing.assert_allclose(gpu.score_samples(Xt), cpu.score_samples(Xt), rtol=rtol,
                               atol=atol)


@pytest.mark.parametrize("family", ["denoising", "variational"])
def test_a_random_training_on_the_gpu_is_reproducible_and_learns_as_on_the_cpu(X, family):
    # The denoiser's noise and the VAE's training codes are drawn on the GPU's generator, so
    # they differ from the CPU's: compare the outcome, not the trajectory.
    a, b = fit(family, X, "cuda", max_iter=10), fit(family, X, "cuda", max_iter=10)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-5)
    cpu = fit(family, X, "cpu", max_iter=10)
    Xt = X.astype(np.float32)
    assert a.score(Xt) == pytest.approx(cpu.score(Xt), rel=0.2)


def test_a_vae_on_the_gpu_samples(X):
    vae = fit("variational", X, "cuda", max_iter=2)
    assert vae.sample(5, random_state=0).shape == (5, X.shape[1])


def test_deep_embedded_clustering_fine_tunes_on_the_gpu_as_on_the_cpu(X):
    fits = {}
    for device in ("cpu", "cuda"):
        cls, params = FAMILIES["dense"]
        fits[device] = DeepEmbeddedClustering(
            cls(**params, max_iter=3, device=device), n_clusters=5, max_iter=2, tol=None,
            random_state=0,
        ).fit(X)  # float64: the two devices agree to rounding
    on_gpu, on_cpu = fits["cuda"], fits["cpu"]
    assert all(p.is_cuda for p in on_gpu.estimator_.net_.module_.parameters())
    assert isinstance(on_gpu.cluster_centers_, np.ndarray)
    np.testing.assert_allclose(on_gpu.loss_curve_, on_cpu.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(on_gpu.cluster_centers_, on_cpu.cluster_centers_, rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_array_equal(on_gpu.predict(X), on_gpu.labels_)


def test_a_warm_fit_moves_to_the_current_device_and_continues(X):
    # Fit on the CPU, go on on the GPU (weights and Adam's moments move), then come back.
    on_cpu = fit("dense", X, "cpu", np.float64, warm_start=True)
    moved = fit("dense", X, "cpu", np.float64, warm_start=True)
    on_cpu.fit(X)
    moved.set_params(device="cuda").fit(X)
    assert moved.device_ == "cuda" and moved.n_iter_ == 6
    assert all(p.is_cuda for p in moved.net_.module_.parameters())
    assert all(v.is_cuda for state in moved.net_.optimizer_.state.values()
               for k, v in state.items() if k != "step")
    rtol, atol = TOLERANCE[np.float64]
    np.testing.assert_allclose(moved.loss_curve_, on_cpu.loss_curve_, rtol=rtol)
    np.testing.assert_allclose(moved.transform(X), on_cpu.transform(X), rtol=rtol,
                               atol=atol)
    moved.set_params(device="cpu").partial_fit(X)
    assert moved.device_ == "cpu" and moved.n_iter_ == 7
    assert not any(p.is_cuda for p in moved.net_.module_.parameters())


def test_partial_fit_on_the_gpu_equals_fit(X):
    Xt = X.astype(np.float32)
    cls, params = FAMILIES["dense"]
    streamed = cls(**params, random_state=0, device="cuda")
    for _ in range(3):
        streamed.partial_fit(Xt)
    fitted = fit("dense", X, "cuda")
    np.testing.assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(streamed.transform(Xt), fitted.transform(Xt), rtol=1e-5,
                               atol=1e-6)


def test_inference_in_batches_converts_on_the_way(X):
    est = fit("dense", X, "cuda")
    est._predict_batch_size = 100
    codes64 = est.transform(X)  # float64 X, float32 network on the GPU
    assert codes64.dtype == np.float64
    np.testing.assert_allclose(codes64, est.transform(X.astype(np.float32)), rtol=1e-6)


def test_a_memmap_trains_on_the_gpu(X, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X.astype(np.float32))
    Xm = np.load(path, mmap_mode="r")
    est = fit("dense", Xm, "cuda")
    np.testing.assert_allclose(est.transform(Xm), fit("dense", X, "cuda").transform(X.astype(
        np.float32)), rtol=1e-6)


LOAD_ON_CPU = textwrap.dedent("""
    import pickle, sys, warnings
    import joblib, numpy as np, torch

    assert not torch.cuda.is_available(), "CUDA_VISIBLE_DEVICES='' should hide the GPU"
    model_path, X_path, out_path, how = sys.argv[1:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if how == "joblib":
            est = joblib.load(model_path)
        else:
            with open(model_path, "rb") as f:
                est = pickle.load(f)
    X = np.load(X_path)
    ae = getattr(est, "estimator_", est)
    assert ae.device_ == "cpu", ae.device_
    assert all(not p.is_cuda for p in ae.net_.module_.parameters())
    outputs = {"score_samples": est.score_samples(X)}
    if hasattr(est, "transform"):
        outputs["transform"] = est.transform(X)
    if hasattr(est, "predict"):
        outputs["predict"] = est.predict(X)
    np.savez(out_path, **outputs)
    print("; ".join(sorted({str(w.message) for w in caught})))
""")


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("family", [*FAMILIES, "outlier"])
def test_a_gpu_trained_model_loads_on_a_cpu_only_machine(X, tmp_path, family, how):
    Xt = X.astype(np.float32)
    if family == "outlier":
        cls, params = FAMILIES["dense"]
        est = ReconstructionOutlierDetector(cls(**params, max_iter=3, device="cuda"),
                                            random_state=0).fit(Xt)
    else:
        est = fit(family, X, "cuda")
    model_path = tmp_path / "model.bin"
    if how == "joblib":
        joblib.dump(est, model_path)
    else:
        model_path.write_bytes(pickle.dumps(est))
    np.save(tmp_path / "X.npy", Xt)
    out_path = tmp_path / "out.npz"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-c", LOAD_ON_CPU, str(model_path), str(tmp_path / "X.npy"),
         str(out_path), how],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    on_cpu = np.load(out_path)
    rtol, atol = TOLERANCE[np.float32]
    np.testing.assert_allclose(on_cpu["score_samples"], est.score_samples(Xt), rtol=rtol,
                               atol=atol)
    if "transform" in on_cpu:
        np.testing.assert_allclose(on_cpu["transform"], est.transform(Xt), rtol=rtol,
                                   atol=atol * 100)
    if "predict" in on_cpu:
        assert np.mean(on_cpu["predict"] == est.predict(Xt)) > 0.99


def test_small_data_is_staged_on_the_gpu_once_and_trains_the_same(X, monkeypatch):
    from sklearn_ae import _base

    X64 = torch.as_tensor(X)
    assert _base.stage_on_device(X64, "cuda").device.type == "cuda"
    assert _base.stage_on_device(X64, "cpu") is X64
    staged = fit("dense", X, "cuda", dtype=np.float64)
    monkeypatch.setattr(_base, "GPU_STAGING_FRACTION", 0.0)  # nothing fits: batch by batch
    assert _base.stage_on_device(X64, "cuda") is X64
    streamed = fit("dense", X, "cuda", dtype=np.float64)
    np.testing.assert_allclose(staged.loss_curve_, streamed.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(staged.transform(X), streamed.transform(X), rtol=1e-10)
