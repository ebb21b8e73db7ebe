"""Run every benchmark script (``bench_*.py``) in turn, each in its own Python process.

``python benchmarks/run_all.py [--quick] [--threads N]`` (``make bench`` runs it from the
repository root). Each script rewrites its own section of ``benchmarks/RESULTS.md`` (of
``benchmarks/_out/RESULTS.quick.md`` with ``--quick``). The exit status is non-zero when a
script crashed; a failed bar is recorded as FAIL in the results, not as an error.
"""

import subprocess
import sys
import time

import _common as C

#: Run first, in this order; any other ``bench_*.py`` in the folder follows, alphabetically.
FIRST = ["bench_training_speed.py", "bench_quality.py"]


def discover():
    found = sorted(p.name for p in C.BENCH_DIR.glob("bench_*.py"))
    return [s for s in FIRST if s in found] + [s for s in found if s not in FIRST]


def main(argv=None):
    scripts = discover()
    parser = C.parser(__doc__, quick="smoke runs (passed to each script)", threads=None,
                      results=False)
    parser.add_argument("--threads", type=int,
                        help="torch threads, passed to each script (default: the scripts' own)")
    parser.add_argument("--only", nargs="+", choices=scripts, help="run only these scripts")
    args = parser.parse_args(argv)
    extra = (["--quick"] if args.quick else []) + (
        ["--threads", str(args.threads)] if args.threads is not None else [])

    failed = []
    for script in args.only or scripts:
        cmd = [sys.executable, str(C.BENCH_DIR / script), *extra]
        print(f"==> {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=C.REPO_ROOT)
        print(f"<== {script}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script)
    if failed:
        print(f"crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
