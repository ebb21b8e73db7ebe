"""Reconstruction quality and fit time of the default AutoencoderTransformer on Fashion-MNIST.

``AutoencoderTransformer(n_components=64, random_state=seed)``, every other parameter at its
default, is fit on the 60,000 training images (float32) for each of ``--seeds`` seeds. For
each fit: the wall time of ``fit``, the epochs it used (``max_iter_``, ``n_iter_``), and the
test reconstruction MSE, ``mean((reconstruct(X_test) - X_test) ** 2)`` on the 10,000 test
images. ``PCA(n_components=64)`` fit in the same run is the linear baseline.

Bars: median test MSE below 0.0080, median fit time at most 60 s.

Run ``python benchmarks/bench_quality.py`` (``--quick`` for a smoke run: one seed, 10,000
rows, 2 epochs, bars not judged).
"""

import argparse
import ast
import re
import sys
import time
import warnings

import numpy as np

import _common as C

SECTION = "quality"
N_COMPONENTS = 64
MSE_BAR, FIT_BAR = 0.0080, 60.0


def test_mse(X_test, X_rec):
    return float(np.mean((X_rec.astype(np.float64) - X_test.astype(np.float64)) ** 2))


def parse_setting(text):
    """``KEY=VALUE`` (VALUE a Python literal, else a string) for ``--set``."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        pass
    return key, value


def fit_autoencoder(X, X_test, seed, quick, settings):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_ae import AutoencoderTransformer

    params = {"max_iter": 2} if quick else {}
    params.update(settings)
    est = AutoencoderTransformer(n_components=N_COMPONENTS, random_state=seed, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(X)
        fit_time = time.perf_counter() - t0
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    t0 = time.perf_counter()
    X_rec = est.reconstruct(X_test)
    rec_time = time.perf_counter() - t0
    durations = [float(d) for d in est.net_.history[:, "dur"]]
    shown = ("hidden_layer_sizes", "alpha", "learning_rate_init", "optimizer", "batch_size",
             "max_iter", "tol", "n_iter_no_change")
    resolved = {k: v for k, v in est.get_params().items() if k in shown}
    return {
        "params": resolved,
        "seed": seed, "fit": fit_time, "mse": test_mse(X_test, X_rec), "rec": rec_time,
        "max_iter_": est.max_iter_, "n_iter_": est.n_iter_, "batch_size_": est.batch_size_,
        "epoch": C.median(durations), "train_loss": est.loss_curve_[-1],
        "converged": converged,
    }


def fit_pca(X, X_test):
    from sklearn.decomposition import PCA

    t0 = time.perf_counter()
    pca = PCA(n_components=N_COMPONENTS, random_state=0).fit(X)
    fit_time = time.perf_counter() - t0
    X_rec = pca.inverse_transform(pca.transform(X_test))
    return {"fit": fit_time, "mse": test_mse(X_test, X_rec),
            "explained": float(pca.explained_variance_ratio_.sum())}


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: one seed, 10k training rows, max_iter=2, bars "
                                     "not judged; writes benchmarks/_out/RESULTS.quick.md",
                      seeds=(0, 1, 2))
    parser.add_argument("--set", type=parse_setting, action="append", default=[],
                        metavar="KEY=VALUE",
                        help="what-if: override a parameter of AutoencoderTransformer (repeat "
                             "for several). The run is written to its own section of "
                             "benchmarks/_out/RESULTS.whatif.md, never over the default run.")
    args = parser.parse_args(argv)
    settings = dict(args.set)
    seeds = args.seeds
    threads = C.set_threads(args.threads)

    machine = C.machine_description()
    X, _ = C.load_fashion_mnist("train", 10_000 if args.quick else None)
    X_test, _ = C.load_fashion_mnist("test")
    print(f"{machine}\nfitting on {X.shape} {X.dtype}, seeds {seeds}", flush=True)

    pca = fit_pca(X, X_test)
    print(f"PCA({N_COMPONENTS}): test MSE {pca['mse']:.5f}, fit {pca['fit']:.2f} s", flush=True)
    runs = []
    for seed in seeds:
        run = fit_autoencoder(X, X_test, seed, args.quick, settings)
        runs.append(run)
        print(f"seed {seed}: test MSE {run['mse']:.5f}, fit {run['fit']:.1f} s, "
              f"{run['n_iter_']}/{run['max_iter_']} epochs, median epoch {run['epoch']:.2f} s",
              flush=True)
    load_end = C.load_average()

    mse = C.median(r["mse"] for r in runs)
    fit = C.median(r["fit"] for r in runs)
    rows = [[r["seed"], f"{r['mse']:.5f}", C.fmt_ratio(C.ratio(r["mse"], pca["mse"])),
             C.fmt_s(r["fit"]), C.fmt_s(r["epoch"]), f"{r['n_iter_']} / {r['max_iter_']}",
             r["batch_size_"], f"{r['train_loss']:.5f}", "yes" if r["converged"] else "no",
             C.fmt_s(r["rec"])] for r in runs]
    rows.append(["**median**", f"**{mse:.5f}**", f"**{C.fmt_ratio(C.ratio(mse, pca['mse']))}**",
                 f"**{C.fmt_s(fit)}**", C.fmt_s(C.median(r["epoch"] for r in runs)),
                 "", "", "", "", C.fmt_s(C.median(r["rec"] for r in runs))])
    rows.append([f"PCA({N_COMPONENTS})", f"{pca['mse']:.5f}", "1.000x", C.fmt_s(pca["fit"]),
                 "", "", "", "", "", ""])

    if args.quick:
        mse_result = fit_result = "n/a (quick run)"
    elif settings:
        mse_result = fit_result = "n/a (non-default settings)"
    else:
        mse_result, fit_result = C.pass_fail(mse < MSE_BAR), C.pass_fail(fit <= FIT_BAR)
    quick_note = ("\n\n*Quick smoke run (10,000 training rows, max_iter=2, one seed): not for "
                  "comparison; bars not judged.*" if args.quick else "")
    section = C.section_name(SECTION, args.threads)
    title, where = "", C.results_path(args.quick, args.results)
    extra = "".join(f", {k}={v!r}" for k, v in settings.items())
    if settings:
        slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", ",".join(f"{k}={v}" for k, v in settings.items()))
        section = f"{section.replace(SECTION, 'quality-whatif', 1)}-{slug}"
        title = f" - what-if: {extra[2:]}"
        where = args.results or C.WHATIF_RESULTS_PATH
        quick_note += ("\n\n*What-if run with non-default settings: not the run the bars are "
                       "about.*")
    body = f"""## Reconstruction quality and fit time (`bench_quality.py`){title}

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

`AutoencoderTransformer(n_components={N_COMPONENTS}, random_state=seed{extra})`, all else default,
fit on {X.shape[0]:,} Fashion-MNIST training rows ({X.dtype}, torch on {threads}
thread(s)); test MSE = mean squared error of `reconstruct(X_test)` on the
{X_test.shape[0]:,} test rows. `PCA({N_COMPONENTS})` (explained variance
{pca['explained']:.3f}) is fit in the same run. Parameters in effect (`get_params()`):
{", ".join(f"`{k}={v!r}`" for k, v in runs[0]["params"].items())}; resolved
`batch_size_={runs[0]['batch_size_']}`, `max_iter_={runs[0]['max_iter_']}`. "Converged" is no
ConvergenceWarning; "fit" is the wall time of `fit`, "epoch" the median of
`net_.history[:, 'dur']`.

{C.md_table(["seed", "test MSE", "MSE / PCA", "fit", "epoch", "n_iter_ / max_iter_",
             "batch_size_", "final train loss", "converged", "reconstruct 10k"], rows)}

| bar | measured | result |
|---|---|---|
| median test MSE < {MSE_BAR:.4f} | {mse:.5f} | {mse_result} |
| median fit time <= {FIT_BAR:.0f} s | {C.fmt_s(fit)} | {fit_result} |
"""
    C.publish(section, body, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
