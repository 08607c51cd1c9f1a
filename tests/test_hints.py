"""The hint ladder: hint N of the first failing check, from the saved last run, without running anything again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.engine.model import CheckResult, GradeResult, Message, Outcome
from grader.frontends import cli
from grader.reporters import hints

from conftest import SOLUTIONS


def _broken_ex01(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "ex01_tensors.py"
    shutil.copy(SOLUTIONS / "ex01_tensors.py", path)
    path.write_text(path.read_text() + "\n\ndef scale_(tensor, factor):\n    return tensor.mul_(factor) + [1][3]\n")
    return path


def _hint(capsys: pytest.CaptureFixture, *args: str) -> list[str]:
    assert cli.main(["hint", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_grade_saves_the_run_and_hint_climbs_the_ladder_without_running_again(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "work"
    _broken_ex01(folder)
    assert cli.main(["grade", str(folder), "--exercises", "ex01_tensors", "-q"]) == 0
    capsys.readouterr()
    (folder / "ex01_tensors.py").unlink()  # a hint that ran the code again would now fail
    first = _hint(capsys, "ex01_tensors", "--folder", str(folder))
    assert first[0] == "ex01_tensors::scale_in_place[cpu]: hint 1 of 3"
    assert first[1].startswith("An index is past the end")
    assert first[2] == "A little more: python -m grader hint ex01_tensors --level 2"
    second = _hint(capsys, "ex01_tensors", "--level", "2", "--folder", str(folder))
    assert second[0].endswith("hint 2 of 3") and "len(...)" in second[1]
    last = _hint(capsys, "ex01_tensors", "--level", "9", "--folder", str(folder))
    assert last[0].endswith("hint 3 of 3") and "docstring" in last[1] and last[2] == "That was the last hint."


def test_without_a_saved_run_hint_says_what_to_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shown = _hint(capsys, "ex05_dropout", "--folder", str(tmp_path))
    assert "No saved results for ex05_dropout yet" in shown[0]


def _result(exercise: str, outcome: Outcome, hint: str = "") -> CheckResult:
    detail = Message("f(x)", "1", "2", hint) if hint else None
    return CheckResult(exercise, "one", None, outcome, 0.0, 1.0, detail.render() if detail else "", detail=detail)


def test_saving_keeps_the_results_of_exercises_not_run_again(tmp_path: Path) -> None:
    hints.save_last_run(GradeResult("a", (_result("ex01_tensors", Outcome.FAILED, "first"),
                                          _result("ex05_dropout", Outcome.FAILED, "old"))), tmp_path)
    hints.save_last_run(GradeResult("a", (_result("ex05_dropout", Outcome.PASSED),)), tmp_path)
    saved = hints.last_run([tmp_path])
    assert saved is not None
    assert [(r.exercise, r.outcome) for r in saved.results] == [
        ("ex01_tensors", Outcome.FAILED), ("ex05_dropout", Outcome.PASSED)]
    assert hints.hint_text(saved, "ex01_tensors", 1, "{level}").splitlines()[1] == "first"
    assert "no hint needed" in hints.hint_text(saved, "ex05_dropout", 1, "{level}")


def test_a_message_without_hints_still_has_a_ladder_ending_in_the_docs() -> None:
    timed_out = CheckResult("ex03_sgd", "fit_linear", None, Outcome.TIMEOUT, 0.0, 2.0, "Took longer than 20 s: …")
    assert hints.ladder(timed_out)[0] == "Took longer than 20 s: …"
    assert "pytorch.org/docs" in hints.ladder(timed_out)[-1]
