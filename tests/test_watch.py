"""Watch mode: a verdict after every save, from a warm process, kept for the hint ladder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.checks import registry
from grader.frontends import watch

from conftest import KIT, SOLUTIONS


def _until(process: subprocess.Popen, marker: str) -> str:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 120  # a generous bound against a hang, not a speed requirement
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} never came:\n{''.join(seen)}")


def test_every_save_gets_a_verdict_and_the_run_is_kept_for_hints(tmp_path: Path) -> None:
    target = tmp_path / "ex01_tensors.py"
    shutil.copy(SOLUTIONS / "ex01_tensors.py", target)
    env = {**os.environ, "GRADER_LANG": "en", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "grader", "watch", "--folder", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=KIT, env=env)
    try:
        first = _until(process, "Watching")
        assert "ex01_tensors      9 / 9     done" in first
        target.write_text(target.read_text() + "\n\ndef scale_(tensor, factor):\n    return tensor * factor\n")
        verdict = _until(process, "Watching")
        assert "ex01_tensors saved: checking…" in verdict
        assert "FAILED      ex01_tensors::scale_in_place[cpu]" in verdict and "7 / 9" in verdict
        (tmp_path / "notes.txt").write_text("not an exercise")
        target.write_text((SOLUTIONS / "ex01_tensors.py").read_text())
        assert "9 / 9     done" in _until(process, "Watching")
    finally:
        process.terminate()
        process.wait(30)
    assert (tmp_path / ".grader" / "last-run.json").is_file()


def test_a_save_is_a_change_of_the_graded_file(tmp_path: Path) -> None:
    chosen = {name: registry.public_exercises()[name] for name in ("ex01_tensors", "ex05_dropout")}
    shutil.copy(SOLUTIONS / "ex01_tensors.py", tmp_path)
    before = watch.saved_stamps(tmp_path, chosen)
    assert before["ex05_dropout"] is None and before["ex01_tensors"] is not None
    (tmp_path / "notes.txt").write_text("not an exercise")
    assert watch.saved_stamps(tmp_path, chosen) == before
    (tmp_path / "ex05_dropout.py").write_text("x = 1\n")
    assert watch.saved_stamps(tmp_path, chosen)["ex05_dropout"] is not None


def test_a_folder_without_exercises_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from grader.frontends import cli

    assert cli.main(["watch", "--folder", str(tmp_path)]) == 2
    assert "has no exercise files" in capsys.readouterr().out
