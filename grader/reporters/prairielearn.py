"""PrairieLearn's external grader ``results.json`` (docs/externalGrading.md of PrairieLearn).

``score`` is the fraction of the points earned (0 to 1); ``tests[]`` has one entry per
check case with ``points`` and ``max_points``. A submission the grader could not grade at
all is ``gradable: false`` with ``format_errors``: the student keeps the attempt.
PrairieLearn has no per-test visibility, so hidden checks are listed like the others.
"""

from __future__ import annotations

import json
from typing import Any

from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult
from grader.reporters.gradescope import skipped_cuda
from grader.reporters.terminal import points_table

OUTPUT_LIMIT = 2000  # results.json over 1 MiB fails the job


def _test(result: CheckResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "description": result.outcome.label,
        "points": result.score,
        "max_points": result.max_score,
        "message": result.message or result.outcome.label,
        "output": result.output[:OUTPUT_LIMIT],
    }


def to_dict(result: GradeResult) -> dict[str, Any]:
    if result.error:
        return not_gradable(result.error)
    shown = [r for r in result.results if not skipped_cuda(r)]
    lines = [*result.notices, *result.notes.values(), points_table(result)]
    skipped = len(result.results) - len(shown)
    if skipped:
        message = _("{count} checks on CUDA were skipped: this machine has no GPU (they count for nothing).")
        lines.append(message.format(count=skipped))
    return {
        "gradable": True,
        "score": result.score / result.max_score if result.max_score else 0.0,
        "message": "\n".join(lines),
        "tests": [_test(r) for r in shown],
    }


def not_gradable(error: str) -> dict[str, Any]:
    """The grader could not grade the submission: no points given or taken, the attempt kept."""
    message = _("The autograder could not grade this submission: {error}").format(error=error)
    return {"gradable": False, "score": 0.0, "message": message, "format_errors": [message], "tests": []}


def dumps(result: GradeResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"


def dumps_not_gradable(error: str) -> str:
    return json.dumps(not_gradable(error), indent=2, ensure_ascii=False) + "\n"
