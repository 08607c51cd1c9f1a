"""Generate ``notebooks/exNN_topic.ipynb`` from ``solutions/``, the source ``exercises/`` comes from too.

A notebook holds: the title and the module's explanation (markdown); a setup
cell (the module's imports and the kit's helpers ``check``/``hint``); for each
function or class, its docstring's prose (markdown) and its stub (code, the
very text :func:`grader.authoring.stubs.make_stub` writes to ``exercises/``);
then a check cell. Each cell's metadata names its role for the kit, but
nothing reads it back: grading finds check cells by their code. Cell ids are
derived from the exercise and the cell's index, so the output is the same
on every run and ``--check`` can report drift.

The English prose is the one source. ``notebooks/zh/`` holds the same
notebooks with their markdown in Chinese: every paragraph (and each fixed text
below) is a message id of the gettext domain ``notebooks``, translated in
``grader/locale/zh/LC_MESSAGES/notebooks.po`` (``python -m grader catalogs``
extracts them with :func:`messages`); code cells stay as in English, but for
the setup cell, which finds the kit one folder further up and chooses Chinese
for ``check``/``hint``.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from grader.authoring import stubs
from grader.checks import registry
from grader.engine.i18n import LOCALE_DIR

KIT_KEY = "torch_exercise_kit"
KIT_PATH_LINES = (
    "import importlib.util, pathlib, sys",
    'if importlib.util.find_spec("grader") is None:  # the kit is not installed: use the checkout around notebooks/',
    "    sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))",
)
# The fixed texts below are message ids of the `notebooks` domain (found by messages(), not by Babel).
DOMAIN = "notebooks"
SETUP = ("Run the next cell first: it imports what the exercise needs and the kit's `check` and `hint`.")
CHECK_HEADING = "## Check your work"
CHECK = (
    "The cell below runs the checks of `{module}`, the same checks and points as "
    "`pytest exercises/{module}.py`, against what this notebook has defined. Run the cells above "
    'first (after a change, run the changed cell again). `hint("{module}")` shows the hint of the first '
    "check that does not pass."
)
Translate = Callable[[str], str]


@dataclass(frozen=True)
class Language:
    """One language of the notebooks: its code, its folder under ``notebooks/`` and its setup cell's first lines."""

    code: str
    folder: str
    kit_lines: tuple[str, ...]

    def translate(self) -> Translate:
        if self.code == "en":
            return _english
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[self.code], fallback=True).gettext


LANGUAGES = (
    Language("en", "", KIT_PATH_LINES),
    Language("zh", "zh", (
        "import importlib.util, os, pathlib, sys",
        'if importlib.util.find_spec("grader") is None:  # the kit is not installed: use the checkout around notebooks/zh/',
        "    sys.path.insert(0, str(pathlib.Path.cwd().resolve().parents[1]))",
        'os.environ.setdefault("GRADER_LANG", "zh")  # check() and hint() answer in Chinese (GRADER_LANG=en: English)',
    )),
)


def _english(text: str) -> str:
    return text


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


def prose(tree: ast.Module, module: str, translate: Translate = _english) -> Prose:
    """The notebook's texts, each paragraph passed through ``translate`` (English: unchanged)."""
    doc = ast.get_docstring(tree) or module
    first, _, rest = doc.partition("\n")
    items = {segment.name: _item_prose(segment.node, translate) for segment in _definitions(tree)}
    return Prose(
        title=f"# {translate(first.strip().rstrip('.'))}",
        intro=_paragraphs(_markdown(rest.strip()), translate),
        setup=translate(SETUP),
        items=items,
        check=f"{translate(CHECK_HEADING)}\n\n{translate(CHECK).format(module=module)}",
    )


def messages(source: str, module: str) -> list[str]:
    """Every text of the exercise's notebook that a translation replaces (the catalog's message ids)."""
    found: list[str] = []
    prose(ast.parse(stubs.make_stub(source, module)), module, lambda text: found.append(text) or text)
    return found


def notebook_for(source: str, module: str, stub: bool = True, lang: str = "en") -> nbformat.NotebookNode:
    """The notebook of one exercise; ``stub=False`` puts the reference code in its cells (for tests)."""
    language = _language(lang)
    code = stubs.make_stub(source, module) if stub else source
    tree = ast.parse(code)
    text = prose(tree, module, language.translate())
    cells = [_markdown_cell(text.title + ("\n\n" + text.intro if text.intro else ""), "text")]
    cells.append(_markdown_cell(text.setup, "text"))
    cells.append(_code_cell(_setup_code(code, tree, module, language.kit_lines), "setup"))
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
    """Write every notebook, in every language; return the files written."""
    written = []
    for target, text in _expected(solutions, notebooks).items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written


def drift(solutions: Path, notebooks: Path) -> list[stubs.Drift]:
    """Differences between ``notebooks/`` (and ``notebooks/zh/``) and what :func:`generate` would write."""
    expected = {_name(path, notebooks): text for path, text in _expected(solutions, notebooks).items()}
    present = {
        _name(path, notebooks): path
        for language in LANGUAGES
        for path in notebook_files(notebooks / language.folder)
    }
    return stubs.compare(expected, present, "notebooks/")


def _expected(solutions: Path, notebooks: Path) -> dict[Path, str]:
    return {
        notebooks / language.folder / f"{path.stem}.ipynb": dumps(
            notebook_for(path.read_text(), path.stem, lang=language.code)
        )
        for language in LANGUAGES
        for path in stubs.exercise_files(solutions)
    }


def _name(path: Path, notebooks: Path) -> str:
    return path.relative_to(notebooks).as_posix()


def _language(code: str) -> Language:
    for language in LANGUAGES:
        if language.code == code:
            return language
    raise ValueError(f"no notebooks in {code!r}; choose from {', '.join(lang.code for lang in LANGUAGES)}")


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


def _setup_code(code: str, tree: ast.Module, module: str, kit_lines: tuple[str, ...] = KIT_PATH_LINES) -> str:
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
    kit = [*kit_lines, f"from grader.frontends.notebook import {', '.join(helpers)}", *kit_copies]
    return "\n".join([*future, *kit, "", rest] if rest else [*future, *kit])


# ---- prose ------------------------------------------------------------------------------------------


def _item_prose(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, translate: Translate) -> str:
    def doc(item: ast.AST) -> str:
        return _paragraphs(_markdown(ast.get_docstring(item) or ""), translate)

    if isinstance(node, ast.ClassDef):
        parts = [f"## `class {node.name}`", doc(node)]
        for method in node.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(method):
                parts.append(f"### `{_signature(method)}`\n\n{doc(method)}")
        return "\n\n".join(p for p in parts if p)
    return "\n\n".join(p for p in (f"## `{_signature(node)}`", doc(node)) if p)


def _paragraphs(text: str, translate: Translate) -> str:
    """``text`` translated paragraph by paragraph (blank-line separated), the unit a translator works on.

    An indented block is code (``p <- p - lr * p.grad``): it stays as it is.
    """
    return "\n\n".join(translate(p) if p.strip() and not _is_code(p) else p for p in text.split("\n\n"))


def _is_code(paragraph: str) -> bool:
    return all(line.startswith("    ") for line in paragraph.splitlines() if line.strip())


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
