"""Image clustering against the field's published figures: N2D, MNIST and Fashion-MNIST.

N2D (McConville et al., 2020, "N2D: (Not Too) Deep Clustering via Clustering the Local
Manifold of an Autoencoded Embedding") clusters images in three steps, each a
scikit-learn estimator, so the whole is one Pipeline a user can write::

    make_pipeline(
        AutoencoderTransformer(10, hidden_layer_sizes=(500, 500, 2000), batch_size=256,
                               learning_rate_init=1e-3, max_iter=epochs),
        umap.UMAP(n_components=10, n_neighbors=20, min_dist=0.0),   # 10 neighbours on Fashion
        GaussianMixture(n_components=10, covariance_type="full"))

the dense autoencoder of DEC (d-500-500-2000-10, ReLU), UMAP on its codes, then a Gaussian
mixture. Every set-up is fit on the 60,000 training images (pixels in [0, 1]) and clusters
the 10,000 test images, which no model saw (``predict``; UMAP embeds them with its
``transform``); the labels are used only for the scores: NMI, ARI and the accuracy of the
Hungarian matching of clusters to classes. Set-ups, on MNIST and Fashion-MNIST:

- ``k-means, pixels``: ``KMeans(10, n_init=10)`` on the 784 pixels;
- ``PCA(10) + k-means``;
- ``UMAP + GMM, pixels``: N2D without the autoencoder, which shows what the autoencoder adds;
- ``autoencoder + k-means``: k-means on the N2D autoencoder's codes;
- ``N2D``: the pipeline above; for the first seed also at fewer epochs (``--curve``),
  which gives the curve of NMI against training time. The autoencoder of a curve point is
  the same network trained on with ``partial_fit``, one epoch at a time (``k`` calls give
  the weights of one ``fit`` with ``max_iter=k``).

DeepEmbeddedClustering is not rerun here (about 11 minutes per seed on MNIST,
``bench_deep_clustering.py``); its figure is quoted from its own section.

Run ``python benchmarks/bench_image_clustering.py`` (on one CPU thread, 3 to 8 minutes per
data set and seed: k-means on the pixels, UMAP on the pixels and the autoencoder's 6 epochs
take most of it; ``--baseline-seeds 1`` runs the baselines for the first seed only);
``--quick`` for a smoke run (2,000 training and 2,000 test images, 1 epoch, one seed;
writes benchmarks/_out/RESULTS.quick.md). Needs umap-learn (``pip install sklearn_ae[umap]``).
"""

import sys
import time
import warnings

import _common as C

SECTION = "image_clustering"
AUTOENCODER = dict(n_components=10, hidden_layer_sizes=(500, 500, 2000), batch_size=256,
                   learning_rate_init=1e-3)
EPOCHS = 6
CURVE = (2,)
#: UMAP's n_neighbors in N2D's code: 20 on MNIST, 10 on Fashion-MNIST.
N_NEIGHBORS = {"MNIST": 20, "Fashion-MNIST": 10}
#: Published test-free figures (fit and scored on all 70,000 images), NMI and accuracy.
PUBLISHED = {
    "MNIST": [
        ("DEC (Xie et al., 2016), re-implementations", "about 0.87", "0.84-0.88"),
        ("IDEC (Guo et al., 2017)", "0.867", "0.881"),
        ("DCEC (Guo et al., 2017)", "0.885", "0.890"),
        ("N2D (McConville et al., 2020)", "0.942", "0.979"),
        ("DEC-DA (Guo et al., 2018)", "0.961", "0.985"),
    ],
    "Fashion-MNIST": [
        ("N2D (McConville et al., 2020)", "0.684", "0.672"),
        ("best published (as quoted in issue 25)", "about 0.68", ""),
    ],
}
GOAL = {"MNIST": 0.90, "Fashion-MNIST": 0.65}
TIME_GOAL = 20 * 60


def scores(y, labels):
    nmi, ari = C.nmi_ari(y, labels)
    return {"nmi": nmi, "ari": ari, "acc": C.hungarian_accuracy(y, labels)}


def fit_predict(label, model, X_train, X_test, y_test, seed):
    """Fit ``model`` on ``X_train``, predict ``X_test``: its scores and times."""
    t0 = time.perf_counter()
    model.fit(X_train)
    fit_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    labels = model.predict(X_test)
    result = scores(y_test, labels)
    result.update(label=label, seed=seed, fit=fit_time, predict=time.perf_counter() - t0)
    report(result)
    return result


def report(r):
    print(f"{r['label']}, seed {r['seed']}: NMI {r['nmi']:.3f} ARI {r['ari']:.3f} "
          f"acc {r['acc']:.3f}, fit {r['fit']:.0f} s, predict {r['predict']:.0f} s",
          flush=True)


def umap_gmm(n_neighbors, seed):
    """UMAP to 10 dimensions, then a full-covariance Gaussian mixture (N2D's last steps)."""
    import umap
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        umap.UMAP(n_components=10, n_neighbors=n_neighbors, min_dist=0.0,
                  metric="euclidean", random_state=seed),
        GaussianMixture(n_components=10, covariance_type="full", random_state=seed))


def n2d_runs(X_train, X_test, y_test, seed, checkpoints, n_neighbors):
    """The N2D pipeline at each number of epochs in ``checkpoints``, and k-means on the codes
    at the last one."""
    from sklearn.cluster import KMeans
    from sklearn.pipeline import Pipeline

    from sklearn_ae import AutoencoderTransformer

    ae = AutoencoderTransformer(**AUTOENCODER, random_state=seed)
    runs, ae_time, done = [], 0.0, 0
    for epochs in sorted(checkpoints):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # partial_fit's one epoch is not convergence
            t0 = time.perf_counter()
            for _ in range(epochs - done):
                ae.partial_fit(X_train)
            ae_time += time.perf_counter() - t0
        done = epochs
        t0 = time.perf_counter()
        codes = ae.transform(X_train)
        tail = umap_gmm(n_neighbors, seed).fit(codes)
        tail_time = time.perf_counter() - t0
        n2d = Pipeline([("autoencodertransformer", ae), *tail.steps])
        t0 = time.perf_counter()
        labels = n2d.predict(X_test)
        result = scores(y_test, labels)
        result.update(label=f"N2D, {epochs} epochs", seed=seed, epochs=epochs,
                      fit=ae_time + tail_time, ae=ae_time, tail=tail_time,
                      predict=time.perf_counter() - t0)
        report(result)
        runs.append(result)
    t0 = time.perf_counter()
    kmeans = KMeans(n_clusters=10, n_init=10, random_state=seed).fit(codes)
    labels = kmeans.predict(ae.transform(X_test))
    result = scores(y_test, labels)
    result.update(label=f"autoencoder ({done} epochs) + k-means", seed=seed,
                  fit=ae_time + time.perf_counter() - t0, predict=0.0)
    report(result)
    return runs, result


def baselines(X_train, X_test, y_test, seed, n_neighbors):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline

    return [
        fit_predict("k-means, pixels", KMeans(n_clusters=10, n_init=10, random_state=seed),
                    X_train, X_test, y_test, seed),
        fit_predict("PCA(10) + k-means",
                    make_pipeline(PCA(10, random_state=seed),
                                  KMeans(n_clusters=10, n_init=10, random_state=seed)),
                    X_train, X_test, y_test, seed),
        fit_predict("UMAP + GMM, pixels", umap_gmm(n_neighbors, seed), X_train, X_test,
                    y_test, seed),
    ]


def umap_compile_time():
    """Seconds of numba's first compilation: a UMAP fit and transform of 300 random points."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.random((300, 10), dtype=np.float32)
    t0 = time.perf_counter()
    umap_gmm(15, 0).fit(X).predict(X)
    return time.perf_counter() - t0


def table(runs_by_label, published, deep_clustering):
    """Rows: the median of each set-up over its seeds (and the seeds' range), then the
    published figures."""
    rows = []
    for label, runs in runs_by_label.items():
        nmis = [r["nmi"] for r in runs]
        spread = f" ({min(nmis):.3f}-{max(nmis):.3f})" if len(runs) > 1 else ""
        rows.append([label, f"{C.median(nmis):.3f}{spread}",
                     f"{C.median(r['ari'] for r in runs):.3f}",
                     f"{C.median(r['acc'] for r in runs):.3f}",
                     C.fmt_s(C.median(r["fit"] for r in runs)),
                     C.fmt_s(C.median(r["predict"] for r in runs)), len(runs), "this run"])
    if deep_clustering:
        rows.append(["DeepEmbeddedClustering, ConvAutoencoder(98) (`deep_clustering`)",
                     *deep_clustering, "", "", "3", "**another run**"])
    rows += [[f"*{name}*", nmi, "", acc, "", "", "", "published"]
             for name, nmi, acc in published]
    return C.md_table(["set-up", "NMI", "ARI", "accuracy", "fit", "predict", "seeds",
                       "source"], rows)


def main(argv=None):
    parser = C.parser(
        __doc__, quick="smoke run: 2,000 training and 2,000 test images, 1 epoch, one seed, "
                       "goals not judged; writes benchmarks/_out/RESULTS.quick.md",
        seeds=(0, 1, 2))
    parser.add_argument("--epochs", type=int,
                        help=f"epochs of the N2D autoencoder (default {EPOCHS})")
    parser.add_argument("--curve", type=int, nargs="*",
                        help="fewer epochs at which the first seed's N2D is also scored "
                             f"(default {' '.join(map(str, CURVE))})")
    parser.add_argument("--baseline-seeds", type=int,
                        help="run the baselines for the first N seeds only (default: all)")
    parser.add_argument("--datasets", nargs="+", choices=list(N_NEIGHBORS),
                        default=list(N_NEIGHBORS), help="data sets (default both)")
    args = parser.parse_args(argv)
    threads = C.set_threads(args.threads)
    epochs = args.epochs or (1 if args.quick else EPOCHS)
    curve = [] if args.quick else (CURVE if args.curve is None else args.curve)
    curve = sorted({e for e in curve if e < epochs} | {epochs})
    n = 2000 if args.quick else None
    machine = C.machine_description()
    print(f"{machine}\nseeds {args.seeds}, N2D epochs {curve}", flush=True)

    compile_time = umap_compile_time()
    print(f"UMAP's first call (numba compilation): {compile_time:.0f} s", flush=True)

    loaders = {"MNIST": C.load_mnist, "Fashion-MNIST": C.load_fashion_mnist}
    sections, goals = [], []
    for name in args.datasets:
        X_train, _ = loaders[name]("train", n)
        X_test, y_test = loaders[name]("test", n)
        print(f"{name}: fit on {X_train.shape}, clustering {X_test.shape}", flush=True)
        results, curve_runs = {}, []
        for i, seed in enumerate(args.seeds):
            if args.baseline_seeds is None or i < args.baseline_seeds:
                for r in baselines(X_train, X_test, y_test, seed, N_NEIGHBORS[name]):
                    results.setdefault(r["label"], []).append(r)
            runs, codes_kmeans = n2d_runs(X_train, X_test, y_test, seed,
                                          curve if i == 0 else [epochs], N_NEIGHBORS[name])
            results.setdefault(codes_kmeans["label"], []).append(codes_kmeans)
            results.setdefault(f"**N2D, {epochs} epochs**", []).append(runs[-1])
            if i == 0:
                curve_runs = runs
        n2d = results[f"**N2D, {epochs} epochs**"]
        nmi, fit = C.median(r["nmi"] for r in n2d), C.median(r["fit"] for r in n2d)
        judged = ("n/a (quick run)" if args.quick
                  else C.pass_fail(nmi >= GOAL[name] and fit <= TIME_GOAL))
        goals.append(f"| {name}: N2D median test NMI >= {GOAL[name]:.2f}, fit <= 20 min | "
                     f"{nmi:.3f}, {C.fmt_s(fit)} | {judged} |")
        deep = (("0.771", "0.663", "") if name == "MNIST" else None)
        curve_rows = [[r["epochs"], C.fmt_s(r["ae"]), C.fmt_s(r["fit"]), f"{r['nmi']:.3f}",
                       f"{r['ari']:.3f}", f"{r['acc']:.3f}"] for r in curve_runs]
        sections.append(f"""### {name} (UMAP `n_neighbors={N_NEIGHBORS[name]}`)

{table(results, PUBLISHED[name], deep)}

NMI against training time, N2D, seed {args.seeds[0]} (one network trained on, scored after
each budget; "fit" = autoencoder + UMAP + GMM on the training codes):

{C.md_table(["epochs", "autoencoder", "fit", "NMI", "ARI", "accuracy"], curve_rows)}""")
    load_end = C.load_average()
    quick_note = ("\n\n*Quick smoke run (2,000 training and 2,000 test images, 1 epoch, one "
                  "seed): not for comparison; goals not judged.*" if args.quick else "")
    body = f"""## Image clustering: N2D, baselines, published figures (`bench_image_clustering.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

Every set-up is fit on the training images (pixels in [0, 1]) and clusters the test images,
which no model saw ({"2,000 and 2,000" if args.quick else "60,000 and 10,000"}); the labels
are used only for the scores. N2D is `make_pipeline(AutoencoderTransformer(10,
hidden_layer_sizes=(500, 500, 2000), batch_size=256, learning_rate_init=1e-3,
max_iter=epochs, random_state=seed), umap.UMAP(n_components=10, n_neighbors=k,
min_dist=0.0, random_state=seed), GaussianMixture(10, covariance_type='full',
random_state=seed))`. "UMAP + GMM, pixels" is the same without the autoencoder; k-means is
`KMeans(10, n_init=10, random_state=seed)`. Accuracy: the Hungarian matching of clusters
to classes. "fit": wall time of fitting on the training images, torch on {threads} thread(s),
UMAP single-threaded (its `random_state` makes it so); "predict": clustering the test
images (UMAP's `transform` is most of it). Column "seeds": how many seeds each row is the
median of. UMAP's first call compiled numba code for
{compile_time:.0f} s, before any timing. Medians over the seeds, the range of NMI in
brackets.

The published figures are not measured the same way: the papers fit and score on all
70,000 images (train and test together, no held-out images), with longer training (N2D:
1,000 epochs of pretraining on a GPU; DEC-DA: augmentation, hundreds of epochs). The
DeepEmbeddedClustering row is quoted from the section `deep_clustering` (another run, three
seeds, MNIST test images, k-means on its codes; accuracy not measured there).

{(chr(10) * 2).join(sections)}

| goal | measured | result |
|---|---|---|
{chr(10).join(goals)}
"""
    C.publish(SECTION, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
