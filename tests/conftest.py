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
