"""Notebooks in a real Jupyter kernel (nbclient + ipykernel), and `pytest notebooks`, and `grade` on .ipynb files.

Kernel runs are slow (a kernel start and PyTorch's import take seconds), so
each notebook test shares one kernel among many notebooks, with the
namespace reset (``%reset -f``) between them, as a learner moving from one
to the next would see it: every stub notebook in one kernel, and every
reference notebook in another (about a minute on two cores, training
included). The reference must run in the kernel for all thirteen: a probe
that puts a recording class in place of the student's (ex09's ``LeNet``)
only works if it reaches the kernel's own namespace.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

from grader.authoring import notebooks
from grader.checks import registry

import notebook_samples
from conftest import KIT, NOTEBOOKS

pytestmark = pytest.mark.slow


def execute(cells: list[nbformat.NotebookNode], folder: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.v4.new_notebook(cells=cells)
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600, allow_errors=True,
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook.cells


def outputs(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
        parts.append(output.get("data", {}).get("text/html", ""))
        if output.output_type == "error":
            parts.append(f"ERROR {output.ename}: {output.evalue}")
    return "\n".join(parts)


def errors(cells: list[nbformat.NotebookNode]) -> list[str]:
    return [outputs(c) for c in cells if any(o.output_type == "error" for o in c.get("outputs", []))]


def test_every_stub_notebook_runs_without_an_error_and_reads_not_started() -> None:
    cells, checks = [], {}
    for path in notebooks.notebook_files(NOTEBOOKS):
        cells.append(nbformat.v4.new_code_cell("%reset -f"))
        cells += nbformat.read(path, as_version=4).cells
        checks[path.stem] = len(cells) - 1
    done = execute(cells, NOTEBOOKS)
    assert errors(done) == []
    for name, index in checks.items():
        shown = outputs(done[index])
        assert f"{name} " in shown and "not started" in shown and "NOT STARTED" in shown, shown
        assert "<table" in shown and "Traceback" not in shown


def test_a_chinese_stub_notebook_reads_not_started_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADER_LANG", raising=False)  # the notebook's setup cell chooses Chinese itself
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    done = execute(nbformat.read(NOTEBOOKS / "zh" / "ex01_tensors.ipynb", as_version=4).cells, NOTEBOOKS / "zh")
    assert errors(done) == []
    shown = outputs(done[-1])
    assert "ex01_tensors " in shown and "未开始" in shown and "<table" in shown, shown
    assert "not started" not in shown and "Traceback" not in shown


def test_the_reference_in_the_kits_notebooks_passes_every_check(tmp_path: Path) -> None:
    cells, checks = [], {}
    for name in sorted(registry.public_exercises()):
        cells.append(nbformat.v4.new_code_cell("%reset -f"))
        cells += notebook_samples.reference(name).cells
        checks[name] = len(cells) - 1
        cells.append(nbformat.v4.new_code_cell(f'hint("{name}")'))
    done = execute(cells, NOTEBOOKS)
    assert errors(done) == []
    for name, index in checks.items():
        shown = outputs(done[index])
        assert "done" in shown and "FAILED" not in shown and "NOT STARTED" not in shown and "ERROR" not in shown, shown
    assert "running ex03_sgd::fit_linear" in outputs(done[checks["ex03_sgd"]])
    assert "Every check of ex05_dropout passed in the last run: no hint needed." in outputs(done[checks["ex05_dropout"] + 1])


def test_a_wrong_answer_shows_the_learner_message_and_an_error_names_the_cell(tmp_path: Path) -> None:
    notebook = notebook_samples.reference("ex01_tensors")
    notebook.cells[-1:-1] = [
        nbformat.v4.new_code_cell("def scale_(tensor, factor):\n    return tensor * factor"),
        nbformat.v4.new_code_cell("def to_numpy_shared(tensor):\n    x = 1\n    return tensor.numpy() / undefined_name"),
    ]
    notebook.cells += [nbformat.v4.new_code_cell('hint("ex01_tensors")'), nbformat.v4.new_code_cell("check()")]
    done = execute(notebook.cells, NOTEBOOKS)
    shown = outputs(done[-3])
    assert "Expected: the same tensor object back" in shown and "Got:      a different object" in shown
    assert "Expected: the same tensor object back" in shown.split("<table", 1)[1]  # in the HTML table too
    function_cell = done[-4].execution_count
    assert "Got:      NameError: name &#x27;undefined_name&#x27; is not defined\n" in shown
    assert f"at cell [{function_cell}], line 3, in to_numpy_shared" in shown
    assert "in place" in outputs(done[-2]) and 'hint("ex01_tensors", 2)' in outputs(done[-2])  # from the saved run
    assert "ex01_tensors " in outputs(done[-1]) and "ex02_autograd" not in outputs(done[-1])


def test_pytest_notebooks_runs_the_saved_code(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("notebooks")
    (folder / "conftest.py").write_text((NOTEBOOKS / "conftest.py").read_text())
    notebook_samples.write(notebook_samples.reference("ex01_tensors"), folder / "ex01_tensors.ipynb")
    stub = (NOTEBOOKS / "ex05_dropout.ipynb").read_text()
    (folder / "ex05_dropout.ipynb").write_text(stub)
    result = pytester.runpytest_subprocess("notebooks", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "*notebooks/ex01_tensors.ipynb::scale_in_place?cpu? PASSED*",
        "*notebooks/ex05_dropout.ipynb::network_attributes NOT STARTED*",
        "*= points =*",
        "ex01_tensors * 9 / 9 * done",
        "ex05_dropout * 0 / 12 * not started",
    ])
    one = pytester.runpytest_subprocess("notebooks/ex05_dropout.ipynb", "-p", "no:cacheprovider")
    one.stdout.fnmatch_lines(["ex05_dropout * 0 / 12 * not started", "total * 0 / 12*"])
    assert "Traceback" not in result.stdout.str() + one.stdout.str()


def grade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "grade", *args], capture_output=True, text=True, cwd=KIT,
                          timeout=1200)


def test_grade_gives_full_marks_to_the_reference_as_learners_notebooks(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    for path in notebooks.notebook_files(NOTEBOOKS):
        learner = notebook_samples.as_a_learner_works(notebook_samples.reference(path.stem))
        notebook_samples.write(learner, folder / path.name)
    done = grade(str(folder), "--json", str(tmp_path / "r.json"))
    results = json.loads((tmp_path / "r.json").read_text())
    assert done.returncode == 0, done.stderr
    assert results["score"] == results["max_score"] == 242, [t for t in results["tests"] if t["outcome"] != "passed"]
    assert "ex05_dropout.ipynb: not executed when graded:" in done.stdout
    assert "%matplotlib inline (magic)" in done.stdout and "!pip install --quiet torch (shell escape)" in done.stdout
    assert "note" in next(e for e in results["exercises"] if e["name"] == "ex05_dropout")


def test_grade_on_stub_notebooks_and_broken_ones(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    for path in notebooks.notebook_files(NOTEBOOKS):
        (folder / path.name).write_text(path.read_text())
    # the solved file beats the untouched notebook beside it (the file graded is chosen by content)
    (folder / "ex01_tensors.py").write_text((KIT / "solutions" / "ex01_tensors.py").read_text())
    (folder / "ex02_autograd.ipynb").write_text("{ this is not json")
    with_error = notebook_samples.with_code(notebook_samples.reference("ex12_losses"), "def broken(:\n    pass")
    notebook_samples.write(with_error, folder / "ex12_losses.ipynb")
    done = grade(str(folder), "--json", str(tmp_path / "r.json"), "--exercises", "ex01_tensors,ex02_autograd,ex05_dropout,ex12_losses")
    assert done.returncode == 0, done.stderr
    tests = json.loads((tmp_path / "r.json").read_text())["tests"]
    by_exercise = {}
    for t in tests:
        by_exercise.setdefault(t["name"].split("::")[0], set()).add(t["outcome"])
    assert by_exercise["ex01_tensors"] <= {"passed", "skipped"} and by_exercise["ex05_dropout"] <= {"not_started", "skipped"}
    assert "error" in by_exercise["ex02_autograd"] and by_exercise["ex02_autograd"] <= {"error", "skipped"}
    assert "error" in by_exercise["ex12_losses"] and by_exercise["ex12_losses"] <= {"error", "skipped"}
    messages: dict[str, str] = {}  # the first error of each exercise (the others say "Same error as …")
    for t in tests:
        if t["outcome"] == "error":
            messages.setdefault(t["name"].split("::")[0], t["message"])
    assert "ex02_autograd.ipynb is not valid JSON" in messages["ex02_autograd"]
    cell = len(with_error.cells) - 1
    assert messages["ex12_losses"].startswith(f"SyntaxError at ex12_losses.ipynb, cell {cell}, line 1")
    assert "ex01_tensors: graded ex01_tensors.py; not graded: ex01_tensors.ipynb" in done.stdout
