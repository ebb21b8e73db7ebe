"""Run every benchmark script (``bench_*.py``) in turn, each in its own Python process.

``python benchmarks/run_all.py [--quick] [--threads N]`` (``make bench`` runs it from the
repository root). Each script rewrites its own section of ``benchmarks/RESULTS.md`` (of
``benchmarks/_out/RESULTS.quick.md`` with ``--quick``). The exit status is non-zero when a
script crashed; a failed bar is recorded as FAIL in the results, not as an error.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
#: Run first, in this order; any other ``bench_*.py`` in the folder follows, alphabetically.
FIRST = ["bench_training_speed.py", "bench_quality.py"]


def discover():
    found = sorted(p.name for p in BENCH_DIR.glob("bench_*.py"))
    return [s for s in FIRST if s in found] + [s for s in found if s not in FIRST]


def main(argv=None):
    scripts = discover()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke runs (passed to each script)")
    parser.add_argument("--threads", type=int,
                        help="torch threads, passed to each script (default: the scripts' own)")
    parser.add_argument("--only", nargs="+", choices=scripts, help="run only these scripts")
    args = parser.parse_args(argv)
    extra = (["--quick"] if args.quick else []) + (
        ["--threads", str(args.threads)] if args.threads is not None else [])

    failed = []
    for script in args.only or scripts:
        cmd = [sys.executable, str(BENCH_DIR / script), *extra]
        print(f"==> {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=BENCH_DIR.parent)
        print(f"<== {script}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script)
    if failed:
        print(f"crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
