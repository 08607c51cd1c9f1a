"""``check`` and ``hint`` for a Jupyter notebook: the kit's public checks, run in the kernel.

``from grader.frontends.notebook import check, hint`` in a notebook, then
``check("ex05_dropout")`` runs that exercise's public checks against what the
notebook's cells have defined, with the same probes, messages and points as
``pytest exercises`` (the trusted in-process runner). The result shows as an
HTML table in Jupyter and as text elsewhere. An exception in the learner's
code names the cell as Jupyter labels it (``cell [7], line 3``).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, MutableMapping

from grader.checks import registry
from grader.engine.api import DEFAULT_TIMEOUT, Exercise
from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult, Outcome
from grader.reporters import hints
from grader.reporters import notebook as display
from grader.sandbox.loading import SubmissionLoader
from grader.sandbox.runner import cuda_available, run_case

__all__ = ["check", "hint", "use_kit_copies"]


@dataclass(frozen=True)
class Shown:
    """What a notebook cell displays: HTML in Jupyter, text anywhere else."""

    text: str
    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


class _NamespaceModule(ModuleType):
    """A module over the notebook's namespace: what a probe sets on it, the notebook's functions see.

    Functions defined in a cell look their globals up in the kernel's namespace, so a probe that puts a
    recording class in place of ``LeNet`` (and back afterwards) must write there, not only on this copy.
    """

    def __init__(self, name: str, namespace: MutableMapping[str, Any]) -> None:
        super().__init__(name)
        self.__dict__.update(namespace)
        object.__setattr__(self, "_namespace", namespace)

    def __setattr__(self, key: str, value: Any) -> None:
        super().__setattr__(key, value)
        self._namespace[key] = value


class NamespaceLoader(SubmissionLoader):
    """Hands the checks the notebook's namespace, whatever exercise they ask for."""

    def __init__(self, namespace: MutableMapping[str, Any], directory: Path) -> None:
        super().__init__(directory)
        self.namespace = namespace

    def load(self, name: str) -> ModuleType:
        return _NamespaceModule(name, self.namespace)


def check(name: str | None = None) -> Shown:
    """Run the public checks of exercise ``name`` (default: every exercise this notebook defines).

    The results are kept in ``.grader/last-run.json`` beside the notebook, for :func:`hint`.
    """
    result = _run(name, sys._getframe(1).f_globals)
    if isinstance(result, Shown):
        return result
    hints.save_last_run(result, Path.cwd())
    return Shown(display.text(result), display.html(result))


def hint(name: str | None = None, level: int = 1) -> Shown:
    """Hint ``level`` (1: the gentlest) for the first check of ``name`` that did not pass in the last ``check()``.

    Nothing runs again: the hint comes from the results ``check()`` saved.
    """
    more = f'hint("{name}", {{level}})' if name else "hint(level={level})"
    return _shown(hints.hint_text(hints.last_run([Path.cwd()]), name, level, more))


def _run(name: str | None, namespace: MutableMapping[str, Any]) -> GradeResult | Shown:
    """The result of the chosen exercises' checks, or why there is none."""
    chosen = _chosen(registry.public_exercises(), name, namespace)
    return chosen if isinstance(chosen, Shown) else run_checks(chosen, namespace, progress=_progress)


def use_kit_copies(exercise: str) -> None:
    """Make the modules ``exercise`` imports (``ex05_dropout`` for ex07) importable, in the kit's own version."""
    for module, factory in registry.public_exercises()[exercise].stand_ins.items():
        sys.modules[module] = factory()


def run_checks(
    exercises: dict[str, Exercise], namespace: MutableMapping[str, Any], progress: Callable[[str], None] | None = None
) -> GradeResult:
    files, directory = _cell_files()
    loader = NamespaceLoader(namespace, directory)
    cuda = cuda_available()
    results = []
    for exercise in exercises.values():
        for item in exercise.checks:
            if progress is not None and item.timeout > DEFAULT_TIMEOUT:
                progress(_("running {name}… (trains a model: takes seconds)").format(name=f"{exercise.name}::{item.name}"))
            results += [_in_cells(run_case(item, case, loader, cuda), files) for case in item.cases()]
    return GradeResult("notebook", tuple(results))


def _chosen(exercises: dict[str, Exercise], name: str | None, namespace: MutableMapping[str, Any]) -> dict[str, Exercise] | Shown:
    if name is not None:
        if name not in exercises:
            return _shown(_("There is no exercise {name}. Choose one of: {choices}.").format(
                name=repr(name), choices=", ".join(exercises)))
        return {name: exercises[name]}
    defined = {n: e for n, e in exercises.items() if _needs(e) and _needs(e) <= namespace.keys()}
    if not defined:
        return _shown(_('This notebook defines no exercise yet: run its cells, or name one, as in check("ex05_dropout").'))
    return defined


def _needs(exercise: Exercise) -> set[str]:
    return {need for item in exercise.checks for need in item.needs}


def _cell_files() -> tuple[dict[str, str], Path]:
    """IPython's file of each executed cell -> ``cell [n]`` (its execution count), and their folder."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    numbers: dict[str, int] = dict(getattr(getattr(shell, "compile", None), "_filename_map", {}) or {})
    files = {Path(filename).name: _("cell [{number}]").format(number=number) for filename, number in numbers.items()}
    directory = Path(next(iter(numbers))).parent if numbers else Path.cwd()
    return files, directory


def _in_cells(result: CheckResult, files: dict[str, str]) -> CheckResult:
    """Say "cell [7], line 3" where the message names IPython's file for that cell; "notebook" for "file"."""
    missing = _("{exercise}.py has no {names}.").split("{names}")[0].format(exercise=result.exercise)
    message = result.message.replace(missing, _("This notebook has not defined {names}.").split("{names}")[0])
    message = _cell_names(message, files)
    detail = result.detail
    if detail is not None and detail.location:
        detail = dataclasses.replace(detail, location=_cell_names(detail.location, files))
    if message == result.message and detail == result.detail:
        return result
    return dataclasses.replace(result, message=message, detail=detail)


def _cell_names(text: str, files: dict[str, str]) -> str:
    between = _("at {file}, line {line}, in {function}").split("{file}")[1].split("{line}")[0]  # ", line "
    for filename, cell in files.items():
        text = text.replace(f"{filename}{between}", f"{cell}{between}")
    return text


def _progress(line: str) -> None:
    print(line, flush=True)


def _shown(text: str) -> Shown:
    return Shown(text, f"<pre>{escape(text)}</pre>")
