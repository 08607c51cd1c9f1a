"""Time watch mode: from saving ex01_tensors.py to the end of its verdict.

    python bench/bench_watch.py [--saves 15]

Starts `python -m grader watch ex01_tensors --folder F` on a copy of the
reference solution, waits for its first verdict, then saves the file
(alternating a correct and a wrong scale_) once per round and times each save
until the points table's total line comes back. Prints every time and the
median beside the goal:

    median save -> verdict                             goal <= 0.5 s

The load average is printed so a disturbed run can be told.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
GOAL = 0.5
WRONG = "\n\ndef scale_(tensor, factor):\n    return tensor * factor\n"


def read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """Lines from the watcher until one starts with ``marker``; what was read."""
    assert process.stdout is not None
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(marker):
            return "".join(seen)
    raise SystemExit(f"no line starting with {marker!r} within {timeout} s; got:\n{''.join(seen)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        folder = Path(tmp)
        reference = (KIT / "solutions" / "ex01_tensors.py").read_text()
        target = folder / "ex01_tensors.py"
        shutil.copy(KIT / "solutions" / "ex01_tensors.py", target)
        env = {**os.environ, "GRADER_LANG": "en", "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "grader", "watch", "ex01_tensors", "--folder", str(folder)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=KIT, env=env,
        )
        try:
            read_until(process, "Watching", 120)
            times = []
            for save in range(args.saves):
                time.sleep(0.3)  # a student does not save twice within a blink
                start = time.perf_counter()
                target.write_text(reference + (WRONG if save % 2 == 0 else ""))
                verdict = read_until(process, "total", 60)
                times.append(time.perf_counter() - start)
                expected = "7 / 9" if save % 2 == 0 else "9 / 9"
                assert expected in verdict, verdict
        finally:
            process.terminate()
            process.wait(10)
    print("save -> verdict (s):", " ".join(f"{t:.3f}" for t in times))
    median = statistics.median(times)
    print(f"median save -> verdict              {median:.3f} s   goal <= {GOAL} s   "
          f"{'ok' if median <= GOAL else 'MISSED'}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
