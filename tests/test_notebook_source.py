"""Notebooks as submissions, without a kernel: generated notebooks, what grading runs, what it refuses."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.authoring import notebooks, stubs
from grader.checks import registry
from grader.engine.model import Outcome
from grader.sandbox.inprocess import grade_in_process
from grader.sandbox.loading import LoadError, SubmissionLoader, source_file, source_note
from grader.sandbox.notebook_source import read_notebook

import mutants
import notebook_samples
from conftest import KIT, NOTEBOOKS, SOLUTIONS



def _notebook(tmp_path: Path, *sources: str, name: str = "ex98_demo") -> Path:
    cells = [nbformat.v4.new_markdown_cell("# notes")] + [nbformat.v4.new_code_cell(s) for s in sources]
    return notebook_samples.write(nbformat.v4.new_notebook(cells=cells), tmp_path / f"{name}.ipynb")


def test_notebooks_are_in_sync_valid_and_deterministic(tmp_path: Path) -> None:
    assert notebooks.drift(SOLUTIONS, NOTEBOOKS) == []
    assert {p.stem for p in notebooks.notebook_files(NOTEBOOKS)} == set(registry.public_exercises())
    for path in notebooks.notebook_files(NOTEBOOKS):
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
        assert notebook.nbformat == 4 and all(cell.id.startswith(path.stem) for cell in notebook.cells)
    notebooks.generate(SOLUTIONS, tmp_path)
    assert [p.read_bytes() for p in sorted(tmp_path.glob("*.ipynb"))] == [
        p.read_bytes() for p in notebooks.notebook_files(NOTEBOOKS)
    ]


def test_drift_is_reported(tmp_path: Path) -> None:
    shutil.copytree(NOTEBOOKS, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "ex05_dropout.ipynb"
    path.write_text(path.read_text().replace("raise NotImplementedError", "pass  #"))
    (tmp_path / "ex01_tensors.ipynb").unlink()
    reasons = {d.name: d.reason for d in notebooks.drift(SOLUTIONS, tmp_path)}
    assert set(reasons) == {"ex01_tensors.ipynb", "ex05_dropout.ipynb"}


def test_the_chinese_notebooks_have_the_english_code_and_chinese_prose(tmp_path: Path) -> None:
    assert {p.stem for p in notebooks.notebook_files(NOTEBOOKS / "zh")} == set(registry.public_exercises())
    for path in notebooks.notebook_files(NOTEBOOKS):
        english = nbformat.read(path, as_version=4)
        chinese = nbformat.read(NOTEBOOKS / "zh" / path.name, as_version=4)
        nbformat.validate(chinese)
        assert [(c.id, c.cell_type, c.metadata) for c in chinese.cells] == [
            (c.id, c.cell_type, c.metadata) for c in english.cells
        ]
        roles = [c.metadata[notebooks.KIT_KEY]["role"] for c in english.cells]
        code = [(e.source, z.source) for e, z, role in zip(english.cells, chinese.cells, roles)
                if e.cell_type == "code" and role != "setup"]
        assert code and all(e == z for e, z in code)  # stubs, names and docstrings in code as in English
        setup = chinese.cells[roles.index("setup")].source
        assert 'os.environ.setdefault("GRADER_LANG", "zh")' in setup and "resolve().parents[1]" in setup
        assert setup.splitlines()[-1] == english.cells[roles.index("setup")].source.splitlines()[-1]
        markdown = [z.source for z in chinese.cells if z.cell_type == "markdown"]
        assert all(re.search("[\u4e00-\u9fff]", text) for text in markdown), path.name
    # drift of a Chinese notebook is reported like that of an English one
    shutil.copytree(NOTEBOOKS, tmp_path, dirs_exist_ok=True)
    (tmp_path / "zh" / "ex03_sgd.ipynb").write_text((tmp_path / "ex03_sgd.ipynb").read_text())
    (tmp_path / "zh" / "ex04_network.ipynb").unlink()
    assert {d.name: d.reason for d in notebooks.drift(SOLUTIONS, tmp_path)} == {
        "zh/ex03_sgd.ipynb": "differs from what is generated from solutions/",
        "zh/ex04_network.ipynb": "missing from notebooks/",
    }


def test_the_layout_is_title_setup_prose_and_stub_then_check() -> None:
    notebook = nbformat.read(NOTEBOOKS / "ex05_dropout.ipynb", as_version=4)
    kinds = [(c.cell_type, c.metadata[notebooks.KIT_KEY]["role"]) for c in notebook.cells]
    assert kinds[:3] == [("markdown", "text"), ("markdown", "text"), ("code", "setup")]
    assert kinds[-1] == ("code", "check") and notebook.cells[-1].source == 'check("ex05_dropout")'
    assert notebook.cells[0].source.startswith("# Exercise 05")
    assert "from grader.frontends.notebook import check, hint" in notebook.cells[2].source
    stub = stubs.make_stub((SOLUTIONS / "ex05_dropout.py").read_text(), "ex05_dropout")
    exercise_cells = [c.source for c in notebook.cells if c.metadata[notebooks.KIT_KEY]["role"] == "exercise"]
    assert exercise_cells and all(code in stub for code in exercise_cells)  # the very stub text
    prose = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert any("`(N, input_size)`" in text for text in prose)  # shapes kept, ``code`` as Markdown


def test_stub_notebooks_are_all_not_started() -> None:
    result = grade_in_process(NOTEBOOKS)
    assert {r.outcome for r in result.results} <= {Outcome.NOT_STARTED, Outcome.SKIPPED}, [
        (r.name, r.message) for r in result.results if r.outcome not in (Outcome.NOT_STARTED, Outcome.SKIPPED)
    ]
    assert result.score == 0


def test_magics_shell_escapes_display_and_check_cells_are_not_run(tmp_path: Path) -> None:
    _notebook(
        tmp_path,
        "%matplotlib inline\nimport math\n!pip install torch\nfiles = !ls\nif True:\n    %time y = 1",
        "%%time\nx = math.pi\ndisplay(x)\nx",
        "%%bash\nexit 1",
        "from grader.frontends.notebook import check, hint\nz = 2",
        'check("ex98_demo")\nhint("ex98_demo")',
        "get_ipython().run_line_magic('config', 'x')\ndef f():\n    return x * z",
    )
    module = SubmissionLoader(tmp_path).load("ex98_demo")
    assert module.f() == pytest.approx(2 * 3.14159, rel=1e-5)
    note = source_note(tmp_path, "ex98_demo")
    for skipped in ("cell 2, line 1: %matplotlib inline (magic)", "cell 2, line 3: !pip install torch (shell escape)",
                    "files = !ls", "cell 2, line 6: %time y = 1 (magic)", "cell 3, line 1: %%time (cell magic)",
                    "cell 3, line 3: display(x) (display call)", "cell 4, line 1: %%bash (cell magic: cell not run)",
                    "cell 5, line 1: from grader.frontends.notebook import check, hint",
                    "cell 6, line 1: check('ex98_demo'); hint('ex98_demo') (check cell)", "cell 7, line 1: get_ipython()"):
        assert skipped in note


def test_lines_inside_strings_and_continuations_are_kept(tmp_path: Path) -> None:
    _notebook(tmp_path, 'text = """\n%not a magic\n!nor a shell escape\n"""\nvalue = (10\n % 3)')
    module = SubmissionLoader(tmp_path).load("ex98_demo")
    assert module.text == "\n%not a magic\n!nor a shell escape\n" and module.value == 1
    assert source_note(tmp_path, "ex98_demo") == ""


def test_future_imports_carry_over_to_later_cells_as_in_a_kernel(tmp_path: Path) -> None:
    _notebook(tmp_path, "from __future__ import annotations", "def f(x: NotDefinedYet) -> int:\n    return 1")
    assert SubmissionLoader(tmp_path).load("ex98_demo").f(0) == 1


def test_an_exception_names_the_notebook_cell_and_line(tmp_path: Path) -> None:
    _notebook(tmp_path, "x = 1", "\n\ny = 1 / 0")
    with pytest.raises(LoadError) as info:
        SubmissionLoader(tmp_path).load("ex98_demo")
    assert "ZeroDivisionError" in info.value.message
    assert "at ex98_demo.ipynb, cell 3, line 3, in <module>" in info.value.message


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "ex98_demo.ipynb is not valid JSON (Expecting property name"),
    ('{"cells": []}', "is JSON but not a Jupyter notebook"),
    ('["a list"]', "is JSON but not a Jupyter notebook"),
    ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', "is in notebook format 3, which the grader does not read"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "has no list of cells"),
    (b"\xff\xfe\x00".decode("latin-1"), "not valid JSON"),
])
def test_a_file_that_is_not_a_notebook_is_an_error_that_says_what_to_do(
    tmp_path: Path, content: str, expected: str
) -> None:
    (tmp_path / "ex98_demo.ipynb").write_text(content)
    with pytest.raises(LoadError) as info:
        SubmissionLoader(tmp_path).load("ex98_demo")
    assert info.value.outcome is Outcome.ERROR
    assert expected in info.value.message and ("Jupyter" in info.value.message)


def test_a_cell_that_does_not_parse_names_the_cell(tmp_path: Path) -> None:
    _notebook(tmp_path, "x = 1", "%time x\ndef f(:\n    pass")
    with pytest.raises(LoadError) as info:
        SubmissionLoader(tmp_path).load("ex98_demo")
    assert info.value.outcome is Outcome.ERROR
    assert info.value.message.startswith("SyntaxError at ex98_demo.ipynb, cell 3, line 2")
    with pytest.raises(SyntaxError):
        read_notebook(tmp_path / "ex98_demo.ipynb")


def test_the_notebook_is_graded_when_both_files_exist(tmp_path: Path) -> None:
    (tmp_path / "ex98_demo.py").write_text("which = 'file'\n")
    _notebook(tmp_path, "which = 'notebook'")
    assert source_file(tmp_path, "ex98_demo") == tmp_path / "ex98_demo.ipynb"
    assert SubmissionLoader(tmp_path).load("ex98_demo").which == "notebook"
    assert "graded ex98_demo.ipynb; ex98_demo.py is ignored" in source_note(tmp_path, "ex98_demo")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ex01_tensors", "ex05_dropout", "ex07_checkpoint", "ex12_losses"])
def test_a_learners_notebook_scores_what_the_same_code_scores_as_a_file(tmp_path: Path, name: str) -> None:
    """The same code, wrong in places (known mutants), as .py, as the kit's notebook used freely, and from scratch."""
    wrong = "\n\n".join(source for _, source in list(mutants_of(name).values())[:2])
    as_file = tmp_path / "file"
    as_file.mkdir()
    (as_file / f"{name}.py").write_text((SOLUTIONS / f"{name}.py").read_text() + "\n\n" + wrong)
    learner = notebook_samples.with_code(notebook_samples.as_a_learner_works(notebook_samples.reference(name)), wrong)
    notebook_samples.write(learner, tmp_path / "learner" / f"{name}.ipynb")
    scratch = notebook_samples.from_scratch((as_file / f"{name}.py").read_text())
    notebook_samples.write(scratch, tmp_path / "scratch" / f"{name}.ipynb")
    only = {name: registry.public_exercises()[name]}
    scores = {
        folder: [(r.name, r.outcome, r.score) for r in grade_in_process(tmp_path / folder, only).results]
        for folder in ("file", "learner", "scratch")
    }
    assert 0 < sum(s for _, _, s in scores["file"]) < sum(r.max_score for r in grade_in_process(SOLUTIONS, only).results)
    assert scores["learner"] == scores["file"] and scores["scratch"] == scores["file"]


def mutants_of(name: str) -> dict[str, tuple[str, str]]:
    return importlib.import_module(f"{mutants.__name__}.{name}").MUTANTS


def test_gradings_json_names_the_notebook_graded() -> None:
    from grader.engine.model import CheckResult, GradeResult
    from grader.reporters import gradescope, json_v3, terminal

    result = GradeResult("s", (CheckResult("ex05_dropout", "c", None, Outcome.PASSED, 1, 1),),
                         notes={"ex05_dropout": "ex05_dropout.ipynb: not executed when graded:\n  cell 1, ..."})
    assert json.loads(json_v3.dumps(result))["exercises"][0]["note"].startswith("ex05_dropout.ipynb")
    assert "not executed" in json.loads(gradescope.dumps(result))["output"]
    assert terminal.report(result).startswith("ex05_dropout.ipynb: not executed")



def test_a_saved_notebook_names_its_cells_by_their_execution_prompt_as_check_does(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# notes"),
        nbformat.v4.new_code_cell("x = 1", execution_count=4),
        nbformat.v4.new_code_cell("%%time\ny = undefined_name", execution_count=7),
    ])
    path = notebook_samples.write(notebook, tmp_path / "ex98_demo.ipynb")
    code = read_notebook(path)
    assert [code.cell_filename(cell) for cell in code.cells] == [f"{path}, cell [4]", f"{path}, cell [7]"]
    assert code.skipped[0].describe().startswith("cell [7], line 1: %%time")
    notebook.cells[2].execution_count = 4  # prompts repeated after a restart: positions instead
    again = read_notebook(notebook_samples.write(notebook, tmp_path / "ex98_demo.ipynb"))
    assert [again.cell_filename(cell) for cell in again.cells] == [f"{path}, cell 2", f"{path}, cell 3"]
