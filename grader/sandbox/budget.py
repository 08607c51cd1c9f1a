"""A time budget for one grading run, and results that are complete at every moment.

Platforms such as Gradescope kill the whole grading run at their time limit and
then keep only what is on disk. :class:`Progress` therefore builds a full result
from the start (every exercise not graded yet scores 0 with a message saying
so) and hands a fresh one to ``write`` as each exercise finishes; a kill at any
moment leaves every finished score. :func:`time_budget` stops grading before
the platform does, so the last write names the exercises the budget left out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import Callable, Iterator

from grader.engine.api import Exercise
from grader.engine.i18n import N_, _
from grader.engine.model import CheckResult, GradeResult, Outcome, Tag
from grader.sandbox.runner import CUDA_SKIP_REASON, case_points, cuda_available, skipped

NOT_GRADED_YET = N_(
    "Not graded: grading stopped before this exercise was reached (the platform's time limit?). "
    "Ask your instructor to grade it again."
)
BUDGET_SPENT = N_(
    "Not graded: the grader's time budget of {seconds} s ran out before this exercise was graded. "
    "Ask your instructor to grade it again."
)


class BudgetSpent(Exception):
    """Raised in the grading process when its time budget runs out."""


@contextlib.contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise :class:`BudgetSpent` in this (main) thread after ``seconds``; None or 0: no budget.

    Forked children do not inherit the timer; the grading loop ends its children as the exception passes.
    """
    if not seconds:
        yield
        return

    def spent(_signum: int, _frame: object) -> None:
        raise BudgetSpent(seconds)

    previous = signal.signal(signal.SIGALRM, spent)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def budget_message(seconds: float) -> str:
    return _(BUDGET_SPENT).format(seconds=f"{seconds:g}")


def ungraded(exercise: Exercise, cuda: bool, message: str) -> list[CheckResult]:
    """Every case of ``exercise`` at 0 points of its share, with ``message`` (CUDA cases skipped as usual)."""
    results = []
    for check in exercise.checks:
        for case in check.cases():
            if case.device == "cuda" and not cuda:
                results.append(skipped(check, case, _(CUDA_SKIP_REASON)))
                continue
            device = case.device if check.per_device else None
            results.append(CheckResult(check.exercise, check.name, device, Outcome.TIMEOUT, 0.0,
                                       case_points(check, cuda), message, hidden=check.hidden, tag=Tag.TIMEOUT))
    return results


class Progress:
    """The grade so far: finished exercises as graded, the others as :func:`ungraded`.

    ``write`` gets a complete :class:`GradeResult` at :meth:`start` and after every
    :meth:`finished` exercise (pass :meth:`finished` as ``grade_submission``'s ``on_exercise``).
    """

    def __init__(self, submission: str, exercises: dict[str, Exercise], write: Callable[[GradeResult], None]) -> None:
        os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # as grading does: CUDA stays uninitialised
        self.submission = submission
        self.exercises = exercises
        self.write = write
        self.cuda = cuda_available()
        self.done: dict[str, list[CheckResult]] = {}
        self.started = time.perf_counter()

    def start(self) -> None:
        self.write(self.result(_(NOT_GRADED_YET)))

    def finished(self, results: list[CheckResult]) -> None:
        if results:
            self.done[results[0].exercise] = results
            self.write(self.result(_(NOT_GRADED_YET)))

    def result(self, pending_message: str) -> GradeResult:
        """The grade now: what is done, and ``pending_message`` on every case of what is not."""
        results = [
            r
            for name, exercise in self.exercises.items()
            for r in self.done.get(name) or ungraded(exercise, self.cuda, pending_message)
        ]
        return GradeResult(self.submission, tuple(results), duration=time.perf_counter() - self.started)
