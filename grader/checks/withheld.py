"""The student bundle's stand-ins for the grader's own models, which the bundle does not ship.

The grader's checks drive some exercises with models of their own (ex05's
``Network`` for ex06 and ex07, a LeNet, MyCNN and ex13's ``Net``): working
answers to other contract items. ``python -m grader release`` removes them
from the student bundle and puts ``withheld.students_class(exercise, name)``
wherever a check used one: the student's own class from the same folder,
when that module imports and the class is written. Where it is not, building
the model raises :class:`Withheld`, and the runner reports the case as
skipped, with a reason and no points either way. Official grading (``grade``,
``batch``, Gradescope, Classroom) uses the full kit and never comes here.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from torch import nn

from grader.engine.i18n import N_, _

REASON = N_("Uses the grader's own model, which the student bundle does not include; "
            "checked when your work is graded.")
_EXERCISE_MODULE = re.compile(r"ex\d\d_\w+")


class Withheld(Exception):
    """A check needs a model of the grader's that is withheld here, and the student's own is not ready."""

    def __init__(self, detail: str = "") -> None:
        message = _(REASON)
        super().__init__(message + (f" ({detail})" if detail else ""))


def students_class(exercise: str, name: str) -> type:
    """The student's own ``exercise.name`` class (guarded), or a class that raises :class:`Withheld` when built."""
    module = _students_module(exercise)
    found = getattr(module, name, None) if module is not None else None
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        return _unavailable(f"{exercise}.{name}")
    return _guarded(found, f"{exercise}.{name}")


def _students_module(exercise: str) -> ModuleType | None:
    """``exercise`` as graded beside the exercise now being checked: already loaded, or imported from its .py."""
    loaded = sys.modules.get(exercise)
    if loaded is not None and getattr(loaded, "__file__", None):
        return loaded
    for directory in _submission_folders():
        path = directory / f"{exercise}.py"
        if path.is_file():
            return _import(exercise, path)
    return None


def _submission_folders() -> list[Path]:
    """The folders of the exercise modules the grader has loaded (the student's files, by name)."""
    folders = []
    for module_name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if _EXERCISE_MODULE.fullmatch(module_name) and file and Path(file).parent not in folders:
            folders.append(Path(file).parent)
    return folders


def _import(exercise: str, path: Path) -> ModuleType | None:
    spec = importlib.util.spec_from_file_location(exercise, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # the student's module does not import yet: nothing to build the model from
        return None
    return module


@functools.cache
def _unavailable(what: str) -> type:
    def __init__(self, *args, **kwargs) -> None:
        raise Withheld(what)

    return type(what.rsplit(".", 1)[-1], (nn.Module,), {"__init__": __init__, "__module__": __name__})


@functools.cache
def _guarded(cls: type, what: str) -> type:
    """``cls`` whose construction and forward turn "not written yet" (or a broken constructor) into Withheld."""

    def __init__(self, *args, **kwargs) -> None:
        try:
            cls.__init__(self, *args, **kwargs)
        except Withheld:
            raise
        except Exception as exc:
            raise Withheld(f"{what}: {type(exc).__name__}") from None

    def forward(self, *args, **kwargs):
        try:
            return cls.forward(self, *args, **kwargs)
        except NotImplementedError:
            raise Withheld(f"{what}.forward") from None

    namespace = {"__init__": __init__, "forward": forward, "__module__": cls.__module__,
                 "__qualname__": cls.__qualname__}
    return type(cls.__name__, (cls,), namespace)


def unavailable(what: str) -> type:
    """A class that raises :class:`Withheld` when built: where no class of the student's can stand in."""
    return _unavailable(what)
