"""``batch``: every student under their own id and name, and nothing one submission does stops the others."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from grader.frontends import batch

from conftest import EXERCISES, KIT, SOLUTIONS

pytestmark = pytest.mark.slow
EX01 = "ex01_tensors.py"

PARENT = """
import os as _os, signal as _signal, time as _time

def _parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])
"""
ATTACKS = {
    # kills the process it was forked from (the zygote), so its grading process loses it
    "killer": PARENT + "_os.kill(_os.getppid(), _signal.SIGKILL)\n_time.sleep(5)\n",
    # stops the zygote, then goes on as a correct solution
    "stopper": PARENT + "_os.kill(_os.getppid(), _signal.SIGSTOP)\n",
    # asks the batch itself to end, and stops it
    "signaller": PARENT + textwrap.dedent("""
        try:
            _batch = _parent_of(_os.getppid())
            _os.kill(_batch, _signal.SIGTERM)
            _os.kill(_batch, _signal.SIGSTOP)
            _os.kill(_batch, _signal.SIGINT)
            _time.sleep(3)  # alive while the batch looks at who sent them
        except OSError:
            pass
    """),
    # writes 50 MB in its work folder, then kills the zygote before anything can clean up
    "filler": PARENT + "open('fill', 'wb').write(b'0' * 50 * 2**20)\n_os.kill(_os.getppid(), _signal.SIGKILL)\n",
}


def _class(folder: Path) -> dict[str, float | None]:
    """Names that clash once sanitised or look like outputs, a damaged zip and hostile code; expected ex01 totals."""
    solution, stub = (SOLUTIONS / EX01).read_text(), (EXERCISES / EX01).read_text()
    files = {"Zhang San": solution, "Zhang_San": stub, "report.html": solution, "students": stub}
    files.update({name: solution + attack for name, attack in ATTACKS.items()})
    for name, text in files.items():
        (folder / name).mkdir(parents=True)
        (folder / name / EX01).write_text(text)
    (folder / "Zhang San" / "ex01_tensors.pyc").write_bytes(b"\x00compiled")  # never run, said to be ignored
    shutil.make_archive(str(folder / "gradebook.csv"), "zip", root_dir=folder / "Zhang San")
    whole = (folder / "gradebook.csv.zip").read_bytes()
    (folder / "truncated.zip").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.txt").write_text("not a submission")
    return {"Zhang San": 9, "Zhang_San": 0, "report.html": 9, "students": 0, "gradebook.csv.zip": 9, "stopper": 9,
            "signaller": 9, "truncated.zip": None, "killer": None, "filler": None}


# The batch command with Landlock and seccomp off in every exercise child: both keep signals from
# leaving the sandbox, and these tests are about what the batch itself does when one gets through.
WITHOUT_SIGNAL_LAYERS = """
import dataclasses, sys
from grader.sandbox import grading
grade = grading.grade_submission
def without_signal_layers(submission, hidden, limits, exercises, on_exercise=None):
    limits = dataclasses.replace(limits, layers=limits.layers - {"landlock", "seccomp"})
    return grade(submission, hidden, limits, exercises, on_exercise)
grading.grade_submission = without_signal_layers
from grader.frontends import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def _batch(folder: Path, out: Path, *extra: str, layers: bool = True) -> subprocess.CompletedProcess:
    start = ["-m", "grader"] if layers else ["-c", WITHOUT_SIGNAL_LAYERS]
    command = [sys.executable, *start, "batch", str(folder), "--out", str(out), "--exercises", "ex01_tensors",
               "--import-timeout", "20", "--no-similarity", *extra]
    return subprocess.run(command, capture_output=True, text=True, cwd=KIT, timeout=900)


@pytest.mark.timeout(900)
def test_every_student_is_graded_under_their_own_name_whatever_one_submission_does(tmp_path: Path) -> None:
    expected = _class(tmp_path / "class")
    out = tmp_path / "out"
    # One at a time: without the kernel's layers a submission can kill the zygote, which costs the
    # submissions being graded at that moment; the batch starts a fresh one for the next.
    done = _batch(tmp_path / "class", out, "--jobs", "1", layers=False)
    assert done.returncode == 0, done.stderr
    with open(out / "gradebook.csv") as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    assert {name: (float(r["total"]) if r["total"] else None) for name, r in rows.items()} == expected
    ids = {name: row["student"] for name, row in rows.items()}
    assert len(set(ids.values())) == len(ids) and ids["Zhang San"] != ids["Zhang_San"]
    assert sorted(p.name for p in out.iterdir()) == ["gradebook.csv", "report.html", "students"]
    assert sorted(p.name for p in (out / "students").iterdir()) == sorted(ids.values())
    for name, student_id in ids.items():
        results = json.loads((out / "students" / student_id / "results.json").read_text())
        assert (results["student"], results["student_id"]) == (name, student_id)
        assert name in (out / "students" / student_id / "feedback.html").read_text()
    assert "graded 7 of 10 submissions (3 could not be graded)" in done.stdout
    assert "ignored notes.txt: not a folder or a .zip file" in done.stderr
    feedback = (out / "students" / ids["Zhang San"] / "feedback.html").read_text()
    assert "ignored compiled files (.pyc): only .py and .ipynb sources are graded" in feedback
    assert "truncated.zip cannot be read as a zip file" in _message(out, ids["truncated.zip"])
    assert "the zygote" in _message(out, ids["killer"])
    for sent in ("SIGTERM", "SIGINT"):  # sent by a child of the zygote: ignored, not put on a student's row
        assert f"ignored {sent} sent to the batch by process" in done.stderr
    assert not [p for p in Path(tempfile.gettempdir()).glob("grader-filler-*")]  # its scratch folder is gone


@pytest.mark.timeout(900)
def test_with_every_layer_the_kernel_holds_the_same_attacks_and_the_batch_finishes(tmp_path: Path) -> None:
    solution = (SOLUTIONS / EX01).read_text()
    for name in ("honest", *ATTACKS):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / EX01).write_text(solution + ATTACKS.get(name, ""))
    done = _batch(tmp_path / "class", tmp_path / "out", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "gradebook.csv") as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"honest", *ATTACKS} and rows["honest"]["total"] == "9"
    assert "to the batch (ignored)" not in done.stderr  # no signal left the sandbox


def _message(out: Path, student_id: str) -> str:
    return json.loads((out / "students" / student_id / "results.json").read_text())["message"]


@pytest.mark.timeout(300)
def test_an_empty_class_is_a_clear_error_with_an_empty_gradebook_and_report(tmp_path: Path) -> None:
    (tmp_path / "class").mkdir()
    done = _batch(tmp_path / "class", tmp_path / "out")
    assert done.returncode == 2
    assert "holds no submissions: put one sub-folder or .zip file per student in it" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "out" / "gradebook.csv").read_text() == "student,name,total,max_score,status\n"
    assert (tmp_path / "out" / "report.html").is_file()


def test_ids_are_distinct_stable_and_safe() -> None:
    names = ["Zhang San", "Zhang_San", "Zhang San.zip", "../x", "学生", "a" * 300]
    ids = [batch.submission_id(name) for name in names]
    assert len(set(ids)) == len(ids) and ids == [batch.submission_id(name) for name in names]
    assert all(i.replace("-", "").replace("_", "").isalnum() and len(i) <= 49 for i in ids)


def test_the_output_folder_inside_the_class_folder_is_not_a_student(tmp_path: Path) -> None:
    (tmp_path / "ana").mkdir()
    (tmp_path / "out").mkdir()
    found = batch.find_submissions(tmp_path, tmp_path / "out")
    assert [s.name for s in found.submissions] == ["ana"]


def test_signals_from_below_are_ignored_and_from_outside_stop_the_batch() -> None:
    script = textwrap.dedent("""
        import os, signal, sys, time
        from grader.sandbox import guard
        guard.block()
        pid = os.fork()
        if pid == 0:
            os.kill(os.getppid(), signal.SIGTERM)
            time.sleep(2)
            os._exit(0)
        time.sleep(0.5)
        print([s.name for s in guard.take(1.0)])
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.kill(os.getpid(), signal.SIGTERM)  # from "outside": the kernel says it came from this very process
        try:
            guard.take(1.0)
        except guard.Stop as stop:
            print("stop", stop)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=KIT, timeout=60)
    assert done.stdout.split("\n")[:2] == ["['SIGTERM']", "stop SIGTERM"], done.stderr
