"""Grading one submission (a folder or a .zip) in isolated child processes."""

from __future__ import annotations

import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from grader.checks import registry
from grader.engine import i18n
from grader.sandbox import zygote
from grader.engine.api import Exercise
from grader.engine.model import CheckResult, GradeResult, Outcome, Tag
from grader.sandbox import isolation, layers
from grader.sandbox.isolation import Limits, Workspace
from grader.sandbox.runner import CUDA_SKIP_REASON, case_points, cuda_available, skipped
from grader.sandbox.submission import Prepared, SubmissionError, prepare

__all__ = ["SubmissionError", "grade_submission", "ready_to_fork"]

KIT = Path(__file__).resolve().parents[2]


def ready_to_fork() -> bool:
    """Make this process ready to fork exercise children; return whether CUDA is there. Safe to call again.

    Called by :func:`grade_submission` before the first child is forked: the one place where the
    process that children are forked from is set up.
    """
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # ask NVML: keeps CUDA uninitialised before fork
    # torchvision's first import pulls in torch._dynamo, which re-wraps torch.manual_seed. Do it here,
    # once, before any child fingerprints torch, so that import is never mistaken for tampering.
    import torchvision  # noqa: F401

    cuda = cuda_available()
    i18n.language()  # load the catalog now: children inherit it and may not read files outside their folder
    isolation.become_subreaper()
    layers.detect()  # once, before the first fork: children find it ready
    gc.collect()
    gc.freeze()  # children share the parent's objects: the collector would copy every page of them in each child
    return cuda


def grade_submission(
    submission: Path,
    hidden: Path | None = None,
    limits: Limits | None = None,
    exercises: dict[str, Exercise] | None = None,
    on_exercise: Callable[[list[CheckResult]], None] | None = None,
) -> GradeResult:
    """Read ``submission`` in a limited child, then grade every exercise in isolated children.

    ``on_exercise``: called with each exercise's results as soon as that exercise is graded.
    Raises :class:`SubmissionError` when the submission cannot be read at all.

    The children that run the student's code are forked by this process's zygote
    (:func:`grader.sandbox.zygote.shared`). When none was started yet, one is started here and
    inherits this process's memory as it is now, hidden checks included if they were loaded:
    front ends that hold secrets call :func:`grader.sandbox.zygote.start` before loading them.
    """
    submission = Path(submission)
    exercises = exercises if exercises is not None else registry.all_exercises(hidden)
    limits = limits or Limits()
    start = time.perf_counter()
    cuda = ready_to_fork()
    zygote.shared()  # the front ends start it before anything secret is loaded; else it starts here
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        root = Path(tmp).resolve()
        prepared = prepare(submission, root / "submission", exercises)
        workspace = Workspace(
            root=root,
            submission=prepared.folder,
            forbidden=tuple(p.resolve() for p in (KIT / "solutions", KIT / "tests", hidden) if p is not None),
        )
        blocked = {name: _not_graded(exercises[name], file.problem, cuda)
                   for name, file in prepared.graded.items() if file.problem}
        for results in blocked.values():
            if on_exercise:
                on_exercise(results)
        runnable = [exercise for name, exercise in exercises.items() if name not in blocked]
        graded = iter(isolation.run_exercises(runnable, workspace, limits, cuda, on_exercise))
        results = [r for name in exercises for r in (blocked[name] if name in blocked else next(graded))]
    return _result(submission, results, prepared, time.perf_counter() - start, layers.reported(limits.layers))


def _not_graded(exercise: Exercise, why: str, cuda: bool) -> list[CheckResult]:
    """Every case of an exercise whose file is there but cannot be graded (too large, unreadable)."""
    results = []
    for check in exercise.checks:
        for case in check.cases():
            if case.device == "cuda" and not cuda:
                results.append(skipped(check, case, i18n._(CUDA_SKIP_REASON)))
                continue
            device = case.device if check.per_device else None
            results.append(CheckResult(check.exercise, check.name, device, Outcome.ERROR, 0.0, case_points(check, cuda),
                                       why, hidden=check.hidden, tag=Tag.UNREADABLE_FILE))
    return results


def _result(submission: Path, results: list[CheckResult], prepared: Prepared, duration: float,
            sandbox: tuple[str, ...]) -> GradeResult:
    return GradeResult(
        str(submission), tuple(results), duration=duration, notes=prepared.notes,
        graded_files={name: file.path for name, file in prepared.graded.items()}, notices=prepared.notices,
        sandbox=sandbox,
    )
