"""Loading a student's files: what each kind of broken file turns into."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox.loading import LoadError, SubmissionLoader
from grader.engine.model import Outcome


def _loader(tmp_path: Path, source: str) -> SubmissionLoader:
    (tmp_path / "ex98_demo.py").write_text(source)
    return SubmissionLoader(tmp_path)


def test_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        _loader(tmp_path, "x = 1\ndef f(:\n").load("ex98_demo")
    assert info.value.outcome is Outcome.ERROR
    assert info.value.message.startswith("SyntaxError at ex98_demo.py, line 2")


def test_an_exception_at_import_names_the_students_line(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        _loader(tmp_path, "x = 1\ny = 1 / 0\n").load("ex98_demo")
    assert "ZeroDivisionError" in info.value.message and "ex98_demo.py, line 2, in <module>" in info.value.message


def test_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        SubmissionLoader(tmp_path).load("ex97_absent")
    assert "No file ex97_absent.py" in info.value.message


def test_sys_exit_at_import_is_a_crash_not_an_exit(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        _loader(tmp_path, "import sys\nsys.exit(4)\n").load("ex98_demo")
    assert info.value.outcome is Outcome.CRASHED


def test_an_interrupted_import_is_not_run_again(tmp_path: Path) -> None:
    (tmp_path / "count.txt").write_text("")
    loader = _loader(tmp_path, f"open({str(tmp_path / 'count.txt')!r}, 'a').write('x')\nraise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        loader.load("ex98_demo")
    with pytest.raises(LoadError) as info:
        loader.load("ex98_demo")
    assert info.value.outcome is Outcome.TIMEOUT
    assert (tmp_path / "count.txt").read_text() == "x"
