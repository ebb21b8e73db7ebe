"""Helpers shared by the benchmark scripts.

- where the data live (:func:`data_home`),
- medians, ratios and markdown tables (:func:`median`, :func:`fmt_s`, :func:`fmt_ratio`,
  :func:`md_table`),
- a one-paragraph description of the machine (:func:`machine_description`),
- :func:`write_section`, which rewrites one named section of ``RESULTS.md`` so that several
  scripts can each own a section of the same file.

Nothing here imports keras; scripts that use it set ``KERAS_BACKEND`` themselves.
"""

import contextlib
import datetime
import hashlib
import os
import platform
import shlex
import statistics
import sys
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


# --------------------------------------------------------------------------------- data


def data_home():
    """The data folder: ``$SKLEARN_AE_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("SKLEARN_AE_DATA")
    if env:
        return Path(env).expanduser()
    return (REPO_ROOT / ".." / "shared" / "data").resolve()


def load_fashion_mnist(subset):
    """``(X, y)`` of Fashion-MNIST ``subset`` ('train' or 'test'), X float32 in [0, 1]."""
    from sklearn_ae.datasets import load_fashion_mnist as _load

    return _load(subset=subset, data_home=data_home(), return_X_y=True)


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


def set_threads(n):
    """Set torch's intra-op threads to ``n`` (0 or None: leave torch's default); return it."""
    import torch

    if n:
        torch.set_num_threads(int(n))
    return torch.get_num_threads()


def add_threads_argument(parser):
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch intra-op threads (default 1; 0 leaves torch's default of one per core). "
             "On a shared machine whose cores are busy with other work, torch's default "
             "collapses (OpenMP waits on a descheduled thread), so the default is 1.")


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
