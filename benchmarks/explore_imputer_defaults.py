"""Choose the defaults of AutoencoderImputer on tables that the benchmark does not report.

Exploration script (issue 24), not part of ``run_all.py``. It

1. loads 8 *selection* tables, disjoint from the 9 that ``bench_imputation.py`` reports:
   ODDS glass, ionosphere, letter, pima, vertebral, vowels and ADBench SpamBase, Stamps
   (``shared/data``; features only), each subsampled to at most 600 rows and its constant
   columns dropped, with ``bench_imputation.load_table``;
2. hides entries MCAR at 30% and 50%, seeds 0, 1, 2, standardises the masked table on its
   observed values and scores the RMSE over the hidden entries in the complete table's
   column standard deviations, all with ``bench_imputation``'s own functions (``masked``,
   ``hidden_rmse``), so the masks and figures are those the benchmark would make;
3. fits the four peers of the benchmark (``bench_imputation.imputers()``) and every
   candidate configuration of ``AutoencoderImputer`` on the same masks. A candidate's
   ``n_fill_iter`` is read from the same fit (it only changes ``transform``), so each fit
   gives the views ``NAME-fill1``, ``NAME-fill2``, ... Every (imputer, table, missingness,
   seed) result is cached in ``benchmarks/_out/explore_imputer_defaults.json`` as soon as
   it is measured, so a rerun skips what is done;
4. reports, per candidate, its mean rank among the peers: on each table and missingness
   the candidate and the four peers are ranked by RMSE (mean over the seeds; 1 = best), and
   the candidate's rank is averaged. These per-candidate figures are *in-sample* (the
   tables they are averaged over are those the choice is made on). The out-of-fold figure
   is leave-one-table-out: for each table, the candidate with the best mean rank on the
   other 7 is chosen and ranked on the held-out table; its mean over the 8 held-out tables
   estimates what the choice gives on tables it was not made on.

Torch, OpenMP and MKL run on one thread (``--threads``).

Usage::

    python benchmarks/explore_imputer_defaults.py run  [--only NAME ...] [--tables T ...]
    python benchmarks/explore_imputer_defaults.py report [--pool NAME ...] [--publish]
    python benchmarks/explore_imputer_defaults.py list
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
import bench_imputation as B  # noqa: E402

TABLES = ("glass", "ionosphere", "letter", "pima", "SpamBase", "Stamps", "vertebral",
          "vowels")
CONDITIONS = ("MCAR 30%", "MCAR 50%")
SEEDS = (0, 1, 2)
MAX_ROWS = 600
OUT_DIR = C.BENCH_DIR / "_out"
CACHE = OUT_DIR / "explore_imputer_defaults.json"
PEERS = tuple(name for name in B.imputers() if name != B.OURS)


def candidates():
    """name -> (parameters of AutoencoderImputer, the n_fill_iter values read from one fit).

    ``n_components="d"`` stands for the number of features of the table (no bottleneck).
    ``n1`` is the default before this exploration.
    """
    return {
        "n1": ({}, (1, 2, 3)),
        "n3": ({"n_estimators": 3}, (1, 2, 3)),
        "n5": ({"n_estimators": 5}, (1, 2)),
        "n3-noise0.4": ({"n_estimators": 3, "noise_level": 0.4}, (1, 2)),
        "n3-code-d": ({"n_estimators": 3, "n_components": "d"}, (1, 2)),
    }


def views(name, fills):
    return [f"{name}-fill{k}" for k in fills]


def all_candidate_views():
    return [v for name, (_, fills) in candidates().items() for v in views(name, fills)]


# --------------------------------------------------------------------------- caching


def key(name, table, condition, seed):
    return f"{name}|{table}|{condition}|{seed}"


# -------------------------------------------------------------------------------- run


def fit_views(name, X, condition, seed):
    """``{view: {"rmse", "s"}}`` of one imputer (a peer, or a candidate and its views)."""
    hidden, Z, scaler = B.masked(X, condition, seed)
    if name in PEERS:
        imputer, fills = B.imputers()[name](seed), (None,)
    else:
        from sklearn_ae import AutoencoderImputer

        params, fills = candidates()[name]
        params = dict(params)
        if params.get("n_components") == "d":
            params["n_components"] = X.shape[1]
        imputer = AutoencoderImputer(random_state=seed, **params)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        imputer.fit(Z)
        fit_s = time.perf_counter() - t0
        for k in fills:
            if k is not None:
                imputer.set_params(n_fill_iter=k)
            t1 = time.perf_counter()
            Z_imputed = imputer.transform(Z)
            elapsed = fit_s + time.perf_counter() - t1
            rmse = B.hidden_rmse(X, scaler.inverse_transform(Z_imputed), hidden)
            out[name if k is None else f"{name}-fill{k}"] = {"rmse": rmse, "s": elapsed}
    return out


def cmd_run(args):
    names = C.select(list(PEERS) + list(candidates()), args.only)
    tables = C.select(TABLES, args.tables)
    data = {}
    for name in names:
        wanted = [name] if name in PEERS else views(name, candidates()[name][1])
        for table in tables:
            for condition in CONDITIONS:
                for seed in SEEDS:
                    cache = C.load_json(CACHE)
                    if all(key(v, table, condition, seed) in cache for v in wanted):
                        continue
                    if table not in data:
                        data[table] = B.load_table(table, MAX_ROWS)[0]
                    X = data[table]
                    res = fit_views(name, X, condition, seed)
                    cache = C.load_json(CACHE)  # pick up anything written meanwhile
                    for view, r in res.items():
                        cache[key(view, table, condition, seed)] = r
                    C.save_json(CACHE, cache)
                    print(f"{table:11s} {X.shape!s:10s} {condition} seed {seed} " + ", ".join(
                        f"{v} {r['rmse']:.4f} ({r['s']:.2f} s)" for v, r in res.items()),
                        flush=True)
    return 0


# ----------------------------------------------------------------------------- report


def rmse_of(cache, name, table, condition, field="rmse"):
    """Mean over the seeds (NaN if any seed is missing)."""
    vals = [cache.get(key(name, table, condition, s), {}).get(field, np.nan) for s in SEEDS]
    return float(np.mean(vals))


def rank_among_peers(cache, name, table, condition):
    """``(rank of name, {peer: rank})`` among name and the four peers (1 = best)."""
    from scipy.stats import rankdata

    names = [name, *PEERS]
    r = rankdata([rmse_of(cache, n, table, condition) for n in names])
    return float(r[0]), dict(zip(PEERS, map(float, r[1:])))


def criterion(cache, name, tables):
    """Mean rank among the peers over ``tables`` x both conditions, then the mean ratio of
    the RMSE to the best peer's (tie-break); lower is better."""
    ranks, ratios = [], []
    for t in tables:
        for c in CONDITIONS:
            ranks.append(rank_among_peers(cache, name, t, c)[0])
            ratios.append(rmse_of(cache, name, t, c)
                          / min(rmse_of(cache, p, t, c) for p in PEERS))
    return float(np.mean(ranks)), float(np.mean(ratios))


def complete(cache, name):
    return all(key(name, t, c, s) in cache for t in TABLES for c in CONDITIONS for s in SEEDS)


def cmd_report(args):
    cache = C.load_json(CACHE)
    pool = [n for n in C.select(all_candidate_views(), args.pool) if complete(cache, n)]
    missing_peers = [p for p in PEERS if not complete(cache, p)]
    if missing_peers or not pool:
        print(f"incomplete: peers {missing_peers}, complete candidates {pool}")
        return 1

    def mean_rank(name, condition, tables=TABLES):
        return float(np.mean([rank_among_peers(cache, name, t, condition)[0] for t in tables]))

    def best_peer_rank(name, condition, tables=TABLES):
        """The best mean rank of a peer, in the rankings that include ``name``."""
        per_peer = [[rank_among_peers(cache, name, t, condition)[1][p] for t in tables]
                    for p in PEERS]
        i = int(np.argmin([np.mean(r) for r in per_peer]))
        return float(np.mean(per_peer[i])), PEERS[i]

    # leave one table out
    chosen, oof = {}, {c: [] for c in CONDITIONS}
    oof_peers = {c: {p: [] for p in PEERS} for c in CONDITIONS}
    for held in TABLES:
        others = [t for t in TABLES if t != held]
        chosen[held] = min(pool, key=lambda n: criterion(cache, n, others))
        for c in CONDITIONS:
            r, peer_r = rank_among_peers(cache, chosen[held], held, c)
            oof[c].append(r)
            for p in PEERS:
                oof_peers[c][p].append(peer_r[p])
    winner = min(pool, key=lambda n: criterion(cache, n, TABLES))

    rows = []
    for n in sorted(pool, key=lambda n: criterion(cache, n, TABLES)):
        crit, ratio = criterion(cache, n, TABLES)
        secs = np.mean([rmse_of(cache, n, t, c, "s") for t in TABLES for c in CONDITIONS])
        cells = []
        for c in CONDITIONS:
            cells.append(f"{mean_rank(n, c):.2f} (best peer {best_peer_rank(n, c)[0]:.2f})")
        rows.append([f"{n} (in-sample)", *cells, f"{crit:.3f}", f"{ratio:.3f}", C.fmt_s(secs)])
    oof_rows = []
    for c in CONDITIONS:
        best_peer = min(PEERS, key=lambda p: np.mean(oof_peers[c][p]))
        oof_rows.append([c, f"{np.mean(oof[c]):.2f}",
                         f"{np.mean(oof_peers[c][best_peer]):.2f} ({best_peer})"])
    per_table = C.md_table(
        ["table", "shape", "missingness", *PEERS, "n1-fill1 (previous default)",
         f"{winner} (chosen on all 8)"],
        [[t, "{} x {}".format(*B.load_table(t, MAX_ROWS)[0].shape), c,
          *(f"{rmse_of(cache, n, t, c):.3f}" for n in (*PEERS, "n1-fill1", winner))]
         for t in TABLES for c in CONDITIONS])
    cand_lines = "\n".join(
        f"- `{name}`: `AutoencoderImputer({', '.join(f'{k}={v!r}' for k, v in params.items())})`"
        f", n_fill_iter {', '.join(map(str, fills))}"
        for name, (params, fills) in candidates().items())
    body = f"""## Choosing the imputer's defaults out of fold (`explore_imputer_defaults.py`)

Date: {C.now()}

Command: `{C.command_line()}` (after `run`, which fits every imputer and caches each result)

Machine: {C.machine_description()}

The selection protocol of issue 24, on 8 tables that `bench_imputation.py` does not report:
ODDS glass, ionosphere, letter, pima, vertebral, vowels; ADBench SpamBase, Stamps
(`shared/data`, features only), each subsampled to at most {MAX_ROWS} rows, constant
columns dropped; MCAR 30% and 50%, seeds {", ".join(map(str, SEEDS))}, with the benchmark's
own masking, standardisation and RMSE (`bench_imputation.masked`, `hidden_rmse`). The four
peers of the benchmark (`SimpleImputer()`, `KNNImputer()`, `IterativeImputer()` with
BayesianRidge, `IterativeImputer(ExtraTreesRegressor(n_estimators=10))`) are fit on the same
masks. Candidates (`-fillK`: `n_fill_iter=K`, read from the same fit; `n_components='d'`: as
many as the table has features; `max_iter='auto'` throughout, so the ensembles share one
budget of 3,000 steps):

{cand_lines}

Criterion: the candidate's rank among itself and the four peers by RMSE (mean over the
seeds) on each table and missingness, averaged (tie-break: the mean ratio of its RMSE to
the best peer's). Every candidate row below is **in-sample**: averaged over the 8 tables the
choice is made on. "best peer": the best mean rank of a peer in the same rankings.

{C.md_table(["candidate", "mean rank MCAR 30%", "mean rank MCAR 50%", "criterion",
             "RMSE / best peer", "fit + transform (mean)"], rows)}

**Out of fold** (leave one table out: the candidate with the best criterion on the other 7
tables, ranked on the held-out one; mean over the 8 held-out tables):

{C.md_table(["missingness", "mean rank of the chosen candidate (OOF)",
             "best peer's mean rank in the same rankings"], oof_rows)}

Chosen per held-out table: {dict(Counter(chosen.values()))}
({", ".join(f"{t}: {n}" for t, n in chosen.items())}). Chosen on all 8 tables: `{winner}`.

RMSE per table (standardised units, mean over the seeds; the last column in-sample):

{per_table}
"""
    if args.publish:
        C.publish("imputer-defaults", body, C.RESULTS_PATH)
    else:
        print(body)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "report", "list"))
    parser.add_argument("--only", nargs="*", help="imputer names (fnmatch patterns)")
    parser.add_argument("--tables", nargs="*", help="table names (fnmatch patterns)")
    parser.add_argument("--pool", nargs="*",
                        help="report: candidate views for the selection (fnmatch patterns)")
    parser.add_argument("--publish", action="store_true",
                        help="report: write the summary into benchmarks/RESULTS.md")
    C.add_threads_argument(parser)
    args = parser.parse_args(argv)
    C.set_threads(args.threads)
    if args.command == "list":
        print("\n".join([*PEERS, *all_candidate_views()]))
        return 0
    return {"run": cmd_run, "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
