"""exercises/ is generated from solutions/, and every stub starts out "not started"."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import registry
from grader.authoring import stubs
from grader.sandbox.inprocess import grade_in_process
from grader.sandbox.loading import SubmissionLoader
from grader.sandbox.probe import probe_case, untouched_stubs
from grader.sandbox.runner import verdict
from grader.engine.model import Outcome

from conftest import EXERCISES, SOLUTIONS


def test_exercises_are_in_sync_with_solutions() -> None:
    assert stubs.drift(SOLUTIONS, EXERCISES) == []


def test_every_exercise_has_a_stub_a_solution_and_checks() -> None:
    names = {p.stem for p in stubs.exercise_files(SOLUTIONS)}
    assert names == {p.stem for p in stubs.exercise_files(EXERCISES)}
    assert names == set(registry.public_exercises())


def test_stub_replaces_each_marked_block_with_a_named_raise() -> None:
    source = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n'
    assert stubs.make_stub(source, "ex99_demo") == (
        'def f(x):\n    """Doc."""\n    raise NotImplementedError("write ex99_demo.f")\n'
    )


@pytest.mark.parametrize("broken", ["# BEGIN SOLUTION\n", "# END SOLUTION\n", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n"])
def test_unbalanced_markers_are_refused(broken: str) -> None:
    with pytest.raises(ValueError):
        stubs.make_stub(broken, "ex99_demo")


def test_drift_is_reported(tmp_path: Path) -> None:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions" / "ex01_a.py").write_text("x = 1\n")
    (tmp_path / "exercises" / "ex01_a.py").write_text("x = 2\n")
    (tmp_path / "exercises" / "ex02_b.py").write_text("")
    reasons = {d.name: d.reason for d in stubs.drift(tmp_path / "solutions", tmp_path / "exercises")}
    assert set(reasons) == {"ex01_a.py", "ex02_b.py"}


def test_untouched_stubs_are_all_not_started() -> None:
    result = grade_in_process(EXERCISES)
    outcomes = {r.outcome for r in result.results}
    assert outcomes <= {Outcome.NOT_STARTED, Outcome.SKIPPED}, [
        (r.name, r.outcome, r.message) for r in result.results if r.outcome not in (Outcome.NOT_STARTED, Outcome.SKIPPED)
    ]
    assert result.score == 0


@pytest.mark.slow
def test_every_solution_passes_every_check() -> None:
    result = grade_in_process(SOLUTIONS)
    failing = [(r.name, r.outcome.value, r.message) for r in result.results if r.outcome not in (Outcome.PASSED, Outcome.SKIPPED)]
    assert failing == []
    assert result.score == result.max_score > 0


def test_not_started_shortcut_says_what_running_the_probe_says() -> None:
    """Every check's `needs` lists names in the order its probe calls them, so the shortcut names the same stub."""
    exercises = registry.public_exercises()
    loader = SubmissionLoader(EXERCISES, registry.stand_ins(exercises))
    differ, shortcut = [], 0
    for exercise in exercises.values():
        for check in exercise.checks:
            case = next(c for c in check.cases() if c.device == "cpu")
            shortcut += untouched_stubs(loader.load(check.exercise), check.needs) is not None
            fast, full = probe_case(check, case, loader), probe_case(check, case, loader, shortcut=False)
            if verdict(check, case, fast) != verdict(check, case, full):
                differ.append((check.exercise, check.name, fast, full))
    assert differ == []
    assert shortcut > 100


def test_only_untouched_stubs_take_the_shortcut(tmp_path: Path) -> None:
    (tmp_path / "ex99_demo.py").write_text(
        "class Stub:\n    def __init__(self):\n        super().__init__()\n        raise NotImplementedError('write Stub')\n"
        "def stub(x):\n    '''Doc.'''\n    raise NotImplementedError('write stub')\n"
        "def started(x):\n    y = x + 1\n    raise NotImplementedError('write started')\n"
        "def other(x):\n    raise ValueError('no')\n"
        "CONSTANT = 3\n"
    )
    module = SubmissionLoader(tmp_path).load("ex99_demo")
    assert untouched_stubs(module, ("stub",)) == "write stub"
    assert untouched_stubs(module, ("Stub", "stub")) == "write Stub"
    for names in [("started",), ("other",), ("CONSTANT",), ("stub", "started"), ()]:
        assert untouched_stubs(module, names) is None
