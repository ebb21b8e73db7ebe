"""Seed clustering with a 98-value code trained for clustering: DeepEmbeddedClustering on MNIST.

The seed compresses 28 x 28 MNIST digits to 98 values with a convolutional autoencoder and
clusters the codes with KMeans(10); the bar is a median NMI of at least 0.70.
``bench_conv_clustering.py`` shows that a code trained only to reconstruct misses it (0.56).
This script measures, under the same protocol, a convolutional autoencoder whose 98-value
code is trained for clustering:

- ``DeepEmbeddedClustering(ConvAutoencoder(98, channels=(32, 64, 128), kernel_size=5,
  n_linear_code_layers=4, batch_size=64, learning_rate_init=1e-3, max_iter=1),
  n_clusters=10, max_iter=8, tol=None, random_state=seed)``: DCEC's convolutional encoder
  with a dense code of 98 values and IRMAE's four linear layers in front of it, pretrained
  for one epoch, then fine-tuned for 8 epochs with IDEC's loss (the defaults: batches of
  256, Adam lr 1e-3, ``clustering_weight=1``);
- the same with ``max_iter=0``: k-means on the pretrained codes, the same network and seed
  without fine-tuning, which isolates what fine-tuning adds;
- baselines in the same run: KMeans(10) on the 784 raw pixels and on PCA(98).

Every model is fit on the 60,000 training images; ``KMeans(n_clusters=10, n_init=10,
random_state=0)`` clusters the codes (``transform``) of the 10,000 test images, which no
model saw; the labels are used only for the scores (NMI, ARI). The fine-tuned estimator's
own ``predict`` on the test images is scored too. Three seeds; bar: median k-means NMI of
the fine-tuned 98-value codes at least 0.70.

Run ``python benchmarks/bench_deep_clustering.py --threads 2`` (about 12 minutes per seed
on two CPU threads); ``--quick`` for a smoke run (2,000 training and 2,000 test images, one
seed, 2 epochs of fine-tuning, bar not judged). ``--device cuda`` runs the autoencoders on
a GPU and writes its own section, ``deep_clustering-cuda``.
"""

import sys
import time
import warnings

import _common as C

SECTION = "deep_clustering"
N_CODE = 98
AUTOENCODER = dict(n_components=N_CODE, channels=(32, 64, 128), kernel_size=5,
                   n_linear_code_layers=4, batch_size=64, learning_rate_init=1e-3, max_iter=1)
FINE_TUNING = dict(n_clusters=10, tol=None)
EPOCHS = 8
NMI_BAR = 0.70


def kmeans_scores(Z, y):
    """k-means with 10 clusters on ``Z`` (as in ``bench_conv_clustering.py``): NMI and ARI."""
    result = C.cluster(Z, y)
    return result["nmi"], result["ari"]


def fit(X_train, X_test, y_test, seed, epochs, device):
    """Fit on ``X_train`` with ``epochs`` of fine-tuning; score the test images."""
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_ae import ConvAutoencoder, DeepEmbeddedClustering

    dec = DeepEmbeddedClustering(
        ConvAutoencoder(**AUTOENCODER, device=device), **FINE_TUNING, max_iter=epochs,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # The one-epoch pretraining is deliberate (see the module docstring).
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        dec.fit(X_train)
        fit_time = time.perf_counter() - t0
    codes = dec.transform(X_test)
    if codes.shape[1] != N_CODE:
        raise RuntimeError(f"the code has {codes.shape[1]} values, not {N_CODE}")
    nmi, ari = kmeans_scores(codes, y_test)
    own_nmi, own_ari = C.nmi_ari(y_test, dec.predict(X_test))
    result = dict(seed=seed, nmi=nmi, ari=ari, own_nmi=own_nmi, own_ari=own_ari, fit=fit_time,
                  mse=-dec.estimator_.score(X_test), n_iter=dec.n_iter_,
                  change=dec.label_changes_[-1] if dec.label_changes_ else None)
    print(f"{epochs} epochs of fine-tuning, seed {seed}: k-means NMI {nmi:.3f} ARI {ari:.3f}; "
          f"predict NMI {own_nmi:.3f}; fit {fit_time:.0f} s, test MSE {result['mse']:.5f}",
          flush=True)
    return result


def rows_of(label, runs):
    """One row per run of ``label``, then the medians."""
    keys = ("nmi", "ari", "own_nmi", "own_ari")
    rows = [[f"{label}, seed {r['seed']}", *(f"{r[k]:.3f}" for k in keys), f"{r['mse']:.5f}",
             C.fmt_s(r["fit"])] for r in runs]
    rows.append([f"**{label}, median**", *(f"**{C.median(r[k] for r in runs):.3f}**"
                                          for k in keys),
                 "", C.fmt_s(C.median(r["fit"] for r in runs))])
    return rows


def main(argv=None):
    parser = C.parser(
        __doc__, quick="smoke run: 2,000 training and 2,000 test images, one seed, 2 epochs; "
                       "writes benchmarks/_out/RESULTS.quick.md",
        seeds=(0, 1, 2), device="device of the autoencoders (default cpu); another one writes "
                                "the section deep_clustering-DEVICE")
    parser.add_argument("--epochs", type=int, help=f"epochs of fine-tuning (default {EPOCHS})")
    args = parser.parse_args(argv)
    threads = C.set_threads(args.threads)
    seeds = args.seeds
    epochs = args.epochs or (2 if args.quick else EPOCHS)

    from sklearn.decomposition import PCA

    machine = C.machine_description(args.device)
    n = 2000 if args.quick else None
    X_train, _ = C.load_mnist("train", n)
    X, y = C.load_mnist("test", n)
    print(f"{machine}\nfit on {X_train.shape}, clustering {X.shape} {X.dtype}; seeds {seeds}",
          flush=True)

    raw_nmi, raw_ari = kmeans_scores(X, y)
    print(f"raw pixels: NMI {raw_nmi:.3f} ARI {raw_ari:.3f}", flush=True)
    pca_nmi, pca_ari = kmeans_scores(
        PCA(n_components=N_CODE, random_state=0).fit(X_train).transform(X), y)
    print(f"PCA({N_CODE}): NMI {pca_nmi:.3f} ARI {pca_ari:.3f}", flush=True)

    pretrained = [fit(X_train, X, y, seed, 0, args.device) for seed in seeds]
    tuned = [fit(X_train, X, y, seed, epochs, args.device) for seed in seeds]
    load_end = C.load_average()

    rows = rows_of("pretrained only (max_iter=0)", pretrained)
    rows += rows_of(f"fine-tuned, {epochs} epochs", tuned)
    rows.append([f"PCA({N_CODE})", f"{pca_nmi:.3f}", f"{pca_ari:.3f}", "", "", "", ""])
    rows.append(["raw pixels (784)", f"{raw_nmi:.3f}", f"{raw_ari:.3f}", "", "", "", ""])
    nmi = C.median(r["nmi"] for r in tuned)
    judged = "n/a (quick run)" if args.quick else C.pass_fail(nmi >= NMI_BAR)
    quick_note = ("\n\n*Quick smoke run (2,000 training and 2,000 test images, one seed, 2 "
                  "epochs): not for comparison; bar not judged.*" if args.quick else "")
    changes = ", ".join(f"{r['change']:.2%}" for r in tuned)
    title = "Seed clustering with a code trained for clustering: DeepEmbeddedClustering, MNIST"
    if args.device != "cpu":
        title += f", device `{args.device}`"
    body = f"""## {title} (`bench_deep_clustering.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

`DeepEmbeddedClustering(ConvAutoencoder({", ".join(f"{k}={v}" for k, v in
AUTOENCODER.items())}), {", ".join(f"{k}={v}" for k, v in FINE_TUNING.items())},
max_iter={epochs}, random_state=seed)`, device `{args.device}`, torch on {threads} CPU
thread(s): DCEC's convolutional encoder with a dense code of {N_CODE} values behind IRMAE's
four linear layers, pretrained for one epoch, then fine-tuned for {epochs} epochs on the
reconstruction loss plus the clustering loss (IDEC); "pretrained only" is the same fit with
`max_iter=0` (k-means on the pretrained codes; same seeds, same pretraining). Every model
is fit on the {X_train.shape[0]:,} MNIST training images; `KMeans(n_clusters=10,
n_init=10, random_state=0)` clusters the codes of the {X.shape[0]:,} test images, which no
model saw ("k-means" columns); "predict" scores the estimator's own clusters of the test
images (the nearest of its centres; without fine-tuning, those of k-means on the training
codes). Baselines in the same run: k-means on the 784 raw pixels and on
`PCA({N_CODE})` fit on the training images. "test MSE" is the autoencoder's reconstruction
error on the test images; "fit" the wall time of `fit`, pretraining included. In the last
epoch of fine-tuning, {changes} of the training images changed cluster (seeds
{", ".join(str(s) for s in seeds)}).

{C.md_table(["codes", "k-means NMI", "k-means ARI", "predict NMI", "predict ARI", "test MSE",
             "fit"], rows)}

| bar | measured | result |
|---|---|---|
| fine-tuned {N_CODE}-value code, median k-means NMI >= {NMI_BAR:.2f} | {nmi:.3f} | {judged} |
"""
    section = C.section_name(SECTION, device=args.device)
    C.publish(section, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
