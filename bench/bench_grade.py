"""Time the kit against the cost of importing torch, in one run.

    python bench/bench_grade.py

Prints the wall time of `python -c "import torch, torchvision"`, of
`pytest exercises` on the stubs, of `python -m grader grade solutions`, and
of the reference's own training (the calibrated training checks' probes run
directly), with each one's ratio to the import time. The goal: grading
solutions/ costs at most twice the import time on top of the training.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent

TRAINING = """
import time
from pathlib import Path
from grader.checks import registry
from grader.sandbox.loading import SubmissionLoader
from grader.sandbox.runner import probe_case
exercises = registry.public_exercises()
loader = SubmissionLoader(Path("solutions"))
total = 0.0
for exercise in exercises.values():
    calibrated = {c.check for c in exercise.calibrations}
    for check in exercise.checks:
        if check.name in calibrated:
            for case in check.cases():
                if case.device == "cpu":
                    start = time.perf_counter()
                    probe_case(check, case, loader)
                    total += time.perf_counter() - start
print(total)
"""


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> int:
    python = sys.executable
    import_time, _ = timed([python, "-c", "import torch, torchvision"])
    stubs_time, _ = timed([python, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider"])
    with tempfile.TemporaryDirectory() as tmp:
        grade_time, done = timed([python, "-m", "grader", "grade", "solutions", "--quiet", "--json", f"{tmp}/a.json"])
    if done.returncode != 0:
        print(done.stderr)
        return 1
    _, training = timed([python, "-c", TRAINING])
    train_time = float(training.stdout.strip() or "nan")
    overhead = grade_time - train_time
    rows = [
        ("import torch, torchvision", import_time),
        ("pytest exercises (stubs)", stubs_time),
        ("grader grade solutions", grade_time),
        ("reference training (in-process)", train_time),
        ("grading overhead (grade - training)", overhead),
    ]
    for label, seconds in rows:
        print(f"{label:<38} {seconds:8.2f} s   {seconds / import_time:6.2f} x import")
    verdict = "meets" if overhead <= 2 * import_time else "MISSES"
    print(f"\noverhead / import = {overhead / import_time:.2f} ({verdict} the goal of at most 2)")
    print(f"whole grade of solutions/: {grade_time:.1f} s (goal: about 120 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
