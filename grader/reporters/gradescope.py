"""Gradescope's ``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

- Test names are the check's stable name (``ex05_dropout::network_on_device[cpu]``); the
  outcome is in ``status``, so a test keeps its name from one submission to the next.
- Checks on CUDA that this machine skipped are not listed as 0-point tests; one line of the
  top-level output says how many were skipped.
- Hidden (instructor-only) checks are ``after_published``, and the top-level output, which
  students see at once, counts only the checks they may see.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult, Outcome
from grader.reporters.terminal import points_table

OUTPUT_LIMIT = 2000
FORMAT = "text"  # every output and name is plain text, shown as written


def _test(result: CheckResult) -> dict[str, Any]:
    text = result.message or result.outcome.label
    if result.output:
        text += "\n\n" + _("Your code printed:") + "\n" + result.output[:OUTPUT_LIMIT]
    return {
        "name": result.name,
        "name_format": FORMAT,
        "number": f"{result.task_id}",
        "score": result.score,
        "max_score": result.max_score,
        "status": "passed" if result.outcome in (Outcome.PASSED, Outcome.SKIPPED) else "failed",
        "output": text,
        "output_format": FORMAT,
        "visibility": visibility(result),
        "tags": [result.tag.value] if result.tag else [],
    }


def visibility(result: CheckResult) -> str:
    """Hidden checks are shown once grades are published; every other check at once."""
    return "after_published" if result.hidden else "visible"


def skipped_cuda(result: CheckResult) -> bool:
    """A CUDA case this machine could not run: worth nothing here, so not a test of its own."""
    return result.outcome is Outcome.SKIPPED and result.device == "cuda" and result.max_score == 0


def _output(result: GradeResult, shown: list[CheckResult]) -> str:
    visible = [r for r in shown if not r.hidden]
    parts = [*result.notices, *result.notes.values()]
    if result.error:
        parts.insert(0, _("The autograder could not grade this submission: {error}").format(error=result.error) + "\n")
    parts.append(points_table(replace(result, results=tuple(visible))))
    hidden = len(shown) - len(visible)
    if hidden:
        parts.append(_("{count} more checks are graded; they are shown once grades are published.").format(count=hidden))
    skipped = len(result.results) - len(shown)
    if skipped:
        message = _("{count} checks on CUDA were skipped: this machine has no GPU (they count for nothing).")
        parts.append(message.format(count=skipped))
    return "\n".join(parts)


def to_dict(result: GradeResult) -> dict[str, Any]:
    shown = [r for r in result.results if not skipped_cuda(r)]
    return {
        "score": result.score,
        "execution_time": round(result.duration),
        "output": _output(result, shown),
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test(r) for r in shown],
    }


def dumps(result: GradeResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
