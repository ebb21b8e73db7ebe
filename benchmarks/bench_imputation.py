"""Imputation on 9 real tables: AutoencoderImputer against scikit-learn's imputers, in one run.

Tables: three of scikit-learn's bundled sets (diabetes, breast_cancer, wine; no download)
and six tabular sets of ``shared/data`` (ADBench: Cardiotocography, fault, landsat,
magic.gamma, PageBlocks, yeast; their features only). Each table is subsampled
to at most ``--max-rows`` rows (default 600, ``random_state=0``) and its constant columns
are dropped. Missingness, drawn per seed:

- MCAR 10%, 30%, 50%: every entry is hidden independently with that probability;
- MNAR: an entry above its column's 70th percentile is hidden with probability 0.6, any
  other with probability 0.1 (about 25% hidden, the large values more often).

Every imputer gets the same masked table, standardised on its observed values (a
StandardScaler, which ignores NaN), as a user would in a Pipeline. Imputers, seeded with the
seed where they draw: ``AutoencoderImputer()`` (ours, defaults), ``SimpleImputer()``
(mean), ``KNNImputer()`` (5 neighbours), ``IterativeImputer()`` (BayesianRidge, 10 rounds)
and ``IterativeImputer(ExtraTreesRegressor(n_estimators=10))`` (10 rounds).

Measures: RMSE over the hidden entries in standardised units (the complete table's column
standard deviations); the downstream score of a fixed model, where the table has a target
(3-fold ``cross_val_score`` on the imputed table: Ridge's R^2 for diabetes,
LogisticRegression's accuracy for the classification sets); fit + transform time. Mean rank
of RMSE among the five imputers (1 = best) per condition. Also: fit + transform time on
10,000 rows of magic.gamma at 30% MCAR, ours against IterativeImputer with ExtraTrees.

The defaults of AutoencoderImputer were chosen on 8 other tables by
``explore_imputer_defaults.py`` and not tuned on these tables.

Bars: ours has the best mean rank at MCAR 30% and at MCAR 50%; ours is faster than
IterativeImputer(ExtraTrees) at 10,000 rows.

Run ``python benchmarks/bench_imputation.py`` (``--quick``: 3 tables, one seed, MCAR 30%
only; writes ``benchmarks/_out/RESULTS.quick.md``).
"""

import sys
import time
import warnings

import numpy as np

import _common as C

SECTION = "imputation"
SEEDS = (0, 1, 2)
BUNDLED = ("diabetes", "breast_cancer", "wine")
SHARED = ("Cardiotocography", "fault", "landsat", "magic.gamma", "PageBlocks", "yeast")
QUICK_TABLES = ("diabetes", "wine", "yeast")
CONDITIONS = ("MCAR 10%", "MCAR 30%", "MCAR 50%", "MNAR")
OURS = "AutoencoderImputer"


def imputers():
    """name -> factory(seed) of an unfitted imputer."""
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

    from sklearn_ae import AutoencoderImputer

    return {
        OURS: lambda s: AutoencoderImputer(random_state=s),
        "SimpleImputer(mean)": lambda s: SimpleImputer(),
        "KNNImputer": lambda s: KNNImputer(),
        "IterativeImputer(BayesianRidge)": lambda s: IterativeImputer(random_state=s),
        "IterativeImputer(ExtraTrees)": lambda s: IterativeImputer(
            ExtraTreesRegressor(n_estimators=10, random_state=s), random_state=s),
    }


def load_table(name, max_rows):
    """``(X, y or None, task)`` of one table, subsampled, constant columns dropped: a
    bundled set, an ODDS set (``shared/data/odds``) or an ADBench one; features only for
    the last two."""
    if name in BUNDLED:
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        task = "regression" if name == "diabetes" else "classification"
    elif name in C.OUTLIER_ODDS:  # explore_imputer_defaults.py's tables
        X, y, task = C.load_odds(name)[0], None, None
    else:
        data = np.load(C.data_home() / "adbench" / f"{name}.npz")
        X, y, task = data["X"], None, None
    X = np.asarray(X, dtype=np.float64)
    if len(X) > max_rows:
        keep = np.sort(np.random.RandomState(0).choice(len(X), max_rows, replace=False))
        X, y = X[keep], (None if y is None else y[keep])
    X = X[:, X.std(axis=0) > 0]
    return X, y, task


def mask(X, condition, rng):
    """Boolean mask of the entries to hide."""
    if condition.startswith("MCAR"):
        p = int(condition.split()[1].rstrip("%")) / 100
        return rng.rand(*X.shape) < p
    high = X > np.percentile(X, 70, axis=0)
    return rng.rand(*X.shape) < np.where(high, 0.6, 0.1)


def downstream(X, y, task):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = Ridge() if task == "regression" else LogisticRegression(max_iter=2000)
    return float(np.mean(cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=3)))


def masked(X, condition, seed):
    """``(hidden, Z, scaler)``: the mask of ``condition`` drawn with ``seed``, the masked
    table standardised on its observed values, and the fitted StandardScaler."""
    from sklearn.preprocessing import StandardScaler

    hidden = mask(X, condition, np.random.RandomState(seed))
    X_missing = np.where(hidden, np.nan, X)
    scaler = StandardScaler().fit(X_missing)
    return hidden, scaler.transform(X_missing), scaler


def hidden_rmse(X, X_imputed, hidden):
    """RMSE over the ``hidden`` entries, in units of the complete table's column stds."""
    error = (X_imputed - X) / X.std(axis=0)
    return float(np.sqrt(np.mean(error[hidden] ** 2)))


def run_one(factory, X, y, task, condition, seed):
    hidden, Z, scaler = masked(X, condition, seed)
    imputer = factory(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        Z_imputed = imputer.fit(Z).transform(Z)
        elapsed = time.perf_counter() - t0
    X_imputed = scaler.inverse_transform(Z_imputed)
    rmse = hidden_rmse(X, X_imputed, hidden)
    score = None if y is None else downstream(X_imputed, y, task)
    return rmse, score, elapsed


def ranks(A):
    """Rank (1 = lowest value) of each row of ``A`` within each column, ties averaged."""
    from scipy.stats import rankdata

    return np.apply_along_axis(rankdata, 0, A)


def timing_10k(table="magic.gamma", seed=0):
    """Fit + transform seconds of ours and of IterativeImputer(ExtraTrees), 10,000 rows."""
    X, _, _ = load_table(table, 10_000)
    factories = imputers()
    times = {}
    for name in (OURS, "IterativeImputer(ExtraTrees)"):
        _, _, times[name] = run_one(factories[name], X, None, None, "MCAR 30%", seed)
    return X.shape, times


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: 3 tables, one seed, MCAR 30% only; writes "
                                     "benchmarks/_out/RESULTS.quick.md", seeds=SEEDS)
    parser.add_argument("--max-rows", type=int, default=600,
                        help="rows each table is subsampled to (default 600)")
    args = parser.parse_args(argv)
    threads = C.set_threads(args.threads)
    machine = C.machine_description()
    print(machine, flush=True)
    tables = QUICK_TABLES if args.quick else BUNDLED + SHARED
    conditions = ("MCAR 30%",) if args.quick else CONDITIONS
    factories = imputers()
    methods = list(factories)
    res = {}  # (method, table, condition) -> (rmse, score, time) means over seeds
    shapes = {}
    for table in tables:
        X, y, task = load_table(table, args.max_rows)
        shapes[table] = (X.shape, task)
        for condition in conditions:
            line = []
            for m in methods:
                runs = [run_one(factories[m], X, y, task, condition, s) for s in args.seeds]
                rmse = float(np.mean([r[0] for r in runs]))
                score = None if y is None else float(np.mean([r[1] for r in runs]))
                res[m, table, condition] = (rmse, score, float(np.mean([r[2] for r in runs])))
                line.append(f"{m} {rmse:.3f} ({res[m, table, condition][2]:.2f} s)")
            print(f"{table} {X.shape} {condition}: " + ", ".join(line), flush=True)
    shape_10k, times_10k = timing_10k()
    print(f"10,000 rows {shape_10k}: {times_10k}", flush=True)
    load_end = C.load_average()

    summary_rows, mean_ranks = [], {}
    for condition in conditions:
        A = np.array([[res[m, t, condition][0] for t in tables] for m in methods])
        R = ranks(A).mean(axis=1)
        mean_ranks[condition] = dict(zip(methods, R))
        for i, m in enumerate(methods):
            secs = np.mean([res[m, t, condition][2] for t in tables])
            summary_rows.append([condition, f"**{m}**" if m == OURS else m,
                                 f"{A[i].mean():.4f}", f"{R[i]:.2f}", C.fmt_s(secs)])
    summary = C.md_table(["missingness", "imputer", "mean RMSE (std. units)", "mean rank",
                          "fit + transform (mean)"], summary_rows)
    per_table = C.md_table(
        ["table", "shape", "missingness", *methods],
        [[t, f"{shapes[t][0][0]} x {shapes[t][0][1]}", c,
          *(f"{res[m, t, c][0]:.3f}" for m in methods)]
         for t in tables for c in conditions])
    with_target = [t for t in tables if shapes[t][1] is not None]
    downstream_table = C.md_table(
        ["table", "metric", "missingness", *methods],
        [[t, "R^2 (Ridge)" if shapes[t][1] == "regression" else "accuracy (LogisticRegression)",
          c, *(f"{res[m, t, c][1]:.3f}" for m in methods)]
         for t in with_target for c in conditions])
    bars = []
    for condition in ("MCAR 30%", "MCAR 50%"):
        if condition not in mean_ranks:
            continue
        r = mean_ranks[condition]
        best_peer = min((v, m) for m, v in r.items() if m != OURS)
        bars.append([f"best mean rank at {condition}",
                     f"{r[OURS]:.2f} vs {best_peer[0]:.2f} ({best_peer[1]})",
                     "n/a (quick run)" if args.quick else C.pass_fail(r[OURS] < best_peer[0])])
    ours_t, et_t = times_10k[OURS], times_10k["IterativeImputer(ExtraTrees)"]
    bars.append([f"faster than IterativeImputer(ExtraTrees) at {shape_10k[0]:,} rows",
                 f"{C.fmt_s(ours_t)} vs {C.fmt_s(et_t)} ({ours_t / et_t:.2f}x)",
                 C.pass_fail(ours_t < et_t)])
    quick_note = ("\n\n*Quick smoke run (3 tables, one seed, MCAR 30%): not for comparison; "
                  "bars not judged.*" if args.quick else "")
    body = f"""## Imputation on 9 real tables (`bench_imputation.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

{len(tables)} tables (scikit-learn's bundled diabetes, breast_cancer, wine; ADBench's
Cardiotocography, fault, landsat, magic.gamma, PageBlocks, yeast from `shared/data`, features
only), each subsampled to at most {args.max_rows:,} rows, constant columns dropped; seeds
{", ".join(map(str, args.seeds))} (each draws the mask and seeds the imputers). MCAR p: every
entry hidden with probability p; MNAR: entries above their column's 70th percentile hidden
with probability 0.6, the others with 0.1. Every imputer gets the masked table standardised
on its observed values. RMSE over the hidden entries, in units of the complete table's column
standard deviations, averaged over the seeds. Peers: `SimpleImputer()` (mean),
`KNNImputer()` (5 neighbours), `IterativeImputer()` (BayesianRidge, max_iter=10),
`IterativeImputer(ExtraTreesRegressor(n_estimators=10))` (max_iter=10). Ours:
`AutoencoderImputer()` at its defaults, which were chosen on 8 other tables
(`explore_imputer_defaults.py`, section `imputer-defaults`) and not tuned on these tables.
Torch on {threads} thread(s).

{summary}

Mean rank: the imputers ranked by RMSE on each table (1 = best), averaged over the tables.

{C.md_table(["bar", "figures", "result"], bars)}

RMSE per table (standardised units, mean over the seeds):

{per_table}

Downstream score of a fixed model on the imputed table (3-fold cross-validation of
StandardScaler + Ridge / LogisticRegression(max_iter=2000); the imputation saw all rows, the
same for every imputer), mean over the seeds:

{downstream_table}

Fit + transform time on {shape_10k[0]:,} x {shape_10k[1]} (magic.gamma, MCAR 30%, seed 0):
ours {C.fmt_s(ours_t)}, IterativeImputer(ExtraTrees) {C.fmt_s(et_t)}.
"""
    C.publish(C.section_name(SECTION), body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
