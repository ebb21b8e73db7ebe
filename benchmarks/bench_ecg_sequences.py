"""ECG5000 beats as sequences: anomaly ROC-AUC of a recurrent, a variational and a dense model.

Every model is wrapped in the same ``ReconstructionOutlierDetector`` with its defaults
(robust per-step scaling, mean absolute error as the score, the ``'auto'`` threshold), fit
in one run on the normal beats of the seed's training split
(``train_test_split(test_size=0.2, random_state=21)`` of the 4,998 beats, float32) and
scored on the 1,000 test beats, normal being the positive class. Only the ``estimator``
changes:

- ``SequenceAutoencoder(n_components=8, batch_size=50, max_iter=30)``: each beat is a
  univariate sequence of 140 steps; bidirectional LSTM of 32 units with
  ``merge_mode='sum'``, the code repeated over time, a mirrored LSTM and a per-step linear
  layer. 30 epochs: ``max_iter='auto'`` would train its cap of 200 epochs here, about 9
  minutes per fit on one CPU thread. Batches of 50: on one CPU thread an epoch of them
  was measured faster than one of the default 200 (about 45 s against 64 s for 30 epochs,
  on a quiet machine), with four times the optimizer steps; the same network with the
  default batch size (200) runs too, for comparison;
- ``VariationalAutoencoder(n_components=8)``, all else default;
- ``AutoencoderTransformer(n_components=8)``, all else default;
- for reference, the detector's own default (``estimator=None``: a dense autoencoder with a
  12-value code, MAE loss and ``alpha=1e-2``) and ``PCA(n_components=8)``.

Reported per model: ROC-AUC of ``score_samples``, accuracy / precision / recall of
``predict``, the wall time of ``fit`` (the detector's, scaling included) and the epochs
trained; the median over ``--seeds`` and each seed's ROC-AUC.

Run ``python benchmarks/bench_ecg_sequences.py`` (``--quick``: one seed, 2 epochs of the
LSTM and 5 of the dense models; writes ``benchmarks/_out/RESULTS.quick.md``).
"""

import time
import warnings

import numpy as np

import _common as C

SECTION = "ecg_sequences"
N_COMPONENTS = 8
SEQUENCE_EPOCHS = 30


def load_split():
    """Raw beats, the seed's split: ``(normal training beats, X_test, y_test)``, normal = 1."""
    X_train, X_test, y_train, y_test = C.load_ecg5000_split(dtype=np.float32)
    return X_train[y_train == 1], X_test, y_test


def models(quick):
    """Name -> unfitted estimator (None: the detector's default autoencoder)."""
    from sklearn.decomposition import PCA

    from sklearn_ae import AutoencoderTransformer, SequenceAutoencoder, VariationalAutoencoder

    short = dict(max_iter=5) if quick else {}
    return {
        "SequenceAutoencoder (bi-LSTM), batch 50": SequenceAutoencoder(
            N_COMPONENTS, batch_size=50, max_iter=2 if quick else SEQUENCE_EPOCHS),
        "SequenceAutoencoder (bi-LSTM), batch 200": SequenceAutoencoder(
            N_COMPONENTS, max_iter=2 if quick else SEQUENCE_EPOCHS),
        "VariationalAutoencoder": VariationalAutoencoder(N_COMPONENTS, **short),
        "AutoencoderTransformer": AutoencoderTransformer(N_COMPONENTS, **short),
        "detector's default autoencoder": None,
        "PCA(8)": PCA(N_COMPONENTS),
    }


def run_one(estimator, seed, normal_train, X_test, y_test):
    """Fit a detector around ``estimator``; its metrics on the test beats and fit time."""
    from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

    from sklearn_ae import ReconstructionOutlierDetector

    detector = ReconstructionOutlierDetector(estimator, random_state=seed)
    with warnings.catch_warnings():
        # Fixed budgets of epochs are part of the protocol.
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        detector.fit(normal_train)
        fit_time = time.perf_counter() - start
    y_pred = (detector.predict(X_test) == 1).astype(int)
    return {
        "auc": roc_auc_score(y_test, detector.score_samples(X_test)),
        "accuracy": accuracy_score(y_test, y_pred),
        "precision": precision_score(y_test, y_pred),
        "recall": recall_score(y_test, y_pred),
        "fit": fit_time,
        "epochs": getattr(detector.estimator_, "n_iter_", None),
    }


def main(argv=None):
    parser = C.parser(__doc__, quick="smoke run: one seed, few epochs; writes "
                                     "benchmarks/_out/RESULTS.quick.md",
                      seeds=(0, 1, 2))
    args = parser.parse_args(argv)
    seeds = args.seeds
    threads = C.set_threads(args.threads)

    machine = C.machine_description()
    normal_train, X_test, y_test = load_split()
    print(f"{machine}\n{len(normal_train)} normal training beats, {len(X_test)} test beats "
          f"({int(y_test.sum())} normal), seeds {seeds}", flush=True)

    runs = {name: [] for name in models(args.quick)}
    for seed in seeds:
        for name, estimator in models(args.quick).items():
            run = run_one(estimator, seed, normal_train, X_test, y_test)
            runs[name].append(run)
            print(f"seed {seed} {name}: ROC-AUC {run['auc']:.4f}, accuracy "
                  f"{run['accuracy']:.4f}, fit {run['fit']:.1f} s, epochs {run['epochs']}",
                  flush=True)
    load_end = C.load_average()

    def med(name, key):
        return C.median([r[key] for r in runs[name]])

    rows = []
    for name, name_runs in runs.items():
        epochs = sorted({r["epochs"] for r in name_runs if r["epochs"] is not None})
        rows.append([
            name, f"**{med(name, 'auc'):.4f}**",
            ", ".join(f"{r['auc']:.4f}" for r in name_runs),
            *(f"{med(name, key):.4f}" for key in ("accuracy", "precision", "recall")),
            f"**{C.fmt_s(med(name, 'fit'))}**",
            "/".join(map(str, epochs)) if epochs else "n/a",
        ])
    table = C.md_table(["model in the detector", "ROC-AUC (median)", "ROC-AUC per seed",
                        "accuracy", "precision", "recall", "fit (median)", "epochs"], rows)
    quick_note = ("\n\n*Quick smoke run (few epochs, one seed): not for comparison.*"
                  if args.quick else "")
    body = f"""## ECG5000 as sequences: LSTM, VAE and dense detectors (`bench_ecg_sequences.py`)

Date: {C.now()}{quick_note}

Machine: {machine} Load average at end: {load_end}.

Command: `{C.command_line()}`

Each beat is one row of 140 values, read by `SequenceAutoencoder` as a univariate sequence
of 140 steps. `train_test_split(test_size=0.2, random_state=21)` of the 4,998 beats (raw,
float32); every detector is `ReconstructionOutlierDetector(estimator, random_state=seed)`
with its defaults (robust scaling of each step, mean absolute error, `'auto'` threshold:
median + 3 robust standard deviations of the training errors), fit on the
{len(normal_train):,} normal training beats only, and evaluated on the {len(X_test):,} test
beats ({int(y_test.sum())} normal), normal being the positive class. ROC-AUC is of
`score_samples`; accuracy, precision and recall of `predict`. "Fit" is the wall time of the
detector's `fit`, torch on {threads} thread(s); the machine is shared, so times move with
its load. Seeds: {", ".join(map(str, seeds))}; the other columns are medians over them.

Estimators: `SequenceAutoencoder(n_components={N_COMPONENTS}, batch_size=50,
max_iter={SEQUENCE_EPOCHS})` (bidirectional LSTM of 32 units, `merge_mode='sum'`, code
repeated over the 140 steps, mirrored LSTM, per-step linear output; Adam lr 2e-3; an int
`max_iter` because `'auto'` would train its cap of 200 epochs here, about 9 minutes per fit
on one CPU thread; batches of 50 because, on one CPU thread, their epochs were measured
faster than those of the default 200, with four times the optimizer steps), and the same
with the default `batch_size='auto'` (200 here);
`VariationalAutoencoder(n_components={N_COMPONENTS})` and
`AutoencoderTransformer(n_components={N_COMPONENTS})` with every other parameter at its
default (`max_iter='auto'`, hidden layer of 128 units, MSE; `beta=1` for the VAE); the
detector's default autoencoder (`estimator=None`: 12-value code, hidden layer of 64, MAE,
`alpha=1e-2`, batch 32); and `PCA(n_components={N_COMPONENTS})`.

{table}
"""
    section = C.section_name(SECTION, args.threads)
    path = C.write_section(section, body, C.results_path(args.quick, args.results))
    print(f"wrote section {section!r} of {path}")


if __name__ == "__main__":
    main()
