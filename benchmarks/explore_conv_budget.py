"""Choose ConvAutoencoder's training budget (``max_iter``, ``tol``) out of fold.

Exploration script (issue 25, part 2: "channels, kernel, batch size, learning rate, epochs
budget"), not part of ``run_all.py``. ``explore_conv_defaults.py`` chose the network and the
optimizer at a fixed 10 epochs; this script chooses how long that network trains.

The candidates are rules that map the number of training images ``n`` to a number of epochs
(batches of 64, the default's, so ``ceil(n / 64)`` optimizer steps per epoch):

* ``epochs-E``: a fixed ``max_iter=E`` for every ``n`` (10 is the seed's budget);
* ``steps-S``: ``max_iter='auto'`` with a budget of ``S`` optimizer steps, that is
  ``S // steps_per_epoch`` epochs clipped to [10, 200] (``steps-8k`` is the default before
  this exploration, ``AUTO_STEPS = 8000`` in ``sklearn_ae/_base.py``);

each with the default stopping rule (``tol=1e-4``, ``n_iter_no_change=10``: stop when the
training loss has not improved by a relative 1e-4 for 10 epochs) or, with ``-notol``,
without one (``tol=None``: exactly the budget).

Protocol:

1. The images, the three fits and the five tasks are ``explore_conv_defaults.py``'s: the
   fits are denoising Fashion-MNIST, reconstructing Fashion-MNIST and reconstructing MNIST;
   the tasks are the denoising MSE, the two reconstruction MSEs and the NMI of
   ``KMeans(10)`` on the codes of the two reconstruction models, all scored on 5,000
   held-out *training* images (the test images are not used). Each fit is run at two
   sizes, the 12,000 training images of that script and its first 3,000, which is what
   tells a fixed number of epochs from a budget of steps: ten tasks in all.
2. The network is the default (``channels=(32, 16)``, batches of 64, lr 2e-3,
   ``random_state=0``, torch on one thread). Each (size, fit) trains once with
   ``tol=None`` for the longest budget any candidate gives at that size, and a callback
   scores the held-out images after every epoch that some candidate stops at. Without a
   learning-rate schedule, the network after ``k`` epochs of that run *is* the network of a
   run with ``max_iter=k`` (same seed, same batches, same noise); the stopping rule is
   replayed exactly on the run's training-loss curve (skorch's ``EarlyStopping`` in
   relative mode), and the callback scores the epoch where it would stop as well.
3. A candidate's time on a task is its number of epochs times the size: every candidate
   trains the same network, so this is proportional to its fit time and free of the shared
   machine's load. Seconds are given at the median epoch of ``bench_denoising.py``
   (60,000 images on one thread), scaled to the size.
4. Selection, fixed before any result: scores are normalised to the previous default
   (``steps-8k``; log ratio of MSEs or NMIs, positive is better). For each held-out task,
   among the candidates whose mean time over the other nine tasks is at most
   ``TIME_LIMIT`` times the previous default's, take the best mean normalised score over
   the other nine tasks, then the *cheapest* candidate within ``TIE`` of it: a budget that
   costs more time must buy more than ``TIE`` (2%) of mean score. The chosen candidate is
   scored on the held-out task (out of fold). The default shipped is the same rule over all
   ten tasks.

Each (size, fit) is cached in ``benchmarks/_out/explore_conv_budget.json`` when it ends;
two ``run`` processes share the jobs (each claims one with a file in ``_out``).

Usage::

    python benchmarks/explore_conv_budget.py run
    python benchmarks/explore_conv_budget.py report [--publish]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
from bench_denoising import CLIP, NOISE, add_noise, mse  # noqa: E402
from explore_conv_defaults import FITS, N_HELD, N_TRAIN, TASKS, fmt, split  # noqa: E402

OUT_DIR = C.BENCH_DIR / "_out"
CACHE = OUT_DIR / "explore_conv_budget.json"
SIZES = (N_TRAIN, 3_000)
BATCH, TOL, PATIENCE = 64, 1e-4, 10
MIN_EPOCHS, MAX_EPOCHS = 10, 200  # the clip of max_iter='auto' (sklearn_ae/_base.py)
TIME_LIMIT, TIE = 2.0, 0.02
CURRENT = "steps-8k"
#: Seconds per epoch of 60,000 images for the default network on one thread: the median
#: epoch of bench_denoising.py (RESULTS.md, section denoising), to express times in seconds.
EPOCH_S_60K = 52.93
#: Extra epochs scored for the curves (not candidates).
CURVE_EPOCHS = (1, 2, 3, 5, 7, 14, 28, 56, 112)

#: name -> (kind, value, stopping rule on)
CANDIDATES = {
    "epochs-10": ("epochs", 10, True),
    "epochs-20": ("epochs", 20, True),
    "epochs-40": ("epochs", 40, True),
    "steps-2k": ("steps", 2_000, True),
    "steps-4k": ("steps", 4_000, True),
    "steps-8k": ("steps", 8_000, True),
    "steps-16k": ("steps", 16_000, True),
    "steps-4k-notol": ("steps", 4_000, False),
    "steps-8k-notol": ("steps", 8_000, False),
    "steps-16k-notol": ("steps", 16_000, False),
}


def steps_per_epoch(n):
    return -(-n // BATCH)


def budget(name, n):
    """The epochs a candidate trains for on ``n`` images, before any stopping rule."""
    kind, value, _ = CANDIDATES[name]
    if kind == "epochs":
        return value
    return int(np.clip(value // steps_per_epoch(n), MIN_EPOCHS, MAX_EPOCHS))


def stop_epoch(losses, tol=TOL, patience=PATIENCE):
    """The epoch (1-based) at which the stopping rule ends training, or None.

    skorch's ``EarlyStopping`` on the training loss, relative mode, as the estimators
    configure it: an epoch is a miss unless its loss is below ``(1 - tol)`` times the loss
    of the last epoch that was not; training stops after the epoch of the ``patience``-th
    miss in a row.
    """
    threshold, misses = math.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < threshold:
            misses, threshold = 0, loss - tol * loss
        else:
            misses += 1
        if misses == patience:
            return epoch
    return None


def epochs_of(name, n, losses):
    """The epochs a candidate trains for, given the run's training-loss curve."""
    e = budget(name, n)
    if CANDIDATES[name][2]:
        s = stop_epoch(losses[:e])
        if s is not None:
            e = s
    return e


# --------------------------------------------------------------------------------- run


def claim(key):
    """Claim a job for this process (False if another has it)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"explore_conv_budget.{key.replace('|', '.')}.claim"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def scored_epochs(n):
    """Every epoch that some candidate may train for at size ``n`` (stopping aside)."""
    longest = max(budget(c, n) for c in CANDIDATES)
    wanted = {budget(c, n) for c in CANDIDATES} | {e for e in CURVE_EPOCHS if e <= longest}
    return longest, wanted


def run_one(n, fit, data):
    import torch
    from skorch.callbacks import Callback

    from sklearn_ae import ConvAutoencoder

    X, X_held, y_held = data
    X = X[:n]
    denoise = FITS[fit][1]
    held_in = add_noise(X_held, seed=12345) if denoise else X_held
    held_tensor = torch.from_numpy(held_in)
    longest, wanted = scored_epochs(n)
    curve, losses = {}, []

    class Score(Callback):
        def on_epoch_end(self, net, **kwargs):
            losses.append(float(net.history[-1, "train_loss"]))
            epoch = len(losses)
            if epoch not in wanted and stop_epoch(losses) != epoch:
                return
            t0 = time.perf_counter()
            rec = net.predict_batches(held_tensor, net.module_.forward, 256)
            point = {"mse": mse(rec.reshape(len(X_held), -1), X_held)}
            if not denoise:
                codes = net.predict_batches(held_tensor, net.module_.encode, 256)
                point["nmi"] = float(C.cluster(codes.reshape(len(X_held), -1), y_held)["nmi"])
            curve[epoch] = point
            print(f"  {n} {fit} epoch {epoch}: " + " ".join(f"{k} {v:.5f}" for k, v in
                  point.items()) + f" (scored in {time.perf_counter() - t0:.1f} s, load "
                  f"{C.load_average()})", flush=True)

    est = ConvAutoencoder(
        image_shape=(1, 28, 28), batch_size=BATCH, max_iter=longest, tol=None,
        random_state=0, callbacks=[Score()],
        **({"noise": "gaussian", "noise_level": NOISE, "clip": CLIP} if denoise else {}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est.fit(X)
        fit_s = time.perf_counter() - t0
    assert len(losses) == longest == est.n_iter_, (len(losses), longest, est.n_iter_)
    return {"curve": {str(k): v for k, v in sorted(curve.items())}, "losses": losses,
            "fit_s": fit_s, "epochs": longest}


def job_key(n, fit):
    return f"{n}|{fit}"


def cmd_run(args):
    # Longest jobs first, so that two processes end at about the same time.
    jobs = [(n, fit) for n in sorted(SIZES, reverse=True) for fit in FITS]
    data = {}
    for n, fit in jobs:
        key = job_key(n, fit)
        if key in C.load_json(CACHE) or not claim(key):
            continue
        data_name = FITS[fit][0]
        if data_name not in data:
            data[data_name] = split(data_name)
        print(f"{key}: {scored_epochs(n)[0]} epochs", flush=True)
        result = run_one(n, fit, data[data_name])
        C.update_json(CACHE, key, result)
        print(f"{key}: done in {result['fit_s']:.0f} s", flush=True)
    return 0


# ------------------------------------------------------------------------------ report


def task_list():
    """The ten tasks: (size, task name)."""
    return [(n, t) for n in SIZES for t in TASKS]


def score_of(cache, name, n, task):
    fit, metric, _ = TASKS[task]
    res = cache[job_key(n, fit)]
    e = epochs_of(name, n, res["losses"])
    return res["curve"][str(e)][metric], e


def tables(cache):
    names = list(CANDIDATES)
    tasks = task_list()
    cells = np.array([[score_of(cache, c, n, t) for n, t in tasks] for c in names])
    raw, epochs = cells[..., 0], cells[..., 1].astype(int)
    higher = np.array([TASKS[t][2] for _, t in tasks])
    ref = raw[names.index(CURRENT)]
    norm = np.where(higher, np.log(raw / ref), np.log(ref / raw))
    sizes = np.array([n for n, _ in tasks])
    seconds = epochs * sizes * EPOCH_S_60K / 60_000
    return names, tasks, raw, norm, epochs, seconds


def choose(norm, seconds, names, tasks):
    """The cheapest candidate within ``TIE`` of the best mean normalised score over
    ``tasks``, among those whose mean time there is within ``TIME_LIMIT`` of the previous
    default's."""
    time_mean = seconds[:, tasks].mean(axis=1)
    eligible = time_mean <= TIME_LIMIT * time_mean[names.index(CURRENT)] * (1 + 1e-9)
    mean = np.where(eligible, norm[:, tasks].mean(axis=1), -np.inf)
    near = np.flatnonzero(mean >= mean.max() - TIE)
    return int(near[np.argmin(time_mean[near])])


def cmd_report(args):
    cache = C.load_json(CACHE)
    missing = [job_key(n, f) for n in SIZES for f in FITS if job_key(n, f) not in cache]
    if missing:
        print(f"not complete: {missing}")
        return 1
    names, tasks, raw, norm, epochs, seconds = tables(cache)
    folds = []
    for t in range(len(tasks)):
        others = [u for u in range(len(tasks)) if u != t]
        c = choose(norm, seconds, names, others)
        best = int(np.argmax(norm[:, t]))
        folds.append((t, c, best))
    chosen = choose(norm, seconds, names, list(range(len(tasks))))
    for i, c in enumerate(names):
        print(f"{c:16s} " + " ".join(f"{fmt(t, v)}@{e}" for (n, t), v, e in
                                     zip(tasks, raw[i], epochs[i]))
              + f"  mean {100 * np.expm1(norm[i].mean()):+.1f}%  time {seconds[i].mean():.0f} s")
    for t, c, best in folds:
        n, task = tasks[t]
        print(f"held out {n} {task:16s}: chose {names[c]:16s} {fmt(task, raw[c, t])} vs "
              f"previous {fmt(task, raw[names.index(CURRENT), t])} "
              f"({100 * np.expm1(norm[c, t]):+.1f}%), best in hindsight {names[best]}")
    print(f"chosen on all tasks: {names[chosen]}")
    if args.publish:
        publish(cache, names, tasks, raw, norm, epochs, seconds, folds, chosen)
    return 0


def publish(cache, names, tasks, raw, norm, epochs, seconds, folds, chosen):
    cur = names.index(CURRENT)

    def label(i):
        kind, value, tol = CANDIDATES[names[i]]
        text = names[i] + (" (previous default)" if i == cur else "")
        return f"**{text} (chosen)**" if i == chosen else text

    header = ["candidate"] + [f"{t} {n // 1000}k" for n, t in tasks] + [
        "mean gain (in-sample)", "mean time"]
    rows = []
    for i in range(len(names)):
        cells = [f"{fmt(t, v)} ({e})" for (n, t), v, e in zip(tasks, raw[i], epochs[i])]
        rows.append([label(i), *cells, f"{100 * np.expm1(norm[i].mean()):+.1f}%",
                     f"{seconds[i].mean():.0f} s ({seconds[i].mean() / seconds[cur].mean():.2f}x)"])
    fold_rows = []
    for t, c, best in folds:
        n, task = tasks[t]
        fold_rows.append([f"{task} {n // 1000}k", names[c], fmt(task, raw[c, t]),
                          fmt(task, raw[cur, t]), f"{100 * np.expm1(norm[c, t]):+.1f}%",
                          f"{seconds[c, t]:.0f} s vs {seconds[cur, t]:.0f} s",
                          f"{names[best]} ({100 * np.expm1(norm[best, t]):+.1f}%)"])
    oof = np.mean([norm[c, t] for t, c, _ in folds])
    by_kind = {kind: [100 * np.expm1(norm[c, t]) for t, c, _ in folds
                      if tasks[t][1].split()[0] == kind]
               for kind in ("denoise", "recon", "cluster")}
    by_kind_text = "; ".join(
        f"{kind} {', '.join(f'{g:+.1f}%' for g in gains)}" for kind, gains in by_kind.items())
    oof_time = np.mean([seconds[c, t] / seconds[cur, t] for t, c, _ in folds])
    curve_rows = []
    for n in SIZES:
        for fit in FITS:
            res = cache[job_key(n, fit)]
            metric = "mse"
            pts = [(int(e), p[metric]) for e, p in res["curve"].items()]
            pts.sort()
            curve_rows.append([f"{fit} {n // 1000}k", " · ".join(f"{e}: {v:.5f}"
                                                              for e, v in pts)])
    stops = "; ".join(
        f"{fit} {n // 1000}k: {stop_epoch(cache[job_key(n, fit)]['losses']) or 'never'}"
        for n in SIZES for fit in FITS)
    body = f"""## Choosing ConvAutoencoder's training budget out of fold (`explore_conv_budget.py`)

Date: {C.now()}

Machine: {C.machine_description()}

Command: `{C.command_line()}` (after `run`, which trains each (size, fit) once and scores the
held-out images along the way)

Issue 25, part 2 (the epochs budget). The network and optimizer are the defaults chosen in
`conv-defaults` (`channels=(32, 16)`, batches of 64, lr 2e-3); the candidates are the rules
that set how many epochs it trains for: `epochs-E` is `max_iter=E` whatever the data size,
`steps-S` is `max_iter='auto'` with a budget of S optimizer steps (S // steps per epoch,
clipped to [{MIN_EPOCHS}, {MAX_EPOCHS}] epochs; `steps-8k` was the default), each with the
default stopping rule (`tol=1e-4`, `n_iter_no_change=10` on the training loss) or, with
`-notol`, without one. The three fits (denoising Fashion-MNIST with Gaussian noise of factor
{NOISE}, reconstructing Fashion-MNIST and MNIST) are run on {SIZES[0]:,} and on
{SIZES[1]:,} *training* images and scored on {N_HELD:,} other training images: ten tasks
(the MSEs, and the NMI of `KMeans(10)` on the codes of the reconstruction models). Each
(size, fit) trains once, `random_state=0`, `tol=None`, for the longest budget, and the
held-out images are scored after each epoch that a candidate ends at; with no learning-rate
schedule, that network is the one `max_iter=k` would give, and the stopping rule is
replayed on the run's loss curve (where it stops: {stops}). Time: epochs x images, in
seconds at {EPOCH_S_60K} s per epoch of 60,000 images (the median epoch of `denoising`), so
the machine's load does not enter it. Cells: score (epochs trained).

Every candidate row is **in-sample**: its tasks are those the choice was made on.

{C.md_table(header, rows)}

**Out of fold** (leave one task out): for each task, among the candidates whose mean time on
the other nine tasks is at most {TIME_LIMIT:g}x the previous default's, the cheapest whose
mean gain there is within {100 * TIE:g}% of the best is chosen (a longer budget must buy more
than {100 * TIE:g}% of score), and scored on the held-out task. The rule was set before any
result.

{C.md_table(["held-out task", "chosen on the other nine", "its score", "previous default",
             "gain", "time (chosen vs previous)", "best in hindsight"], fold_rows)}

Out-of-fold mean gain over the ten held-out tasks: **{100 * np.expm1(oof):+.1f}%**, at
{oof_time:.2f}x the previous default's time (mean ratio). By kind of task (out of fold):
{by_kind_text}. The mean is carried by reconstruction, whose error kept falling with
training; denoising gains a few percent, and the NMI of k-means on the codes does not move
beyond the noise of one seed. The ten tasks share two data sets
and one seed: they are not independent. The rule chosen on all ten: **{names[chosen]}**.

Held-out MSE along each run (epoch: MSE), the cost curve behind the table:

{C.md_table(["fit", "held-out MSE after each scored epoch"], curve_rows)}
"""
    C.publish("conv-budget", body, C.RESULTS_PATH)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "report", "list"))
    parser.add_argument("--publish", action="store_true",
                        help="report: write the summary into benchmarks/RESULTS.md")
    C.add_threads_argument(parser)
    args = parser.parse_args(argv)
    C.set_threads(args.threads)
    if args.command == "list":
        for c in CANDIDATES:
            print(c, {n: budget(c, n) for n in SIZES})
        return 0
    return {"run": cmd_run, "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
