"""Notebooks as learners write them, built from the kit's notebooks and the reference solutions."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from grader.authoring import notebooks

from conftest import SOLUTIONS


def reference(name: str) -> nbformat.NotebookNode:
    """The kit's notebook of ``name`` with the reference code filled into its cells."""
    return notebooks.notebook_for((SOLUTIONS / f"{name}.py").read_text(), name, stub=False)


def with_code(notebook: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    """``notebook`` with one more code cell, just before its last cell (a check cell)."""
    notebook.cells.insert(len(notebook.cells) - 1, nbformat.v4.new_code_cell(code))
    return notebook


def as_a_learner_works(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Magics, shell escapes, display calls, added, split and reordered cells, saved outputs, no kit metadata."""
    cells = notebook.cells
    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    setup, first, *rest = code
    lines = cells[setup].source.splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("from grader"))  # after the kit's path lines
    cells[setup].source = "\n".join(lines[: cut + 1])
    cells.insert(setup + 1, nbformat.v4.new_code_cell("\n".join(lines[cut + 1 :]) + "\n!pip install --quiet torch"))
    cells.insert(0, nbformat.v4.new_code_cell("%matplotlib inline\n%config InlineBackend.figure_format = 'retina'"))
    first, rest = first + 2, [i + 2 for i in rest]
    cells[first].source = "%%time\n" + cells[first].source
    if rest:  # the first two exercise cells change places
        cells[first], cells[rest[0]] = cells[rest[0]], cells[first]
    cells.insert(first, nbformat.v4.new_code_cell("import torch\nx = torch.zeros(3)\ndisplay(x)\nx"))
    cells.insert(first, nbformat.v4.new_code_cell("%%bash\necho this is not Python"))
    cells.append(nbformat.v4.new_code_cell('hint("' + notebook.metadata.get(notebooks.KIT_KEY, {}).get("exercise", "") + '")'))
    for number, cell in enumerate(cells, start=1):
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.execution_count = number
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="saved output\n")]
    notebook.metadata = {}
    return notebook


def from_scratch(source: str) -> nbformat.NotebookNode:
    """A notebook a learner wrote themselves: one cell per top-level statement, then a check cell."""
    tree = ast.parse(source)
    lines = source.splitlines()
    cells = [nbformat.v4.new_markdown_cell("My solutions")]
    for statement in tree.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # the module docstring
        start = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])]) - 1
        cells.append(nbformat.v4.new_code_cell("\n".join(lines[start : statement.end_lineno])))
    cells.append(nbformat.v4.new_code_cell("from grader.frontends.notebook import check\ncheck()"))
    return nbformat.v4.new_notebook(cells=cells)


def write(notebook: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook))
    return path
