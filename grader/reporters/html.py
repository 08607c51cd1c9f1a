"""``OUT/report.html``, each student's ``feedback.html`` and ``OUT/similarity/*.html``: jinja2 templates, autoescaped.

Each page is one self-contained file: styles inline, figures inline SVG, no
JavaScript, nothing fetched (a Content-Security-Policy says so to the browser).
Whatever a submission printed, raised or is named is escaped text. Texts follow
the language in use through jinja2's i18n extension and the kit's catalog; a
translation is escaped like any other text, and so are its placeholders.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import markupsafe

from grader.engine.i18n import N_, _, language, ngettext
from grader.engine.model import CheckResult, GradeResult, Outcome, Tag
from grader.reporters import classreport, figures, similarity
from grader.reporters.classreport import ClassReport

REPORT = "report.html"
FEEDBACK = "feedback.html"
PAIR = "pair.html"
OUTPUT_LIMIT = 300
HTML_LANG = {"zh": "zh-Hans"}  # the page's lang attribute, where it differs from the catalog's code
# gradebook.csv's own columns, as the students table shows them (the CSV keeps these names)
COLUMNS = {"student": N_("student"), "name": N_("name"), "total": N_("total"), "max_score": N_("max. points"),
           "status": N_("status")}


def _points(value: float | None) -> str:
    return "–" if value is None else f"{round(value, 2):g}"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    hidden = len(text) - limit
    more = ngettext("({n} more character not shown)", "({n} more characters not shown)", hidden).format(n=hidden)
    return text[:limit].rstrip() + "\n… " + more


def _gettext(message: str) -> markupsafe.Markup:
    return markupsafe.escape(_(message))


def _ngettext(singular: str, plural: str, n: int) -> markupsafe.Markup:
    return markupsafe.escape(ngettext(singular, plural, n))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.reporters", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    env.filters["points"] = _points
    env.filters["shorten"] = _shorten
    return env


CAUSE_LIMIT = 15  # cause rows shown at once; the rest fold away
OPEN_LIMIT = 40  # a students table longer than this starts folded
KINDS = {classreport.NOT_GRADED: N_("not graded"), classreport.BROKEN_WORK: N_("error"),
         classreport.NOT_STARTED: N_("not started")}
# gradebook.csv's status column, in words (the CSV keeps the machine-readable value)
STATUS_WORDS = {"pass": N_("passed"), "fail": N_("failed"), "error": N_("error"), "not graded": N_("not graded")}


def report_page(report: ClassReport, folder: str, similar: similarity.Similarity | None = None) -> str:
    drawn = {"histogram": figures.histogram(report)}
    return environment().get_template(REPORT).render(
        report=report, summary=report.summary, exercises=report.exercises, states=classreport.STATES,
        figures=drawn, folder=folder, meanings={t.value: _(t.meaning) for t in Tag}, similarity=similar,
        state_label=classreport.state_label, columns={k: _(v) for k, v in COLUMNS.items()}, lang=_html_lang(),
        kind_label=lambda kind: _(KINDS[kind]), reason=reason, cell=cell, status_word=status_word,
        cause_limit=CAUSE_LIMIT, open_limit=OPEN_LIMIT,
    )


def reason(attention: classreport.Attention) -> str:
    """What was found, in one line: why it was not graded, which exercises broke and how, what was not started."""
    parts = [attention.problem] if attention.problem else []
    parts += [f"{exercise}: {why}" for exercise, why in attention.broken]
    if attention.not_started:
        parts.append(_("not started: {exercises}").format(exercises=", ".join(attention.not_started)))
    if attention.kind == classreport.NOT_GRADED and not attention.problem:
        parts.append(_("the grader wrote no result for this submission"))
    return "; ".join(parts)


def cell(student: classreport.StudentRow, exercise: str) -> str:
    """How a points cell is coloured: full, part, zero (attempted), not-started or not-graded."""
    fraction = student.fraction(exercise)
    if fraction is None or student.result is None:
        return "not-graded"
    if fraction >= 1:
        return "full"
    if student.state(exercise) == "not started":
        return "not-started"
    return "part" if fraction > 0 else "zero"


def status_word(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


@dataclass(frozen=True)
class Skipped:
    """Checks that were not run, on one line: how many, why, in which exercises."""

    reason: str
    count: int
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseView:
    name: str
    file: str | None
    score: float
    max_score: float
    state: str


def feedback_page(student: classreport.StudentRow, withhold_hidden: bool = False) -> str:
    """The student's own page: their file per exercise, points, and what each check found.

    Hidden checks show their title, points and outcome only; with ``withhold_hidden``
    they are left out entirely (and out of the points on this page). Skipped checks
    are summed up in one line per reason. Links stay on the page.
    """
    result = student.result
    if result is not None and withhold_hidden:
        result = replace(result, results=tuple(r for r in result.results if not r.hidden))
    checks: dict[str, list[CheckRow]] = {}
    for r in result.results if result else ():
        if r.outcome is not Outcome.SKIPPED:
            _add_row(checks.setdefault(r.exercise, []), r)
    return environment().get_template(FEEDBACK).render(
        student=student, result=result, exercises=_exercise_views(student, result), checks=checks,
        skipped=_skipped(result), score=result.score if result else None,
        max_score=result.max_score if result else None, state_label=classreport.state_label,
        output_limit=OUTPUT_LIMIT, lang=_html_lang(),
    )


@dataclass(frozen=True)
class CheckRow:
    """Checks of one exercise shown as one row: one check, or several that failed with the very same message."""

    cases: tuple[CheckResult, ...]

    @property
    def first(self) -> CheckResult:
        return self.cases[0]

    @property
    def names(self) -> list[str]:
        return [r.check + (f"[{r.device}]" if r.device else "") for r in self.cases]

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.cases), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.cases), 6)


def _add_row(rows: list[CheckRow], result: CheckResult) -> None:
    """Add a case to its exercise's rows, joining the row of an earlier case that failed the same way."""
    key = (result.outcome, result.message, result.tag, result.hidden)
    if result.outcome is not Outcome.PASSED and not result.hidden:
        for index, row in enumerate(rows):
            first = row.first
            if (first.outcome, first.message, first.tag, first.hidden) == key:
                rows[index] = CheckRow((*row.cases, result))
                return
    rows.append(CheckRow((result,)))


def _exercise_views(student: classreport.StudentRow, result: GradeResult | None) -> list[ExerciseView]:
    if result is None:
        return []
    return [ExerciseView(e.name, student.files.get(e.name), e.score, e.max_score,
                         "error" if result.error else classreport.exercise_state(result, e.name))
            for e in result.exercises()]


def _skipped(result: GradeResult | None) -> list[Skipped]:
    found: dict[str, list[str]] = {}
    for r in result.results if result else ():
        if r.outcome is Outcome.SKIPPED:
            found.setdefault(r.message or _("skipped"), []).append(r.exercise)
    return [Skipped(why, len(names), tuple(dict.fromkeys(names))) for why, names in found.items()]


def _html_lang() -> str:
    return HTML_LANG.get(language(), language())


def write(out: Path, students: list[str] | None = None, withhold_hidden: bool = False,
          similar: similarity.Similarity | None = None) -> Path:
    """Write the class report and every student's feedback page from the results in ``out``.

    ``similar``: the similarity of the submissions (:func:`grader.reporters.similarity.compare`);
    when None, what ``OUT/similarity.json`` holds, if anything. Its pairs' side-by-side
    pages are written to ``OUT/similarity/``.
    """
    out = Path(out)
    report = classreport.load(out, students)
    for student in report.students:
        student.folder.mkdir(parents=True, exist_ok=True)
        (student.folder / FEEDBACK).write_text(feedback_page(student, withhold_hidden))
    if similar is None:
        similar = similarity.read(out)
    if similar is not None:
        similarity.write_pages(out, similar, _pair_page)
    path = out / REPORT
    path.write_text(report_page(report, out.name, similar))
    return path


def _pair_page(pair: similarity.Pair) -> str:
    return environment().get_template(PAIR).render(pair=pair, segments=similarity.segments, lang=_html_lang())
