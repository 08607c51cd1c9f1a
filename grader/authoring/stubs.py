"""Generate the student stubs in ``exercises/`` from the reference ``solutions/``.

In a solution, the part the student writes sits between ``# BEGIN SOLUTION``
and ``# END SOLUTION``; in the stub that block becomes one
``raise NotImplementedError(...)`` naming the function to write.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
EXERCISE_FILE = re.compile(r"ex\d\d_\w+\.py")


@dataclass(frozen=True)
class Drift:
    name: str
    reason: str


def exercise_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("ex*.py") if EXERCISE_FILE.fullmatch(p.name))


def make_stub(source: str, module: str) -> str:
    """The stub text for one solution file."""
    owners = _enclosing_functions(source)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{module}.py:{number}: nested {BEGIN}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            owner = owners.get(number, "this part")
            out.append(f'{indent}raise NotImplementedError("write {module}.{owner}")\n')
        elif marker == END:
            if not inside:
                raise ValueError(f"{module}.py:{number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{module}.py: {BEGIN} is never closed")
    return "".join(out)


def _enclosing_functions(source: str) -> dict[int, str]:
    """Line number -> qualified name of the innermost function containing it."""
    owners: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for line in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                        owners[line] = name
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return owners


def generate(solutions: Path, exercises: Path) -> list[Path]:
    """Write every stub; return the files written."""
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for path in exercise_files(solutions):
        target = exercises / path.name
        target.write_text(make_stub(path.read_text(), path.stem))
        written.append(target)
    return written


def drift(solutions: Path, exercises: Path) -> list[Drift]:
    """Differences between ``exercises/`` and what :func:`generate` would write."""
    expected = {p.name: make_stub(p.read_text(), p.stem) for p in exercise_files(solutions)}
    return compare(expected, {p.name: p for p in exercise_files(exercises)}, "exercises/")


def compare(expected: dict[str, str], present: dict[str, Path], folder: str) -> list[Drift]:
    """Drift between the generated texts ``expected`` (by file name) and the files ``present``."""
    found = [Drift(name, f"missing from {folder}") for name in sorted(expected.keys() - present.keys())]
    found += [Drift(name, "has no solution") for name in sorted(present.keys() - expected.keys())]
    for name in sorted(expected.keys() & present.keys()):
        if present[name].read_text() != expected[name]:
            found.append(Drift(name, "differs from what is generated from solutions/"))
    return found
