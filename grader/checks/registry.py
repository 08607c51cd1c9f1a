"""Finding the checks: one module per exercise under ``grader/checks/``, plus hidden ones."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
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
