"""Peak memory of fit + transform on the 60,000 x 784 Fashion-MNIST training images.

Each scenario runs in its own Python process, which reports its peak resident set size
(``VmHWM`` of ``/proc/self/status``, else ``ru_maxrss``):

- ``baseline``: import torch and sklearn_ae, load the data (float32, 188 MB) with
  ``np.load`` from a ``.npy`` file written once into ``benchmarks/_out/``;
- ``fit + transform of 300 rows``: the same, then the fit and inference below on 300 rows
  only: the fixed cost of torch's first training and inference (kernels, thread pools),
  whatever the size of the data;
- ``fit + transform``: the same, then ``AutoencoderTransformer(n_components=64,
  hidden_layer_sizes=(256,), batch_size=256, max_iter=2)``: ``fit``, ``transform`` and
  ``score_samples`` of the whole data;
- the same with ``early_stopping=True`` (a validation split is held out);
- ``baseline (memmap)`` and ``fit + transform (memmap)``: the data opened with
  ``np.load(mmap_mode='r')``; the baseline reads every page once, as fit does, so that the
  mapped file counts in both;
- ``partial_fit, 6 chunks (memmap)``: one pass of ``partial_fit`` over chunks of 10,000 rows.

The figure is the extra peak memory over the matching baseline, divided by the size of the
data. Bar: at most 2x the data for fit + transform.

Run ``python benchmarks/bench_memory.py`` (``--quick``: 10,000 rows, one repeat).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

import _common as C

SECTION = "memory"
BAR = 2.0
PARAMS = dict(n_components=64, hidden_layer_sizes=(256,), batch_size=256, random_state=0)
CHUNK = 10_000

#: scenario -> (baseline it is compared with, whether the data are a memmap)
SCENARIOS = {
    "baseline": (None, False),
    "fit + transform of 300 rows": ("baseline", False),
    "fit + transform": ("baseline", False),
    "fit + transform, early_stopping": ("baseline", False),
    "baseline (memmap)": (None, True),
    "fit + transform (memmap)": ("baseline (memmap)", True),
    "partial_fit, 6 chunks (memmap)": ("baseline (memmap)", True),
}
JUDGED = ["fit + transform", "fit + transform (memmap)"]


def peak_rss():
    """Peak resident set size of this process, in bytes.

    Linux's ``VmHWM`` where there is one: ``ru_maxrss`` survives ``exec``, so a child
    started from a larger parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB, bytes on macOS
    return peak if sys.platform == "darwin" else peak * 1024


def child(scenario, path, epochs, threads):
    """Run one scenario in this process and print its measures as JSON."""
    C.set_threads(threads)
    import torch  # noqa: F401  (the baseline includes it)

    from sklearn_ae import AutoencoderTransformer

    memmap = SCENARIOS[scenario][1]
    X = np.load(path, mmap_mode="r" if memmap else None)
    if memmap:
        float(X.sum(dtype=np.float64))  # read every page, as fit will
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached on purpose
        if scenario.startswith("fit + transform"):
            rows = X[:300] if "300 rows" in scenario else X
            early = "early_stopping" in scenario
            est = AutoencoderTransformer(max_iter=epochs, early_stopping=early, **PARAMS)
            est.fit(rows)
            est.transform(rows)
            est.score_samples(rows)
        elif scenario.startswith("partial_fit"):
            est = AutoencoderTransformer(**PARAMS)
            for start in range(0, len(X), CHUNK):
                est.partial_fit(X[start : start + CHUNK])
            est.transform(X)
    print(json.dumps({"peak": peak_rss(), "seconds": time.perf_counter() - t0}))


def run_child(scenario, path, epochs, threads):
    cmd = [sys.executable, __file__, "--child", scenario, "--data", str(path),
           "--epochs", str(epochs), "--threads", str(threads)]
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {}))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: 10,000 rows, one repeat; writes RESULTS.quick.md")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each fit (default 2)")
    parser.add_argument("--repeats", type=int, help="runs per scenario (default 3, quick 1)")
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.data, args.epochs, args.threads)
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    C.set_threads(args.threads)  # as in the scenarios, so that the description says so

    machine = C.machine_description()
    X, _ = C.load_fashion_mnist("train", 10_000 if args.quick else None)
    X = np.ascontiguousarray(X, dtype=np.float32)
    path = C.BENCH_DIR / "_out" / f"fashion_mnist_train_{len(X)}.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, X)
    data_mb, n_rows = X.nbytes / 1e6, len(X)
    del X

    print(f"{machine}\n{data_mb:.0f} MB of data; {repeats} run(s) per scenario", flush=True)
    peaks = {name: [] for name in SCENARIOS}
    seconds = {name: [] for name in SCENARIOS}
    for r in range(repeats):
        for name in SCENARIOS:
            result = run_child(name, path, args.epochs, args.threads)
            peaks[name].append(result["peak"] / 1e6)
            seconds[name].append(result["seconds"])
            print(f"run {r + 1}/{repeats} {name:>32}: peak {result['peak'] / 1e6:.0f} MB, "
                  f"{result['seconds']:.1f} s", flush=True)
    load_end = C.load_average()

    peak = {name: C.median(values) for name, values in peaks.items()}
    extra = {name: peak[name] - peak[base] for name, (base, _) in SCENARIOS.items() if base}
    rows = []
    for name, (base, _) in SCENARIOS.items():
        if base is None:
            rows.append([name, f"{peak[name]:.0f} MB", "", "", ""])
        else:
            rows.append([name, f"{peak[name]:.0f} MB", f"{extra[name]:+.0f} MB",
                         f"{extra[name] / data_mb:.2f}x", C.fmt_s(C.median(seconds[name]))])
    bars = "\n".join(
        f"| {name}: extra peak <= {BAR:g}x data | {extra[name] / data_mb:.2f}x | "
        f"{C.pass_fail(extra[name] <= BAR * data_mb)} |" for name in JUDGED)
    quick_note = ("\n\n*Quick smoke run (10,000 rows, one repeat): not for comparison.*"
                  if args.quick else "")
    body = f"""## Peak memory of fit + transform (`bench_memory.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

Data: the Fashion-MNIST training images, {data_mb:.0f} MB of float32 ({n_rows:,} rows x
784). Each scenario runs in a fresh process (median of {repeats}); "peak" is its peak
resident set size (Linux's `VmHWM`), which counts the pages of a memmap once they are read.
`AutoencoderTransformer(n_components=64, hidden_layer_sizes=(256,), batch_size=256,
max_iter={args.epochs})`: `fit`, then `transform` and `score_samples` of all the rows;
`partial_fit` makes one pass over chunks of {CHUNK:,} rows, then `transform`. "Extra" is the
peak over that of the matching baseline (import torch and sklearn_ae, load or map the data);
"time" is that of the training and inference calls. The first training and inference of a
process cost a fixed amount whatever the data (the 300-row scenario): the rest of the extra
is what grows with the data.

{C.md_table(["scenario", "peak RSS", "extra", "extra / data", "time"], rows)}

| bar | measured | result |
|---|---|---|
{bars}
"""
    section = C.section_name(SECTION, args.threads)
    C.publish(section, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
