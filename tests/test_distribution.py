"""Hidden checks, batches of a whole class, the student bundle and the Gradescope autograder."""

from __future__ import annotations

import csv
import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.sandbox import isolation, zygote

from conftest import EXERCISES, KIT, SOLUTIONS

pytestmark = pytest.mark.slow
HIDDEN = Path(__file__).parent / "hidden_checks"


def grader(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=KIT,
                          timeout=1200, **kwargs)


def test_hidden_checks_count_and_are_marked(tmp_path: Path) -> None:
    done = grader("grade", str(SOLUTIONS), "--exercises", "ex01_tensors", "--hidden", str(HIDDEN),
                  "--json", str(tmp_path / "r.json"), "--gradescope", str(tmp_path / "g.json"))
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "r.json").read_text())
    assert "ex01_tensors::flatten_images_large_batch" in [t["name"] for t in results["tests"]]
    assert results["score"] == results["max_score"] == 11
    visibility = {t["name"]: t["visibility"] for t in json.loads((tmp_path / "g.json").read_text())["tests"]}
    assert visibility["ex01_tensors::flatten_images_large_batch"] == "after_published"
    assert visibility["ex01_tensors::scale_in_place[cpu]"] == "visible"


def _class(folder: Path) -> dict[str, float]:
    """A class of 12: correct, partial, broken and hostile submissions; expected ex01+ex02 scores."""
    expected = {}
    for i in range(3):
        shutil.copytree(SOLUTIONS, folder / f"correct{i}")
        expected[f"correct{i}"] = 28.0
        shutil.copytree(EXERCISES, folder / f"stub{i}", ignore=shutil.ignore_patterns("conftest.py"))
        expected[f"stub{i}"] = 0.0
    partial = folder / "partial"
    partial.mkdir()
    shutil.copy(SOLUTIONS / "ex02_autograd.py", partial)
    expected["partial"] = 19.0
    for name, code in {
        "syntax": "def broken(:\n",
        "exits": "import sys\nsys.exit(3)\n",
        "forks": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n",
        "spins": "while True:\n    pass\n",
    }.items():
        (folder / name).mkdir()
        (folder / name / "ex01_tensors.py").write_text(code)
        expected[name] = 0.0
    shutil.make_archive(str(folder / "zipped"), "zip", root_dir=SOLUTIONS)
    expected["zipped.zip"] = 28.0
    return expected


@pytest.mark.timeout(900)
def test_batch_grades_every_submission_and_leaves_nothing_behind(tmp_path: Path) -> None:
    expected = _class(tmp_path / "class")
    out = tmp_path / "out"
    done = grader("batch", str(tmp_path / "class"), "--out", str(out), "--jobs", "2", "--exercises",
                  "ex01_tensors,ex02_autograd", "--import-timeout", "5")
    assert done.returncode == 0, done.stderr
    with open(out / "gradebook.csv") as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    assert {s: float(r["total"]) for s, r in rows.items()} == expected
    assert list(next(iter(rows.values()))) == ["student", "name", "ex01_tensors", "ex02_autograd", "total",
                                               "max_score", "status"]
    assert set(isolation._children(str(os.getpid()))) - zygote.known_pids() == set()  # this process's zygote stays
    assert not any("time.sleep" in _cmdline(pid) for pid in _all_pids())

    again = grader("batch", str(tmp_path / "class"), "--out", str(out), "--jobs", "2", "--exercises",
                   "ex01_tensors,ex02_autograd", "--import-timeout", "5")
    assert "(skipped)" in again.stderr and "(graded)" not in again.stderr
    forced = grader("batch", str(tmp_path / "class"), "--out", str(out), "--force", "--jobs", "2", "--exercises",
                    "ex01_tensors,ex02_autograd", "--import-timeout", "5")
    assert "(graded)" in forced.stderr
    with open(out / "gradebook.csv") as f:
        assert {row["name"]: row for row in csv.DictReader(f)} == rows


def _all_pids() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit()]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_student_bundle_installs_and_runs_in_a_fresh_venv(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    assert grader("release", str(bundle)).returncode == 0
    names = {p.relative_to(bundle).parts[0] for p in bundle.rglob("*")}
    assert names == {"exercises", "notebooks", "grader", "data_fixtures", "README.md", "README.zh.md", "pyproject.toml",
                     ".github"}
    assert (bundle / "grader" / "locale" / "zh" / "LC_MESSAGES" / "grader.mo").is_file()
    assert sorted(p.name for p in (bundle / "notebooks" / "zh").glob("*.ipynb")) == sorted(
        p.name for p in (bundle / "notebooks").glob("*.ipynb"))
    assert "GRADER_LANG=zh pytest exercises" in (bundle / "README.zh.md").read_text(encoding="utf-8")
    assert not list(bundle.rglob("hidden_checks")) and not (bundle / "solutions").exists()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # torch is far too large to install again: let the new venv see this one's packages.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "outer.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(bundle)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([str(python), "-m", "pytest", "exercises", "-k", "ex01", "-p", "no:cacheprovider"],
                         cwd=bundle, capture_output=True, text=True, env=env, timeout=600)
    assert "ex01_tensors      0 / 9" in run.stdout, run.stdout + run.stderr
    assert "Traceback" not in run.stdout and run.returncode == 1
    run = subprocess.run([str(python), "-m", "pytest", "notebooks/ex01_tensors.ipynb", "-p", "no:cacheprovider"],
                         cwd=bundle, capture_output=True, text=True, env=env, timeout=600)
    assert "ex01_tensors      0 / 9" in run.stdout, run.stdout + run.stderr
    run = subprocess.run([str(python), "-m", "pytest", "exercises", "-k", "ex01", "-p", "no:cacheprovider"],
                         cwd=bundle, capture_output=True, text=True, env={**env, "GRADER_LANG": "zh"}, timeout=600)
    assert "ex01_tensors      0 / 9     未开始" in run.stdout and "总计" in run.stdout, run.stdout + run.stderr


def test_gradescope_bundle_runs_in_an_autograder_layout(tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    assert grader("gradescope-bundle", str(bundle), "--hidden", str(HIDDEN)).returncode == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        assert {"setup.sh", "run_autograder", "hidden_checks/ex01_tensors.py"} <= set(zf.namelist())
        assert not any(n.startswith(("solutions/", "tests/")) for n in zf.namelist())
    (root / "submission").mkdir()
    shutil.copy(SOLUTIONS / "ex01_tensors.py", root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    by_name = {t["name"]: t for t in results["tests"]}
    assert by_name["ex01_tensors::flatten_images_large_batch"]["visibility"] == "after_published"
    assert by_name["ex01_tensors::scale_in_place[cpu]"]["score"] == 2
