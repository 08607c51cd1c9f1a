"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

from grader.authoring import notebooks, stubs

KIT = Path(__file__).resolve().parent.parent
SOLUTIONS = KIT / "solutions"


def _pristine() -> tuple[Path, Path]:
    """Stubs and notebooks generated from solutions/, as the kit ships them: never the working copies.

    A student's edits to exercises/ or notebooks/ change nothing in the kit's own tests. The
    conftest.py files that make ``pytest exercises`` and ``pytest notebooks`` work are the kit's, copied.
    """
    root = Path(tempfile.mkdtemp(prefix="kit-pristine-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    exercises, notebook_folder = root / "exercises", root / "notebooks"
    stubs.generate(SOLUTIONS, exercises)
    notebooks.generate(SOLUTIONS, notebook_folder)
    shutil.copy(KIT / "exercises" / "conftest.py", exercises / "conftest.py")
    shutil.copy(KIT / "notebooks" / "conftest.py", notebook_folder / "conftest.py")
    return exercises, notebook_folder


EXERCISES, NOTEBOOKS = _pristine()


@pytest.fixture
def solutions_copy(tmp_path: Path) -> Path:
    """A private copy of solutions/ that a test may change."""
    target = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, target)
    return target


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/*.json from this run")


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch):
    """Every test starts in English, whatever the machine's locale; a test may switch with ``use_language``."""
    from grader.engine import i18n

    monkeypatch.setenv(i18n.ENV_VAR, "en")
    i18n.use_language("en")
    yield
    i18n.use_language("en")
