"""Loading a student's exercise files by path, and explaining what went wrong."""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Callable, Iterator, Mapping

from grader.engine.api import StandIn
from grader.engine.i18n import N_, _
from grader.engine.api import raised_by_stub
from grader.engine.model import Message, Outcome, Tag
from grader.sandbox.audit import is_refusal
from grader.sandbox.known_errors import hints_for
from grader.sandbox.notebook_source import NotebookError, read_notebook, run_notebook


class LoadError(Exception):
    """The exercise file could not be imported; carries the outcome to report."""

    def __init__(self, outcome: Outcome, message: str, tag: Tag, detail: Message | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.tag = tag
        self.detail = detail


class SubmissionLoader:
    """Imports ``exNN_*.py`` files (or ``exNN_*.ipynb`` notebooks, see :func:`source_file`) as top-level modules.

    Each file is imported once, under its own name, so that one exercise may
    import another (``from ex05_dropout import Network``). Stand-ins replace a
    sibling module while a file that depends on it is imported.
    """

    def __init__(self, directory: Path, stand_ins: Mapping[str, Mapping[str, StandIn]] | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.stand_ins = stand_ins or {}
        self._modules: dict[str, ModuleType] = {}
        self._errors: dict[str, LoadError] = {}

    def load(self, name: str) -> ModuleType:
        if name in self._errors:
            raise self._errors[name]
        if name not in self._modules:
            try:
                self._modules[name] = self._import(name)
            except LoadError as error:
                self._errors[name] = error
                raise
            except BaseException:  # a time limit stopped the import: do not run it again for every check
                message = _("Importing {file} did not finish in time (code at module level that never ends?).")
                self._errors[name] = LoadError(Outcome.TIMEOUT, message.format(file=f"{name}.py"), Tag.TIMEOUT)
                raise
        return self._modules[name]

    def _import(self, name: str) -> ModuleType:
        path = source_file(self.directory, name)
        if path is None:
            message = _(
                "No file {file} in the submission (nor {notebook}): create it "
                "(copy the stub from exercises/ or the notebook from notebooks/)."
            )
            raise LoadError(Outcome.ERROR, message.format(file=f"{name}.py", notebook=f"{name}.ipynb"), Tag.MISSING_FILE)
        if str(self.directory) not in sys.path:
            sys.path.insert(0, str(self.directory))
        try:
            module, run = _module(name, path)
            sys.modules[name] = module
            with _stand_ins(self.stand_ins.get(name, {})):
                run()
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            raise LoadError(Outcome.ERROR, syntax_error_message(exc), Tag.SYNTAX_ERROR) from None
        except NotebookError as exc:
            sys.modules.pop(name, None)
            raise LoadError(Outcome.ERROR, str(exc), Tag.SYNTAX_ERROR) from None
        except Exception as exc:
            sys.modules.pop(name, None)
            if raised_by_stub(exc):
                message = _("{file} raises NotImplementedError when imported: {error}").format(file=path.name, error=exc)
                raise LoadError(Outcome.NOT_STARTED, message, Tag.NOT_STARTED) from None
            detail, tag = explain(exc, self.directory, _("importing {file}").format(file=path.name))
            raise LoadError(Outcome.ERROR, detail.render(), tag, detail) from None
        except SystemExit as exc:
            sys.modules.pop(name, None)
            message = _("{file} calls sys.exit({code}) when imported; remove it.").format(file=path.name, code=repr(exc.code))
            raise LoadError(Outcome.CRASHED, message, Tag.CRASHED) from None
        return module


def source_file(directory: Path, name: str) -> Path | None:
    """The file graded for exercise ``name``: ``name.ipynb`` when it exists (even beside ``name.py``)."""
    for path in (directory / f"{name}.ipynb", directory / f"{name}.py"):
        if path.is_file():
            return path
    return None


def source_note(directory: Path, name: str) -> str:
    """What the grading output says about the file graded for ``name``: which one, and what was not run."""
    notebook, script = directory / f"{name}.ipynb", directory / f"{name}.py"
    if not notebook.is_file():
        return ""
    notes = []
    if script.is_file():
        notes.append(f"{name}: graded {notebook.name}; {script.name} is ignored (when both exist, the notebook is graded).")
    try:
        skipped = read_notebook(notebook).skipped
    except (NotebookError, SyntaxError, OSError):
        return "\n".join(notes)
    if skipped:
        notes.append(f"{notebook.name}: not executed when graded:")
        notes.extend(f"  {item.describe()}" for item in skipped)
    return "\n".join(notes)


def _module(name: str, path: Path) -> tuple[ModuleType, Callable[[], None]]:
    """A fresh module for ``path`` and the function that runs its code (a notebook's cells, or the file)."""
    if path.suffix == ".ipynb":
        code = read_notebook(path)  # NotebookError, SyntaxError: raised here, before anything runs
        module = ModuleType(name)
        module.__file__ = str(path)
        return module, lambda: run_notebook(code, module.__dict__)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    return module, lambda: loader.exec_module(module)


@contextlib.contextmanager
def _stand_ins(replacements: Mapping[str, StandIn]) -> Iterator[None]:
    saved = {name: sys.modules.get(name) for name in replacements}
    for name, factory in replacements.items():
        sys.modules[name] = factory()
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


# Where torch fails when code reaches for CUDA on a machine without it: starting CUDA, or restoring a
# CUDA tensor from a checkpoint loaded without map_location.
_CUDA_FRAMES = {(("torch", "cuda", "__init__.py"), "_lazy_init"), (("torch", "serialization.py"), "_validate_device"),
                (("torch", "serialization.py"), "validate_cuda_device")}


SANDBOX_VARIABLE = "GRADER_SANDBOX"  # "1" in the isolated child's environment
SANDBOX_HINT = N_(
    "While grading, your code runs in a sandbox: it may write only in its own work folder (the current "
    "folder, or tempfile's), and may not start processes or programs, use the network or /dev/shm. "
    "A DataLoader must use num_workers=0 here."
)
NO_CUDA_HINT = N_(
    "This machine has no CUDA GPU, yet your code asked for one. Use the device argument instead of a "
    "fixed \"cuda\" (and map_location when you load a checkpoint saved on a GPU)."
)


def explain(exc: BaseException, directory: Path, checked: str) -> tuple[Message, Tag]:
    """The learner's message and the tag of an exception that escaped the student's code.

    ``checked``: what the grader was doing (a check's description, "importing ex05_dropout.py"). The
    hints come from the catalog of common errors (:mod:`grader.sandbox.known_errors`).
    """
    tag = exception_tag(exc)
    if tag is Tag.HARD_CODED_DEVICE:
        hints: tuple[str, ...] = (_(NO_CUDA_HINT),)
    elif tag is Tag.REFUSED and not any(is_refusal(e) for e in _chain(exc)):  # refused by the kernel's layers
        hints = (_(SANDBOX_HINT),)
    else:
        hints = hints_for(exc)
    got = f"{type(exc).__name__}: {_short(str(exc))}"
    message = Message(checked, _("your code runs without raising an exception"), got, hints=hints,
                      location=error_location(exc, directory))
    return message, tag


def error_location(exc: BaseException, directory: Path) -> str:
    """``at ex05_dropout.py, line 12, in forward`` — the student's frame, not ours."""
    frame = student_frame(exc.__traceback__, directory)
    if frame is None:
        return _("raised while the grader was using what your code returned.")
    return _("at {file}, line {line}, in {function}").format(
        file=Path(frame.filename).name, line=frame.lineno, function=frame.name
    )


def exception_tag(exc: BaseException) -> Tag:
    """The tag of an exception that escaped the student's code, from its type and where it was raised.

    ``refused``: the sandbox's audit hook refused an action; ``hard_coded_device``: torch was asked for
    CUDA on a machine without it (a fixed ``"cuda"``, or a CUDA checkpoint without ``map_location``);
    otherwise ``exception``.
    """
    chain = _chain(exc)
    if any(is_refusal(e) or _kernel_refusal(e) for e in chain):
        return Tag.REFUSED
    if any(_reached_for_cuda(e) for e in chain):
        return Tag.HARD_CODED_DEVICE
    return Tag.EXCEPTION


def _kernel_refusal(exc: BaseException) -> bool:
    """In the grading sandbox, a PermissionError the kernel raised (EPERM, EACCES), not one the student made."""
    in_sandbox = os.environ.get(SANDBOX_VARIABLE) == "1"
    return in_sandbox and isinstance(exc, PermissionError) and exc.errno in (errno.EPERM, errno.EACCES)


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception and the ones it was raised from or while handling."""
    chain: list[BaseException] = []
    while exc is not None and all(exc is not e for e in chain):
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _reached_for_cuda(exc: BaseException) -> bool:
    for frame in traceback.extract_tb(exc.__traceback__):
        parts = Path(frame.filename).parts
        if any(parts[-len(tail):] == tail and frame.name == name for tail, name in _CUDA_FRAMES):
            return True
    return False


def syntax_error_message(exc: SyntaxError) -> str:
    head = _("SyntaxError at {file}, line {line}: {error}").format(
        file=Path(exc.filename or "?").name, line=exc.lineno, error=exc.msg
    )
    text = (exc.text or "").rstrip()
    caret = f"\n    {text}" if text else ""
    return f"{head}{caret}\n" + _("Fix the syntax so the file can be imported.")


def student_frame(tb: TracebackType | None, directory: Path) -> traceback.FrameSummary | None:
    mine = [f for f in traceback.extract_tb(tb) if _is_under(f.filename, directory)]
    return mine[-1] if mine else None


def _is_under(filename: str, directory: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(directory)
    except (OSError, ValueError):
        return False


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
