"""`pytest exercises` as a learner runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import torch

from conftest import EXERCISES, SOLUTIONS


def _layout(pytester: pytest.Pytester, source, only: str) -> None:
    folder = pytester.mkdir("exercises")
    shutil.copy(EXERCISES / "conftest.py", folder / "conftest.py")
    for path in source.glob("ex*.py"):
        shutil.copy(path, folder / path.name)


def test_stubs_are_not_started_without_tracebacks(pytester: pytest.Pytester) -> None:
    _layout(pytester, EXERCISES, "ex01")
    result = pytester.runpytest_subprocess("exercises", "-k", "ex01", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "*ex01_tensors.py::scale_in_place?cpu? NOT STARTED*",
        "*= points =*",
        "ex01_tensors * 0 / 9 * not started",
        "total * 0 / 9*",
        "*not started*",
    ])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_solutions_pass_and_one_file_can_be_run(pytester: pytest.Pytester) -> None:
    _layout(pytester, SOLUTIONS, "ex01")
    result = pytester.runpytest_subprocess("exercises/ex01_tensors.py", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*scale_in_place?cpu? PASSED*", "ex01_tensors * 9 / 9 * done"])
    assert result.ret == pytest.ExitCode.OK


def test_a_wrong_answer_shows_a_learner_message(pytester: pytest.Pytester) -> None:
    _layout(pytester, SOLUTIONS, "ex01")
    path = pytester.path / "exercises" / "ex01_tensors.py"
    path.write_text(path.read_text() + "\n\ndef scale_(tensor, factor):\n    return tensor * factor\n")
    result = pytester.runpytest_subprocess("exercises", "-k", "scale", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "*scale_in_place?cpu? FAILED*",
        "Checked:  scale_(tensor, *)",
        "Expected: the same tensor object back",
        "Got:      a different object",
        "Hint:     *in place*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_an_exception_names_the_students_file_and_line(pytester: pytest.Pytester) -> None:
    _layout(pytester, SOLUTIONS, "ex01")
    path = pytester.path / "exercises" / "ex01_tensors.py"
    path.write_text(path.read_text() + "\n\ndef scale_(tensor, factor):\n    return tensor.mul_(factor) / undefined_name\n")
    result = pytester.runpytest_subprocess("exercises", "-k", "scale", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*NameError: name 'undefined_name' is not defined*", "*at ex01_tensors.py, line *, in scale_*"])


def test_a_learner_who_sets_grader_lang_zh_reads_chinese(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _layout(pytester, SOLUTIONS, "ex01")
    shutil.copy(EXERCISES / "ex05_dropout.py", pytester.path / "exercises" / "ex05_dropout.py")
    path = pytester.path / "exercises" / "ex01_tensors.py"
    path.write_text(path.read_text() + "\n\ndef scale_(tensor, factor):\n    return tensor * factor\n")
    monkeypatch.setenv("GRADER_LANG", "zh")
    result = pytester.runpytest_subprocess("exercises", "-k", "ex01 or ex05", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "*flatten_images_in_place?cpu? 通过*",
        "*scale_in_place?cpu? 失败*",
        "*network_attributes 未开始*",
        "检查：scale_(tensor, *)",
        "期望：*",
        "实际：*",
        "提示：*原地修改*",
        "*= 得分 =*",
        "ex01_tensors * 7 / 9 * 进行中",
        "ex05_dropout * 0 / 12 * 未开始",
        "总计 * 7 / 21*",
        "*1 failed*未开始*",
    ])
    if not torch.cuda.is_available():
        result.stdout.fnmatch_lines(["*flatten_images_in_place?cuda? 跳过 (这台*"])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_without_grader_lang_or_a_chinese_locale_the_output_is_english(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _layout(pytester, EXERCISES, "ex01")
    monkeypatch.delenv("GRADER_LANG")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    result = pytester.runpytest_subprocess("exercises", "-k", "ex01", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*scale_in_place?cpu? NOT STARTED*", "*= points =*", "total * 0 / 9*"])


@pytest.mark.parametrize("on_ci", [False, True], ids=["terminal", "CI"])
def test_errors_are_counted_apart_one_cause_shows_once_and_the_run_is_kept_for_hints(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, on_ci: bool) -> None:
    # on CI ($CI set) pytest prints each short-summary message whole, not cut to the terminal's width
    if on_ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("BUILD_NUMBER", raising=False)
    _layout(pytester, SOLUTIONS, "ex05")
    path = pytester.path / "exercises" / "ex05_dropout.py"
    path.write_text(path.read_text().replace("        for layer in self.hidden_layers:\n",
                                             "        x = x.to('gpu')\n        for layer in self.hidden_layers:\n", 1))
    result = pytester.runpytest_subprocess("exercises/ex05_dropout.py", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert out.count("device string") == 1, out
    result.stdout.fnmatch_lines(["*Same error as ex05_dropout::network_eval_forward (see there).*"])
    closing = out.strip().splitlines()[-1]
    assert " errors" in closing and "passed" in closing, closing
    assert (pytester.path / "exercises" / ".grader" / "last-run.json").is_file()
    hint = subprocess.run([sys.executable, "-m", "grader", "hint", "ex05_dropout", "--folder", "exercises"],
                          capture_output=True, text=True, cwd=pytester.path, check=True)
    assert hint.stdout.startswith("ex05_dropout::network_eval_forward: hint 1 of ")


def test_a_chinese_notebook_is_graded_from_its_own_file(pytester: pytest.Pytester) -> None:
    import notebook_samples
    from conftest import NOTEBOOKS

    folder = pytester.mkdir("notebooks")
    shutil.copy(NOTEBOOKS / "conftest.py", folder / "conftest.py")
    shutil.copy(NOTEBOOKS / "ex05_dropout.ipynb", folder / "ex05_dropout.ipynb")  # the English stub, untouched
    (folder / "zh").mkdir()
    notebook_samples.write(notebook_samples.reference("ex05_dropout"), folder / "zh" / "ex05_dropout.ipynb")
    result = pytester.runpytest_subprocess("notebooks/zh/ex05_dropout.ipynb", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["ex05_dropout * 12 / 12 * done"])
