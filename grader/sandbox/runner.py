"""The judge's side of a case, in the grader's own process.

The probe's side (:mod:`grader.sandbox.probe`, next to the student's code) ends in a
:class:`~grader.sandbox.protocol.ProbeEvent`: what was observed, or why nothing was.
:func:`verdict` alone turns it into an outcome. The in-process runner
(:func:`run_case`) and the isolated one use the same two halves.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import torch

from grader.checks.withheld import Withheld
from grader.engine.api import Case, Check, CheckFailed, RegistrationError
from grader.engine.i18n import N_, _
from grader.sandbox.loading import SubmissionLoader
from grader.engine.model import CheckResult, Message, Outcome, Tag
from grader.sandbox.probe import probe_case
from grader.sandbox.protocol import ProbeEvent

TIMEOUT_MESSAGE = N_("Took longer than {seconds} s: look for an endless loop, a sleep, or far too much work per call.")
OUT_OF_MEMORY = N_("Out of memory (MemoryError): look for a list or tensor that grows without end.")
CUDA_SKIP_REASON = N_("CUDA is not available on this machine; this case is skipped and not counted.")


def timeout_message(seconds: float) -> str:
    return _(TIMEOUT_MESSAGE).format(seconds=f"{seconds:g}")


def cuda_available() -> bool:
    return torch.cuda.is_available()


def case_points(check: Check, cuda: bool) -> float:
    """A check's points are shared by the device cases this machine can run."""
    devices = [d for d in check.devices() if d == "cpu" or cuda]
    return check.points / len(devices)


def verdict(check: Check, case: Case, event: ProbeEvent) -> tuple[Outcome, str, Tag | None, Message | None]:
    """The outcome of one case, decided here from what the child observed: only the judge can pass it.

    Also the message, rendered and as data where there is one.
    """
    if event.kind == "observed":
        return _judge(check, case, event["observations"])
    if check.hidden:
        return _hidden_failure(check, event)
    kind = event.kind
    if kind == "not_started":
        return Outcome.NOT_STARTED, _not_started_message(check.exercise, event["todo"]), Tag.NOT_STARTED, None
    if kind == "missing":
        return Outcome.ERROR, _missing_message(check.exercise, event["names"]), Tag.MISSING_NAME, None
    if kind in ("raised", "probe_failed"):
        detail = Message(**event["message"])
        return (Outcome.ERROR if kind == "raised" else Outcome.FAILED), detail.render(), Tag(event["tag"]), detail
    if kind == "load_failed":
        tag = Tag(event["tag"])
        detail = Message(**event["message"]) if event["message"] is not None else None
        return LOAD_OUTCOMES.get(tag, Outcome.ERROR), event["text"], tag, detail
    if kind == "withheld":
        return Outcome.SKIPPED, event["reason"], None, None
    if kind == "exited":
        text = _("Your code called sys.exit({code}); return a value instead.").format(code=event["code"])
        return Outcome.CRASHED, text, Tag.CRASHED, None
    if kind == "out_of_memory":
        return Outcome.ERROR, _(OUT_OF_MEMORY), Tag.OUT_OF_MEMORY, None
    return Outcome.CRASHED, _crash_message(event["error"]), Tag.CRASHED, None


# How a file that could not be imported counts, by the tag the loader gave it.
LOAD_OUTCOMES = {Tag.NOT_STARTED: Outcome.NOT_STARTED, Tag.TIMEOUT: Outcome.TIMEOUT, Tag.CRASHED: Outcome.CRASHED}


def _crash_message(error: str) -> str:
    if error == "KeyboardInterrupt":
        return _("Your code raised KeyboardInterrupt.")
    return _("Your code ended the run with {error}.").format(error=error)


def _hidden_failure(check: Check, event: ProbeEvent) -> tuple[Outcome, str, Tag | None, None]:
    """A hidden check that could not be judged: the outcome and tag, never the child's text."""
    outcome, _text, tag, _detail = verdict(replace(check, hidden=False), Case(check.exercise, check.name, "cpu", 0), event)
    text = _("This hidden check could not judge your code ({outcome}): {check}").format(outcome=outcome.label, check=check.doc)
    return outcome, text, tag, None


def judge_case(check: Check, case: Case, event: ProbeEvent, points: float, duration: float | None = None) -> CheckResult:
    """Reach the verdict in the grader's own process."""
    outcome, message, tag, detail = verdict(check, case, event)
    if duration is None:
        duration = event["duration"] if event.kind == "observed" else 0.0
    return CheckResult(
        exercise=check.exercise,
        check=check.name,
        device=case.device if check.per_device else None,
        outcome=outcome,
        score=points if outcome is Outcome.PASSED else 0.0,
        max_score=0.0 if outcome is Outcome.SKIPPED else points,
        message=message,
        hidden=check.hidden,
        duration=duration,
        tag=None if outcome in (Outcome.PASSED, Outcome.SKIPPED) else tag,
        detail=detail,
    )


def _judge(check: Check, case: Case, observations: Any) -> tuple[Outcome, str, Tag | None, Message | None]:
    if check.judge_fn is None:
        raise RegistrationError(check)
    try:
        check.judge_fn(observations, case)
    except CheckFailed as failure:
        return Outcome.FAILED, failure.message.render(), failure.tag, failure.message
    except Withheld as exc:
        return Outcome.SKIPPED, str(exc), None, None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
        got = _("something that could not be checked ({error})").format(error=f"{type(exc).__name__}: {exc}")
        detail = Message(check.doc, _("values of the kinds and shapes the docstring describes"), got,
                         _("Compare what your function returns (types, shapes, dict keys) with its docstring."))
        return Outcome.FAILED, detail.render(), Tag.WRONG_TYPE, detail
    return Outcome.PASSED, "", None, None


def skipped(check: Check, case: Case, reason: str) -> CheckResult:
    return CheckResult(check.exercise, check.name, case.device, Outcome.SKIPPED, 0.0, 0.0, reason, hidden=check.hidden)


def run_case(check: Check, case: Case, loader: SubmissionLoader, cuda: bool) -> CheckResult:
    """Probe and judge in this process (the trusted, in-process runner)."""
    if case.device == "cuda" and not cuda:
        return skipped(check, case, _(CUDA_SKIP_REASON))
    return judge_case(check, case, probe_case(check, case, loader), case_points(check, cuda))


def _missing_message(exercise: str, missing: list[str]) -> str:
    names = ", ".join(missing)
    return (
        _("{exercise}.py has no {names}.").format(exercise=exercise, names=names)
        + "\n"
        + _("Keep every name from the stub: this check needs {names} (check spelling and indentation).").format(
            names=names
        )
    )


def _not_started_message(exercise: str, todo: str) -> str:
    stub = _STUB_TODO.fullmatch(todo)
    if stub:  # the generated stubs say which function to write
        return _("Not started yet: write {name} (it still raises NotImplementedError).").format(name=stub[1])
    todo = todo or _("the code of {exercise}.py this check needs").format(exercise=exercise)
    return _("Not started yet: {todo} (it still raises NotImplementedError).").format(todo=todo)


_STUB_TODO = re.compile(r"write ([\w.]+)")
