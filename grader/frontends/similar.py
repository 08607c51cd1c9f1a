"""``batch``'s similarity step: read every submission's code and compare it, the stubs left out."""

from __future__ import annotations

from pathlib import Path

from grader.authoring import stubs
from grader.reporters import similarity
from grader.sandbox.submission import in_limited_child

KIT = Path(__file__).resolve().parents[2]


def stub_code(exercises: list[str], solutions: Path = KIT / "solutions") -> dict[str, str]:
    """exercise -> the stub students received, made from the reference solution as ``grader stubs`` does."""
    found = {}
    for name in exercises:
        path = solutions / f"{name}.py"
        if path.is_file():
            found[name] = stubs.make_stub(path.read_text(), name)
    return found


def compare_class(submissions: list[tuple[str, str, Path]], exercises: list[str],
                  solutions: Path = KIT / "solutions") -> similarity.Similarity:
    """Compare the class's code; each submission is (id, name as handed in, folder or .zip)."""
    sources = [similarity.Source(id, name, _read(path, exercises)) for id, name, path in submissions]
    return similarity.compare(sources, stub_code(exercises, solutions))


def _read(path: Path, exercises: list[str]) -> dict[str, tuple[str, str]]:
    """The submission's code, read in a limited child (its files are untrusted); nothing when that fails."""
    found = in_limited_child(lambda: {"code": similarity.read_submission(path, exercises)})
    return {exercise: (str(name), str(code)) for exercise, (name, code) in found.get("code", {}).items()}
