"""exercises/ is generated from solutions/, and every stub starts out "not started"."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import registry
from grader.authoring import stubs
from grader.sandbox.inprocess import grade_in_process
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
