"""Batch grading against the cost of grading each submission on its own, in one run.

    python bench/bench_batch.py [--students 4]

The class alternates reference solutions and untouched stubs. The script
times `python -c "import torch, torchvision"`, `python -m grader grade` of
one solutions and one stubs submission, and `python -m grader batch` of the
whole class with --jobs 1 and --jobs 2. A batch that forks its grading
processes from one that has imported torch saves about one import per
submission against grading each one on its own:

    saved per submission / import          goal >= 0.50
    --jobs 1 / --jobs 2 (speed-up)         goal >= 0.90  (both use every core:
                                           one grading process grades its exercises in parallel)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
SAVED_GOAL = 0.50
SPEEDUP_GOAL = 0.90


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=KIT, check=True, capture_output=True)
    return time.perf_counter() - start


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4)
    args = parser.parse_args()
    python = sys.executable
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        klass = Path(tmp) / "class"
        kinds = []
        for i in range(args.students):
            kind = "solutions" if i % 2 == 0 else "exercises"
            kinds.append(kind)
            shutil.copytree(KIT / kind, klass / f"student{i:02d}", ignore=shutil.ignore_patterns("conftest.py", "__pycache__"))
        import_time = timed([python, "-c", "import torch, torchvision"])
        alone = {kind: timed([python, "-m", "grader", "grade", str(klass / f"student{i:02d}"), "--quiet"])
                 for i, kind in enumerate(kinds[:2])}
        batch = {}
        for jobs in (1, 2):
            batch[jobs] = timed([python, "-m", "grader", "batch", str(klass), "--out", f"{tmp}/out{jobs}", "--jobs", str(jobs)])
        import_time = (import_time + timed([python, "-c", "import torch, torchvision"])) / 2
    one_by_one = sum(alone[kind] for kind in kinds)
    saved = (one_by_one - batch[1]) / args.students
    speedup = batch[1] / batch[2]
    print(f"import torch, torchvision           {import_time:7.2f} s")
    print(f"grade one solutions submission      {alone['solutions']:7.2f} s")
    print(f"grade one stubs submission          {alone['exercises']:7.2f} s")
    print(f"{args.students} submissions one by one (sum)     {one_by_one:7.2f} s")
    for jobs in (1, 2):
        print(f"batch --jobs {jobs}                      {batch[jobs]:7.2f} s   "
              f"{batch[jobs] / args.students:6.2f} s per submission = {batch[jobs] / args.students / import_time:.2f} x import")
    print()
    print(f"saved per submission / import = {saved / import_time:.2f} (goal >= {SAVED_GOAL:.2f}) {verdict(saved / import_time >= SAVED_GOAL)}")
    print(f"--jobs 1 / --jobs 2 = {speedup:.2f} (goal >= {SPEEDUP_GOAL:.2f}) {verdict(speedup >= SPEEDUP_GOAL)}")
    print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} "
          f"on {len(os.sched_getaffinity(0))} cores")
    return 0 if saved / import_time >= SAVED_GOAL and speedup >= SPEEDUP_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
