"""`python -m grader grade` end to end: exit codes and the report files CI systems read."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import junitparser
import pytest

from grader.reporters import junit

from conftest import EXERCISES, KIT, SOLUTIONS

pytestmark = pytest.mark.slow

GRADESCOPE_SCHEMA = {  # https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["score", "max_score", "name"],
                "properties": {
                    "score": {"type": "number"}, "max_score": {"type": "number"}, "name": {"type": "string"},
                    "number": {"type": "string"}, "output": {"type": "string"},
                    "status": {"enum": ["passed", "failed"]},
                    "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
RESULTS_V3_KEYS = {"version", "status", "score", "max_score", "exercises", "tests"}
TEST_KEYS = {"name", "task_id", "status", "outcome", "score", "max_score", "message", "output", "tag", "hidden", "detail",
             "same_as"}


def grader(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=KIT, timeout=900)


def _two_exercise_submission(tmp_path: Path, ex01_from: Path) -> Path:
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(ex01_from / "ex01_tensors.py", folder)
    shutil.copy(SOLUTIONS / "ex02_autograd.py", folder)
    return folder


def test_reports_are_valid_for_their_consumers(tmp_path: Path) -> None:
    folder = _two_exercise_submission(tmp_path, EXERCISES)
    done = grader("grade", str(folder), "--json", str(tmp_path / "r.json"), "--gradescope", str(tmp_path / "g.json"),
                  "--junit", str(tmp_path / "j.xml"))
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "r.json").read_text())
    assert set(results) >= RESULTS_V3_KEYS and results["version"] == 3 and results["status"] == "fail"
    assert all(set(t) == TEST_KEYS for t in results["tests"])
    ex02 = next(e for e in results["exercises"] if e["name"] == "ex02_autograd")
    assert ex02["score"] == ex02["max_score"] > 0
    assert {t["outcome"] for t in results["tests"] if t["task_id"] == 1} <= {"not_started", "skipped"}
    assert {t["outcome"] for t in results["tests"] if t["task_id"] > 2} == {"error", "skipped"}  # not submitted
    for t in results["tests"]:
        assert (t["tag"] is None) == (t["outcome"] in ("passed", "skipped")), t
    assert {t["tag"] for t in results["tests"] if t["task_id"] == 1} <= {"not_started", None}
    assert {t["tag"] for t in results["tests"] if t["task_id"] > 2} == {"missing_file", None}

    gradescope = json.loads((tmp_path / "g.json").read_text())
    jsonschema.validate(gradescope, GRADESCOPE_SCHEMA)
    assert gradescope["score"] == results["score"]
    listed = [t for t in results["tests"] if not (t["outcome"] == "skipped" and t["name"].endswith("[cuda]"))]
    assert [t["tags"] for t in gradescope["tests"]] == [[t["tag"]] if t["tag"] else [] for t in listed]

    xml = junitparser.JUnitXml.fromfile(str(tmp_path / "j.xml"))
    suite = next(iter(xml))
    cases = list(suite)
    assert len(cases) == len(results["tests"])
    kinds = {type(r).__name__ for case in cases for r in case.result}
    assert kinds == {"Failure", "Error", "Skipped"}
    tags = [{p.get("name"): p.get("value") for p in case._elem.iter("property")}.get("tag") for case in cases]
    assert tags == [t["tag"] for t in results["tests"]]


def test_full_marks_for_the_solutions_and_fail_under(tmp_path: Path) -> None:
    done = grader("grade", str(SOLUTIONS), "--json", str(tmp_path / "a.json"), "--fail-under", "1e9")
    results = json.loads((tmp_path / "a.json").read_text())
    assert results["score"] == results["max_score"] > 0, [t for t in results["tests"] if t["outcome"] not in ("passed", "skipped")]
    assert done.returncode == 3 and "under --fail-under" in done.stderr


@pytest.mark.parametrize("args", [["grade", "/no/such/folder"], ["grade"], ["frobnicate"]])
def test_bad_usage_exits_2(args: list[str]) -> None:
    assert grader(*args).returncode == 2


def test_a_zip_is_graded_like_a_folder(tmp_path: Path) -> None:
    _two_exercise_submission(tmp_path, SOLUTIONS)
    archive = shutil.make_archive(str(tmp_path / "student"), "zip", root_dir=tmp_path, base_dir="sub")
    done = grader("grade", archive, "--json", str(tmp_path / "z.json"))
    assert done.returncode == 0, done.stderr
    scores = {e["name"]: e["score"] for e in json.loads((tmp_path / "z.json").read_text())["exercises"]}
    assert scores["ex01_tensors"] > 0 and scores["ex02_autograd"] > 0


def test_junit_text_survives_control_characters() -> None:
    from grader.engine.model import CheckResult, GradeResult, Outcome

    result = GradeResult("s", (CheckResult("ex01_tensors", "c", None, Outcome.FAILED, 0, 1, "bad \x00\x1b[31m", "out \x07"),))
    xml = junitparser.JUnitXml.fromstring(junit.dumps(result).split("\n", 1)[1])
    assert len(list(next(iter(xml)) if isinstance(xml, junitparser.JUnitXml) else xml)) == 1


def test_a_bug_in_the_grader_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from grader.frontends import cli
    from grader.sandbox import grading

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(grading, "grade_submission", broken)
    assert cli.main(["grade", str(SOLUTIONS)]) == cli.EXIT_INTERNAL
    assert "internal grader error: RuntimeError: boom" in capsys.readouterr().err


def test_lang_zh_translates_the_texts_and_keeps_the_machine_readable_fields(tmp_path: Path) -> None:
    folder = _two_exercise_submission(tmp_path, EXERCISES)
    done = grader("grade", str(folder), "--lang", "zh", "--exercises", "ex01_tensors,ex02_autograd",
                  "--json", str(tmp_path / "r.json"), "--gradescope", str(tmp_path / "g.json"))
    assert done.returncode == 0, done.stderr
    assert "未开始      ex01_tensors::scale_in_place[cpu]  (0/2)" in done.stdout
    assert re.search(r"ex01_tensors +0 / 9 +未开始", done.stdout) and re.search(r"总计 +19 / 28", done.stdout)
    results = json.loads((tmp_path / "r.json").read_text())
    scale = next(t for t in results["tests"] if t["name"] == "ex01_tensors::scale_in_place[cpu]")
    assert (scale["status"], scale["outcome"]) == ("fail", "not_started")
    assert scale["message"] == "尚未开始：请编写 ex01_tensors.scale_（它仍然抛出 NotImplementedError）。"
    gradescope = json.loads((tmp_path / "g.json").read_text())
    jsonschema.validate(gradescope, GRADESCOPE_SCHEMA)
    scale = next(t for t in gradescope["tests"] if t["name"] == "ex01_tensors::scale_in_place[cpu]")
    assert scale["status"] == "failed" and scale["output"].startswith("尚未开始")


def test_cli_errors_follow_the_language_and_lang_beats_grader_lang() -> None:
    env = {**os.environ, "GRADER_LANG": "zh"}
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "/no/such/folder"], capture_output=True,
                          text=True, cwd=KIT, env=env, timeout=300)
    assert done.returncode == 2 and "错误：/no/such/folder 不存在" in done.stderr
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "/no/such/folder", "--lang", "en"],
                          capture_output=True, text=True, cwd=KIT, env=env, timeout=300)
    assert done.returncode == 2 and "error: /no/such/folder does not exist" in done.stderr
