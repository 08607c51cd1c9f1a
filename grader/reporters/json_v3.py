"""Exercism's results format (version 3), with points per check and exercise.

Beyond the spec each test has ``tag`` (why it did not pass, from
:class:`grader.engine.model.Tag`, or null), ``hidden`` (an instructor-only
check), ``detail`` (the message as data: ``checked``, ``expected``, ``got``,
``hints`` from the gentlest to the most revealing, ``location``; or null) and
``same_as`` (the test whose message this one repeats, or null), so reports
and hints can be rebuilt from these files alone; ``sandbox`` lists the layers the student's code
ran in (empty when it ran in-process). Each exercise has ``file`` (the path graded, relative to the
submission, or null when none was found); the result has ``notices`` (files ignored, refused or too
large) and, from ``batch``, ``student`` (the name as it was in the class folder) and ``student_id``
(its folder, ``OUT/students/<id>/``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from grader.engine.model import CheckResult, GradeResult, Message, Outcome, Tag

OUTPUT_LIMIT = 500


def _status(outcome: Outcome) -> str:
    if outcome in (Outcome.PASSED, Outcome.SKIPPED):
        return "pass"
    if outcome is Outcome.FAILED or outcome is Outcome.NOT_STARTED:
        return "fail"
    return "error"


def _test(result: CheckResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "task_id": result.task_id,
        "status": _status(result.outcome),
        "outcome": result.outcome.value,
        "score": result.score,
        "max_score": result.max_score,
        "message": result.message,
        "output": result.output[:OUTPUT_LIMIT],
        "tag": result.tag.value if result.tag else None,
        "hidden": result.hidden,
        "detail": _detail(result.detail),
        "same_as": result.same_as,
    }


def _detail(detail: Message | None) -> dict[str, Any] | None:
    if detail is None:
        return None
    fields = asdict(detail)
    fields["hints"] = list(detail.hints)
    return fields


def to_dict(result: GradeResult) -> dict[str, Any]:
    if result.error:
        status = "error"
    elif all(r.outcome in (Outcome.PASSED, Outcome.SKIPPED) for r in result.results):
        status = "pass"
    else:
        status = "fail"
    data: dict[str, Any] = {
        "version": 3,
        "status": status,
        "score": result.score,
        "max_score": result.max_score,
        "exercises": [
            {"name": e.name, "score": e.score, "max_score": e.max_score, "file": result.graded_files.get(e.name),
             **({"note": result.notes[e.name]} if e.name in result.notes else {})}
            for e in result.exercises()
        ],
        "tests": [_test(r) for r in result.results],
        "notices": list(result.notices),
        "sandbox": list(result.sandbox),
    }
    if result.student_id or result.student_name:
        data.update(student=result.student_name, student_id=result.student_id)
    if result.error:
        data["message"] = result.error
    return data


def dumps(result: GradeResult) -> str:
    return json.dumps(to_dict(result), indent=2) + "\n"


def from_dict(data: dict[str, Any], submission: str) -> GradeResult:
    """The result again, from a file :func:`dumps` wrote (``output`` as shortened there).

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` for a file that is not one.
    """
    return GradeResult(
        submission=submission,
        results=tuple(_result(test) for test in data["tests"]),
        error=data.get("message") if data.get("status") == "error" else None,
        notes={e["name"]: str(e["note"]) for e in data.get("exercises", []) if e.get("note")},
        graded_files={e["name"]: str(e["file"]) for e in data.get("exercises", []) if e.get("file")},
        notices=tuple(str(n) for n in data.get("notices", [])),
        student_id=str(data.get("student_id", "")),
        student_name=str(data.get("student", "")),
        sandbox=tuple(str(name) for name in data.get("sandbox", ())),
    )


def _result(test: dict[str, Any]) -> CheckResult:
    exercise, _, rest = str(test["name"]).partition("::")
    check, _, device = rest.partition("[")
    return CheckResult(
        exercise=exercise,
        check=check,
        device=device.rstrip("]") or None,
        outcome=Outcome(test["outcome"]),
        score=float(test["score"]),
        max_score=float(test["max_score"]),
        message=str(test.get("message", "")),
        output=str(test.get("output", "")),
        hidden=bool(test.get("hidden", False)),
        tag=Tag(test["tag"]) if test.get("tag") else None,
        detail=_message(test.get("detail")),
        same_as=str(test["same_as"]) if test.get("same_as") else None,
    )


def _message(fields: Any) -> Message | None:
    if not isinstance(fields, dict):
        return None
    return Message(
        checked=str(fields.get("checked", "")), expected=str(fields.get("expected", "")), got=str(fields.get("got", "")),
        hints=tuple(str(h) for h in fields.get("hints", ())), location=str(fields.get("location", "")),
    )
