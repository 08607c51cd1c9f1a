"""Grading one submission (a folder or a .zip) in isolated child processes."""

from __future__ import annotations

import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from grader.sandbox import isolation, zygote
from grader.checks import registry
from grader.sandbox.runner import cuda_available
from grader.engine.api import Exercise
from grader.engine.i18n import _
from grader.sandbox.isolation import Limits, Workspace
from grader.engine.model import GradeResult
from grader.sandbox.loading import source_note

KIT = Path(__file__).resolve().parents[2]
MAX_FILE_BYTES = 20 * 2**20
MAX_TOTAL_BYTES = 200 * 2**20


class SubmissionError(Exception):
    """The submission cannot be read at all (exit code 2)."""


def grade_submission(
    submission: Path,
    hidden: Path | None = None,
    limits: Limits | None = None,
    exercises: dict[str, Exercise] | None = None,
) -> GradeResult:
    """Copy ``submission`` to a fresh folder and grade every exercise there.

    The children that run the student's code are forked by this process's zygote
    (:func:`grader.sandbox.zygote.shared`). When none was started yet, one is started here and
    inherits this process's memory as it is now, hidden checks included if they were loaded:
    front ends that hold secrets call :func:`grader.sandbox.zygote.start` before loading them.
    """
    submission = Path(submission)
    exercises = exercises if exercises is not None else registry.all_exercises(hidden)
    limits = limits or Limits()
    start = time.perf_counter()
    zygote.shared()  # the front ends start it before anything secret is loaded; else it starts here
    cuda = cuda_available()
    isolation.become_subreaper()
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        root = Path(tmp).resolve()
        workspace = Workspace(
            root=root,
            submission=copy_submission(submission, root / "submission"),
            forbidden=tuple(p.resolve() for p in (KIT / "solutions", KIT / "tests", hidden) if p is not None),
        )
        notes = {name: source_note(workspace.submission, name) for name in exercises}
        graded = isolation.run_exercises(list(exercises.values()), workspace, limits, cuda)
        results = [r for exercise_results in graded for r in exercise_results]
    notes = {name: note for name, note in notes.items() if note}
    return GradeResult(str(submission), tuple(results), duration=time.perf_counter() - start, notes=notes)


def copy_submission(source: Path, target: Path) -> Path:
    """Copy a folder or extract a zip; return the folder that holds the ``exNN_*.py`` files."""
    if source.is_dir():
        _copy_tree(source, target)
    elif source.is_file() and zipfile.is_zipfile(source):
        _extract(source, target)
    elif source.exists():
        raise SubmissionError(_("{path} is neither a folder nor a .zip file").format(path=source))
    else:
        raise SubmissionError(_("{path} does not exist").format(path=source))
    return _exercise_folder(target)


def _copy_tree(source: Path, target: Path) -> None:
    total = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink() or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        size = path.stat().st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    target.mkdir(parents=True, exist_ok=True)


def _extract(archive: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            total = 0
            for info in zf.infolist():
                name = Path(info.filename)
                if info.is_dir() or name.is_absolute() or ".." in name.parts or info.file_size > MAX_FILE_BYTES:
                    continue
                total += info.file_size
                if total > MAX_TOTAL_BYTES:
                    break
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(destination, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(_("cannot read {path}: {error}").format(path=archive, error=exc)) from None


def _exercise_folder(root: Path) -> Path:
    """The shallowest folder containing an ``exNN_*.py`` or ``.ipynb`` file (zips often wrap one folder)."""
    found = [p for pattern in ("ex[0-9][0-9]_*.py", "ex[0-9][0-9]_*.ipynb") for p in root.rglob(pattern)]
    candidates = sorted(found, key=lambda p: (len(p.parts), str(p)))
    return candidates[0].parent if candidates else root
