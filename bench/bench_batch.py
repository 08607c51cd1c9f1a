"""Batch grading with --jobs 1 and --jobs 2 on the same class, in one run.

    python bench/bench_batch.py [--students 6]

The class mixes reference solutions and untouched stubs. Prints both wall
times and the speed-up (goal: at least 1.6 on a 2-core machine).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        klass = Path(tmp) / "class"
        for i in range(args.students):
            shutil.copytree(KIT / ("solutions" if i % 2 == 0 else "exercises"), klass / f"student{i:02d}",
                            ignore=shutil.ignore_patterns("conftest.py", "__pycache__"))
        times = {}
        for jobs in (1, 2):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grader", "batch", str(klass), "--out", f"{tmp}/out{jobs}",
                            "--jobs", str(jobs)], cwd=KIT, check=True, capture_output=True)
            times[jobs] = time.perf_counter() - start
            print(f"--jobs {jobs}: {times[jobs]:7.1f} s for {args.students} submissions")
        speedup = times[1] / times[2]
        print(f"speed-up with --jobs 2: {speedup:.2f} ({'meets' if speedup >= 1.6 else 'MISSES'} the goal of 1.6)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
