"""``python -m grader calibrate EXERCISE``: measure a training threshold over many seeds."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from grader.engine.api import Calibration, Case, Exercise
from grader.sandbox.loading import SubmissionLoader
from grader.engine.observe import snapshot
from grader.sandbox.probe import preserved_global_state


@dataclass(frozen=True)
class Spread:
    values: tuple[float, ...]

    def line(self) -> str:
        v = self.values
        return f"min {min(v):.4f}  median {statistics.median(v):.4f}  max {max(v):.4f}  (n={len(v)})"


def measure(exercise: Exercise, calibration: Calibration, solutions: Path, seeds: int, first_seed: int = 1000) -> tuple[Spread, Spread]:
    """Run the check's probe on the reference and on its under-trained variant, seed after seed."""
    check = next(c for c in exercise.checks if c.name == calibration.check)
    loader = SubmissionLoader(solutions)
    reference = loader.load(exercise.name)
    weak = calibration.undertrained(reference)
    found: dict[str, list[float]] = {"reference": [], "undertrained": []}
    for seed in range(first_seed, first_seed + seeds):
        case = Case(exercise.name, check.name, "cpu", seed)
        for label, module in (("reference", reference), ("undertrained", weak)):
            with preserved_global_state():
                observations = snapshot(check.probe(module, case))
            found[label].append(float(calibration.metric(observations, case)))
    return Spread(tuple(found["reference"])), Spread(tuple(found["undertrained"]))


def report(exercise: Exercise, calibration: Calibration, reference: Spread, weak: Spread) -> str:
    worst_good = min(reference.values) if calibration.higher_is_better else max(reference.values)
    best_bad = max(weak.values) if calibration.higher_is_better else min(weak.values)
    sign = 1 if calibration.higher_is_better else -1
    return "\n".join([
        f"{exercise.name}::{calibration.check}  threshold {calibration.threshold:g}"
        f" ({'higher' if calibration.higher_is_better else 'lower'} is better)",
        f"  reference     {reference.line()}",
        f"  under-trained {weak.line()}",
        f"  margin to the worst reference run:   {sign * (worst_good - calibration.threshold):+.4f}",
        f"  margin to the best under-trained run: {sign * (calibration.threshold - best_bad):+.4f}",
    ])
