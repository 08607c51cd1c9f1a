"""Plain-text summaries for the terminal."""

from __future__ import annotations

import unicodedata

from grader.engine.i18n import _
from grader.engine.model import GradeResult, Outcome


def _points(value: float) -> str:
    return f"{value:g}"


def points_table(result: GradeResult) -> str:
    """One row per exercise, then the total: ``ex05_dropout   3 / 6   in progress``."""
    rows = result.exercises()
    total = _("total")
    width = max([len(r.name) for r in rows] + [_width(total)])
    lines = [
        f"{r.name:<{width}}  {_points(r.score):>5} / {_points(r.max_score):<5} {r.status_label}" for r in rows
    ]
    lines.append(f"{_pad(total, width)}  {_points(result.score):>5} / {_points(result.max_score):<5}")
    return "\n".join(lines)


def check_lines(result: GradeResult, messages: bool = True) -> str:
    """One line per check case, with the learner message under each one that did not pass."""
    lines = []
    for r in result.results:
        lines.append(f"{_pad(r.outcome.label.upper(), 11)} {r.name}  ({_points(r.score)}/{_points(r.max_score)})")
        if messages and r.outcome not in (Outcome.PASSED, Outcome.SKIPPED, Outcome.NOT_STARTED) and r.message:
            lines.extend("    " + line for line in r.message.splitlines())
    return "\n".join(lines)


def report(result: GradeResult) -> str:
    parts = [*result.notices, *result.notes.values(), check_lines(result), "", points_table(result)]
    if result.sandbox:
        parts.append(_("sandbox: {layers}").format(layers=", ".join(result.sandbox)))
    if result.error:
        parts.append("\n" + _("Grading error: {error}").format(error=result.error))
    return "\n".join(parts)


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
