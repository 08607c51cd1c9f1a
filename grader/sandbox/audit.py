"""What a child process may do once a student's code runs in it.

Installed with :func:`install` just before the submission is imported, the
audit hook (PEP 578) refuses, from then on and for the life of the process:

- writing, deleting or renaming files outside the child's own work folder;
- reading or listing the kit's reference solutions, its tests and hidden
  checks, or reading any ``exNN_*.py`` or ``.ipynb`` file that is not the submission's own;
- starting other programs (``subprocess``, ``os.system``, ``exec*``), which
  would run without this hook, and new processes (``os.fork``, so a
  ``DataLoader`` with workers says what to change).

An audit hook cannot be removed once added. The refusal surfaces in the
student's code as ``PermissionError``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.engine.i18n import _

_EXERCISE_FILE = re.compile(r"ex\d\d_\w+\.(py[c]?|ipynb)$")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_MUTATING_EVENTS = {
    "os.remove": (0,), "os.rmdir": (0,), "os.rename": (0, 1), "os.truncate": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.symlink": (0, 1), "os.link": (0, 1), "os.utime": (0,), "shutil.rmtree": (0,),
    "os.mkdir": (0,),
}
_PROGRAM_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn")


def refusal(text: str) -> PermissionError:
    """What the hook raises: the usual PermissionError, marked so the grader can tag it ``refused``."""
    error = PermissionError(text)
    error.grader_refused = True  # type: ignore[attr-defined]
    return error


def is_refusal(exc: BaseException) -> bool:
    return isinstance(exc, PermissionError) and getattr(exc, "grader_refused", False) is True


@dataclass(frozen=True)
class Policy:
    work: Path  # the only folder the student's code may change
    submission: Path  # the student's own exercise files
    forbidden: tuple[Path, ...]  # folders the student's code may not read

    def may_write(self, path: Path) -> bool:
        return path.is_relative_to(self.work) or str(path).startswith("/dev/")

    def may_read(self, path: Path) -> bool:
        if any(path.is_relative_to(f) for f in self.forbidden):
            return False
        if _EXERCISE_FILE.search(path.name) and not path.is_relative_to(self.submission):
            return path.parent.name == "__pycache__" and path.is_relative_to(self.work)
        return True


def install(policy: Policy) -> None:
    sys.addaudithook(_hook(policy))


def _hook(policy: Policy):
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            _check_open(policy, args)
        elif event in ("os.listdir", "os.scandir"):
            path = _path(args[0] if args else ".")
            if path is not None and any(path.is_relative_to(f) for f in policy.forbidden):
                raise refusal(_("grading does not allow listing {path}").format(path=path))
        elif event in _MUTATING_EVENTS:
            for i in _MUTATING_EVENTS[event]:
                _check_write(policy, args[i] if i < len(args) else None)
        elif event in ("os.fork", "os.forkpty"):
            raise refusal(_("grading does not allow starting processes ({event}): in a DataLoader, "
                            "use num_workers=0").format(event=event))
        elif event.startswith(_PROGRAM_EVENTS):
            raise refusal(_("grading does not allow starting other programs ({event})").format(event=event))

    return hook


def _check_open(policy: Policy, args: tuple[Any, ...]) -> None:
    target, mode, flags = (list(args) + [None, None, None])[:3]
    path = _path(target)
    if path is None:
        return
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
    )
    if writing:
        _check_write(policy, target)
    elif not policy.may_read(path):
        raise refusal(_("grading does not allow reading {path}").format(path=path))


def _check_write(policy: Policy, target: Any) -> None:
    path = _path(target)
    if path is not None and not policy.may_write(path):
        raise refusal(_("grading does not allow changing {path} (write only under your work folder)").format(path=path))


def _path(target: Any) -> Path | None:
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    if not isinstance(target, (str, os.PathLike)):
        return None  # a file descriptor: it was opened earlier, under the same rules
    try:
        return Path(os.path.realpath(os.path.abspath(target)))
    except (OSError, ValueError):
        return None
