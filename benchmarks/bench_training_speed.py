"""Training and inference speed of sklearn_ae against a hand-written torch loop, skorch and Keras.

The network is 784-256-64-256-784 (ReLU hidden layers, linear code, sigmoid output), trained
with Adam (lr 1e-3, no weight decay) on the MSE, in float32, batches of 256, on the 60,000
Fashion-MNIST training images. The peers are

(a) ``torch loop``: randperm + index slicing per batch, zero_grad / backward / step and
    ``loss.item()`` per batch: what one writes by hand;
(b) ``skorch``: plain ``NeuralNetRegressor.fit(X, X)`` with its default DataLoader and
    ``train_split=None``;
(c) ``keras``: Keras 3 on the torch backend, ``model.fit(X, X, batch_size=256, shuffle=True)``;
(d) ``sklearn_ae``: ``AutoencoderTransformer(n_components=64, hidden_layer_sizes=(256,),
    batch_size=256, alpha=0, tol=0)``.

They run in interleaved rounds (the order rotates every round) so that a change in the load of
the shared machine hits every tool alike. Each fit runs ``--epochs`` epochs; its first epoch is
dropped as warm-up; the time per epoch excludes the setup (building the net, validating data).
The result is the median epoch time per tool and its ratio to the torch loop's.

Inference: ``transform`` of the 10,000 test images against a torch loop over the encoder in
``torch.inference_mode`` with batches of 1024 (numpy in, numpy out), interleaved, median.

Run ``python benchmarks/bench_training_speed.py`` (``--quick`` for a smoke run on a subset).
"""

import os
import sys
import time
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch
from torch import nn

import _common as C

SECTION = "training_speed"
BATCH, LR, N_CODE, N_HIDDEN, PREDICT_BATCH = 256, 1e-3, 64, 256, 1024
TRAIN_BAR = INFER_BAR = 1.10
#: Max / min epoch time of one tool above which the report warns that the load changed.
SPREAD_WARNING = 1.5


def make_module(n_features):
    """The benchmark network as plain torch: encoder (linear code) and decoder (sigmoid)."""
    return nn.Sequential(
        nn.Sequential(nn.Linear(n_features, N_HIDDEN), nn.ReLU(), nn.Linear(N_HIDDEN, N_CODE)),
        nn.Sequential(nn.Linear(N_CODE, N_HIDDEN), nn.ReLU(), nn.Linear(N_HIDDEN, n_features),
                      nn.Sigmoid()),
    )


# ---------------------------------------------------------------------------- the tools
# Each returns (durations of the epochs, wall time of the whole fit, fitted object).


def fit_torch_loop(X, epochs, seed):
    t_start = time.perf_counter()
    torch.manual_seed(seed)
    model = make_module(X.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=0)
    loss_fn = nn.MSELoss()
    Xt = torch.from_numpy(X)
    n = len(Xt)
    durations = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        total = 0.0
        for start in range(0, n, BATCH):
            xb = Xt[order[start:start + BATCH]]
            opt.zero_grad()
            loss = loss_fn(model(xb), xb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        durations.append(time.perf_counter() - t0)
    return durations, time.perf_counter() - t_start, model


def fit_skorch(X, epochs, seed):
    from skorch import NeuralNetRegressor

    t_start = time.perf_counter()
    torch.manual_seed(seed)
    net = NeuralNetRegressor(
        make_module(X.shape[1]),
        criterion=nn.MSELoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        optimizer__weight_decay=0,
        batch_size=BATCH,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    net.fit(X, X)
    return [float(d) for d in net.history[:, "dur"]], time.perf_counter() - t_start, net


def fit_keras(X, epochs, seed):
    import keras

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.durations = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.perf_counter() - self._t0)

    t_start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    n_features = X.shape[1]
    model = keras.Sequential([
        keras.Input((n_features,)),
        keras.layers.Dense(N_HIDDEN, activation="relu"),
        keras.layers.Dense(N_CODE),
        keras.layers.Dense(N_HIDDEN, activation="relu"),
        keras.layers.Dense(n_features, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR), loss="mse")
    timer = EpochTimes()
    model.fit(X, X, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    return timer.durations, time.perf_counter() - t_start, model


def fit_sklearn_ae(X, epochs, seed):
    from sklearn_ae import AutoencoderTransformer

    t_start = time.perf_counter()
    est = AutoencoderTransformer(
        n_components=N_CODE, hidden_layer_sizes=(N_HIDDEN,), batch_size=BATCH, alpha=0,
        learning_rate_init=LR, max_iter=epochs, tol=0, random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached on purpose
        est.fit(X)
    return [float(d) for d in est.net_.history[:, "dur"]], time.perf_counter() - t_start, est


TOOLS = {
    "torch loop": fit_torch_loop,
    "skorch": fit_skorch,
    "keras (torch backend)": fit_keras,
    "sklearn_ae": fit_sklearn_ae,
}
REFERENCE, CANDIDATE = "torch loop", "sklearn_ae"


# ---------------------------------------------------------------------------- inference


def torch_encode(encoder, X):
    """The hand-written inference loop: numpy in, numpy out, batches of PREDICT_BATCH."""
    encoder.eval()
    Xt = torch.from_numpy(X)
    with torch.inference_mode():
        out = [encoder(Xt[i:i + PREDICT_BATCH]) for i in range(0, len(Xt), PREDICT_BATCH)]
    return torch.cat(out).numpy()


def time_inference(est, encoder, X, repeats):
    peers = {"torch eval loop": lambda: torch_encode(encoder, X),
             "sklearn_ae transform": lambda: est.transform(X)}
    for fn in peers.values():  # warm-up
        fn()
    times = {name: [] for name in peers}
    names = list(peers)
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            t0 = time.perf_counter()
            peers[name]()
            times[name].append(time.perf_counter() - t0)
    return times


# --------------------------------------------------------------------------------- main


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: 10k training rows, 1 round of 2 epochs, 3 "
                                     "inference repeats; writes benchmarks/_out/RESULTS.quick.md")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5, quick 1)")
    parser.add_argument("--epochs", type=int,
                        help="epochs per fit, the first dropped (default 3, quick 2)")
    parser.add_argument("--repeats", type=int, help="inference repeats (default 15, quick 3)")
    args = parser.parse_args(argv)
    threads = C.set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 5)
    epochs = args.epochs or (2 if args.quick else 3)
    repeats = args.repeats or (3 if args.quick else 15)
    if epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch of each fit is dropped")

    machine = C.machine_description()
    X, _ = C.load_fashion_mnist("train", 10_000 if args.quick else None)
    X_test, _ = C.load_fashion_mnist("test")
    X = np.ascontiguousarray(X, dtype=np.float32)
    X_test = np.ascontiguousarray(X_test, dtype=np.float32)

    tools = dict(TOOLS)
    notes = []
    try:
        import keras  # noqa: F401
    except ImportError as exc:
        del tools["keras (torch backend)"]
        notes.append(f"Keras skipped: {exc} (install with `pip install -e '.[benchmark]'`).")

    print(f"{machine}\ntraining on {X.shape} float32: {rounds} rounds x {epochs} epochs",
          flush=True)
    epoch_times = {name: [] for name in tools}
    round_medians = {name: [] for name in tools}  # median kept epoch of each round
    fit_walls = {name: [] for name in tools}
    names = list(tools)
    fitted = {}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            durations, wall, obj = tools[name](X, epochs, seed=r)
            if len(durations) != epochs:
                raise RuntimeError(f"{name} reported {len(durations)} epochs, not {epochs}")
            epoch_times[name] += durations[1:]
            round_medians[name].append(C.median(durations[1:]))
            fit_walls[name].append(wall)
            fitted[name] = obj
            print(f"round {r + 1}/{rounds} {name:>22}: epochs "
                  + " ".join(f"{d:.3f}" for d in durations) + f" s, fit {wall:.2f} s",
                  flush=True)

    inference = time_inference(fitted[CANDIDATE], fitted[REFERENCE][0], X_test, repeats)
    load_end = C.load_average()

    # ------------------------------------------------------------------------ the report
    ref = C.median(epoch_times[REFERENCE])
    rows = []
    for name in names:
        m = C.median(epoch_times[name])
        per_round = C.median(C.ratio(a, b) for a, b in zip(round_medians[name],
                                                            round_medians[REFERENCE]))
        rows.append([name, C.fmt_s(m), C.fmt_s(min(epoch_times[name])),
                     C.fmt_s(max(epoch_times[name])), len(epoch_times[name]),
                     C.fmt_ratio(C.ratio(m, ref)), C.fmt_ratio(per_round),
                     C.fmt_s(C.median(fit_walls[name]))])
    train_ratio = C.ratio(C.median(epoch_times[CANDIDATE]), ref)

    inf_ref = C.median(inference["torch eval loop"])
    inf_rows = [[name, C.fmt_s(C.median(t)), C.fmt_s(min(t)), C.fmt_s(max(t)), len(t),
                 C.fmt_ratio(C.ratio(C.median(t), inf_ref))] for name, t in inference.items()]
    infer_ratio = C.ratio(C.median(inference["sklearn_ae transform"]), inf_ref)

    quick_note = ("\n\n*Quick smoke run (10,000 training rows, few epochs): not for "
                  "comparison.*" if args.quick else "")
    body = f"""## Training and inference speed (`bench_training_speed.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

Network 784-{N_HIDDEN}-{N_CODE}-{N_HIDDEN}-784 (ReLU, linear code, sigmoid output), Adam lr
{LR:g}, weight decay 0, MSE, batch {BATCH}, float32, on {X.shape[0]:,} Fashion-MNIST training
rows, torch on {threads} thread(s). {rounds} interleaved rounds (order rotated each round) x
{epochs} epochs per fit; the first epoch of each fit is dropped as warm-up, so each tool has {rounds * (epochs - 1)} epoch
times. Epoch times exclude setup. "Ratio to torch loop" is the ratio of the medians (the one
the bar judges); "per-round ratio" is the median over rounds of the ratio within each round,
which a change of load between rounds disturbs less. "Fit wall" is the whole `fit` call
({epochs} epochs plus setup), for information.

{C.md_table(["tool", "median epoch", "min", "max", "n", "ratio to torch loop",
             "per-round ratio", "median fit wall"], rows)}

Inference: encode the {X_test.shape[0]:,} test rows, {repeats} interleaved repeats after one
warm-up each. The torch loop runs the encoder under `torch.inference_mode` in batches of
{PREDICT_BATCH} (numpy in, numpy out); `transform` includes its input validation.

{C.md_table(["inference", "median", "min", "max", "n", "ratio to torch loop"], inf_rows)}

| bar | measured | result |
|---|---|---|
| sklearn_ae epoch time <= {TRAIN_BAR:.2f}x torch loop | {C.fmt_ratio(train_ratio)} | {C.pass_fail(train_ratio <= TRAIN_BAR)} |
| sklearn_ae transform <= {INFER_BAR:.2f}x torch eval loop | {C.fmt_ratio(infer_ratio)} | {C.pass_fail(infer_ratio <= INFER_BAR)} |
"""
    spread = {name: max(t) / min(t) for name, t in epoch_times.items()}
    worst = max(spread, key=spread.get)
    if spread[worst] > SPREAD_WARNING:
        notes.append(
            f"epoch times varied up to {spread[worst]:.1f}x (max / min, {worst}) within this "
            "run: the load of the machine changed while it ran. Read the ratios with care; "
            "the per-round ratio is the steadier one.")
    if notes:
        body += "\n" + "\n".join(f"Note: {n}" for n in notes) + "\n"
    section = C.section_name(SECTION, args.threads)
    C.publish(section, body, C.results_path(args.quick, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
