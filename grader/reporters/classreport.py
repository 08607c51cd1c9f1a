"""The class at a glance: the numbers behind ``OUT/report.html``, read from a graded folder alone.

Two steps, each plain data and no HTML:

- :func:`read_class` turns a batch output folder into :class:`ClassData`, one
  :class:`StudentRow` per submission. It is the only code that knows the folder's
  layout and the JSON field names (see :func:`read_class`).
- :func:`analyse` turns that into a :class:`ClassReport`: the summary, who needs
  attention, the failures counted in students with one row per cause.

Points come from :mod:`grader.reporters.gradebook` (the very strings it writes to
``gradebook.csv``); checks, tags and messages from each ``results.json``.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.model import CheckResult, GradeResult, Outcome, Tag, exercise_number, expand_repeats, status_label
from grader.reporters import gradebook, json_v3

RESULTS = "results.json"
ERRORS = "grader-error.txt"  # what a grade command that failed printed last (written by batch)
STUDENTS = "students"  # OUT/students/<id>/: one folder per submission, when the batch writes that layout
RESERVED = frozenset({STUDENTS, "similarity"})  # folders of OUT that are never a student's
STATES = ("done", "in progress", "not started", "error")
# Not an attempt: a stub that still raises NotImplementedError, or a file never handed in.
NOT_ATTEMPTED = frozenset({Tag.NOT_STARTED, Tag.MISSING_FILE})
BROKEN = frozenset({Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED})
# Why a student needs attention, most urgent first.
NOT_GRADED, BROKEN_WORK, NOT_STARTED = "not graded", "error", "not started"
ATTENTION_KINDS = (NOT_GRADED, BROKEN_WORK, NOT_STARTED)
REASON_LIMIT = 160  # characters of a one-line reason


@dataclass(frozen=True)
class StudentRow:
    """One submission, as every page of the report shows it.

    ``id`` names its folder (unique, safe in a path and a URL); ``name`` is the
    student's own name as handed in (shown on the pages). ``files`` maps an
    exercise to the file that was graded for it, relative to the submission.
    ``problem`` says why the submission was not graded ("" when it was).
    """

    id: str
    name: str
    folder: Path  # where results.json and feedback.html live
    href: str  # that folder, relative to OUT, as a URL path ("ana" or "students/ana")
    row: dict[str, str]  # this student's gradebook.csv row, exactly as written there
    result: GradeResult | None  # None: no readable results.json (the grade itself failed)
    files: dict[str, str] = field(default_factory=dict)
    problem: str = ""

    @property
    def total(self) -> float | None:
        return float(self.row["total"]) if self.row.get("total") else None

    @property
    def max_score(self) -> float | None:
        return float(self.row["max_score"]) if self.row.get("max_score") else None

    @property
    def full_marks(self) -> bool:
        return self.total is not None and self.max_score is not None and 0 < self.max_score == self.total

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
class ClassData:
    """What :func:`read_class` found in a batch output folder."""

    folder: Path
    students: list[StudentRow]
    header: list[str]  # gradebook.csv's columns: student, name, one per exercise, total, max_score, status

    @property
    def exercises(self) -> list[str]:
        return gradebook.exercises(self.header)


@dataclass(frozen=True)
class Summary:
    submissions: int
    graded: int
    max_score: float | None
    q1: float | None
    median: float | None
    q3: float | None
    full_marks: int
    not_graded: int  # submissions without a readable result: the grade itself failed
    attention: int  # students listed under "Needs attention"


@dataclass(frozen=True)
class Attention:
    """A student who needs the instructor: the most urgent kind, and what was found (one line on the page)."""

    student: StudentRow
    kind: str  # one of ATTENTION_KINDS
    problem: str = ""  # why the submission was not graded, or the grading error
    broken: tuple[tuple[str, str], ...] = ()  # (exercise, what went wrong, in a line)
    not_started: tuple[str, ...] = ()  # exercises not started (stubs, or no file)


@dataclass(frozen=True)
class Cause:
    """One reason for lost points, counted in students.

    ``check`` is None when every check of the exercise failed the same way for a
    student (the file did not import, timed out, crashed): one cause, not one per check.
    """

    exercise: str
    check: str | None
    students: int  # students it hit
    tried: int  # students whose code ran for the check (for a whole exercise: who attempted it)
    tags: tuple[tuple[str, int], ...]  # the most common tags first, counted in students
    message: str  # the most common learner message
    message_count: int


@dataclass(frozen=True)
class ClassReport:
    exercises: list[str]
    students: list[StudentRow]
    summary: Summary
    states: dict[str, dict[str, int]]  # exercise -> state -> number of students
    causes: list[Cause]  # most students first; only causes that hit someone
    attention: list[Attention] = field(default_factory=list)
    tags: list[tuple[str, int]] = field(default_factory=list)  # tag -> students and causes it hit, class-wide
    header: list[str] = field(default_factory=list)  # gradebook.csv's columns


# --- reading the batch output folder ---------------------------------------------------------------


def find_students(out: Path) -> list[str]:
    """The student folders of a graded class (their ids), in gradebook order."""
    root = _root(Path(out))
    if not root.is_dir():
        return []
    skip = RESERVED if root == Path(out) else frozenset()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in skip)


def has_results(out: Path) -> bool:
    """Whether a batch wrote at least one student's results.json into ``out``."""
    root = _root(Path(out))
    return any((root / student / RESULTS).is_file() for student in find_students(out))


def _root(out: Path) -> Path:
    """Where the student folders are: ``OUT/students/`` when the batch wrote it, else ``OUT``."""
    return out / STUDENTS if (out / STUDENTS).is_dir() else out


def read_class(out: Path, students: list[str] | None = None) -> ClassData:
    """Every submission of a batch output folder, in one model the pages are drawn from.

    Reads ``OUT/students/<id>/results.json`` when ``OUT/students/`` exists, else
    ``OUT/<id>/results.json``. From each ``results.json`` (beyond the Exercism v3
    fields) it takes, where present: ``"student"``, the name as handed in (default:
    the folder's name), and per entry of ``"exercises"``, ``"file"``, the graded
    file relative to the submission (default: ``<exercise>.ipynb`` where a
    ``"note"`` says a notebook was graded, else ``<exercise>.py``). Why a
    submission was not graded comes from its ``"message"`` or the last line of
    ``grader-error.txt``.
    """
    out = Path(out)
    root = _root(out)
    ids = students if students is not None else find_students(out)
    header: list[str] = []
    rows = []
    for student in ids:
        columns, (row,) = gradebook.rows(root, [student])
        header = _merge(header, columns)
        rows.append(_student(out, root / student, row))
    if not header:
        header = gradebook.header([])
    return ClassData(out, rows, header)


def _merge(header: list[str], columns: list[str]) -> list[str]:
    return gradebook.header([*gradebook.exercises(header), *gradebook.exercises(columns)])


def _student(out: Path, folder: Path, row: dict[str, str]) -> StudentRow:
    data = _json(folder / RESULTS)
    result = _result(data, folder.name)
    name = data.get("student") if isinstance(data, dict) else None
    href = folder.relative_to(out).as_posix()
    return StudentRow(
        id=folder.name, name=name if isinstance(name, str) and name else folder.name, folder=folder, href=href,
        row=row, result=result, files=_files(data, result), problem=_problem(folder, data, result),
    )


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _result(data: dict, submission: str) -> GradeResult | None:
    if not data:
        return None
    try:
        return json_v3.from_dict(data, submission)
    except (KeyError, TypeError, ValueError):
        return None


def _files(data: dict, result: GradeResult | None) -> dict[str, str]:
    if result is None:
        return {}
    given = {e.get("name"): e for e in data.get("exercises", []) if isinstance(e, dict)}
    files = {}
    for exercise in result.exercises():
        entry = given.get(exercise.name, {})
        if isinstance(entry.get("file"), str):
            files[exercise.name] = entry["file"]
        elif not _handed_in(result, exercise.name):
            continue
        elif f"graded {exercise.name}.ipynb" in str(entry.get("note", "")) or ".ipynb:" in str(entry.get("note", "")):
            files[exercise.name] = f"{exercise.name}.ipynb"
        else:
            files[exercise.name] = f"{exercise.name}.py"
    return files


def _handed_in(result: GradeResult, exercise: str) -> bool:
    return not any(r.exercise == exercise and r.tag is Tag.MISSING_FILE for r in result.results)


def _problem(folder: Path, data: dict, result: GradeResult | None) -> str:
    if result is not None and not result.error:
        return ""
    if result is not None and result.error:
        return one_line(result.error)
    if isinstance(data.get("message"), str) and data["message"]:
        return one_line(data["message"])
    try:
        lines = (folder / ERRORS).read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return one_line(lines[-1]) if lines else ""


def one_line(text: str, limit: int = REASON_LIMIT) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# --- the numbers ---------------------------------------------------------------------------------


def load(out: Path, students: list[str] | None = None) -> ClassReport:
    return analyse(read_class(out, students))


def analyse(data: ClassData) -> ClassReport:
    students, exercises = data.students, data.exercises
    attention = needs_attention(students, exercises)
    causes = cause_stats(students)
    return ClassReport(
        exercises=exercises,
        students=students,
        summary=summarize(students, len(attention)),
        states={e: state_counts(students, e) for e in exercises},
        causes=causes,
        attention=attention,
        tags=tag_counts(causes),
        header=data.header,
    )


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3), interpolated linearly between order statistics (numpy's default)."""
    if not values:
        raise ValueError("quartiles of no values")
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def summarize(students: list[StudentRow], attention: int = 0) -> Summary:
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
        full_marks=sum(1 for s in students if s.full_marks),
        not_graded=sum(1 for s in students if s.result is None or s.result.error),
        attention=attention,
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


def state_counts(students: list[StudentRow], exercise: str) -> dict[str, int]:
    counts = Counter(s.state(exercise) for s in students)
    return {state: counts.get(state, 0) for state in STATES}


def needs_attention(students: list[StudentRow], exercises: list[str]) -> list[Attention]:
    """Students whose work was not graded, broke (import, crash, time or memory limit) or was not started.

    Never a student with full marks. Most urgent kind first, then by name.
    """
    found = [a for a in (_attention(s, exercises) for s in students) if a is not None]
    return sorted(found, key=lambda a: (ATTENTION_KINDS.index(a.kind), a.student.name.lower(), a.student.id))


def _attention(student: StudentRow, exercises: list[str]) -> Attention | None:
    if student.full_marks:
        return None
    if student.result is None or student.result.error:  # the grade itself failed (batch writes why)
        return Attention(student, NOT_GRADED, problem=student.problem)
    states = {e: exercise_state(student.result, e) for e in exercises}
    broken = tuple((e, _broken_reason(student.result, e)) for e in exercises if states[e] == "error")
    not_started = tuple(e for e in exercises if states[e] == "not started")
    if student.result.error or broken:
        return Attention(student, BROKEN_WORK, student.problem, broken, not_started)
    if not_started:
        return Attention(student, NOT_STARTED, not_started=not_started)
    return None


def _broken_reason(result: GradeResult, exercise: str) -> str:
    """The first two lines of the first broken case's message ("Importing x.py failed." and why), in one line."""
    for r in result.results:
        if r.exercise == exercise and r.outcome in BROKEN and r.tag not in NOT_ATTEMPTED:
            lines = [line.strip() for line in r.message.splitlines() if line.strip()][:2]
            return one_line(" ".join(lines) or r.outcome.label, 120)
    return ""


def cause_stats(students: list[StudentRow]) -> list[Cause]:
    """Why points were lost, counted in students: one row per check, or per exercise where all failed alike."""
    order: dict[tuple[str, str | None], int] = {}
    tried: Counter[tuple[str, str | None]] = Counter()
    tags: dict[tuple[str, str | None], Counter[str]] = {}
    messages: dict[tuple[str, str | None], Counter[str]] = {}
    for student in students:
        if student.result is None:
            continue
        for key, failure, attempted in student_causes(student.result):
            order.setdefault(key, len(order))
            tried[key] += attempted
            if failure is not None:
                tags.setdefault(key, Counter())[failure.tag.value if failure.tag else "untagged"] += 1
                messages.setdefault(key, Counter())[failure.message] += 1
    causes = []
    for key, counter in tags.items():
        message, count = messages[key].most_common(1)[0]
        causes.append(Cause(key[0], key[1], sum(counter.values()), tried[key], tuple(counter.most_common()),
                            message, count))
    return sorted(causes, key=lambda c: (-c.students, exercise_number(c.exercise), order[(c.exercise, c.check)]))


def student_causes(result: GradeResult):
    """(exercise, check or None), the failure or None, and whether it was attempted: this student's causes.

    Where every counted case of an exercise failed with one and the same message (an
    import error, a time-out at import), the exercise is one cause with check None.
    """
    by_exercise: dict[str, dict[str, list[CheckResult]]] = {}
    for r in expand_repeats(result.results):  # "same error as …" counts as the error it repeats
        if r.outcome is not Outcome.SKIPPED:
            by_exercise.setdefault(r.exercise, {}).setdefault(r.check, []).append(r)
    for exercise, checks in by_exercise.items():
        cases = [r for mine in checks.values() for r in mine]
        whole = _failed_alike(cases) if len(checks) > 1 else None
        yield (exercise, None), whole, _attempted(cases)
        if whole is not None:
            continue
        for check, mine in checks.items():
            yield (exercise, check), _first_failure(mine), _attempted(mine)


def _failed_alike(cases: list[CheckResult]) -> CheckResult | None:
    if any(r.outcome is Outcome.PASSED or r.tag in NOT_ATTEMPTED for r in cases):
        return None
    return cases[0] if len({(r.message, r.tag) for r in cases}) == 1 else None


def _first_failure(cases: list[CheckResult]) -> CheckResult | None:
    failures = [r for r in cases if r.outcome is not Outcome.PASSED and r.tag not in NOT_ATTEMPTED]
    return failures[0] if failures else None


def _attempted(cases: list[CheckResult]) -> bool:
    return all(r.outcome is Outcome.PASSED for r in cases) or not all(
        r.tag in NOT_ATTEMPTED for r in cases if r.outcome is not Outcome.PASSED)


def tag_counts(causes: list[Cause]) -> list[tuple[str, int]]:
    """How often each tag was why a student lost points (once per student and cause), most common first."""
    counts: Counter[str] = Counter()
    for cause in causes:
        counts.update(dict(cause.tags))
    return counts.most_common()
