"""The notebook's rich display of a result: an HTML table, and plain text where HTML is not shown."""

from __future__ import annotations

from html import escape

from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult, Outcome
from grader.reporters import terminal

_COLOURS = {
    Outcome.PASSED: "#1a7f37", Outcome.FAILED: "#cf222e", Outcome.NOT_STARTED: "#9a6700",
    Outcome.ERROR: "#cf222e", Outcome.TIMEOUT: "#cf222e", Outcome.CRASHED: "#cf222e", Outcome.SKIPPED: "#57606a",
}
_CELL = 'style="text-align:left;padding:2px 8px;vertical-align:top"'


def text(result: GradeResult) -> str:
    return terminal.report(result)


def html(result: GradeResult) -> str:
    heads = (_("check"), _("status"), _("points"))
    rows = ["<tr>" + "".join(f"<th {_CELL}>{escape(head)}</th>" for head in heads) + "</tr>"]
    rows += [_row(r) for r in result.results]
    for exercise in result.exercises():
        rows.append(
            f"<tr><th {_CELL}>{escape(exercise.name)}</th><th {_CELL}>{escape(exercise.status_label)}</th>"
            f"<th {_CELL}>{_points(exercise.score)} / {_points(exercise.max_score)}</th></tr>"
        )
    return f'<table style="border-collapse:collapse">{"".join(rows)}</table>'


def _row(r: CheckResult) -> str:
    colour = _COLOURS[r.outcome]
    name = escape(f"{r.check}[{r.device}]" if r.device else r.check)
    row = (
        f"<tr><td {_CELL}><code>{name}</code></td>"
        f'<td {_CELL}><span style="color:{colour};font-weight:bold">{escape(r.outcome.label.upper())}</span></td>'
        f"<td {_CELL}>{_points(r.score)} / {_points(r.max_score)}</td></tr>"
    )
    if r.outcome in (Outcome.PASSED, Outcome.SKIPPED) or not r.message:
        return row
    return row + f'<tr><td colspan="3" {_CELL}><pre style="margin:0 0 4px 16px">{escape(r.message)}</pre></td></tr>'


def _points(value: float) -> str:
    return escape(f"{value:g}")
