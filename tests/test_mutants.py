"""Known-wrong code fails the check it breaks."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from grader.checks import registry
from grader.engine.api import Exercise
from grader.sandbox.inprocess import grade_in_process
from grader.engine.model import Outcome

import mutants


def _all_mutants():
    for info in pkgutil.iter_modules(mutants.__path__):
        module = importlib.import_module(f"mutants.{info.name}")
        for name, (check, source) in module.MUTANTS.items():
            yield pytest.param(info.name, check, source, id=f"{info.name}:{name}")


@pytest.mark.parametrize(("exercise", "check", "source"), list(_all_mutants()))
def test_mutant_fails_its_check(solutions_copy: Path, exercise: str, check: str, source: str) -> None:
    path = solutions_copy / f"{exercise}.py"
    path.write_text(path.read_text() + "\n\n" + source)
    base = registry.public_exercises()[exercise]
    target = [c for c in base.checks if c.name == check]
    assert target, f"unknown check {check}"
    result = grade_in_process(solutions_copy, {exercise: Exercise(exercise, base.stand_ins, target)})
    verdicts = {r.name: r for r in result.results if r.check == check and r.outcome is not Outcome.SKIPPED}
    assert verdicts, f"no case of {check} ran"
    assert any(r.outcome is not Outcome.PASSED for r in verdicts.values()), f"{check} passed the mutant"
    for r in verdicts.values():
        if r.outcome is not Outcome.PASSED:
            assert r.message.strip(), "a failing check must explain itself"
