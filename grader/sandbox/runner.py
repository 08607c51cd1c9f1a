"""Running one case: probe (next to the student's code), then judge (in the grader).

The probe's side ends in a :class:`~grader.sandbox.protocol.ProbeEvent` (what was
observed, or why nothing was); :func:`verdict` alone turns it into an outcome.
The in-process runner (:func:`run_case`) and the isolated one use the same two halves.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import re
import textwrap
import time
import types
from dataclasses import replace
from typing import Any, Iterator

import torch

from grader.checks.withheld import Withheld
from grader.engine.api import Case, Check, CheckFailed, RegistrationError, raised_by_stub
from grader.engine.i18n import N_, _
from grader.sandbox.loading import LoadError, SubmissionLoader, explain
from grader.engine.model import CheckResult, Message, Outcome, Tag
from grader.engine.observe import snapshot
from grader.sandbox import protocol
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


def probe_case(check: Check, case: Case, loader: SubmissionLoader, *, shortcut: bool = True) -> ProbeEvent:
    """Call the student's code for one case and say what happened. Never raises for the student's mistakes.

    ``shortcut``: when everything the check needs is still the stub's ``raise NotImplementedError(...)``,
    report "not started" at once instead of building the check's data and models first.
    """
    start = time.perf_counter()
    with preserved_global_state():
        try:
            module = loader.load(check.exercise)
        except LoadError as error:
            return protocol.load_failed(error.message, error.tag, error.detail)
        missing = [name for name in check.needs if not hasattr(module, name)]
        if missing:
            return protocol.missing(missing)
        todo = untouched_stubs(module, check.needs) if shortcut else None
        if todo is not None:
            return protocol.not_started(todo)
        try:
            observations = snapshot(check.probe(module, case))
        except Withheld as exc:  # only in the student bundle: the grader's model is not shipped
            return protocol.withheld(str(exc))
        except CheckFailed as failure:
            return protocol.probe_failed(failure.message, failure.tag)
        except MemoryError:
            return protocol.out_of_memory()
        except SystemExit as exc:
            return protocol.exited(exc.code)
        except Exception as exc:
            if raised_by_stub(exc):  # the stub's own raise; PyTorch's NotImplementedError is an error like any
                return protocol.not_started(str(exc))
            return protocol.raised(*explain(exc, loader.directory, check.doc))
    return protocol.observed(observations, time.perf_counter() - start)


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


@contextlib.contextmanager
def preserved_global_state() -> Iterator[None]:
    """Put back torch's global switches, whatever the student's code did to them."""
    grad = torch.is_grad_enabled()
    dtype = torch.get_default_dtype()
    rng = torch.get_rng_state()
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        yield
    finally:
        torch.set_grad_enabled(grad)
        torch.set_default_dtype(dtype)
        torch.set_rng_state(rng)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        if torch.are_deterministic_algorithms_enabled() != deterministic:
            torch.use_deterministic_algorithms(deterministic)  # costly import: only when changed


def untouched_stubs(module: types.ModuleType, names: tuple[str, ...]) -> str | None:
    """The message the first of ``names`` raises, if every one is an untouched stub; else None.

    A stub is a function whose body (after its docstring) is only ``raise NotImplementedError("...")``,
    or a class whose ``__init__`` is such a function (``super().__init__()`` may come first).
    """
    messages = [_stub_message(getattr(module, name, None)) for name in names]
    if not messages or any(m is None for m in messages):
        return None
    return messages[0]


def _stub_message(value: Any) -> str | None:
    allowed_first: tuple[str, ...] = ()
    if isinstance(value, type):
        value, allowed_first = value.__dict__.get("__init__"), ("super().__init__()",)
    if not isinstance(value, types.FunctionType):
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(value)))
    except (OSError, TypeError, SyntaxError):
        return None
    function = tree.body[0] if tree.body else None
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) == 2 and ast.unparse(body[0]) in allowed_first:
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return None
    raised = body[0].exc
    if not (isinstance(raised, ast.Call) and isinstance(raised.func, ast.Name) and raised.func.id == "NotImplementedError"
            and len(raised.args) == 1 and not raised.keywords and isinstance(raised.args[0], ast.Constant)
            and isinstance(raised.args[0].value, str)):
        return None
    if "NotImplementedError" in value.__globals__ or raised.args[0].value not in value.__code__.co_consts:
        return None  # the name means something else here, or the source is not what runs
    return raised.args[0].value


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
