"""Grading exercises side by side, and a class through batch, stays as isolated as grading one at a time."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.checks import registry
from grader.engine.api import Exercise
from grader.frontends import batch
from grader.sandbox import isolation, zygote
from grader.sandbox.grading import grade_submission
from grader.sandbox.isolation import GiB, Limits

from conftest import EXERCISES, KIT, SOLUTIONS

pytestmark = pytest.mark.slow
FAST = Limits(memory_bytes=int(1.5 * GiB), import_timeout=5.0, file_bytes=8 * 2**20)
ATTACKS = {
    "ex01_tensors": "def scale_(tensor, factor):\n    import os\n    os._exit(0)\n",
    "ex03_sgd": "def fit_linear(*args, **kwargs):\n    while True:\n        pass\n",
    "ex04_network": "import ctypes\nctypes.string_at(0)\n",
    "ex05_dropout": "print('x' * 100_000)\n",
}


def _exercises() -> dict[str, Exercise]:
    found = registry.public_exercises()
    names = ["ex01_tensors", "ex02_autograd", "ex03_sgd", "ex04_network", "ex05_dropout"]
    return {n: Exercise(n, found[n].stand_ins, [dataclasses.replace(c, timeout=3.0) for c in found[n].checks])
            for n in names}


def _submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in _exercises():
        source = (SOLUTIONS / f"{name}.py").read_text()
        (folder / f"{name}.py").write_text(source + "\n" + textwrap.dedent(ATTACKS.get(name, "")))
    return folder


def test_exercises_side_by_side_get_the_verdicts_they_get_one_by_one(tmp_path: Path) -> None:
    folder = _submission(tmp_path)
    alone = grade_submission(folder, limits=FAST, exercises=_exercises())
    together = grade_submission(folder, limits=dataclasses.replace(FAST, parallel=3), exercises=_exercises())
    verdicts = [[(r.name, r.outcome, r.score, r.message, r.output) for r in g.results] for g in (alone, together)]
    assert verdicts[0] == verdicts[1]
    assert {r.exercise for r in together.results if r.score == r.max_score and r.max_score} >= {"ex02_autograd"}
    assert _left_behind() == []


def test_batch_survives_a_grading_process_that_stalls(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    shutil.copytree(SOLUTIONS, klass / "ana", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(EXERCISES, klass / "ben", ignore=shutil.ignore_patterns("conftest.py", "__pycache__"))
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from grader.frontends import batch, entry
        from grader.sandbox import isolation, zygote
        from grader.sandbox.grading import grade_submission
        batch.SUBMISSION_TIMEOUT = 10.0
        def runner(submission, hidden, limits, exercises, on_exercise):  # ben's grading process never ends
            if submission.name == "ben":
                time.sleep(600)
            return grade_submission(submission, hidden, limits, exercises, on_exercise)
        found = batch.find_submissions(Path({str(klass)!r}))
        options = entry.GradeOptions(Path({str(klass)!r}), exercises="ex01_tensors", allow_weak_sandbox=True)
        outcomes = batch.run_batch(found.submissions, Path({str(out)!r}), options, jobs=2, runner=runner)
        print([(o.student, o.status, o.score, o.detail) for o in outcomes])
        print(sorted(set(isolation._children(str(os.getpid()))) - zygote.known_pids()))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=KIT, timeout=300)
    assert done.returncode == 0, done.stderr
    outcomes, left = done.stdout.strip().splitlines()[-2:]
    assert outcomes == "[('ana', 'graded', 9.0, ''), ('ben', 'failed', None, 'grading took longer than 10 s')]"
    assert left == "[]"
    ana, ben = (json.loads((out / "students" / batch.submission_id(name) / "results.json").read_text())
                for name in ("ana", "ben"))
    assert ana["score"] == 9 and (ana["student"], ana["student_id"]) == ("ana", batch.submission_id("ana"))
    assert ben["status"] == "error" and ben["message"] == "grading took longer than 10 s"


def _left_behind() -> list[int]:
    """Processes of ours still there after grading, other than the zygote (which ends its strays itself)."""
    mine = set(isolation._children(str(os.getpid()))) - zygote.known_pids()
    return sorted(mine | {pid for z in zygote.known_pids() for pid in isolation._children(str(z))})
