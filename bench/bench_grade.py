"""Time the kit against the floor, in one run.

    python bench/bench_grade.py [--repeats 3]

The floor is `python -c "import torch, torchvision"` and the reference's own
training (the calibrated training checks' probes run directly, in-process,
on one torch thread and on all of them; the faster counts).
Each round times, one after the other: the import, `pytest exercises` on the
stubs, `python -m grader grade solutions` and the training; the medians over
the rounds give the ratios, beside their goals:

    grade solutions / (import + reference training)   goal <= 1.30
    pytest exercises (stubs) / import                 goal <= 1.40

Both sides of each ratio are measured in the same rounds, so a busy machine
slows both; the load average is printed so a disturbed run can be told.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
GRADE_GOAL = 1.30
STUBS_GOAL = 1.40

TRAINING = """
import sys
import time
from pathlib import Path
import torch
torch.set_num_threads(int(sys.argv[1]))
from grader.checks import registry
from grader.sandbox.loading import SubmissionLoader
from grader.sandbox.probe import probe_case
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


def training(threads: int) -> float:
    _, done = timed([sys.executable, "-c", TRAINING, str(threads)])
    return float(done.stdout.strip() or "nan")


def verdict(ratio: float, goal: float) -> str:
    return "PASS" if ratio <= goal else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the medians are compared (default 3)")
    args = parser.parse_args()
    python = sys.executable
    cores = len(os.sched_getaffinity(0))
    rows: dict[str, list[float]] = {"import": [], "stubs": [], "grade": [], "training 1": [], "training all": []}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            rows["import"].append(timed([python, "-c", "import torch, torchvision"])[0])
            rows["stubs"].append(timed([python, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider"])[0])
            seconds, done = timed([python, "-m", "grader", "grade", "solutions", "--quiet", "--json", f"{tmp}/a.json"])
            if done.returncode != 0:
                print(done.stderr)
                return 1
            rows["grade"].append(seconds)
            rows["training 1"].append(training(1))
            rows["training all"].append(training(cores))
    median = {name: statistics.median(values) for name, values in rows.items()}
    median["training"] = min(median["training 1"], median["training all"])
    labels = {
        "import": "import torch, torchvision", "stubs": "pytest exercises (stubs)",
        "grade": "grader grade solutions", "training 1": "reference training, 1 thread",
        "training all": f"reference training, {cores} threads",
    }
    for name, label in labels.items():
        runs = " ".join(f"{v:.2f}" for v in rows[name])
        print(f"{label:<34} {median[name]:7.2f} s median   ({runs})")
    floor = median["import"] + median["training"]
    grade_ratio = median["grade"] / floor
    stubs_ratio = median["stubs"] / median["import"]
    print()
    print(f"grade solutions / (import + reference training) = {grade_ratio:.2f} (goal <= {GRADE_GOAL:.2f}) "
          f"{verdict(grade_ratio, GRADE_GOAL)}")
    print(f"pytest exercises (stubs) / import = {stubs_ratio:.2f} (goal <= {STUBS_GOAL:.2f}) "
          f"{verdict(stubs_ratio, STUBS_GOAL)}")
    print(f"grade solutions / import = {median['grade'] / median['import']:.2f}")
    print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} on {cores} cores")
    return 0 if grade_ratio <= GRADE_GOAL and stubs_ratio <= STUBS_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
