"""The student bundle ships no model or function of the grader's that a student could paste for marks."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.authoring import release

from conftest import EXERCISES, KIT, SOLUTIONS

pytestmark = pytest.mark.slow

# Grades each folder named on the command line on the checks that need one name; prints {folder: [score, max]}.
GRADE_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from grader.checks import registry
    from grader.engine.api import Exercise
    from grader.sandbox.inprocess import grade_in_process
    scores = {}
    for folder in sys.argv[1:]:
        exercise, name = Path(folder).name.split("__")[:2]
        base = registry.public_exercises()[exercise]
        checks = [c for c in base.checks if name in c.needs]
        only = {exercise: Exercise(base.name, base.stand_ins, checks)}
        result = grade_in_process(Path(folder), only)
        scores[folder] = [result.score, sum(r.max_score for r in result.results)]
    print(json.dumps(scores))
""")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return release.release(tmp_path_factory.mktemp("release") / "bundle")


def _shipped_definitions(bundle: Path) -> list[tuple[str, ast.AST]]:
    """Every class deriving from a Module and every top-level function in the bundle's grader/."""
    found = []
    for path in sorted((bundle / "grader").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            is_module = isinstance(node, ast.ClassDef) and any("Module" in ast.unparse(b) for b in node.bases)
            if is_module or isinstance(node, ast.FunctionDef):
                found.append((path.stem, node))
    return found


def _contract_items() -> list[tuple[str, ast.AST]]:
    """Each stub's public classes and functions: the names a student writes."""
    items = []
    for path in sorted(EXERCISES.glob("ex*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and not node.name.startswith("_"):
                items.append((path.stem, node))
    return items


def _parameters(node: ast.FunctionDef) -> list[str]:
    return [a.arg for a in node.args.posonlyargs + node.args.args]


def _fits(item: ast.AST, candidate: ast.AST) -> bool:
    """Could ``candidate`` be pasted in place of ``item``: a model for a class, same parameters for a function."""
    if isinstance(item, ast.ClassDef):
        return isinstance(candidate, ast.ClassDef)
    return isinstance(candidate, ast.FunctionDef) and _parameters(candidate)[:2] == _parameters(item)[:2]


def _pasted(stub: Path, item: ast.AST, module: str, candidate: ast.AST, bundle: Path) -> str:
    """The stub with ``item`` replaced by the shipped ``candidate`` under the contract's name (and its imports)."""
    source = (bundle / "grader" / "checks" / f"{module}.py")
    source = source if source.exists() else next((bundle / "grader").rglob(f"{module}.py"))
    shipped = ast.parse(source.read_text(encoding="utf-8"))
    imports = [ast.unparse(n) for n in shipped.body if isinstance(n, (ast.Import, ast.ImportFrom))
               and getattr(n, "module", "") != "__future__"]
    helpers = [ast.unparse(n) for n in shipped.body if isinstance(n, ast.Assign)]
    renamed = ast.parse(ast.unparse(candidate)).body[0]
    renamed.name = item.name
    lines = stub.read_text(encoding="utf-8").splitlines()
    start = (item.decorator_list[0].lineno if item.decorator_list else item.lineno) - 1
    kept = lines[:start] + lines[item.end_lineno:]
    return "\n".join(kept + imports + helpers + [ast.unparse(renamed), f"{item.name} = {item.name}", ""])


def _grade(kit: Path, folders: list[Path]) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(kit)}
    done = subprocess.run([sys.executable, "-c", GRADE_SCRIPT, *map(str, folders)], capture_output=True, text=True,
                          env=env, cwd=kit, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_grader_models_are_not_shipped(bundle: Path) -> None:
    names = {node.name for _module, node in _shipped_definitions(bundle)}
    assert not names & {"Network", "GraderLeNet", "GraderCNN", "GraderNet"}
    assert "class Network" in (KIT / "grader" / "checks" / "collaborators.py").read_text()  # the kit keeps it


def test_nothing_shipped_pasted_into_a_stub_scores_full_marks(bundle: Path, tmp_path: Path) -> None:
    folders = []
    for exercise, item in _contract_items():
        for module, candidate in _shipped_definitions(bundle):
            if not _fits(item, candidate):
                continue
            folder = tmp_path / f"{exercise}__{item.name}__{module}__{candidate.name}"
            shutil.copytree(EXERCISES, folder, ignore=shutil.ignore_patterns("__pycache__", "conftest.py"))
            (folder / f"{exercise}.py").write_text(
                _pasted(EXERCISES / f"{exercise}.py", item, module, candidate, bundle), encoding="utf-8")
            folders.append(folder)
    assert len(folders) > 20
    for kit in (bundle, KIT):
        scores = _grade(kit, folders)
        full = [folder for folder, (score, most) in scores.items() if most > 0 and score >= most]
        assert full == [], f"full marks with shipped code ({kit}): {full}"


def _pytest(bundle: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(bundle)}
    return subprocess.run([sys.executable, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=bundle, env=env, timeout=1800)


def test_untouched_stubs_read_not_started_without_warnings(bundle: Path) -> None:
    done = _pytest(bundle, "exercises")
    assert done.returncode == 1, done.stdout[-3000:]  # not started counts as not passed
    summary = done.stdout.strip().splitlines()[-1]
    assert "passed" not in summary and "failed" not in summary and "error" not in summary, summary
    assert "Traceback" not in done.stdout and "warning" not in done.stdout.lower()


def test_solutions_pass_and_withheld_checks_use_the_students_own_models(bundle: Path) -> None:
    for solution in SOLUTIONS.glob("ex*.py"):
        shutil.copy(solution, bundle / "exercises" / solution.name)
    done = _pytest(bundle, "exercises", "-k", "ex05 or ex07 or ex10 or ex13")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Traceback" not in done.stdout and "warning" not in done.stdout.lower()
    # ex07 builds the student's ex05 Network; ex10's checks on the grader's MyCNN say why they are skipped
    assert "ex07_checkpoint.py::save_checkpoint_contents[cpu] PASSED" in done.stdout
    assert "train_epoch_steps_every_batch SKIPPED" in done.stdout
    shutil.copy(EXERCISES / "ex05_dropout.py", bundle / "exercises" / "ex05_dropout.py")
    done = _pytest(bundle, "exercises", "-k", "ex07", "-rs")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "save_checkpoint_contents[cpu] SKIPPED" in done.stdout
    assert "checked when your work is graded" in done.stdout


def test_a_notebook_never_reads_the_results_of_the_py_file(bundle: Path) -> None:
    shutil.copy(SOLUTIONS / "ex04_network.py", bundle / "exercises" / "ex04_network.py")
    done = _pytest(bundle, "exercises/ex04_network.py", "notebooks/ex04_network.ipynb")
    assert "exercises/ex04_network.py::network_layers PASSED" in done.stdout, done.stdout[-3000:]
    assert "notebooks/ex04_network.ipynb::network_layers NOT STARTED" in done.stdout, done.stdout[-3000:]
    shutil.copy(EXERCISES / "ex04_network.py", bundle / "exercises" / "ex04_network.py")
