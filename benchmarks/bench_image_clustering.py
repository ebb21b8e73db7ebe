"""Image clustering against published figures: N2D, DEC, DEC-DA on MNIST and Fashion-MNIST.

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
  the weights of one ``fit`` with ``max_iter=k``);
- ``DEC``: ``DeepEmbeddedClustering`` as it is today (IDEC's loss, its defaults but for
  the budget) over the papers' dense network, the N2D autoencoder above, pretrained as N2D
  pretrains it (``DEC_PRETRAINING`` epochs), then ``DEC_FINE_TUNING`` epochs of
  fine-tuning. This is a cheaper DEC than section ``deep_clustering``'s
  (``ConvAutoencoder(98)``, about 11 minutes per seed on two threads), which is too slow to
  run here for every data set and seed;
- ``DEC-DA`` (Guo et al., 2018): the same estimator and network with
  ``augmentation='shift_rotate'`` (random shifts of up to 10% and rotations of up to 10
  degrees of every training batch, in pretraining and fine-tuning) and IDEC's
  ``clustering_weight=0.1``, with ``DEC_DA_PRETRAINING`` and ``DEC_DA_FINE_TUNING`` epochs.

Run ``python benchmarks/bench_image_clustering.py`` (on one CPU thread, about 30 minutes
per data set with every row on three seeds); ``--baseline-seeds``, ``--dec-seeds`` and
``--dec-da-seeds`` run the baselines, DEC and DEC-DA for the first seeds only;
``--setups`` runs a subset of the set-ups (a trial, not for publishing); ``--quick`` for a
smoke run (2,000 training and 2,000 test images, 1 epoch each, one seed; writes
benchmarks/_out/RESULTS.quick.md). Needs umap-learn (``pip install sklearn_ae[umap]``).
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
#: DEC as today: the N2D autoencoder, pretrained as N2D, then fine-tuning at the
#: estimator's defaults (IDEC's loss, Adam 1e-3, clustering_weight=1) for a fixed budget.
DEC_PRETRAINING = EPOCHS
DEC_FINE_TUNING = 3
DEC = dict(n_clusters=10, tol=None)
#: DEC-DA: the same network trained on shifted and rotated images, pretrained longer, and
#: fine-tuned with IDEC's weight of the clustering loss (gamma=0.1): with 1.0 and
#: augmentation, the clusters of MNIST swapped after 2 epochs (test NMI 0.894, then
#: 0.833; one exploratory seed).
DEC_DA_PRETRAINING = 8
DEC_DA_FINE_TUNING = 3
DEC_DA = dict(augmentation="shift_rotate", clustering_weight=0.1)
SETUPS = ("baselines", "n2d", "dec", "dec-da")
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
        ("DEC-DA (Guo et al., 2018; the authors' code's README)", "0.636", "0.586"),
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


def dec_run(label, X_train, X_test, y_test, seed, pretraining, fine_tuning, **params):
    """DeepEmbeddedClustering over the N2D autoencoder: fit, cluster the test images."""
    from sklearn_ae import AutoencoderTransformer, DeepEmbeddedClustering

    dec = DeepEmbeddedClustering(
        AutoencoderTransformer(**AUTOENCODER, max_iter=pretraining), **DEC,
        max_iter=fine_tuning, random_state=seed, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short pretraining has not converged: by design
        return fit_predict(label, dec, X_train, X_test, y_test, seed)


def umap_compile_time():
    """Seconds of numba's first compilation: a UMAP fit and transform of 300 random points."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.random((300, 10), dtype=np.float32)
    t0 = time.perf_counter()
    umap_gmm(15, 0).fit(X).predict(X)
    return time.perf_counter() - t0


def table(runs_by_label, published):
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
    parser.add_argument("--dec-seeds", type=int,
                        help="run DEC for the first N seeds only (default: all)")
    parser.add_argument("--dec-da-seeds", type=int,
                        help="run DEC-DA for the first N seeds only (default: all)")
    parser.add_argument("--setups", nargs="+", choices=SETUPS, default=list(SETUPS),
                        help="set-ups to run (default all; a subset is a trial, not for "
                             "publishing)")
    parser.add_argument("--datasets", nargs="+", choices=list(N_NEIGHBORS),
                        default=list(N_NEIGHBORS), help="data sets (default both)")
    args = parser.parse_args(argv)
    threads = C.set_threads(args.threads)
    epochs = args.epochs or (1 if args.quick else EPOCHS)
    curve = [] if args.quick else (CURVE if args.curve is None else args.curve)
    curve = sorted({e for e in curve if e < epochs} | {epochs})
    n = 2000 if args.quick else None
    dec_epochs = (1, 1) if args.quick else (DEC_PRETRAINING, DEC_FINE_TUNING)
    dec_da_epochs = (1, 1) if args.quick else (DEC_DA_PRETRAINING, DEC_DA_FINE_TUNING)
    machine = C.machine_description()
    print(f"{machine}\nseeds {args.seeds}, N2D epochs {curve}, set-ups {args.setups}",
          flush=True)

    compile_time = umap_compile_time()
    print(f"UMAP's first call (numba compilation): {compile_time:.0f} s", flush=True)

    loaders = {"MNIST": C.load_mnist, "Fashion-MNIST": C.load_fashion_mnist}
    sections, goals = [], []
    for name in args.datasets:
        X_train, _ = loaders[name]("train", n)
        X_test, y_test = loaders[name]("test", n)
        print(f"{name}: fit on {X_train.shape}, clustering {X_test.shape}", flush=True)
        results, curve_runs = {}, []
        n2d_label = f"**N2D, {epochs} epochs**"
        dec_label = f"DEC (IDEC), {dec_epochs[0]} + {dec_epochs[1]} epochs"
        dec_da_label = f"**DEC-DA, {dec_da_epochs[0]} + {dec_da_epochs[1]} epochs**"

        def first(i, n_seeds):
            return n_seeds is None or i < n_seeds

        for i, seed in enumerate(args.seeds):
            if "baselines" in args.setups and first(i, args.baseline_seeds):
                for r in baselines(X_train, X_test, y_test, seed, N_NEIGHBORS[name]):
                    results.setdefault(r["label"], []).append(r)
            if "n2d" in args.setups:
                runs, codes_kmeans = n2d_runs(X_train, X_test, y_test, seed,
                                              curve if i == 0 else [epochs], N_NEIGHBORS[name])
                results.setdefault(codes_kmeans["label"], []).append(codes_kmeans)
                results.setdefault(n2d_label, []).append(runs[-1])
                if i == 0:
                    curve_runs = runs
            if "dec" in args.setups and first(i, args.dec_seeds):
                results.setdefault(dec_label, []).append(dec_run(
                    dec_label, X_train, X_test, y_test, seed, *dec_epochs))
            if "dec-da" in args.setups and first(i, args.dec_da_seeds):
                results.setdefault(dec_da_label, []).append(dec_run(
                    dec_da_label, X_train, X_test, y_test, seed, *dec_da_epochs, **DEC_DA))
        for what, label in (("N2D", n2d_label), ("DEC-DA", dec_da_label)):
            if label not in results:
                continue
            nmi = C.median(r["nmi"] for r in results[label])
            fit = C.median(r["fit"] for r in results[label])
            judged = ("n/a (quick run)" if args.quick
                      else C.pass_fail(nmi >= GOAL[name] and fit <= TIME_GOAL))
            goals.append(f"| {name}: {what} median test NMI >= {GOAL[name]:.2f}, fit <= 20 "
                         f"min | {nmi:.3f}, {C.fmt_s(fit)} | {judged} |")
        curve_rows = [[r["epochs"], C.fmt_s(r["ae"]), C.fmt_s(r["fit"]), f"{r['nmi']:.3f}",
                       f"{r['ari']:.3f}", f"{r['acc']:.3f}"] for r in curve_runs]
        curve_text = "" if not curve_runs else f"""

NMI against training time, N2D, seed {args.seeds[0]} (one network trained on, scored after
each budget; "fit" = autoencoder + UMAP + GMM on the training codes):

{C.md_table(["epochs", "autoencoder", "fit", "NMI", "ARI", "accuracy"], curve_rows)}"""
        sections.append(f"""### {name} (UMAP `n_neighbors={N_NEIGHBORS[name]}`)

{table(results, PUBLISHED[name])}{curve_text}""")
    load_end = C.load_average()
    quick_note = ("\n\n*Quick smoke run (2,000 training and 2,000 test images, 1 epoch, one "
                  "seed): not for comparison; goals not judged.*" if args.quick else "")
    if set(args.setups) != set(SETUPS):
        quick_note += (f"\n\n*Trial of the set-ups {', '.join(args.setups)} only: not the "
                       "full comparison.*")
    body = f"""## Image clustering: N2D, DEC, DEC-DA, baselines, published figures (`bench_image_clustering.py`)

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
`KMeans(10, n_init=10, random_state=seed)`. "DEC (IDEC), p + f epochs" is
`DeepEmbeddedClustering(AutoencoderTransformer(<N2D's network>, max_iter=p), n_clusters=10,
max_iter=f, tol=None, random_state=seed)`, the estimator as it is today (IDEC's loss,
learning rate 1e-3, `clustering_weight=1`, batches of 256) on the papers' dense network
(a cheaper DEC than the `ConvAutoencoder(98)` of section `deep_clustering`, which takes
about 11 minutes per seed on two threads); "DEC-DA" is the same with
`augmentation='shift_rotate'` (every training batch, in pretraining and in fine-tuning,
shifted by up to 10% of the side and rotated by up to 10 degrees, as DEC-DA does) and
`clustering_weight=0.1` (IDEC's gamma). Both cluster the test images with their own
`predict` (the nearest centre). Accuracy: the Hungarian matching of clusters
to classes. "fit": wall time of fitting on the training images, torch on {threads} thread(s),
UMAP single-threaded (its `random_state` makes it so); "predict": clustering the test
images (UMAP's `transform` is most of it). Column "seeds": how many seeds each row is the
median of. UMAP's first call compiled numba code for
{compile_time:.0f} s, before any timing. Medians over the seeds, the range of NMI in
brackets.

The published figures are not measured the same way: the papers fit and score on all
70,000 images (train and test together, no held-out images), with longer training (N2D:
1,000 epochs of pretraining on a GPU; DEC-DA: hundreds of epochs of pretraining with
augmentation, then up to 20,000 steps of fine-tuning).

{(chr(10) * 2).join(sections)}

| goal | measured | result |
|---|---|---|
{chr(10).join(goals)}
"""
    C.publish(SECTION, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
