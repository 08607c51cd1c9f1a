"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent
SOLUTIONS = KIT / "solutions"
EXERCISES = KIT / "exercises"


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
