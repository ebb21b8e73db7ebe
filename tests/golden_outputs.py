"""Seeded outputs of every estimator, recorded to prove that a refactoring changes nothing.

``python tests/golden_outputs.py --record`` fits every case below and writes what each
computes (codes, reconstructions, scores, loss curves, labels, ...) to
``tests/data/golden_outputs.npz``; ``python tests/golden_outputs.py`` fits them again and
prints, per array, whether it is bit-identical to the recording (exit status 1 if any is
not). ``tests/test_golden_outputs.py`` runs the same comparison in the suite, with a
tolerance of a few float64 ulps' growth so that another CPU's kernels pass.

Record again only for a change that means to change results (a new default, a fix), and
say so in the commit.
"""

import sys
import warnings
from pathlib import Path

import numpy as np

GOLDEN_PATH = Path(__file__).resolve().parent / "data" / "golden_outputs.npz"


def _data():
    from sklearn.datasets import load_breast_cancer, load_digits

    digits = load_digits().data[:240] / 16.0
    cancer = load_breast_cancer().data[:300]
    rng = np.random.RandomState(0)
    t = np.linspace(0, 1, 12)
    sequences = np.sin(2 * np.pi * np.outer(rng.uniform(1, 3, 60), t))
    sequences += 0.05 * rng.normal(size=sequences.shape)
    return digits, cancer, sequences


#: Rows of each output kept (all rows are computed): enough to show any change, small to store.
ROWS = 6


def _outputs(est, X, prefix, out):
    """Everything ``est`` computes from `X`, into ``out`` under ``prefix``."""
    for name in ("transform", "reconstruct", "score_samples", "decision_function", "predict",
                 "predict_proba"):
        if hasattr(est, name):
            out[f"{prefix}.{name}"] = np.asarray(getattr(est, name)(X))[:ROWS]
    if hasattr(est, "transform") and hasattr(est, "inverse_transform"):
        out[f"{prefix}.inverse_transform"] = est.inverse_transform(est.transform(X[:ROWS]))
    for attr in ("loss_curve_", "validation_scores_", "kl_curve_", "reconstruction_curve_",
                 "cluster_centers_", "label_changes_", "offset_", "n_iter_"):
        value = getattr(est, attr, None)
        if value is not None:
            out[f"{prefix}.{attr}"] = np.asarray(value, dtype=float)
    if hasattr(est, "labels_"):  # every label matters to a clustering
        out[f"{prefix}.labels_"] = np.asarray(est.labels_)


def compute():
    """name -> array, for every case (torch's threads and numpy's global seed restored)."""
    import torch

    threads, numpy_state = torch.get_num_threads(), np.random.get_state()
    try:
        torch.set_num_threads(1)  # the recording's
        return _compute()
    finally:
        torch.set_num_threads(threads)
        np.random.set_state(numpy_state)


def _compute():
    from sklearn.decomposition import PCA
    from skorch.callbacks import LRScheduler

    from sklearn_ae import (
        AutoencoderTransformer,
        ConvAutoencoder,
        DeepEmbeddedClustering,
        DenoisingAutoencoder,
        ReconstructionOutlierDetector,
        SequenceAutoencoder,
        VariationalAutoencoder,
    )

    digits, cancer, sequences = _data()
    small = dict(hidden_layer_sizes=(16,), max_iter=4, random_state=0)
    out = {}
    cases = {
        "dense": (AutoencoderTransformer(3, **small), digits),
        "dense_float32": (AutoencoderTransformer(3, **small), digits.astype(np.float32)),
        "dense_irmae_sgd_mae": (AutoencoderTransformer(
            4, n_linear_code_layers=2, optimizer="sgd", loss="mae", alpha=1e-3, **small),
            digits),
        "dense_adamw_huber": (AutoencoderTransformer(
            3, optimizer="adamw", loss="huber", batch_size=50, **small), digits),
        "dense_bce_tanh": (AutoencoderTransformer(
            3, loss="bce", activation="tanh", **small), digits),
        "dense_early_stopping": (AutoencoderTransformer(
            3, hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=2,
            max_iter=6, random_state=1), digits),
        "dense_callbacks": (AutoencoderTransformer(
            3, callbacks=[LRScheduler(policy="StepLR", step_size=2)], **small), digits),
        "denoising_gaussian": (DenoisingAutoencoder(3, **small), digits),
        "denoising_masking": (DenoisingAutoencoder(
            3, noise="masking", noise_level=0.3, **small), digits),
        "denoising_salt": (DenoisingAutoencoder(
            3, noise="salt_and_pepper", clip=(0, 1), **small), digits),
        "conv": (ConvAutoencoder(channels=(4, 2), max_iter=3, random_state=0), digits),
        "conv_pool_nearest_dense": (ConvAutoencoder(
            5, channels=(4,), downsampling="maxpool", upsampling="nearest",
            n_linear_code_layers=1, noise="gaussian", max_iter=3, random_state=0), digits),
        "sequence_lstm": (SequenceAutoencoder(
            2, hidden_layer_sizes=(4,), max_iter=3, random_state=0), sequences),
        "sequence_gru_concat": (SequenceAutoencoder(
            2, n_timesteps=6, hidden_layer_sizes=(4, 3), cell="gru", merge_mode="concat",
            max_iter=3, random_state=0), sequences),
        "vae": (VariationalAutoencoder(3, beta=0.5, **small), digits),
        "vae_bce_es": (VariationalAutoencoder(
            3, loss="bce", early_stopping=True, **small), digits),
        "detector_default": (ReconstructionOutlierDetector(random_state=0), cancer),
        "detector_pca_standard": (ReconstructionOutlierDetector(
            PCA(3), scale="standard", metric="mse", contamination=0.1), cancer),
        "detector_conv_none": (ReconstructionOutlierDetector(
            ConvAutoencoder(channels=(4,), max_iter=2), scale=None, threshold="mean_std",
            n_std=1.0, random_state=3), digits),
        "dec_dense": (DeepEmbeddedClustering(
            AutoencoderTransformer(4, hidden_layer_sizes=(16,), max_iter=5), n_clusters=5,
            max_iter=3, tol=None, random_state=0), digits),
        "dec_conv": (DeepEmbeddedClustering(
            ConvAutoencoder(8, channels=(4,), max_iter=2), n_clusters=4, max_iter=2,
            clustering_weight=0.5, batch_size=64, random_state=0), digits),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (est, X) in cases.items():
            _outputs(est.fit(X), X, name, out)
        # Continued training: warm start and partial_fit.
        warm = AutoencoderTransformer(3, warm_start=True, **small).fit(digits)
        _outputs(warm.set_params(learning_rate_init=1e-3).fit(digits), digits, "warm", out)
        partial = AutoencoderTransformer(3, **small)
        for _ in range(3):
            partial.partial_fit(digits)
        _outputs(partial, digits, "partial_fit", out)
        vae = VariationalAutoencoder(3, **small).fit(digits)
        out["vae.sample"] = vae.sample(5, random_state=0)
        # The seeding of an unseeded estimator from numpy's global generator.
        np.random.seed(7)
        _outputs(AutoencoderTransformer(3, hidden_layer_sizes=(8,), max_iter=2).fit(digits),
                 digits, "global_seed", out)
    return out


def compare(recorded, computed):
    """``(name, status)`` per array: 'identical', 'max diff ...', 'missing' or 'new'."""
    rows = []
    for name in sorted(set(recorded) | set(computed)):
        if name not in computed:
            rows.append((name, "missing"))
        elif name not in recorded:
            rows.append((name, "new"))
        else:
            a, b = recorded[name], computed[name]
            if a.shape != b.shape:
                rows.append((name, f"shape {a.shape} -> {b.shape}"))
            elif np.array_equal(a, b, equal_nan=True):
                rows.append((name, "identical"))
            else:
                rows.append((name, f"max diff {np.nanmax(np.abs(a - b)):.3g}"))
    return rows


def main(argv):
    computed = compute()
    if "--record" in argv:
        GOLDEN_PATH.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(GOLDEN_PATH, **computed)
        print(f"recorded {len(computed)} arrays in {GOLDEN_PATH}")
        return 0
    with np.load(GOLDEN_PATH) as f:
        recorded = dict(f)
    rows = compare(recorded, computed)
    for name, status in rows:
        print(f"{status:>20}  {name}")
    identical = sum(status == "identical" for _, status in rows)
    print(f"{identical} of {len(rows)} arrays bit-identical")
    return 0 if identical == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
