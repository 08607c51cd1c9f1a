"""Reading a submission: which file is graded, what is ignored, and bad input (all read in a limited child)."""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.checks import registry
from grader.engine.model import Outcome, Tag
from grader.sandbox import submission
from grader.sandbox.grading import grade_submission
from grader.sandbox.isolation import GiB, Limits
from grader.sandbox.submission import SubmissionError, prepare

from conftest import EXERCISES, SOLUTIONS
from notebook_samples import reference

EX01 = "ex01_tensors"
FAST = Limits(memory_bytes=int(1.5 * GiB), import_timeout=10.0)


def _stub_notebook(name: str) -> str:
    from grader.authoring import notebooks

    return notebooks.dumps(notebooks.notebook_for((SOLUTIONS / f"{name}.py").read_text(), name))


def _solved_notebook(name: str, outputs_bytes: int = 0) -> str:
    notebook = reference(name)
    if outputs_bytes:  # what a kernel saves: a run setup cell, printed text, an image
        cell = next(c for c in notebook.cells if c.cell_type == "code")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * outputs_bytes)]
        cell.execution_count = 1
    return nbformat.writes(notebook)


def _run_setup_cell(text: str) -> str:
    """An untouched notebook whose setup cell was run: outputs and an execution count."""
    notebook = nbformat.reads(text, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ready\n")]
    cell.execution_count = 1
    return nbformat.writes(notebook)


def _prepare(source: Path, tmp_path: Path, names: tuple[str, ...] = (EX01,)) -> submission.Prepared:
    return prepare(source, tmp_path / "prepared", names)


def test_a_whole_repository_grades_the_solved_notebook_not_the_stub(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "exercises").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    (repo / "exercises" / f"{EX01}.py").write_text((EXERCISES / f"{EX01}.py").read_text())
    (repo / "notebooks" / f"{EX01}.ipynb").write_text(_solved_notebook(EX01))
    prepared = _prepare(repo, tmp_path)
    assert prepared.graded[EX01].path == f"notebooks/{EX01}.ipynb"
    assert prepared.graded[EX01].stub_raises == 0 and prepared.graded[EX01].others == (f"exercises/{EX01}.py",)
    assert f"graded notebooks/{EX01}.ipynb; not graded: exercises/{EX01}.py" in prepared.notes[EX01]
    assert sorted(p.name for p in prepared.folder.iterdir()) == [f"{EX01}.ipynb"]


def test_a_copy_of_the_kit_is_graded_by_its_exercises_never_by_its_checks(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "exercises").mkdir(parents=True)
    (repo / "grader" / "checks").mkdir(parents=True)
    (repo / "exercises" / f"{EX01}.py").write_text((EXERCISES / f"{EX01}.py").read_text())
    (repo / "grader" / "checks" / f"{EX01}.py").write_text("EXERCISE = None\n")
    assert _prepare(repo, tmp_path).graded[EX01].path == f"exercises/{EX01}.py"


def test_classroom_layout_grades_the_solved_py_beside_an_untouched_run_notebook(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / f"{EX01}.py").write_text((SOLUTIONS / f"{EX01}.py").read_text())
    (repo / f"{EX01}.ipynb").write_text(_run_setup_cell(_stub_notebook(EX01)))
    prepared = _prepare(repo, tmp_path)
    assert prepared.graded[EX01].path == f"{EX01}.py"
    assert prepared.graded[EX01].others == (f"{EX01}.ipynb",)


def test_when_both_are_worked_on_the_notebook_wins_as_before(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.py").write_text((SOLUTIONS / f"{EX01}.py").read_text())
    (tmp_path / "sub" / f"{EX01}.ipynb").write_text(_solved_notebook(EX01))
    assert _prepare(tmp_path / "sub", tmp_path).graded[EX01].path == f"{EX01}.ipynb"


def test_a_file_that_does_not_parse_beats_the_stub_but_not_a_started_file(tmp_path: Path) -> None:
    stub = (EXERCISES / f"{EX01}.py").read_text()
    (tmp_path / "a" / "exercises").mkdir(parents=True)
    (tmp_path / "a" / "exercises" / f"{EX01}.py").write_text(stub)
    (tmp_path / "a" / "mine").mkdir()
    (tmp_path / "a" / "mine" / f"{EX01}.py").write_text("def broken(:\n")
    assert _prepare(tmp_path / "a", tmp_path / "1").graded[EX01].path == f"mine/{EX01}.py"
    (tmp_path / "a" / "other").mkdir()
    (tmp_path / "a" / "other" / f"{EX01}.py").write_text(stub.replace('raise NotImplementedError("write', "return 0  #", 1))
    assert _prepare(tmp_path / "a", tmp_path / "2").graded[EX01].path == f"other/{EX01}.py"


def test_find_graded_files_on_a_folder(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / f"{EX01}.py").write_text((SOLUTIONS / f"{EX01}.py").read_text())
    (tmp_path / f"{EX01}.py").write_text((EXERCISES / f"{EX01}.py").read_text())
    graded = submission.find_graded_files(tmp_path, [EX01, "ex02_autograd"])
    assert list(graded) == [EX01] and graded[EX01].path == f"deep/er/{EX01}.py"


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        for name, data in entries:
            zf.writestr(name, data)
    return path


def test_from_a_zip_only_sources_are_graded_and_duplicates_are_reported(tmp_path: Path) -> None:
    solution = (SOLUTIONS / f"{EX01}.py").read_bytes()
    archive = _zip(tmp_path / "s.zip", [
        (f"{EX01}.py", b"raise SystemExit('first copy')\n"),
        (f"{EX01}.py", solution),
        (f"__pycache__/{EX01}.cpython-311.pyc", b"\x00compiled"),
        (f"{EX01}.pyc", b"\x00compiled"),
        ("../escape.py", b"x = 1\n"),
        ("/abs.py", b"x = 1\n"),
        ("data.bin", b"\x00" * 100),
    ])
    prepared = _prepare(archive, tmp_path)
    assert (prepared.folder / f"{EX01}.py").read_bytes() == solution
    assert sorted(p.name for p in prepared.folder.iterdir()) == [f"{EX01}.py"]
    notices = "\n".join(prepared.notices)
    assert f"the zip holds {EX01}.py 2 times; the last copy was read" in notices
    assert "ignored compiled files (.pyc): only .py and .ipynb sources are graded" in notices
    assert "refused ../escape.py: a path outside the submission" in notices
    assert "refused /abs.py" in notices


def test_a_zip_bomb_is_read_no_further_than_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submission, "MAX_READ_BYTES", 2**20)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{EX01}.py", b"#" * (40 * 2**20))
    prepared = _prepare(archive, tmp_path)
    assert prepared.graded[EX01].problem.startswith(f"{EX01}.py is 40.0 MiB, over the grader's limit of 1.0 MiB")


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(200)), "cannot be read as a zip file"),
    (lambda p: p.write_bytes(os.urandom(300)), "cannot be read as a zip file"),
])
def test_a_corrupt_zip_says_what_to_do(tmp_path: Path, make, expected: str) -> None:
    make(tmp_path / "bad.zip")
    with pytest.raises(SubmissionError) as info:
        _prepare(tmp_path / "bad.zip", tmp_path)
    assert expected in str(info.value) and "Make the zip again" in str(info.value)


def test_a_truncated_zip_is_a_damaged_zip_not_an_unknown_file(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.zip", [(f"{EX01}.py", (SOLUTIONS / f"{EX01}.py").read_bytes())])
    cut = tmp_path / "cut"  # no .zip suffix: known by its first bytes
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(SubmissionError) as info:
        _prepare(cut, tmp_path)
    assert "cut cannot be read as a zip file" in str(info.value) and "truncated or damaged" in str(info.value)


def test_a_file_that_is_neither_says_what_to_submit(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SubmissionError, match="neither a folder nor a .zip file: submit the folder"):
        _prepare(tmp_path / "notes.txt", tmp_path)


def test_a_damaged_entry_is_reported_by_name(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", [(f"{EX01}.py", b"x = 1\n" * 50)])
    data = bytearray(archive.read_bytes())
    start = data.index(b"x = 1")
    data[start:start + 5] = b"y = 2"  # the stored CRC no longer matches
    archive.write_bytes(bytes(data))
    prepared = _prepare(archive, tmp_path)
    assert prepared.graded[EX01].problem == f"could not read {EX01}.py: Bad CRC-32 for file '{EX01}.py'"


def test_links_are_not_followed_and_notices_are_capped(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.py").symlink_to(SOLUTIONS / f"{EX01}.py")
    for i in range(30):
        (tmp_path / "sub" / f"helper{i:02d}.pyc").write_bytes(b"")
        (tmp_path / "sub" / f"link{i:02d}.py").symlink_to(SOLUTIONS / f"{EX01}.py")
    prepared = _prepare(tmp_path / "sub", tmp_path)
    assert EX01 not in prepared.graded and not any(prepared.folder.iterdir())
    assert prepared.notices[0] == f"ignored {EX01}.py: not a regular file (a link or a device)"
    assert len(prepared.notices) == 21 and prepared.notices[-1] == "... and 12 more"  # 32 in all


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.py").write_text("x = 1\n")
    (tmp_path / "sub" / f"{EX01}.py").chmod(0)
    assert _prepare(tmp_path / "sub", tmp_path).graded[EX01].problem.startswith(f"could not read {EX01}.py")


def test_a_deeply_nested_notebook_is_parsed_in_the_child_not_here(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.ipynb").write_text("[" * 200_000 + "]" * 200_000)
    prepared = _prepare(tmp_path / "sub", tmp_path)
    assert prepared.graded[EX01].stub_raises is None  # not a notebook: its exercise child says so


def test_a_notebook_too_slow_to_read_is_the_submissions_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submission, "READ_TIMEOUT", 2.0)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.ipynb").write_text(json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
         "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1\n" * 1_000_000}]}))
    with pytest.raises(SubmissionError, match="the grader could not read the submission: it took longer than 2 s"):
        _prepare(tmp_path / "sub", tmp_path)


def test_a_reading_child_that_runs_out_of_memory_is_the_submissions_error(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submission, "READ_MEMORY_BYTES", 64 * 2**20)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.ipynb").write_text(_solved_notebook(EX01, outputs_bytes=100 * 2**20))
    with pytest.raises(SubmissionError, match="could not read the submission: it needed more memory than allowed"):
        _prepare(tmp_path / "sub", tmp_path)


def _only(name: str) -> dict:
    return {name: registry.public_exercises()[name]}


@pytest.mark.slow
def test_a_correct_notebook_with_30_mb_of_saved_outputs_keeps_full_marks(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ex05_dropout.ipynb").write_text(_solved_notebook("ex05_dropout", outputs_bytes=30 * 2**20))
    assert (tmp_path / "sub" / "ex05_dropout.ipynb").stat().st_size > 30 * 2**20
    result = grade_submission(tmp_path / "sub", limits=FAST, exercises=_only("ex05_dropout"))
    assert result.score == result.max_score > 0, [(r.name, r.message) for r in result.results if r.score < r.max_score]
    assert result.graded_files == {"ex05_dropout": "ex05_dropout.ipynb"}


@pytest.mark.slow
def test_a_file_over_the_cap_is_reported_by_name_and_size_not_as_missing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submission, "MAX_FILE_BYTES", 2**20)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{EX01}.py").write_text((SOLUTIONS / f"{EX01}.py").read_text() + "#" * (2 * 2**20) + "\n")
    result = grade_submission(tmp_path / "sub", limits=FAST, exercises=_only(EX01))
    counted = [r for r in result.results if r.outcome is not Outcome.SKIPPED]
    assert counted and all(r.outcome is Outcome.ERROR and r.tag is Tag.UNREADABLE_FILE for r in counted)
    assert counted[0].message.startswith(f"{EX01}.py is 2.0 MiB, over the grader's limit")
    assert "No file" not in counted[0].message and result.graded_files == {EX01: f"{EX01}.py"}


def test_notices_reach_every_report_the_student_reads() -> None:
    from grader.engine.model import CheckResult, GradeResult
    from grader.reporters import classroom, gradescope, prairielearn, terminal

    notice = "ignored compiled files (.pyc): only .py and .ipynb sources are graded"
    result = GradeResult("s", (CheckResult(EX01, "c", None, Outcome.PASSED, 1, 1),), notices=(notice,))
    assert notice in terminal.report(result)
    assert notice in json.loads(gradescope.dumps(result))["output"]
    assert notice in json.loads(prairielearn.dumps(result))["message"]
    assert notice in classroom.summary(result)
