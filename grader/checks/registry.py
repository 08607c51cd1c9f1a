"""Finding the checks: one module per exercise under ``grader/checks/``, plus hidden ones."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import types
from pathlib import Path

from grader.engine.api import Exercise
from grader import checks as public_checks


def public_exercises() -> dict[str, Exercise]:
    """Every exercise with its public checks, keyed and ordered by name."""
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(public_checks.__path__), key=lambda i: i.name):
        if not info.name.startswith("ex"):
            continue
        module = importlib.import_module(f"{public_checks.__name__}.{info.name}")
        exercise: Exercise = module.EXERCISE
        _validate(exercise)
        found[exercise.name] = exercise
    return found


def hidden_exercises(directory: Path) -> list[Exercise]:
    """Instructor-only checks: ``exNN_*.py`` files defining ``EXERCISE`` with the same API."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"hidden checks folder {directory} does not exist")
    found = []
    for path in sorted(directory.glob("ex[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"grader_hidden_checks.{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        exercise: Exercise = module.EXERCISE
        _validate(exercise)
        for check in exercise.checks:
            check.hidden = True
        found.append(exercise)
    return found


def all_exercises(hidden: Path | None = None) -> dict[str, Exercise]:
    """Public exercises, with hidden checks appended to the exercise they belong to."""
    exercises = public_exercises()
    for extra in hidden_exercises(hidden) if hidden else []:
        base = exercises.get(extra.name)
        if base is None:
            exercises[extra.name] = extra
        else:
            exercises[extra.name] = Exercise(base.name, {**base.stand_ins, **extra.stand_ins}, base.checks + extra.checks)
    return exercises


def stand_ins(exercises: dict[str, Exercise]) -> dict[str, dict]:
    return {name: dict(ex.stand_ins) for name, ex in exercises.items() if ex.stand_ins}


def _validate(exercise: Exercise) -> None:
    """Every check has a judge: nothing is passed on the word of the process that ran the student's code."""
    for check in exercise.checks:
        check.validate()


def probes_only(source: str) -> str:
    """A check module's source without its judges: what may reach the process that runs a student's code.

    Removed: every function decorated with ``@<check>.judge`` and every statement ``<check>.judge(...)``.
    The probes and the helpers they share with the judges stay; the judges (what is expected, how it is
    compared) stay in the grader.
    """
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not _is_judge(node)]
    return ast.unparse(tree)


def _is_judge(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return any(_judge_attribute(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _judge_attribute(node.value.func)


def _judge_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "judge"


def probes_from_source(source: str, name: str) -> Exercise:
    """The ``EXERCISE`` of a check module given as source (see :func:`probes_only`), its checks marked hidden."""
    module = types.ModuleType(f"grader_hidden_checks.{name}")
    exec(compile(source, f"<hidden checks {name}>", "exec"), module.__dict__)
    exercise: Exercise = module.EXERCISE
    for check in exercise.checks:
        check.hidden = True
    return exercise
