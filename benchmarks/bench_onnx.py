"""Inference time of the ONNX export in onnxruntime against the estimators' own methods.

The same fitted model, the same rows, on the CPU: the estimator's method (torch, in
batches of 1,024 rows) against ``onnxruntime.InferenceSession.run`` on the graph of
``sklearn_ae.onnx.to_onnx`` (all rows in one call), both with ``--threads`` threads.
Models (trained briefly: the time of inference does not depend on the weights):

- ``AutoencoderTransformer(n_components=8, hidden_layer_sizes=(64,))`` on 10,000 x 64
  float32 rows (a rank-8 signal with noise), ``transform``;
- ``ConvAutoencoder(channels=(16, 8))`` on 2,000 MNIST test images (28 x 28; random
  smooth images of that shape when the files are missing, and the section says so),
  ``transform``;
- ``SequenceAutoencoder(hidden_layer_sizes=(32,))`` (a bidirectional LSTM) on 2,000
  sinusoids of 64 steps, ``transform``;
- ``ReconstructionOutlierDetector(AutoencoderTransformer(...))`` on the dense rows,
  ``score_samples``.

Reported: the median time over ``--repeats`` calls (after one warm-up call each), the
ratio, and the largest difference between the two outputs. No bar: the figures say what
deploying with onnxruntime gains or costs.

Run ``python benchmarks/bench_onnx.py`` (``--quick``: a tenth of the rows, 3 repeats).
"""

import functools
import sys
import time
import warnings

import _common as C
import numpy as np

SECTION = "onnx"


def timed(fn, repeats):
    """Median seconds of ``fn()`` over ``repeats`` calls after a warm-up, and its output."""
    out = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return C.median(times), out


def mnist_images(n):
    """The first ``n`` MNIST test images, or random smooth images of that shape; a note."""
    try:
        X, _ = C.load_mnist("test", n)
        return np.ascontiguousarray(X, dtype=np.float32), f"the first {n:,} MNIST test images"
    except (OSError, ValueError):
        rng = np.random.RandomState(0)
        yy, xx = np.meshgrid(np.linspace(0, 1, 28), np.linspace(0, 1, 28), indexing="ij")
        freq, phase = rng.uniform(1, 3, (n, 1, 1)), rng.uniform(0, 6.3, (n, 1, 1))
        X = 0.5 + 0.5 * np.sin(freq * 3 * (xx + yy) + phase)
        return (X.reshape(n, -1).astype(np.float32),
                f"{n:,} random smooth 28 x 28 images (the MNIST files were not found)")


def models(quick):
    """``(name, data description, fitted estimator, method, X)`` of each scenario."""
    from sklearn_ae import (
        AutoencoderTransformer,
        ConvAutoencoder,
        ReconstructionOutlierDetector,
        SequenceAutoencoder,
    )

    scale = 10 if quick else 1
    rng = np.random.RandomState(0)
    n = 10_000 // scale
    dense = (rng.normal(size=(n, 8)) @ rng.normal(size=(8, 64))
             + 0.1 * rng.normal(size=(n, 64))).astype(np.float32)
    images, images_note = mnist_images(2_000 // scale)
    t = np.linspace(0, 4 * np.pi, 64)
    waves = np.sin(rng.uniform(0.5, 2, (2_000 // scale, 1)) * t
                   + rng.uniform(0, 6.3, (2_000 // scale, 1))).astype(np.float32)
    dense_ae = dict(n_components=8, hidden_layer_sizes=(64,), max_iter=2, random_state=0)
    yield ("AutoencoderTransformer", f"{n:,} x 64 float32", AutoencoderTransformer(**dense_ae),
           "transform", dense)
    yield ("ConvAutoencoder", images_note,
           ConvAutoencoder(channels=(16, 8), max_iter=1, random_state=0), "transform", images)
    yield ("SequenceAutoencoder (LSTM)", f"{len(waves):,} sinusoids of 64 steps",
           SequenceAutoencoder(hidden_layer_sizes=(32,), max_iter=1, random_state=0),
           "transform", waves)
    yield ("ReconstructionOutlierDetector", f"{n:,} x 64 float32",
           ReconstructionOutlierDetector(AutoencoderTransformer(**dense_ae)),
           "score_samples", dense)


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: a tenth of the rows, 3 repeats; writes "
                      "RESULTS.quick.md")
    parser.add_argument("--repeats", type=int, help="timed calls per method (default 10)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 10)
    threads = C.set_threads(args.threads)

    import onnxruntime as ort

    from sklearn_ae.onnx import to_onnx

    machine = C.machine_description()
    print(machine, flush=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    rows, notes = [], []
    for name, data, est, method, X in models(args.quick):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: short fits on purpose
            est.fit(X)
        session = ort.InferenceSession(
            to_onnx(est, X, methods=[method]).SerializeToString(), options,
            providers=["CPUExecutionProvider"])
        t_est, expected = timed(functools.partial(getattr(est, method), X), repeats)
        t_ort, (out,) = timed(functools.partial(session.run, None, {"X": X}), repeats)
        diff = float(np.abs(out - expected).max())
        rows.append([name, data, f"`{method}`", C.fmt_s(t_est), C.fmt_s(t_ort),
                     C.fmt_ratio(C.ratio(t_est, t_ort)), f"{diff:.1e}"])
        print(" | ".join(map(str, rows[-1])), flush=True)
        notes.append(data)
    quick_note = ("\n\n*Quick smoke run (a tenth of the rows): not for comparison.*"
                  if args.quick else "")
    body = f"""## ONNX export: onnxruntime against the estimators (`bench_onnx.py`)

Date: {C.now()}{quick_note}

Machine: {machine} onnxruntime {ort.__version__}. Load average at end: {C.load_average()}.

Command: `{C.command_line()}`

The same fitted model and rows: the estimator's method (torch, batches of 1,024 rows)
against `onnxruntime.InferenceSession.run` on `sklearn_ae.onnx.to_onnx(est, X,
methods=[method])` (all rows in one call), both on {threads} thread(s) (onnxruntime's
`intra_op_num_threads`). Median of {repeats} calls after a warm-up. "Speed-up" is the
estimator's time over onnxruntime's; "max diff" the largest absolute difference of the
outputs (float32 rounding). The detector is `ReconstructionOutlierDetector` over the dense
autoencoder (one model, robust scaling), whose graph adds the scaling and the error.

{C.md_table(["model", "rows", "method", "estimator", "onnxruntime", "speed-up",
             "max diff"], rows)}
"""
    section = C.section_name(SECTION, args.threads)
    C.publish(section, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
