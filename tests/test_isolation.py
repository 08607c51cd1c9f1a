"""Hostile and broken submissions end as results, and score no more than they earn.

Each test grades a small submission: the reference ex02 (to show that other
exercises keep their score) and an ex01 that attacks the grader.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.sandbox import isolation, zygote
from grader.checks import registry
from grader.engine.api import Exercise
from grader.sandbox.grading import KIT, grade_submission
from grader.sandbox.isolation import GiB, Limits
from grader.engine.model import GradeResult, Outcome, Tag, expand_repeats

from conftest import EXERCISES, SOLUTIONS

pytestmark = pytest.mark.slow
FAST = Limits(memory_bytes=int(1.5 * GiB), import_timeout=5.0, file_bytes=8 * 2**20)
EX01_POINTS = 9.0


def _exercises(timeout: float = 5.0) -> dict[str, Exercise]:
    """ex01 with short time limits (it is the one attacking), ex02 as registered."""
    found = registry.public_exercises()
    ex01 = found["ex01_tensors"]
    short = [dataclasses.replace(c, timeout=timeout) for c in ex01.checks]
    return {"ex01_tensors": Exercise(ex01.name, ex01.stand_ins, short), "ex02_autograd": found["ex02_autograd"]}


def _grade(tmp_path: Path, ex01: str, *, base: Path = SOLUTIONS, append: bool = True) -> GradeResult:
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "ex02_autograd.py", folder)
    source = (base / "ex01_tensors.py").read_text() if append else ""
    (folder / "ex01_tensors.py").write_text(source + "\n" + textwrap.dedent(ex01))
    return grade_submission(folder, limits=FAST, exercises=_exercises())


def _score(result: GradeResult, exercise: str) -> float:
    return next(e.score for e in result.exercises() if e.name == exercise)


def _outcomes(result: GradeResult, exercise: str = "ex01_tensors") -> set[Outcome]:
    return {r.outcome for r in result.results if r.exercise == exercise and r.outcome is not Outcome.SKIPPED}


def _tags(result: GradeResult, exercise: str = "ex01_tensors") -> set[Tag | None]:
    return {r.tag for r in result.results if r.exercise == exercise and r.outcome is not Outcome.SKIPPED}


def _ex02_untouched(result: GradeResult) -> None:
    lost = [(r.name, r.outcome.value, r.message) for r in result.results
            if r.exercise == "ex02_autograd" and r.outcome not in (Outcome.PASSED, Outcome.SKIPPED)]
    assert lost == []


def test_infinite_loop_at_import_times_out(tmp_path: Path) -> None:
    result = _grade(tmp_path, "while True:\n    pass\n")
    assert _outcomes(result) == {Outcome.TIMEOUT}
    assert _tags(result) == {Tag.TIMEOUT}
    assert _score(result, "ex01_tensors") == 0
    _ex02_untouched(result)


def test_sys_exit_at_import_is_a_crash(tmp_path: Path) -> None:
    result = _grade(tmp_path, "import sys\nsys.exit(0)\n")
    assert _outcomes(result) == {Outcome.CRASHED}
    assert _tags(result) == {Tag.CRASHED}
    assert "sys.exit" in result.results[0].message
    _ex02_untouched(result)


def test_os_exit_in_a_function_costs_only_that_check(tmp_path: Path) -> None:
    result = _grade(tmp_path, "def scale_(tensor, factor):\n    import os\n    os._exit(0)\n")
    crashed = [r for r in result.results if r.outcome is Outcome.CRASHED]
    assert [r.check for r in crashed] == ["scale_in_place"]
    assert _score(result, "ex01_tensors") == EX01_POINTS - 2
    _ex02_untouched(result)


def test_segfault_is_a_crash(tmp_path: Path) -> None:
    result = _grade(tmp_path, "def scale_(tensor, factor):\n    import ctypes\n    ctypes.string_at(0)\n")
    crashed = [r for r in result.results if r.outcome is Outcome.CRASHED]
    assert [r.check for r in crashed] == ["scale_in_place"]
    assert "SIGSEGV" in crashed[0].message and crashed[0].tag is Tag.CRASHED
    _ex02_untouched(result)


def test_endless_allocation_is_out_of_memory(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        def scale_(tensor, factor):
            hoard = []
            while True:
                hoard.append(bytearray(50 * 2**20))
    """)
    verdict = next(r for r in result.results if r.check == "scale_in_place")
    assert verdict.outcome in (Outcome.CRASHED, Outcome.ERROR)
    assert "out of memory" in verdict.message.lower()
    assert verdict.tag is Tag.OUT_OF_MEMORY
    assert _score(result, "ex01_tensors") == EX01_POINTS - 2
    _ex02_untouched(result)


def test_flooding_output_is_cut_short(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        def scale_(tensor, factor):
            line = "x" * 1_000_000
            for _ in range(300):
                print(line)
            tensor.mul_(factor)
            return tensor
    """)
    verdict = next(r for r in result.results if r.check == "scale_in_place")
    assert verdict.outcome is Outcome.PASSED  # printing is not wrong, only cut short
    assert len(verdict.output) < 3000 and "truncated" in verdict.output
    _ex02_untouched(result)


def test_patching_comparisons_is_caught(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        import math, numpy, torch, torch.testing
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
        torch.testing.assert_close = lambda *a, **k: None
        numpy.allclose = lambda *a, **k: True
        math.isclose = lambda *a, **k: True

        def scale_(tensor, factor):
            return tensor * factor

        def from_numpy_shared(array):
            return torch.tensor(array)
    """)
    assert Outcome.PASSED not in _outcomes(result)
    assert any("replaced" in r.message and r.tag is Tag.TAMPERING for r in result.results)
    _ex02_untouched(result)


def test_overwriting_the_graders_functions_is_caught(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        import sys
        for name, module in list(sys.modules.items()):
            if name.startswith("grader"):
                for attr, value in list(vars(module).items()):
                    if callable(value):
                        try:
                            setattr(module, attr, lambda *a, **k: {})
                        except Exception:
                            pass
            ex = getattr(module, "EXERCISE", None) if name.startswith("grader") else None
            for check in getattr(ex, "checks", []):
                check.probe = lambda *a, **k: {}
    """, base=EXERCISES)
    assert _score(result, "ex01_tensors") == 0
    _ex02_untouched(result)


def test_reading_the_reference_solutions_is_refused(tmp_path: Path) -> None:
    result = _grade(tmp_path, f"""
        import os
        for top, dirs, files in os.walk({str(KIT)!r}):  # Landlock: the kit's folder cannot even be listed
            if "ex01_tensors.py" in files and not top.startswith(os.getcwd()):
                exec(open(os.path.join(top, "ex01_tensors.py")).read())
                break
        exec(open({str(SOLUTIONS / "ex01_tensors.py")!r}).read())
    """, base=EXERCISES)
    assert _score(result, "ex01_tensors") == 0
    assert any("PermissionError" in r.message and r.tag is Tag.REFUSED for r in result.results)
    _ex02_untouched(result)


def test_import_solutions_is_not_possible(tmp_path: Path) -> None:
    result = _grade(tmp_path, "from solutions.ex01_tensors import *\n", base=EXERCISES)
    assert _score(result, "ex01_tensors") == 0
    _ex02_untouched(result)


def test_fake_output_and_result_files_change_nothing(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        import json, os
        print("ex01_tensors 9 / 9 done\\n=== 13 passed ===")
        for target in ("results.json", "../results.json", os.path.expanduser("~/results.json")):
            try:
                with open(target, "w") as f:
                    json.dump({"score": 100, "max_score": 100, "status": "pass"}, f)
            except OSError:
                pass
    """, base=EXERCISES)
    assert _score(result, "ex01_tensors") == 0
    assert result.score == next(e.max_score for e in result.exercises() if e.name == "ex02_autograd")


def test_detached_processes_do_not_outlive_the_grade(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
    """)
    assert _left_behind() == []
    refused = [r for r in expand_repeats(result.results) if r.exercise == "ex01_tensors" and r.outcome is not Outcome.SKIPPED]
    assert all(r.tag is Tag.REFUSED and "os.fork" in r.message for r in refused)  # no new processes while grading
    _ex02_untouched(result)


def test_global_torch_state_at_import_stays_in_its_exercise(tmp_path: Path) -> None:
    result = _grade(tmp_path, """
        import torch
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        torch.manual_seed(0)
        torch.set_num_threads(1)
    """)
    _ex02_untouched(result)


def test_sleeping_forever_times_out(tmp_path: Path) -> None:
    result = _grade(tmp_path, "def scale_(tensor, factor):\n    import time\n    time.sleep(10**6)\n")
    verdict = next(r for r in result.results if r.check == "scale_in_place")
    assert verdict.outcome is Outcome.TIMEOUT and verdict.tag is Tag.TIMEOUT
    assert _score(result, "ex01_tensors") == EX01_POINTS - 2
    _ex02_untouched(result)


@pytest.mark.timeout(120)
def test_closing_the_report_pipe_and_running_on_costs_only_that_check(tmp_path: Path) -> None:
    result = _grade(tmp_path, (
        "def scale_(tensor, factor):\n    import os, time\n    os.closerange(3, 4096)\n    time.sleep(10**6)\n"
    ))
    verdict = next(r for r in result.results if r.check == "scale_in_place")
    assert verdict.outcome is Outcome.CRASHED and verdict.tag is Tag.CRASHED
    assert "closed its connection to the grader" in verdict.message
    assert _score(result, "ex01_tensors") == EX01_POINTS - 2
    _ex02_untouched(result)


def test_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    result = _grade(tmp_path, "def broken(:\n    pass\n")
    assert _outcomes(result) == {Outcome.ERROR} and _tags(result) == {Tag.SYNTAX_ERROR}
    assert "SyntaxError at ex01_tensors.py, line" in result.results[0].message
    _ex02_untouched(result)


def test_missing_module_costs_only_its_checks(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "ex02_autograd.py", folder)
    result = grade_submission(folder, limits=FAST, exercises=_exercises())
    assert _outcomes(result) == {Outcome.ERROR} and _tags(result) == {Tag.MISSING_FILE}
    assert "No file ex01_tensors.py" in result.results[0].message
    _ex02_untouched(result)


def test_closing_stdout_and_stderr_does_not_stop_grading(tmp_path: Path) -> None:
    result = _grade(tmp_path, "import os, sys\nsys.stdout.close()\nsys.stderr.close()\nos.close(1)\nos.close(2)\n")
    assert _score(result, "ex01_tensors") == EX01_POINTS
    _ex02_untouched(result)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".venv" not in p.parts and "__pycache__" not in p.parts and ".git" not in p.parts and ".pytest_cache" not in p.parts):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_deleting_files_around_it_is_refused_and_the_kit_is_unchanged(tmp_path: Path) -> None:
    before = _tree_digest(KIT / "grader") + _tree_digest(KIT / "data_fixtures") + _tree_digest(KIT / "solutions")
    result = _grade(tmp_path, f"""
        import os, shutil
        for target in ({str(KIT / "grader")!r}, {str(KIT / "data_fixtures")!r}, {str(KIT / "solutions")!r}):
            try:
                shutil.rmtree(target)
            except OSError:
                pass
            for top, dirs, files in os.walk(target):
                for name in files:
                    try:
                        os.remove(os.path.join(top, name))
                    except OSError:
                        pass
    """)
    after = _tree_digest(KIT / "grader") + _tree_digest(KIT / "data_fixtures") + _tree_digest(KIT / "solutions")
    assert before == after
    assert _score(result, "ex01_tensors") == EX01_POINTS
    _ex02_untouched(result)


def test_the_solutions_folder_cannot_be_listed(tmp_path: Path) -> None:
    result = _grade(tmp_path, f"""
        import os
        def scale_(tensor, factor):
            os.listdir({str(KIT / "solutions")!r})
    """)
    verdict = next(r for r in result.results if r.check == "scale_in_place")
    assert verdict.outcome is Outcome.ERROR and "PermissionError" in verdict.message
    assert verdict.tag is Tag.REFUSED
    _ex02_untouched(result)


def _left_behind() -> list[int]:
    """Processes of ours still there after grading, other than the zygote (which ends its strays itself)."""
    mine = set(isolation._children(str(os.getpid()))) - zygote.known_pids()
    return sorted(mine | {pid for z in zygote.known_pids() for pid in isolation._children(str(z))})
