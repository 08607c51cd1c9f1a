"""The probe's side of a case: next to the student's code, in the child (or in-process).

:func:`probe_case` loads the submission, calls the check's probe and ends in a
:class:`~grader.sandbox.protocol.ProbeEvent`: what was observed, or why nothing
was. It decides no outcome: that is :func:`grader.sandbox.runner.verdict`'s, in
the grader's own process.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
import time
import types
from typing import Any, Iterator

import torch

from grader.checks.withheld import Withheld
from grader.engine.api import Case, Check, CheckFailed, raised_by_stub
from grader.engine.observe import snapshot
from grader.sandbox import protocol
from grader.sandbox.loading import LoadError, SubmissionLoader, explain
from grader.sandbox.protocol import ProbeEvent


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
