"""Generate ``notebooks/exNN_topic.ipynb`` from ``solutions/``, the source ``exercises/`` comes from too.

A notebook holds: the title and the module's explanation (markdown); a setup
cell (the module's imports and the kit's helpers ``check``/``hint``); for each
function or class, its docstring's prose (markdown) and its stub (code, the
very text :func:`grader.authoring.stubs.make_stub` writes to ``exercises/``);
then a check cell. Each cell's metadata names its role for the kit, but
nothing reads it back: grading finds check cells by their code. Cell ids are
derived from the exercise and the cell's index, so the output is the same
on every run and ``--check`` can report drift.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.authoring import stubs
from grader.checks import registry

KIT_KEY = "torch_exercise_kit"
KIT_PATH_LINES = (
    "import importlib.util, pathlib, sys",
    'if importlib.util.find_spec("grader") is None:  # the kit is not installed: use the checkout around notebooks/',
    "    sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))",
)


@dataclass(frozen=True)
class Segment:
    """A top-level function or class of the module: its name and its source lines."""

    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    code: str


@dataclass(frozen=True)
class Prose:
    """Every text of one notebook that a learner reads (one place, so a translation can replace it)."""

    title: str
    intro: str
    setup: str
    items: dict[str, str]
    check: str


def prose(tree: ast.Module, module: str) -> Prose:
    doc = ast.get_docstring(tree) or module
    first, _, rest = doc.partition("\n")
    items = {segment.name: _item_prose(segment.node) for segment in _definitions(tree)}
    return Prose(
        title=f"# {first.strip().rstrip('.')}",
        intro=_markdown(rest.strip()),
        setup="Run the next cell first: it imports what the exercise needs and the kit's `check` and `hint`.",
        items=items,
        check=(
            "## Check your work\n\n"
            f"The cell below runs the checks of `{module}`, the same checks and points as "
            f"`pytest exercises/{module}.py`, against what this notebook has defined. Run the cells above "
            f'first (after a change, run the changed cell again). `hint("{module}")` shows the hint of the first '
            "check that does not pass."
        ),
    )


def notebook_for(source: str, module: str, stub: bool = True) -> nbformat.NotebookNode:
    """The notebook of one exercise; ``stub=False`` puts the reference code in its cells (for tests)."""
    code = stubs.make_stub(source, module) if stub else source
    tree = ast.parse(code)
    text = prose(tree, module)
    cells = [_markdown_cell(text.title + ("\n\n" + text.intro if text.intro else ""), "text")]
    cells.append(_markdown_cell(text.setup, "text"))
    cells.append(_code_cell(_setup_code(code, tree, module), "setup"))
    for segment in _segments(code, tree):
        cells.append(_markdown_cell(text.items[segment.name], "text"))
        cells.append(_code_cell(segment.code, "exercise"))
    cells.append(_markdown_cell(text.check, "text"))
    cells.append(_code_cell(f'check("{module}")', "check"))
    for index, cell in enumerate(cells):
        cell.id = f"{module}-{index:02d}"
        cell.metadata[KIT_KEY] = {"role": cell.metadata[KIT_KEY], "exercise": module}
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        KIT_KEY: {"exercise": module},
    }
    nbformat.validate(notebook)
    return notebook


def dumps(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook).rstrip("\n") + "\n"


def notebook_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("ex*.ipynb") if stubs.EXERCISE_FILE.fullmatch(p.stem + ".py"))


def generate(solutions: Path, notebooks: Path) -> list[Path]:
    """Write every notebook; return the files written."""
    notebooks.mkdir(parents=True, exist_ok=True)
    written = []
    for path in stubs.exercise_files(solutions):
        target = notebooks / f"{path.stem}.ipynb"
        target.write_text(dumps(notebook_for(path.read_text(), path.stem)))
        written.append(target)
    return written


def drift(solutions: Path, notebooks: Path) -> list[stubs.Drift]:
    """Differences between ``notebooks/`` and what :func:`generate` would write."""
    expected = {f"{p.stem}.ipynb": p for p in stubs.exercise_files(solutions)}
    present = {p.name: p for p in notebook_files(notebooks)}
    return stubs.compare(
        {name: dumps(notebook_for(p.read_text(), p.stem)) for name, p in expected.items()}, present, "notebooks/"
    )


# ---- cutting the module into cells ------------------------------------------------------------


def _definitions(tree: ast.Module) -> list[Segment]:
    return [
        Segment(node.name, node, "")
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]


def _segments(code: str, tree: ast.Module) -> list[Segment]:
    """Each function or class with the comments above it and any statements after it, up to the next one."""
    lines = code.splitlines()
    starts = [_start(node, lines) for node in (s.node for s in _definitions(tree))]
    ends = starts[1:] + [len(lines)]
    return [
        Segment(s.node.name, s.node, "\n".join(lines[start:end]).strip("\n"))
        for s, start, end in zip(_definitions(tree), starts, ends)
    ]


def _start(node: ast.stmt, lines: list[str]) -> int:
    """Index of the first line of ``node``, with its decorators and the comment lines right above it."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    return first


def _setup_code(code: str, tree: ast.Module, module: str) -> str:
    """The module's lines between its docstring and its first definition, with the kit's helpers."""
    lines = code.splitlines()
    definitions = _definitions(tree)
    end = _start(definitions[0].node, lines) if definitions else len(lines)
    begin = tree.body[0].end_lineno if ast.get_docstring(tree) else 0
    prelude = lines[begin:end]
    future = [line for line in prelude if line.startswith("from __future__ ")]
    rest = "\n".join(line for line in prelude if not line.startswith("from __future__ ")).strip("\n")
    helpers = ["check", "hint"]
    kit_copies = []
    if registry.public_exercises()[module].stand_ins:
        helpers.append("use_kit_copies")
        kit_copies = [f'use_kit_copies("{module}")  # the modules this exercise imports, in the kit\'s own version']
    kit = [*KIT_PATH_LINES, f"from grader.frontends.notebook import {', '.join(helpers)}", *kit_copies]
    return "\n".join([*future, *kit, "", rest] if rest else [*future, *kit])


# ---- prose ------------------------------------------------------------------------------------------


def _item_prose(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    if isinstance(node, ast.ClassDef):
        parts = [f"## `class {node.name}`", _markdown(ast.get_docstring(node) or "")]
        for method in node.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(method):
                parts.append(f"### `{_signature(method)}`\n\n{_markdown(ast.get_docstring(method) or '')}")
        return "\n\n".join(p for p in parts if p)
    return "\n\n".join(p for p in (f"## `{_signature(node)}`", _markdown(ast.get_docstring(node) or "")) if p)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{node.name}({ast.unparse(node.args)}){returns}"


def _markdown(text: str) -> str:
    """Docstring markup to Markdown: ``code`` becomes `code`; shapes, maths and lists stay as written."""
    return re.sub(r"``(.+?)``", r"`\1`", text, flags=re.S)


def _markdown_cell(text: str, role: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text, metadata={KIT_KEY: role})


def _code_cell(code: str, role: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(code, metadata={KIT_KEY: role})
