"""``OUT/report.html`` and ``OUT/<student>/feedback.html``: jinja2 templates, autoescaped.

Each page is one self-contained file: styles inline, figures inline SVG, no
JavaScript, nothing fetched (a Content-Security-Policy says so to the browser).
Whatever a submission printed, raised or is named is escaped text.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from grader.engine.model import CheckResult, GradeResult, Tag
from grader.reporters import classreport, figures
from grader.reporters.classreport import ClassReport

REPORT = "report.html"
FEEDBACK = "feedback.html"
OUTPUT_LIMIT = 300


def _points(value: float | None) -> str:
    return "–" if value is None else f"{round(value, 2):g}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + f"\n… ({len(text) - limit} more characters not shown)"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.reporters", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["points"] = _points
    env.filters["shorten"] = _shorten
    return env


def report_page(report: ClassReport, folder: str) -> str:
    drawn = {"histogram": figures.histogram(report), "states": figures.exercise_states(report),
             "heatmap": figures.heat_map(report)}
    return environment().get_template(REPORT).render(
        report=report, summary=report.summary, exercises=report.exercises, states=classreport.STATES,
        figures=drawn, folder=folder, meanings={t.value: t.meaning for t in Tag},
    )


def feedback_page(student: str, result: GradeResult | None) -> str:
    checks: dict[str, list[CheckResult]] = {}
    for r in result.results if result else ():
        checks.setdefault(r.exercise, []).append(r)
    return environment().get_template(FEEDBACK).render(
        student=student, result=result, exercises=result.exercises() if result else [],
        checks=checks, output_limit=OUTPUT_LIMIT,
    )


def write(out: Path, students: list[str] | None = None) -> Path:
    """Write the class report and every student's feedback page from the results in ``out``."""
    out = Path(out)
    report = classreport.load(out, students)
    for student in report.students:
        (out / student.name / FEEDBACK).write_text(feedback_page(student.name, student.result))
    path = out / REPORT
    path.write_text(report_page(report, out.name))
    return path
