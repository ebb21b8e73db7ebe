"""Epoch and inference time on the CPU against a CUDA GPU, for the dense and conv families.

Two networks, each trained with the same parameters on ``device='cpu'`` and
``device='cuda'``, alternately, for ``--rounds`` rounds:

- dense: ``AutoencoderTransformer(n_components=64, hidden_layer_sizes=(256,),
  batch_size=256)`` (the training-speed network) on the 60,000 Fashion-MNIST training images;
- conv: ``ConvAutoencoder(channels=(16, 8), batch_size=256)`` on the first ``--conv-rows``
  of them (28 x 28 images).

Each fit runs ``--epochs`` epochs; the first is dropped as warm-up (CUDA context, cuDNN
autotuning). skorch reads every batch's loss back to the CPU, which synchronises the GPU,
so the epoch times are complete. Inference: ``transform`` of the 10,000 test images, median
of ``--repeats``. Without CUDA the script says so and writes nothing. Without the data
files, uniform random images of the same shape are used (timings do not depend on the
values), and the section says so.

The CPU side runs with torch's default threads (one per core; ``--threads`` to change),
since a GPU is compared with the whole CPU.

Run ``python benchmarks/bench_gpu.py`` on a machine with a CUDA build of torch.
"""

import sys
import time
import warnings

import numpy as np
import torch

import _common as C

SECTION = "gpu"
GPU = "cuda"
DENSE = dict(n_components=64, hidden_layer_sizes=(256,), batch_size=256, tol=0)
CONV = dict(channels=(16, 8), batch_size=256, tol=0)


def gpu_description():
    props = torch.cuda.get_device_properties(0)
    return (f"GPU: {props.name}, {props.total_memory / 2**30:.0f} GiB; CUDA {torch.version.cuda}, "
            f"cuDNN {torch.backends.cudnn.version()}; TF32 matmul "
            f"{torch.backends.cuda.matmul.allow_tf32}, TF32 cuDNN "
            f"{torch.backends.cudnn.allow_tf32}.")


def synchronize():
    torch.cuda.synchronize()


def load_images():
    """Fashion-MNIST train and test images, or random ones of the same shape, and a note."""
    try:
        return C.load_fashion_mnist("train")[0], C.load_fashion_mnist("test")[0], ""
    except (OSError, ValueError) as exc:
        rng = np.random.default_rng(0)
        note = (f"Fashion-MNIST not found ({exc}); uniform random images of the same shape "
                "were used: the timings do not depend on the values.")
        return (rng.random((60_000, 784), dtype=np.float32),
                rng.random((10_000, 784), dtype=np.float32), note)


def fit(family, X, device, epochs):
    from sklearn_ae import AutoencoderTransformer, ConvAutoencoder

    cls, params = (AutoencoderTransformer, DENSE) if family == "dense" else (ConvAutoencoder, CONV)
    est = cls(max_iter=epochs, random_state=0, device=device, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached on purpose
        est.fit(X)
    return est, [float(d) for d in est.net_.history[:, "dur"]][1:]


def time_transform(est, X, repeats, device):
    est.transform(X)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        est.transform(X)
        if device == GPU:
            synchronize()
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: 10,000 rows, one round; writes RESULTS.quick.md",
                      threads=0, threads_help="torch threads on the CPU side (default 0: one "
                                              "per core)")
    parser.add_argument("--rounds", type=int, help="alternating CPU/GPU rounds (default 2)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs per fit, the first dropped (default 3)")
    parser.add_argument("--conv-rows", type=int, default=20_000,
                        help="training rows of the conv network (default 20,000)")
    parser.add_argument("--repeats", type=int, default=10, help="inference repeats")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print(f"CUDA is not available (torch {torch.__version__}): nothing to compare, "
              "nothing written.")
        return 0
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch of each fit is dropped")
    threads = C.set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 2)

    machine = f"{C.machine_description()} {gpu_description()}"
    X, X_test, data_note = load_images()
    if args.quick:
        X = X[:10_000]
    X = np.ascontiguousarray(X, dtype=np.float32)
    X_test = np.ascontiguousarray(X_test, dtype=np.float32)
    data = {"dense": X, "conv": np.ascontiguousarray(X[: args.conv_rows])}
    print(machine, flush=True)

    epoch_times = {(f, d): [] for f in data for d in ("cpu", GPU)}
    infer_times = {}
    for r in range(rounds):
        for family in data:
            devices = ("cpu", GPU) if r % 2 == 0 else (GPU, "cpu")
            for device in devices:
                est, durations = fit(family, data[family], device, args.epochs)
                epoch_times[family, device] += durations
                print(f"round {r + 1}/{rounds} {family:>5} {device:>4}: epochs "
                      + " ".join(f"{d:.3f}" for d in durations) + " s", flush=True)
                if r == rounds - 1:
                    infer_times[family, device] = time_transform(est, X_test, args.repeats,
                                                                 device)
    peak_gpu = torch.cuda.max_memory_allocated() / 2**20
    load_end = C.load_average()

    rows = []
    speedups = {}
    for family in data:
        cpu, gpu = (C.median(epoch_times[family, d]) for d in ("cpu", GPU))
        cpu_inf, gpu_inf = (C.median(infer_times[family, d]) for d in ("cpu", GPU))
        speedups[family] = C.ratio(cpu, gpu)
        rows.append([family, f"{len(data[family]):,}", C.fmt_s(cpu), C.fmt_s(gpu),
                     f"{speedups[family]:.1f}x", C.fmt_s(cpu_inf), C.fmt_s(gpu_inf),
                     f"{C.ratio(cpu_inf, gpu_inf):.1f}x", len(epoch_times[family, GPU])])
    quick_note = ("\n\n*Quick smoke run (10,000 rows, one round): not for comparison.*"
                  if args.quick else "")
    note = f"\nNote: {data_note}\n" if data_note else ""
    body = f"""## CPU against GPU (`bench_gpu.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

The same estimator and seed trained with `device='cpu'` (torch on {threads} thread(s)) and
`device='cuda'`, alternately, {rounds} round(s) x {args.epochs} epochs, the first epoch of
each fit dropped; medians. Dense: `AutoencoderTransformer(n_components=64,
hidden_layer_sizes=(256,), batch_size=256)`; conv: `ConvAutoencoder(channels=(16, 8),
batch_size=256)`; float32. Inference: `transform` of the 10,000 test images (numpy in,
numpy out), median of {args.repeats}. Peak GPU memory allocated by torch: {peak_gpu:.0f} MiB.

{C.md_table(["network", "rows", "CPU epoch", "GPU epoch", "speed-up", "CPU transform",
             "GPU transform", "speed-up", "GPU epochs"], rows)}
{note}"""
    section = C.section_name(SECTION, args.threads, default_threads=0)
    C.publish(section, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
