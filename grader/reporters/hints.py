"""The hint ladder: hint N for the first check that does not pass, read from the last run (no re-run).

``pytest exercises``, ``python -m grader grade FOLDER`` and ``check()`` in a notebook save their
results to ``.grader/last-run.json`` in the folder they graded (the notebook: its own folder).
``python -m grader hint EX --level N`` and ``hint(EX, N)`` read it back: level 1 is the hint the
message showed, each level reveals a little more, the last one points at the documentation.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.engine.i18n import N_, _
from grader.engine.model import CheckResult, GradeResult, Outcome
from grader.reporters import json_v3

LAST_RUN = Path(".grader") / "last-run.json"

READ_THE_DOCS = N_(
    "Read the docstring of the function this check calls in {exercise} (the .py file or the notebook) once more: "
    "it states the shapes, numbers and rules the check uses. The PyTorch documentation (pytorch.org/docs) "
    "describes every function it names."
)


def save_last_run(result: GradeResult, folder: Path) -> Path | None:
    """Keep ``result`` for the hint ladder in ``folder``; results of other exercises saved before stay."""
    path = folder / LAST_RUN
    ran = {r.exercise for r in result.results}
    earlier = load(path)
    kept = tuple(r for r in earlier.results if r.exercise not in ran) if earlier else ()
    merged = GradeResult(str(folder), kept + result.results)
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json_v3.dumps(merged), encoding="utf-8")
    except OSError:
        return None
    return path


def load(path: Path) -> GradeResult | None:
    """The results saved at ``path``, or None when there are none (or the file cannot be read)."""
    try:
        return json_v3.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path.parent.parent))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def last_run(folders: list[Path]) -> GradeResult | None:
    """The most recent saved run in any of ``folders``."""
    saved = [folder / LAST_RUN for folder in folders if (folder / LAST_RUN).is_file()]
    newest = max(saved, key=lambda p: p.stat().st_mtime, default=None)
    return load(newest) if newest else None


def ladder(result: CheckResult) -> list[str]:
    """The hints for ``result``, from the gentlest to the most revealing; the last points at the docs."""
    if result.detail is not None and result.detail.hints:
        hints = list(result.detail.hints)
    else:
        hints = [result.message] if result.message else []
    return hints + [_(READ_THE_DOCS).format(exercise=result.exercise)]


def first_failing(result: GradeResult, exercise: str | None) -> CheckResult | None:
    for r in result.results:
        if (exercise is None or r.exercise == exercise) and r.outcome not in (Outcome.PASSED, Outcome.SKIPPED):
            return r
    return None


def hint_text(result: GradeResult | None, exercise: str | None, level: int, more: str) -> str:
    """Hint ``level`` (from 1) for the first check of ``exercise`` that did not pass in ``result``.

    ``more``: how to ask for the next level, with ``{level}`` in it (``hint("ex01_tensors", {level})``).
    """
    if result is None or exercise is not None and all(r.exercise != exercise for r in result.results):
        return _("No saved results for {exercise} yet: run its checks first (pytest, grade or check()); "
                 "the hints come from that run.").format(exercise=exercise or _("any exercise"))
    failing = first_failing(result, exercise)
    if failing is None:
        return _("Every check of {exercise} passed in the last run: no hint needed.").format(
            exercise=exercise or _("every exercise"))
    hints = ladder(failing)
    shown = min(max(level, 1), len(hints))
    lines = [
        _("{name}: hint {level} of {count}").format(name=failing.name, level=shown, count=len(hints)),
        hints[shown - 1],
    ]
    if shown < len(hints):
        lines.append(_("A little more: {command}").format(command=more.format(level=shown + 1)))
    else:
        lines.append(_("That was the last hint."))
    return "\n".join(lines)
