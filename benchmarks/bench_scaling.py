"""Fit time against the number of rows: 10k, 20k, 40k and 80k Fashion-MNIST images.

``AutoencoderTransformer(n_components=64, hidden_layer_sizes=(256,), batch_size=256,
max_iter=3, tol=0)`` (the training-speed network) is fit on the first n rows of the 70,000
Fashion-MNIST images (training then test set); 80,000 rows repeat the first 10,000. Every
size is fit ``--runs`` times, in interleaved rounds (the order of the sizes rotates each
round) so that a change in the load of the shared machine hits every size alike, after one
warm-up fit that takes torch's one-time set-up out of the first measure; the median is kept. Reported: the fit wall time (validation and setup included), the epoch time
(the first epoch of each fit dropped as warm-up), the time per row of both, and a
least-squares line through the fit times with its R^2.

Bars: the time grows linearly with the rows: R^2 of the line at least 0.99, and the epoch
time per row at every size within 25% of that at 10,000 rows.

Run ``python benchmarks/bench_scaling.py`` (``--quick``: sizes 2.5k to 20k, one run).
"""

import sys
import time
import warnings

import numpy as np

import _common as C

SECTION = "scaling"
SIZES, QUICK_SIZES = (10_000, 20_000, 40_000, 80_000), (2_500, 5_000, 10_000, 20_000)
PARAMS = dict(n_components=64, hidden_layer_sizes=(256,), batch_size=256, tol=0)
R2_BAR, PER_ROW_BAR = 0.99, 1.25


def rows(X_all, n):
    """The first ``n`` rows, wrapping around past the end."""
    return X_all[:n] if n <= len(X_all) else X_all[np.arange(n) % len(X_all)]


def fit_once(X, epochs, seed):
    from sklearn_ae import AutoencoderTransformer

    est = AutoencoderTransformer(max_iter=epochs, random_state=seed, **PARAMS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached on purpose
        t0 = time.perf_counter()
        est.fit(X)
        wall = time.perf_counter() - t0
    durations = [float(d) for d in est.net_.history[:, "dur"]]
    return wall, C.median(durations[1:])


def line_fit(x, y):
    """Slope, intercept and R^2 of the least-squares line through (x, y)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))
    return slope, intercept, r2


def main(argv=None):
    parser = C.parser(__doc__,
                      quick="smoke run: 2,500 to 20,000 rows, one run; writes RESULTS.quick.md")
    parser.add_argument("--runs", type=int, help="fits per size (default 3, quick 1)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs per fit, the first dropped for the epoch time (default 3)")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch of each fit is dropped")
    threads = C.set_threads(args.threads)
    runs = args.runs or (1 if args.quick else 3)
    sizes = QUICK_SIZES if args.quick else SIZES

    machine = C.machine_description()
    X_all = np.ascontiguousarray(np.concatenate(
        [C.load_fashion_mnist("train")[0], C.load_fashion_mnist("test")[0]]), dtype=np.float32)
    data = {n: np.ascontiguousarray(rows(X_all, n)) for n in sizes}
    del X_all
    print(f"{machine}\nsizes {sizes}, {runs} run(s) x {args.epochs} epochs", flush=True)

    fit_once(data[sizes[0]][:1000], args.epochs, seed=0)  # warm-up: torch's lazy set-up
    walls = {n: [] for n in sizes}
    epochs = {n: [] for n in sizes}
    loads = []
    for r in range(runs):
        order = sizes[r % len(sizes):] + sizes[:r % len(sizes)]
        for n in order:
            wall, epoch = fit_once(data[n], args.epochs, seed=r)
            walls[n].append(wall)
            epochs[n].append(epoch)
            loads.append(C.load_average())
            print(f"run {r + 1}/{runs} {n:>6} rows: fit {wall:.2f} s, epoch {epoch:.3f} s, "
                  f"load {loads[-1]}", flush=True)
    load_end = C.load_average()

    wall = {n: C.median(walls[n]) for n in sizes}
    epoch = {n: C.median(epochs[n]) for n in sizes}
    slope, intercept, r2 = line_fit(sizes, [wall[n] for n in sizes])
    base = epoch[sizes[0]] / sizes[0]
    per_row = {n: epoch[n] / n for n in sizes}
    worst = max(max(per_row[n] / base, base / per_row[n]) for n in sizes)
    table = C.md_table(
        ["rows", "median fit", "fit per row", "median epoch", "epoch per row",
         "epoch per row / at smallest", "line's fit time", "runs"],
        [[f"{n:,}", C.fmt_s(wall[n]), f"{wall[n] / n * 1e6:.1f} us", C.fmt_s(epoch[n]),
          f"{per_row[n] * 1e6:.1f} us", f"{per_row[n] / base:.3f}",
          C.fmt_s(slope * n + intercept), len(walls[n])] for n in sizes])
    quick_note = ("\n\n*Quick smoke run (2,500 to 20,000 rows, one run): not for comparison.*"
                  if args.quick else "")
    body = f"""## Fit time against the number of rows (`bench_scaling.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}; after each fit:
{", ".join(loads)}.

Command: `{C.command_line()}`

`AutoencoderTransformer(n_components=64, hidden_layer_sizes=(256,), batch_size=256,
max_iter={args.epochs}, tol=0)`, float32, torch on {threads} thread(s), on the first n of the
70,000 Fashion-MNIST images (80,000 rows repeat the first 10,000). {runs} run(s) per size in
interleaved rounds after one warm-up fit, medians. "Fit" is the whole `fit` call ({args.epochs} epochs plus
validation and setup); "epoch" drops the first epoch of each fit as warm-up. The line is the
least-squares fit of the fit times: {slope * 1e6:.1f} us per row plus {intercept:.2f} s.

{table}

| bar | measured | result |
|---|---|---|
| R^2 of the line through the fit times >= {R2_BAR} | {r2:.4f} | {C.pass_fail(r2 >= R2_BAR)} |
| epoch time per row within {PER_ROW_BAR - 1:.0%} of that at {sizes[0]:,} rows | worst {worst:.3f}x | {C.pass_fail(worst <= PER_ROW_BAR)} |
"""
    section = C.section_name(SECTION, args.threads)
    C.publish(section, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
