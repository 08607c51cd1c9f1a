"""A Jupyter notebook as module code: its code cells, less what only Jupyter understands.

The notebook's code cells run in order in one namespace, as a kernel runs
them. Each cell is compiled on its own under the file name
``exNN_topic.ipynb, cell [7]`` (its saved execution prompt, the number Jupyter
shows and ``check()`` uses) or, in a notebook saved without distinct prompts,
``exNN_topic.ipynb, cell N`` (N counts every cell from the top, markdown too),
so a traceback or a syntax error names the cell and the line in it.
Skipped lines become ``pass`` lines, so line numbers never move.

Not executed, and listed in :attr:`NotebookCode.skipped`: IPython magics
(``%matplotlib inline``; a ``%%bash`` cell entirely, the ``%%time`` line of
a ``%%time`` cell), shell escapes (``!pip install …``), top-level
``display(...)`` calls, imports from the kit (``from grader… import``) and
check cells (cells that only call ``check(...)``/``hint(...)``), found by
their code, never by metadata. Saved outputs and execution counts are ignored.
"""

from __future__ import annotations

import ast
import codeop
import json
import linecache
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

CHECK_FUNCTIONS = frozenset({"check", "hint"})
# Cell magics whose body is Python the kernel runs once (or more): the body is kept, the magic line dropped.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_LINE_ESCAPE = re.compile(r"^\s*(?:[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*)?([%!])")  # %magic, !cmd, x = !cmd
_WHAT_TO_DO = "Open it in Jupyter and save it again, or start again from the kit's notebooks/{name}."


class NotebookError(ValueError):
    """The file cannot be read as a notebook; the message says why and what to do."""


@dataclass(frozen=True)
class Cell:
    number: int  # position among all cells, from 1
    source: str  # Python with the skipped lines turned into ``pass``; same lines as the cell
    label: str = ""  # how messages name it: ``[7]``, its saved execution prompt, as check() does; else its number

    @property
    def name(self) -> str:
        return self.label or str(self.number)


@dataclass(frozen=True)
class Skipped:
    cell: int | str  # the cell's label (see :attr:`Cell.label`) or number
    line: int
    text: str
    why: str

    def describe(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.text} ({self.why})"


@dataclass(frozen=True)
class NotebookCode:
    path: Path
    cells: tuple[Cell, ...]
    skipped: tuple[Skipped, ...]

    def cell_filename(self, cell: Cell) -> str:
        return f"{self.path}, cell {cell.name}"


def read_notebook(path: Path) -> NotebookCode:
    """Parse ``path``; raise :class:`NotebookError` or ``SyntaxError`` (naming the cell) if it cannot run."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError(f"{path.name} is not a text file (not UTF-8). " + _WHAT_TO_DO.format(name=path.name)) from None
    return parse_notebook(text, path)


def parse_notebook(text: str, path: Path) -> NotebookCode:
    cells = _code_cells(_notebook_json(text, path.name), path.name)
    kit_names = CHECK_FUNCTIONS | _kit_imports(source for _, source, _prompt in cells)
    converted, skipped = [], []
    labels = _prompt_labels(cells)
    for number, source, _prompt in cells:
        cell, dropped = _convert(number, source, kit_names, labels.get(number, ""))
        filename = f"{path}, cell {cell.name}"
        ast.parse(cell.source, filename=filename)  # a SyntaxError names the cell
        converted.append(cell)
        skipped.extend(dropped)
    return NotebookCode(path, tuple(converted), tuple(skipped))


def run_notebook(code: NotebookCode, namespace: dict[str, Any]) -> None:
    """Execute the cells in order in ``namespace``, as a kernel does (``from __future__`` carries over)."""
    compiler = codeop.Compile()
    for cell in code.cells:
        filename = code.cell_filename(cell)
        linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(keepends=True), filename)
        exec(compiler(cell.source, filename, "exec"), namespace)


# ---- reading the JSON --------------------------------------------------------------------------


def _notebook_json(text: str, name: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), so it is not a "
            "notebook Jupyter can open. " + _WHAT_TO_DO.format(name=name)
        ) from None
    except RecursionError:
        raise NotebookError(
            f"{name} is JSON nested too deeply to be a notebook Jupyter saved. " + _WHAT_TO_DO.format(name=name)
        ) from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise NotebookError(
            f"{name} is JSON but not a Jupyter notebook (it has no 'nbformat' field). Submit the .ipynb file "
            "Jupyter saves (File > Save), not another file renamed."
        )
    version = data.get("nbformat")
    if not isinstance(version, int) or version < 4:
        raise NotebookError(
            f"{name} is in notebook format {version}, which the grader does not read (it reads format 4). "
            "Open it in Jupyter and save it (that writes format 4), or run "
            f"`jupyter nbconvert --to notebook --nbformat 4 {name}`."
        )
    if not isinstance(data.get("cells"), list):
        raise NotebookError(f"{name} has no list of cells. " + _WHAT_TO_DO.format(name=name))
    return data


def _prompt_labels(cells: list[tuple[int, str, int | None]]) -> dict[int, str]:
    """``[7]`` for each cell by its saved execution prompt, when every code cell has a different one.

    Those are the numbers Jupyter shows (and ``check()`` uses); a notebook saved unrun, or with
    prompts repeated after a restart, names its cells by their position instead.
    """
    prompts = [prompt for _number, _source, prompt in cells]
    if not prompts or None in prompts or len(set(prompts)) != len(prompts):
        return {}
    return {number: f"[{prompt}]" for number, _source, prompt in cells}


def _code_cells(data: dict[str, Any], name: str) -> list[tuple[int, str, int | None]]:
    found = []
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"{name}: cell {number} is not a cell object. " + _WHAT_TO_DO.format(name=name))
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"{name}: the source of cell {number} is not text. " + _WHAT_TO_DO.format(name=name))
        prompt = cell.get("execution_count")
        found.append((number, source, prompt if isinstance(prompt, int) and not isinstance(prompt, bool) else None))
    return found


# ---- one cell ------------------------------------------------------------------------------------


def _convert(number: int, source: str, kit_names: frozenset[str], label: str = "") -> tuple[Cell, list[Skipped]]:
    shown: int | str = label or number
    lines = source.splitlines()
    skipped: list[Skipped] = []
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return Cell(number, "\n" * len(lines), label), [Skipped(shown, 1, _short(first), "cell magic: cell not run")]
        lines[0] = "pass"
        skipped.append(Skipped(shown, 1, _short(first), "cell magic"))
    if not _parses("\n".join(lines)):
        for index, line in enumerate(lines):
            escape = _LINE_ESCAPE.match(line)
            if escape and not _parses(line.strip()):
                why = "shell escape" if escape.group(1) == "!" else "magic"
                lines[index] = _indent(line) + "pass"
                skipped.append(Skipped(shown, index + 1, _short(line.strip()), why))
    tree = _parse_or_none("\n".join(lines))
    if tree is not None:
        skipped.extend(_drop_statements(shown, tree, lines, kit_names))
    return Cell(number, "\n".join(lines) + "\n", label), skipped


def _drop_statements(number: int | str, tree: ast.Module, lines: list[str], kit_names: frozenset[str]) -> list[Skipped]:
    """Blank the top-level statements a grader must not run; a cell of only check calls is a check cell."""
    body = tree.body
    if body and all(_calls(statement, kit_names) for statement in body):
        for statement in body:
            _blank(lines, statement)
        return [Skipped(number, body[0].lineno, _short(_statements_text(body)), "check cell")]
    skipped = []
    for statement in body:
        why = _why_dropped(statement, kit_names)
        if why:
            skipped.append(Skipped(number, statement.lineno, _short(ast.unparse(statement)), why))
            _blank(lines, statement)
    return skipped


def _statements_text(body: list[ast.stmt]) -> str:
    return "; ".join(ast.unparse(statement) for statement in body)


def _why_dropped(statement: ast.stmt, kit_names: frozenset[str]) -> str:
    if _is_kit_import(statement):
        return "the kit's notebook helpers"
    if _calls(statement, frozenset({"display"})):
        return "display call"
    if _calls(statement, kit_names):
        return "check call"
    if isinstance(statement, ast.Expr) and _is_get_ipython_call(statement.value):
        return "magic"
    return ""


def _calls(statement: ast.stmt, names: frozenset[str]) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
        and statement.value.func.id in names
    )


def _is_get_ipython_call(node: ast.expr) -> bool:
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id == "get_ipython"


def _is_kit_import(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.ImportFrom):
        return (statement.module or "").split(".")[0] == "grader"
    if isinstance(statement, ast.Import):
        return all(alias.name.split(".")[0] == "grader" for alias in statement.names)
    return False


def _kit_imports(sources: Iterable[str]) -> frozenset[str]:
    """Names a notebook imports from the kit (``from grader.frontends.notebook import check as c``)."""
    names = set()
    for source in sources:
        for line in source.splitlines():
            tree = _parse_or_none(line.strip())
            if tree is None or not tree.body:
                continue
            statement = tree.body[0]
            if isinstance(statement, ast.ImportFrom) and _is_kit_import(statement):
                names.update(alias.asname or alias.name for alias in statement.names)
    return frozenset(names)


def _blank(lines: list[str], statement: ast.stmt) -> None:
    start, end = statement.lineno - 1, (statement.end_lineno or statement.lineno) - 1
    lines[start] = _indent(lines[start]) + "pass"
    for index in range(start + 1, end + 1):
        lines[index] = ""


def _parses(source: str) -> bool:
    return _parse_or_none(source) is not None


def _parse_or_none(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
