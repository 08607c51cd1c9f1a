"""Gradescope's ``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/)."""

from __future__ import annotations

import json
from typing import Any

from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult, Outcome
from grader.reporters.terminal import points_table

OUTPUT_LIMIT = 2000


def _test(result: CheckResult) -> dict[str, Any]:
    text = result.message or result.outcome.label
    if result.output:
        text += "\n\n" + _("Your code printed:") + "\n" + result.output[:OUTPUT_LIMIT]
    return {
        "name": f"{result.name} ({result.outcome.label})",
        "number": f"{result.task_id}",
        "score": result.score,
        "max_score": result.max_score,
        "status": "passed" if result.outcome in (Outcome.PASSED, Outcome.SKIPPED) else "failed",
        "output": text,
        "visibility": visibility(result),
        "tags": [result.tag.value] if result.tag else [],
    }


def visibility(result: CheckResult) -> str:
    """Hidden checks are shown once grades are published; every other check at once."""
    return "after_published" if result.hidden else "visible"


def to_dict(result: GradeResult) -> dict[str, Any]:
    output = points_table(result)
    if result.error:
        output = _("The autograder could not grade this submission: {error}").format(error=result.error) + f"\n\n{output}"
    return {
        "score": result.score,
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test(r) for r in result.results],
    }


def dumps(result: GradeResult) -> str:
    return json.dumps(to_dict(result), indent=2) + "\n"
