"""GitHub Classroom: the result of an autograding runner, and the job summary.

Classroom's own grader actions (``classroom-resources/autograding-command-grader`` and
``-python-grader``) set a step output ``result``: the base64 of a JSON object
``{version, status, max_score, tests: [{name, status, score, message, ...}]}``.
``classroom-resources/autograding-grading-reporter`` decodes it from the environment
variable ``<RUNNER ID>_RESULTS``, adds up the tests' ``score`` against ``max_score``
and hands the points to Classroom. :func:`encode` writes that output for one runner
that grades every exercise. Status per test: ``pass``, ``fail`` (a wrong or missing
answer) or ``error`` (the code crashed, ran out of time or memory).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult, Outcome
from grader.reporters.gradescope import skipped_cuda

VERSION = 1
MESSAGE_LIMIT = 500  # GitHub caps a job's outputs at 1 MiB in all


def _status(outcome: Outcome) -> str:
    if outcome in (Outcome.PASSED, Outcome.SKIPPED):
        return "pass"
    if outcome in (Outcome.FAILED, Outcome.NOT_STARTED):
        return "fail"
    return "error"


def _test(result: CheckResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "status": _status(result.outcome),
        "score": result.score,
        "max_score": result.max_score,
        "message": result.message[:MESSAGE_LIMIT],
        "test_code": "",
        "filename": "",
        "line_no": 0,
        "duration": round(result.duration * 1000),
    }


def to_dict(result: GradeResult) -> dict[str, Any]:
    tests = [r for r in result.results if not skipped_cuda(r)]
    if result.error:
        status = "error"
    elif all(r.outcome in (Outcome.PASSED, Outcome.SKIPPED) for r in tests):
        status = "pass"
    else:
        status = "fail"
    return {"version": VERSION, "status": status, "max_score": result.max_score, "tests": [_test(r) for r in tests]}


def encode(result: GradeResult) -> str:
    """The runner's ``result`` output: base64 of the JSON, one line."""
    return base64.b64encode(json.dumps(to_dict(result), ensure_ascii=False).encode("utf-8")).decode("ascii") + "\n"


def summary(result: GradeResult) -> str:
    """A Markdown table of points per exercise, for ``$GITHUB_STEP_SUMMARY``."""
    exercise, points, status = _("exercise"), _("points"), _("status")
    lines = [f"| {exercise} | {points} | {status} |", "| --- | ---: | --- |"]
    for row in result.exercises():
        lines.append(f"| {row.name} | {row.score:g} / {row.max_score:g} | {row.status_label} |")
    lines.append(f"| **{_('total')}** | **{result.score:g} / {result.max_score:g}** | |")
    notes = [*result.notices, *result.notes.values()]
    if result.error:
        notes.insert(0, _("Grading error: {error}").format(error=result.error))
    return "\n".join(lines + (["", "```", *notes, "```"] if notes else [])) + "\n"
