"""``OUT/report.html`` and ``OUT/<student>/feedback.html``: jinja2 templates, autoescaped.

Each page is one self-contained file: styles inline, figures inline SVG, no
JavaScript, nothing fetched (a Content-Security-Policy says so to the browser).
Whatever a submission printed, raised or is named is escaped text. Texts follow
the language in use through jinja2's i18n extension and the kit's catalog; a
translation is escaped like any other text, and so are its placeholders.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
import markupsafe

from grader.engine.i18n import N_, _, language, ngettext
from grader.engine.model import CheckResult, GradeResult, Tag
from grader.reporters import classreport, figures
from grader.reporters.classreport import ClassReport

REPORT = "report.html"
FEEDBACK = "feedback.html"
OUTPUT_LIMIT = 300
HTML_LANG = {"zh": "zh-Hans"}  # the page's lang attribute, where it differs from the catalog's code
# gradebook.csv's own columns, as the students table shows them (the CSV keeps these names)
COLUMNS = {"student": N_("student"), "total": N_("total"), "max_score": N_("max. points"), "status": N_("status")}


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


def report_page(report: ClassReport, folder: str) -> str:
    drawn = {"histogram": figures.histogram(report), "states": figures.exercise_states(report),
             "heatmap": figures.heat_map(report)}
    return environment().get_template(REPORT).render(
        report=report, summary=report.summary, exercises=report.exercises, states=classreport.STATES,
        figures=drawn, folder=folder, meanings={t.value: _(t.meaning) for t in Tag},
        state_label=classreport.state_label, columns={k: _(v) for k, v in COLUMNS.items()}, lang=_html_lang(),
    )


def feedback_page(student: str, result: GradeResult | None) -> str:
    checks: dict[str, list[CheckResult]] = {}
    for r in result.results if result else ():
        checks.setdefault(r.exercise, []).append(r)
    return environment().get_template(FEEDBACK).render(
        student=student, result=result, exercises=result.exercises() if result else [],
        checks=checks, output_limit=OUTPUT_LIMIT, lang=_html_lang(),
    )


def _html_lang() -> str:
    return HTML_LANG.get(language(), language())


def write(out: Path, students: list[str] | None = None) -> Path:
    """Write the class report and every student's feedback page from the results in ``out``."""
    out = Path(out)
    report = classreport.load(out, students)
    for student in report.students:
        (out / student.name / FEEDBACK).write_text(feedback_page(student.row.get("student", student.name), student.result))
    path = out / REPORT
    path.write_text(report_page(report, out.name))
    return path
