"""The class at a glance: the numbers behind ``OUT/report.html``, read from a graded folder alone.

Points come from :mod:`grader.reporters.gradebook` (the very strings it writes to
``gradebook.csv``), checks, tags and messages from each ``OUT/<student>/results.json``.
Plain data, no I/O beyond reading those files, no HTML.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.model import GradeResult, Outcome, Tag, exercise_number, status_label
from grader.reporters import gradebook, json_v3

RESULTS = "results.json"
STATES = ("done", "in progress", "not started", "error")
# Not an attempt: a stub that still raises NotImplementedError, or a file never handed in.
NOT_ATTEMPTED = frozenset({Tag.NOT_STARTED, Tag.MISSING_FILE})
BROKEN = frozenset({Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED})


@dataclass(frozen=True)
class Student:
    name: str
    row: dict[str, str]  # this student's gradebook.csv row, exactly as written there
    result: GradeResult | None  # None: no readable results.json (the grade itself failed)

    @property
    def total(self) -> float | None:
        return float(self.row["total"]) if self.row.get("total") else None

    @property
    def max_score(self) -> float | None:
        return float(self.row["max_score"]) if self.row.get("max_score") else None

    def state(self, exercise: str) -> str:
        if self.result is None or self.result.error:
            return "error"
        return exercise_state(self.result, exercise)

    def fraction(self, exercise: str) -> float | None:
        """Points over maximum for one exercise; None where it was not graded."""
        if self.result is None:
            return None
        for e in self.result.exercises():
            if e.name == exercise and e.max_score > 0:
                return e.score / e.max_score
        return None


@dataclass(frozen=True)
class Summary:
    submissions: int
    graded: int
    max_score: float | None
    q1: float | None
    median: float | None
    q3: float | None
    full_marks: int
    errors: int  # submissions the grader could not grade, or graded with an error


@dataclass(frozen=True)
class CheckStat:
    """One check across the class: how many students tried it, how many failed, and why."""

    exercise: str
    check: str
    attempted: int
    failed: int
    tags: tuple[tuple[str, int], ...]  # the most common tags first
    message: str  # the most common learner message among the failures
    message_count: int


@dataclass(frozen=True)
class ClassReport:
    exercises: list[str]
    students: list[Student]
    summary: Summary
    states: dict[str, dict[str, int]]  # exercise -> state -> number of students
    checks: list[CheckStat]  # sorted by failures, most first; only checks someone failed
    tags: list[tuple[str, int]] = field(default_factory=list)  # tag -> failed checks, class-wide
    header: list[str] = field(default_factory=list)  # gradebook.csv's columns


def find_students(out: Path) -> list[str]:
    """The student folders of a graded class, relative to ``out``: ``students/<id>``, or ``<student>`` (older layout)."""
    students = Path(out) / "students"
    if students.is_dir():
        return sorted(f"students/{p.name}" for p in students.iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(p.name for p in Path(out).iterdir() if p.is_dir() and not p.name.startswith("."))


def load(out: Path, students: list[str] | None = None) -> ClassReport:
    out = Path(out)
    names = students if students is not None else find_students(out)
    header, rows = gradebook.rows(out, names)
    loaded = [Student(row["folder"], row, _read(out / row["folder"] / RESULTS)) for row in rows]
    exercises = gradebook.exercises(header)
    checks = check_stats(loaded)
    return ClassReport(
        exercises=exercises,
        students=loaded,
        summary=summarize(loaded),
        states={e: state_counts(loaded, e) for e in exercises},
        checks=checks,
        tags=tag_counts(checks),
        header=header,
    )


def _read(path: Path) -> GradeResult | None:
    try:
        return json_v3.from_dict(json.loads(path.read_text()), path.parent.name)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3), interpolated linearly between order statistics (numpy's default)."""
    if not values:
        raise ValueError("quartiles of no values")
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def summarize(students: list[Student]) -> Summary:
    totals = [s.total for s in students if s.total is not None]
    maxima = Counter(s.max_score for s in students if s.max_score is not None)
    max_score = maxima.most_common(1)[0][0] if maxima else None
    q1, median, q3 = quartiles(totals) if totals else (None, None, None)
    return Summary(
        submissions=len(students),
        graded=len(totals),
        max_score=max_score,
        q1=q1,
        median=median,
        q3=q3,
        full_marks=sum(1 for s in students if s.total is not None and s.total == s.max_score and s.total > 0),
        errors=sum(1 for s in students if s.result is None or s.result.error),
    )


def state_label(state: str) -> str:
    """One of :data:`STATES` in the language in use: an exercise status, or the outcome "error"."""
    return Outcome.ERROR.label if state == "error" else status_label(state)


def exercise_state(result: GradeResult, exercise: str) -> str:
    """done / in progress / not started / error (an exception, a time-out or a crash) for one exercise."""
    mine = [r for r in result.results if r.exercise == exercise and r.outcome is not Outcome.SKIPPED]
    if all(r.outcome is Outcome.PASSED for r in mine):
        return "done" if mine else "not started"
    if all(r.tag in NOT_ATTEMPTED for r in mine):
        return "not started"
    if any(r.outcome in BROKEN and r.tag not in NOT_ATTEMPTED for r in mine):
        return "error"
    return "in progress"


def state_counts(students: list[Student], exercise: str) -> dict[str, int]:
    counts = Counter(s.state(exercise) for s in students)
    return {state: counts.get(state, 0) for state in STATES}


def check_stats(students: list[Student]) -> list[CheckStat]:
    """Per check: students who tried it, who failed it, their tags and most common message."""
    order: dict[tuple[str, str], int] = {}
    attempted: Counter[tuple[str, str]] = Counter()
    tags: dict[tuple[str, str], Counter[str]] = {}
    messages: dict[tuple[str, str], Counter[str]] = {}
    for student in students:
        if student.result is None:
            continue
        for key, failure, tried in _verdicts(student.result):
            order.setdefault(key, len(order))
            attempted[key] += tried
            if failure is not None:
                tags.setdefault(key, Counter())[failure.tag.value if failure.tag else "untagged"] += 1
                messages.setdefault(key, Counter())[failure.message] += 1
    stats = []
    for key, counter in tags.items():
        message, count = messages[key].most_common(1)[0]
        stats.append(CheckStat(key[0], key[1], attempted[key], sum(counter.values()),
                               tuple(counter.most_common()), message, count))
    return sorted(stats, key=lambda c: (-c.failed, exercise_number(c.exercise), order[(c.exercise, c.check)]))


def _verdicts(result: GradeResult):
    """(exercise, check), its first failing case or None, and whether it was attempted; one per check."""
    cases: dict[tuple[str, str], list] = {}
    for r in result.results:
        if r.outcome is not Outcome.SKIPPED:
            cases.setdefault((r.exercise, r.check), []).append(r)
    for key, mine in cases.items():
        tried = not all(r.tag in NOT_ATTEMPTED for r in mine if r.outcome is not Outcome.PASSED) or all(
            r.outcome is Outcome.PASSED for r in mine)
        failures = [r for r in mine if r.outcome is not Outcome.PASSED and r.tag not in NOT_ATTEMPTED]
        yield key, (failures[0] if failures else None), tried


def tag_counts(checks: list[CheckStat]) -> list[tuple[str, int]]:
    """How many failed checks carry each tag, over the whole class, most common first."""
    counts: Counter[str] = Counter()
    for check in checks:
        counts.update(dict(check.tags))
    return counts.most_common()
