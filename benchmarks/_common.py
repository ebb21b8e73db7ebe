"""Helpers shared by the benchmark scripts.

- the command line: :func:`parser` builds every script's argument parser, with the options
  they share (``--quick``, ``--seeds``, ``--device``, ``--results``, ``--threads``),
- the data: where they live (:func:`data_home`) and the loaders the scripts share
  (:func:`load_mnist`, :func:`load_fashion_mnist`, :func:`load_ecg5000_split`,
  :func:`load_odds`), k-means on codes (:func:`cluster`) and the scores of a clustering
  (:func:`nmi_ari`, :func:`hungarian_accuracy`),
- medians, ratios and markdown tables (:func:`median`, :func:`fmt_s`, :func:`fmt_ratio`,
  :func:`md_table`),
- a one-paragraph description of the machine (:func:`machine_description`),
- :func:`write_section`, which rewrites one named section of ``RESULTS.md`` so that several
  scripts can each own a section of the same file.

Nothing here imports keras; scripts that use it set ``KERAS_BACKEND`` themselves.
"""

import argparse
import contextlib
import datetime
import fnmatch
import hashlib
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
#: Where ``--quick`` (smoke) runs write, so they never overwrite the figures kept in RESULTS.md.
QUICK_RESULTS_PATH = BENCH_DIR / "_out" / "RESULTS.quick.md"
#: Where what-if runs (non-default settings, ``bench_quality.py --set``) write.
WHATIF_RESULTS_PATH = BENCH_DIR / "_out" / "RESULTS.whatif.md"

RESULTS_HEADER = """\
# Benchmark results

Written by the scripts in this folder; each script owns one section, between a pair of
`BEGIN <section>` / `END <section>` HTML comments, and rewrites only that section.
See `README.md` for what each one measures and how to run them.
"""


# -------------------------------------------------------------------------- command line

THREADS_HELP = (
    "torch intra-op threads (default 1; 0 leaves torch's default of one per core). "
    "On a shared machine whose cores are busy with other work, torch's default "
    "collapses (OpenMP waits on a descheduled thread), so the default is 1.")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that fills in the default of ``--seeds``, which ``--quick`` changes."""

    default_seeds = None

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if self.default_seeds is not None and not parsed.seeds:
            parsed.seeds = [0] if parsed.quick else list(self.default_seeds)
        return parsed


def parser(doc, *, quick, seeds=None, device=None, threads=1, threads_help=THREADS_HELP,
           results=True):
    """The argument parser of a benchmark script, with the options the scripts share.

    The script adds its own options to it. Parameters:

    - ``doc``: the script's docstring; its first paragraph is the description.
    - ``quick``: the help of ``--quick``, a smoke run: what it cuts, and where it writes.
    - ``seeds``: the default ``random_state`` values of ``--seeds`` (None: no ``--seeds``).
      ``parse_args`` fills them in when ``--seeds`` is not given: ``[0]`` with ``--quick``,
      else ``seeds``.
    - ``device``: the help of ``--device``, whose default is ``cpu`` (None: no ``--device``).
    - ``threads``: the default of ``--threads``, torch's intra-op threads (None: no
      ``--threads``); ``threads_help``, its help (by default the one for a default of 1).
    - ``results``: whether to add ``--results``, the markdown file to write.
    """
    p = _Parser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=quick)
    if seeds is not None:
        p.default_seeds = tuple(seeds)
        p.add_argument("--seeds", type=int, nargs="+",
                       help=f"random_state values (default {' '.join(map(str, seeds))})")
    if device is not None:
        p.add_argument("--device", default="cpu", help=device)
    if results:
        p.add_argument("--results", help="markdown file to write (default: RESULTS.md)")
    if threads is not None:
        add_threads_argument(p, default=threads, help=threads_help)
    return p


def add_threads_argument(parser, default=1, help=THREADS_HELP):
    """Add ``--threads``: torch's intra-op threads, for :func:`set_threads`."""
    parser.add_argument("--threads", type=int, default=default, help=help)


def set_threads(n):
    """Set torch's intra-op threads to ``n`` (0 or None: leave torch's default); return it."""
    import torch

    if n:
        torch.set_num_threads(int(n))
    return torch.get_num_threads()


# --------------------------------------------------------------------------------- data


def data_home():
    """The data folder: ``$SKLEARN_AE_DATA``, else ``../shared/data`` beside the repository.

    The package's rule (``sklearn_ae.datasets.get_data_home``), with the benchmarks' folder
    in place of the package's default, ``~/sklearn_ae_data``.
    """
    from sklearn_ae.datasets import get_data_home
    from sklearn_ae.datasets._home import DATA_HOME_ENV

    return get_data_home(os.environ.get(DATA_HOME_ENV)
                         or (REPO_ROOT / ".." / "shared" / "data").resolve())


def _first(X, y, n):
    """The first ``n`` rows of ``X`` and ``y`` (None: all of them)."""
    return (X, y) if n is None else (X[:n], y[:n])


def load_mnist(subset, n=None):
    """``(X, y)`` of MNIST ``subset`` ('train' or 'test'), X float32 in [0, 1]; the first
    ``n`` rows only if ``n`` is given."""
    from sklearn_ae.datasets import load_mnist as _load

    return _first(*_load(subset=subset, data_home=data_home(), return_X_y=True), n)


def load_fashion_mnist(subset, n=None):
    """``(X, y)`` of Fashion-MNIST ``subset`` ('train' or 'test'), X float32 in [0, 1]; the
    first ``n`` rows only if ``n`` is given."""
    from sklearn_ae.datasets import load_fashion_mnist as _load

    return _first(*_load(subset=subset, data_home=data_home(), return_X_y=True), n)


def load_ecg5000_split(dtype=None):
    """The seed's split of the 4,998 ECG5000 beats, ``train_test_split(test_size=0.2,
    random_state=21)``: ``(X_train, X_test, y_train, y_test)``, normal = 1, the beats
    unscaled (cast to ``dtype`` first, if given)."""
    from sklearn.model_selection import train_test_split

    from sklearn_ae.datasets import load_ecg5000

    X, y = load_ecg5000(data_home=data_home(), return_X_y=True)
    if dtype is not None:
        X = X.astype(dtype)
    return train_test_split(X, y, test_size=0.2, random_state=21)


def load_odds(name):
    """``(X, y)`` of the ODDS set ``name``, y = 1 marking the outliers."""
    from sklearn_ae.datasets import load_odds as _load

    return _load(name, data_home=data_home(), return_X_y=True)


#: The 23 tabular outlier sets of shared/data: 11 ODDS (``odds/<name>.mat``) and 12 ADBench
#: (``adbench/<name>.npz``), in the case-insensitive order of their names.
OUTLIER_ODDS = ("breastw", "glass", "ionosphere", "letter", "lympho", "optdigits", "pima",
                "satimage-2", "vertebral", "vowels", "wbc")
OUTLIER_ADBENCH = ("campaign", "Cardiotocography", "fault", "Hepatitis", "InternetAds",
                   "landsat", "magic.gamma", "PageBlocks", "SpamBase", "Stamps", "WDBC", "yeast")
OUTLIER_SETS = tuple(sorted(OUTLIER_ODDS + OUTLIER_ADBENCH, key=str.lower))


def load_outlier_set(name, max_rows=10_000):
    """``(X float64, y int)`` of one of :data:`OUTLIER_SETS`, y = 1 marking the outliers,
    stratified-subsampled to at most ``max_rows`` rows (``random_state=0``)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    if name in OUTLIER_ODDS:
        import scipy.io

        data = scipy.io.loadmat(data_home() / "odds" / f"{name}.mat")
    else:
        data = np.load(data_home() / "adbench" / f"{name}.npz")
    X = np.asarray(data["X"], dtype=np.float64)
    y = np.asarray(data["y"]).ravel().astype(int)
    if len(y) > max_rows:
        keep, _ = train_test_split(np.arange(len(y)), train_size=max_rows, stratify=y,
                                   random_state=0)
        keep = np.sort(keep)
        X, y = X[keep], y[keep]
    return X, y


def outlier_splits(X, y, n_splits=3, test_size=0.4):
    """``StratifiedShuffleSplit(n_splits, test_size, random_state=0)`` of a set, as a list."""
    from sklearn.model_selection import StratifiedShuffleSplit

    return list(StratifiedShuffleSplit(n_splits=n_splits, test_size=test_size,
                                       random_state=0).split(X, y))


class OutlierPeer:
    """A PyOD or scikit-learn detector at its defaults on standardised inputs (the inputs a
    user would give it), scored the scikit-learn way: ``score_samples``, high = normal.

    ``kind``: 'IsolationForest', 'PyOD ECOD', 'PyOD KNN', 'PyOD LOF', 'PyOD AutoEncoder'.
    """

    KINDS = ("IsolationForest", "PyOD ECOD", "PyOD KNN", "PyOD AutoEncoder", "PyOD LOF")

    def __init__(self, kind, random_state):
        self.kind = kind
        self.random_state = random_state

    def fit(self, X):
        from sklearn.preprocessing import StandardScaler

        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        if self.kind == "IsolationForest":
            from sklearn.ensemble import IsolationForest

            self.model_ = IsolationForest(random_state=self.random_state).fit(Z)
        elif self.kind == "PyOD ECOD":
            from pyod.models.ecod import ECOD

            self.model_ = ECOD().fit(Z)
        elif self.kind == "PyOD KNN":
            from pyod.models.knn import KNN

            self.model_ = KNN().fit(Z)
        elif self.kind == "PyOD LOF":
            from pyod.models.lof import LOF

            self.model_ = LOF().fit(Z)
        elif self.kind == "PyOD AutoEncoder":
            from pyod.models.auto_encoder import AutoEncoder

            self.model_ = AutoEncoder(random_state=self.random_state, verbose=0).fit(Z)
        else:
            raise ValueError(self.kind)
        return self

    def score_samples(self, X):
        Z = self.scaler_.transform(X)
        if self.kind == "IsolationForest":
            return self.model_.score_samples(Z)
        return -self.model_.decision_function(Z)


def nmi_ari(y, labels):
    """NMI and ARI of the cluster ``labels`` against the classes ``y``."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return normalized_mutual_info_score(y, labels), adjusted_rand_score(y, labels)


def hungarian_accuracy(y, labels):
    """Clustering accuracy: the fraction of samples whose cluster, mapped one-to-one onto a
    class by the Hungarian matching that maximises the agreement
    (``scipy.optimize.linear_sum_assignment``), is their class."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import confusion_matrix

    y, labels = np.asarray(y), np.asarray(labels)
    classes, clusters = np.unique(y), np.unique(labels)
    counts = confusion_matrix(np.searchsorted(classes, y), np.searchsorted(clusters, labels),
                              labels=np.arange(max(len(classes), len(clusters))))
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return counts[rows, cols].sum() / len(y)


def cluster(Z, y):
    """``KMeans(n_clusters=10, n_init=10, random_state=0)`` on ``Z``: NMI and ARI against
    ``y``, and the k-means time, as a dict (``nmi``, ``ari``, ``kmeans``)."""
    from sklearn.cluster import KMeans

    t0 = time.perf_counter()
    labels = KMeans(n_clusters=10, n_init=10, random_state=0).fit_predict(Z)
    seconds = time.perf_counter() - t0
    nmi, ari = nmi_ari(y, labels)
    return {"nmi": nmi, "ari": ari, "kmeans": seconds}


# ------------------------------------------------------------------------- statistics


def median(values):
    values = [float(v) for v in values]
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    return float(a) / float(b) if b else float("nan")


def fmt_s(seconds, digits=3):
    """Seconds, or milliseconds below one second."""
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds < 1:
        return f"{seconds * 1e3:.{max(digits - 2, 1)}f} ms"
    return f"{seconds:.{digits - 1}f} s"


def fmt_ratio(r):
    return "n/a" if r != r else f"{r:.3f}x"


def pass_fail(ok):
    return "**PASS**" if ok else "**FAIL**"


def md_table(header, rows):
    """A markdown table from a header row and rows of cells (any objects, str()-ed)."""
    lines = ["| " + " | ".join(map(str, header)) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- machine


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count()


def load_average():
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def package_fingerprint():
    """Short hash of the ``sklearn_ae`` sources measured, and their latest modification time.

    Ties the figures to the code that produced them (the working tree may hold uncommitted
    changes, which a commit id would not show).
    """
    import sklearn_ae

    root = Path(sklearn_ae.__file__).resolve().parent
    digest = hashlib.sha256()
    newest = 0.0
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    stamp = datetime.datetime.fromtimestamp(newest).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"sources sha256 {digest.hexdigest()[:12]} (newest file {stamp})"


def machine_description(device="cpu"):
    """CPU, cores, library versions and torch's thread count, in one markdown paragraph.

    With a CUDA ``device``, the name of its GPU is added.
    """
    import numpy
    import sklearn
    import skorch
    import torch

    import sklearn_ae

    text = (
        f"CPU: {cpu_model()}, {usable_cores()} usable cores ({os.cpu_count()} logical); "
        f"Linux {platform.release()}; Python {platform.python_version()}; "
        f"torch {torch.__version__} ({torch.get_num_threads()} intra-op threads, "
        f"{torch.get_num_interop_threads()} inter-op); numpy {numpy.__version__}; "
        f"scikit-learn {sklearn.__version__}; skorch {skorch.__version__}; "
        f"sklearn_ae {sklearn_ae.__version__}, {package_fingerprint()}; "
        f"load average at start {load_average()}."
    )
    if str(device).startswith("cuda"):
        text += f" GPU: {torch.cuda.get_device_name(device)}."
    return text


def command_line():
    """The command that ran this script, relative to the repository root where possible."""
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(REPO_ROOT)
    except ValueError:
        pass
    return shlex.join(["python", str(script), *sys.argv[1:]])


def now():
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


# ------------------------------------------------------------------------ result caches


def load_json(path):
    """The object stored in the JSON file ``path`` (an exploration's cache), or ``{}``."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else {}


def save_json(path, obj):
    """Write ``obj`` to the JSON file ``path`` atomically (a reader never sees half)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=0, sort_keys=True))
    os.replace(tmp, path)


def update_json(path, key, value):
    """Set ``key`` to ``value`` in the JSON file ``path``, under the results lock, so that two
    processes that share a cache never lose each other's entries."""
    with _locked(path):
        cache = load_json(path)
        cache[key] = value
        save_json(path, cache)


def select(names, patterns):
    """The ``names`` that match one of the fnmatch ``patterns`` (all of them without any)."""
    if not patterns:
        return list(names)
    return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]


# ---------------------------------------------------------------------------- results


def _markers(name):
    return f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"


def write_section(name, body, path=RESULTS_PATH):
    """Replace the section ``name`` of the markdown file ``path`` with ``body``.

    The section is the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->``. It is
    appended (with its markers) if missing; the file is created if missing. Other sections and
    text are left as they are. The file is replaced atomically.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    begin, end = _markers(name)
    with _locked(path):
        text = path.read_text() if path.exists() else RESULTS_HEADER
        block = f"{begin}\n{body.strip()}\n{end}"
        i = text.find(begin)
        j = text.find(end, i + len(begin)) if i >= 0 else -1
        if i >= 0 and j >= 0:
            text = text[:i] + block + text[j + len(end):]
        else:
            if i >= 0:  # a BEGIN without its END: drop the broken remainder, not duplicate
                text = text[:i]
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path


def publish(section, body, path):
    """Write ``body`` as the section ``section`` of the markdown file ``path``; print both."""
    written = write_section(section, body, path)
    print(body)
    print(f"wrote section '{section}' of {written}")


@contextlib.contextmanager
def _locked(path):
    """Hold an exclusive lock beside ``path``, so two scripts never lose each other's section."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    lock_path = BENCH_DIR / "_out" / "results.lock"  # git-ignored
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def section_name(base, threads=None, device="cpu", default_threads=1):
    """The section of ``RESULTS.md`` that a run writes.

    Scripts that measure speed or memory pass ``threads``: a run with a thread count other
    than the script's default (``default_threads``) writes ``base-threadsN`` beside the
    default section, so that figures taken on different thread counts are never mixed.
    Scripts judged on quality (MSE, NMI, AUC) leave ``threads`` out: a re-run on more threads
    replaces their section, whose Command line records the count. A ``device`` other than
    the CPU adds ``-DEVICE``.
    """
    name = base
    if threads is not None and threads != default_threads:
        name += f"-threads{threads}"
    if device != "cpu":
        name += f"-{device}"
    return name


def results_path(quick, override=None):
    if override:
        return Path(override)
    return QUICK_RESULTS_PATH if quick else RESULTS_PATH
