"""Grading a folder in this process: the trusted runner behind tests and notebooks."""

from __future__ import annotations

import time
from pathlib import Path

from grader.checks import registry
from grader.engine.api import Exercise
from grader.sandbox.loading import SubmissionLoader
from grader.engine.model import GradeResult
from grader.sandbox.runner import cuda_available, run_case


def grade_in_process(
    directory: Path, exercises: dict[str, Exercise] | None = None, only: list[str] | None = None
) -> GradeResult:
    """Run every check case of ``exercises`` (default: the public ones) against ``directory``."""
    exercises = exercises if exercises is not None else registry.public_exercises()
    loader = SubmissionLoader(directory, registry.stand_ins(exercises))
    cuda = cuda_available()
    start = time.perf_counter()
    results = [
        run_case(check, case, loader, cuda)
        for name, exercise in exercises.items()
        if only is None or name in only
        for check in exercise.checks
        for case in check.cases()
    ]
    return GradeResult(str(directory), tuple(results), duration=time.perf_counter() - start)
