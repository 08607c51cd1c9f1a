"""Peak memory of a whole grade, against a default Gradescope container's 768 MiB.

    python bench/bench_memory.py [--parallel N] [--interval S]

Runs `python -m grader grade solutions` and, every INTERVAL seconds while it
runs, sums the proportional set size (PSS, from /proc/PID/smaps_rollup) of
the grading process and every process below it (the zygote and the children
running the reference solutions). PSS shares each page among the processes
that map it, so the sum is what the tree costs the machine. Prints the peak,
the moment it was reached, and the processes counted then.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
GOAL_MIB = 768


def tree(root: int) -> list[int]:
    """``root`` and every process descended from it."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, help="passed to grade (default: grade's own, one per core)")
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "grader", "grade", "solutions", "--quiet", "--json", f"{out}/results.json"]
        if args.parallel:
            command += ["--parallel", str(args.parallel)]
        start = time.monotonic()
        grading = subprocess.Popen(command, cwd=KIT)
        peak, peak_at, peak_count = 0, 0.0, 0
        while grading.poll() is None:
            pids = tree(grading.pid)
            total = sum(pss_kib(pid) for pid in pids)
            if total > peak:
                peak, peak_at, peak_count = total, time.monotonic() - start, len(pids)
            time.sleep(args.interval)
        elapsed = time.monotonic() - start
        score = Path(out, "results.json").read_text().count('"status": "pass"')
    mib = peak / 1024
    verdict = "ok" if mib <= GOAL_MIB else "OVER"
    print(f"grade solutions: {elapsed:.1f} s, {score} cases passed, exit {grading.returncode}")
    print(f"peak PSS of the process tree: {mib:.0f} MiB at {peak_at:.1f} s over {peak_count} processes "
          f"(goal <= {GOAL_MIB} MiB: {verdict})")
    return 0 if grading.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
