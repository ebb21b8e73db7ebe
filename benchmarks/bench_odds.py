"""Unsupervised outlier detection on the ODDS sets: ROC-AUC and fit time against peers.

For each ODDS set (``sklearn_ae.datasets.ODDS_DATASETS``, 11 sets) and each of 3 stratified
60/40 splits (``StratifiedShuffleSplit(n_splits=3, test_size=0.4, random_state=0)``), four
detectors are fit on the training part, outliers included and labels unused, and scored on
the test part by the ROC-AUC of their outlier scores:

- ``ReconstructionOutlierDetector(random_state=split)``: our defaults;
- ``ReconstructionOutlierDetector(PCA(n_components=ceil(sqrt(n_features))),
  random_state=split)``: the same detector wrapping PCA at the default autoencoder's code
  width (one rule for every set);
- PyOD's ``AutoEncoder(random_state=split, verbose=0)``, every other parameter at its
  default (it standardises its input itself);
- ``IsolationForest(random_state=split)``.

Nothing is tuned per data set. All run in the same process, one after the other, with
torch on ``--threads`` threads. Fit time is the wall time of ``fit``.

Bar: the mean ROC-AUC (over the 11 sets of the per-set means over the splits) of our
default detector above both IsolationForest's and PyOD AutoEncoder's.

Run ``python benchmarks/bench_odds.py`` (``--quick``: 3 small sets, one split, bars not
judged).
"""

import sys
import time
import traceback
import warnings

import numpy as np

import _common as C

SECTION = "odds"
N_SPLITS, TEST_SIZE = 3, 0.4
QUICK_SETS = ("glass", "vertebral", "wbc")


class PyODAutoEncoder:
    """PyOD's AutoEncoder with its defaults, scored the scikit-learn way (higher = normal)."""

    def __init__(self, random_state):
        self.random_state = random_state

    def fit(self, X):
        from pyod.models.auto_encoder import AutoEncoder

        self.model_ = AutoEncoder(random_state=self.random_state, verbose=0).fit(X)
        return self

    def score_samples(self, X):
        return -self.model_.decision_function(X)


def detectors():
    """name -> factory(n_features, seed) of an unfitted detector."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest

    from sklearn_ae import ReconstructionOutlierDetector
    from sklearn_ae._outlier import default_n_components

    return {
        "sklearn_ae default": lambda d, s: ReconstructionOutlierDetector(random_state=s),
        "sklearn_ae + PCA": lambda d, s: ReconstructionOutlierDetector(
            PCA(n_components=default_n_components(d)), random_state=s),
        "PyOD AutoEncoder": lambda d, s: PyODAutoEncoder(random_state=s),
        "IsolationForest": lambda d, s: IsolationForest(random_state=s),
    }


def pyod_status():
    """None if PyOD's AutoEncoder imports, else why not."""
    try:
        from pyod.models.auto_encoder import AutoEncoder  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any failure to import is reported as is
        return (f"PyOD's AutoEncoder could not be imported ({type(exc).__name__}: {exc}); "
                "install it with `pip install -c constraints.txt pyod`.")
    return None


def run_one(factory, X, y, splits, n_features):
    from sklearn.metrics import roc_auc_score

    aucs, fits = [], []
    for seed, (train, test) in enumerate(splits):
        detector = factory(n_features, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            detector.fit(X[train])
            fits.append(time.perf_counter() - t0)
            # y = 1 marks outliers; the detectors score normal samples higher.
            aucs.append(roc_auc_score(y[test], -detector.score_samples(X[test])))
    return float(np.mean(aucs)), float(np.mean(fits))


def main(argv=None):
    parser = C.parser(__doc__, quick=f"smoke run: {', '.join(QUICK_SETS)}, one split, bars not "
                                     "judged; writes benchmarks/_out/RESULTS.quick.md")
    args = parser.parse_args(argv)
    threads = C.set_threads(args.threads)

    from sklearn.model_selection import StratifiedShuffleSplit

    from sklearn_ae.datasets import ODDS_DATASETS

    machine = C.machine_description()
    names = QUICK_SETS if args.quick else ODDS_DATASETS
    n_splits = 1 if args.quick else N_SPLITS
    factories = detectors()
    skipped = {}
    why = pyod_status()
    if why:
        skipped["PyOD AutoEncoder"] = why
        del factories["PyOD AutoEncoder"]
    print(machine, flush=True)

    auc = {name: {} for name in factories}
    fit = {name: {} for name in factories}
    shapes = {}
    for ds in names:
        X, y = C.load_odds(ds)
        shapes[ds] = (X.shape, int(y.sum()))
        splits = list(StratifiedShuffleSplit(n_splits=n_splits, test_size=TEST_SIZE,
                                             random_state=0).split(X, y))
        line = []
        for name, factory in list(factories.items()):
            try:
                auc[name][ds], fit[name][ds] = run_one(factory, X, y, splits, X.shape[1])
            except Exception as exc:  # noqa: BLE001 - a peer that crashes is reported
                skipped[name] = (f"crashed on {ds!r}: {type(exc).__name__}: {exc}")
                traceback.print_exc()
                del factories[name]
                continue
            line.append(f"{name} {auc[name][ds]:.3f} ({fit[name][ds]:.2f} s)")
        print(f"{ds} {X.shape}: " + ", ".join(line), flush=True)
    load_end = C.load_average()
    methods = list(factories)

    def mean_auc(name):
        return float(np.mean([auc[name][ds] for ds in names]))

    def mean_fit(name):
        return float(np.mean([fit[name][ds] for ds in names]))

    rows = [[ds, f"{shapes[ds][0][0]} x {shapes[ds][0][1]}", shapes[ds][1],
             *(f"{auc[m][ds]:.3f}" for m in methods)] for ds in names]
    best = max(methods, key=mean_auc)
    rows.append(["**mean**", "", "", *(
        f"**{mean_auc(m):.4f}**" if m == best else f"{mean_auc(m):.4f}" for m in methods)])
    fit_rows = [[ds, *(C.fmt_s(fit[m][ds]) for m in methods)] for ds in names]
    fit_rows.append(["**mean**", *(C.fmt_s(mean_fit(m)) for m in methods)])

    ours = mean_auc("sklearn_ae default")
    bar_rows = []
    for peer in ("IsolationForest", "PyOD AutoEncoder"):
        if peer in methods:
            result = ("n/a (quick run)" if args.quick else C.pass_fail(ours > mean_auc(peer)))
            bar_rows.append([f"sklearn_ae default > {peer}",
                             f"{ours:.4f} vs {mean_auc(peer):.4f}", result])
        else:
            bar_rows.append([f"sklearn_ae default > {peer}", f"{peer} did not run",
                             "**FAIL** (not measured)"])
    skipped_text = "".join(f"\n\n**{name} did not run**: {why}" for name, why in skipped.items())
    quick_note = (f"\n\n*Quick smoke run ({', '.join(QUICK_SETS)}, one split): not for "
                  "comparison; bars not judged.*" if args.quick else "")
    body = f"""## ODDS outlier detection (`bench_odds.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

{len(names)} ODDS sets, {n_splits} stratified {100 - 100 * TEST_SIZE:.0f}/{100 * TEST_SIZE:.0f}
split(s) each (`StratifiedShuffleSplit(random_state=0)`; split *i* also seeds every detector
with `random_state=i`). Detectors are fit on the training part, outliers included, labels
unused, and scored on the test part by ROC-AUC; each cell is the mean over the splits.
Nothing is tuned per set. "sklearn_ae default" is `ReconstructionOutlierDetector()`;
"sklearn_ae + PCA" is `ReconstructionOutlierDetector(PCA(n_components=ceil(sqrt(n_features))))`;
"PyOD AutoEncoder" is `pyod.models.auto_encoder.AutoEncoder(verbose=0)` with its defaults
(64-32-32-64 with batch norm and dropout, 10 epochs, batch 32, standardised input);
"IsolationForest" is scikit-learn's with its defaults. Torch on {threads} thread(s).{skipped_text}

**In-sample figures.** Our default was chosen on these same 11 sets, so every figure of
ours in this section is in-sample: it says little about data the default was not chosen
on. On 23 sets (these 11 and 12 from ADBench) and with peers from the same run, the
current default's mean ROC-AUC is 0.742, below IsolationForest's 0.743 and PyOD KNN's
0.752 (issue 20; `benchmarks/explore_outlier_defaults.py`, the out-of-fold benchmark, is
work in progress).

Our default is one setting for every set: robust scaling, an autoencoder with a code of
`ceil(sqrt(n_features))`, one hidden layer of 64, batch 32, MAE loss, L2 penalty
`alpha=1e-2`, `max_iter='auto'`, the MAE as score. It was chosen once, on these 11 sets,
among about 20 settings (scaling standard / robust, score MSE / MAE, hidden layers 32 / 64 /
128 / 64-32, code `ceil(sqrt(d))` / `d // 4` / 2, batch 200 / 32, loss MSE / MAE, `alpha`
0 / 1e-3 / 1e-2, denoising): the margin below is therefore somewhat optimistic for sets not
seen. The spread from seeds alone is about 0.01 to 0.02 on the mean: with seeds 10 to 12
instead of 0 to 2 (same splits), an earlier setting without the L2 penalty went from
0.783 to 0.804, and the chosen one from 0.810 to 0.815 (both measured before the output
layer started at the data's mean, which moved the chosen one from 0.810 to 0.804 on seeds 0
to 2).

ROC-AUC:

{C.md_table(["set", "shape", "outliers", *methods], rows)}

Fit time (mean over the splits):

{C.md_table(["set", *methods], fit_rows)}

| bar | mean ROC-AUC | result |
|---|---|---|
{chr(10).join("| " + " | ".join(r) + " |" for r in bar_rows)}
"""
    C.publish(C.section_name(SECTION), body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
