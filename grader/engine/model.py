"""The result model: plain data, no I/O. Every reporter reads these classes."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from grader.engine.i18n import N_, _


class Outcome(str, enum.Enum):
    """What happened to one check case, as a learner or instructor sees it."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not_started"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        """The outcome in words, in the language in use (``value`` is the machine-readable name)."""
        return _(_LABELS[self])


_LABELS = {
    Outcome.PASSED: N_("passed"),
    Outcome.FAILED: N_("failed"),
    Outcome.NOT_STARTED: N_("not started"),
    Outcome.ERROR: N_("error"),
    Outcome.TIMEOUT: N_("timeout"),
    Outcome.CRASHED: N_("crashed"),
    Outcome.SKIPPED: N_("skipped"),
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one case (one check on one device) of one exercise."""

    exercise: str
    check: str
    device: str | None
    outcome: Outcome
    score: float
    max_score: float
    message: str = ""
    output: str = ""
    hidden: bool = False
    duration: float = 0.0

    @property
    def name(self) -> str:
        suffix = f"[{self.device}]" if self.device else ""
        return f"{self.exercise}::{self.check}{suffix}"

    @property
    def task_id(self) -> int:
        return exercise_number(self.exercise)


@dataclass(frozen=True)
class ExerciseScore:
    name: str
    score: float
    max_score: float
    outcomes: tuple[Outcome, ...]

    @property
    def status(self) -> str:
        """``done``, ``in progress`` or ``not started``: machine-readable, always English."""
        counted = [o for o in self.outcomes if o is not Outcome.SKIPPED]
        if counted and all(o is Outcome.NOT_STARTED for o in counted):
            return "not started"
        if all(o in (Outcome.PASSED, Outcome.SKIPPED) for o in self.outcomes):
            return "done"
        return "in progress"

    @property
    def status_label(self) -> str:
        """:attr:`status` in the language in use."""
        return _(_STATUS_LABELS[self.status])


_STATUS_LABELS = {"done": N_("done"), "in progress": N_("in progress"), "not started": N_("not started")}


@dataclass(frozen=True)
class GradeResult:
    """Everything one grading run found about one submission."""

    submission: str
    results: tuple[CheckResult, ...] = ()
    error: str | None = None
    duration: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.results), 6)

    def exercises(self) -> list[ExerciseScore]:
        names = sorted({r.exercise for r in self.results}, key=exercise_number)
        return [self._exercise(name) for name in names]

    def _exercise(self, name: str) -> ExerciseScore:
        mine = [r for r in self.results if r.exercise == name]
        return ExerciseScore(
            name=name,
            score=round(sum(r.score for r in mine), 6),
            max_score=round(sum(r.max_score for r in mine), 6),
            outcomes=tuple(r.outcome for r in mine),
        )


def exercise_number(name: str) -> int:
    """`ex05_dropout` -> 5; names that do not follow the pattern sort last."""
    digits = name[2:4]
    return int(digits) if name.startswith("ex") and digits.isdigit() else 99
