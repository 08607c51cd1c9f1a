"""The one entry for grading a submission, below ``python -m grader grade`` and ``batch``.

:func:`grade` takes :class:`GradeOptions`, grades, writes the requested
reports and returns the exit code; ``cli`` builds the options from its
arguments and ``batch`` from each submission, so neither imports the other.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from grader.engine.i18n import _
from grader.engine.model import GradeResult
from grader.sandbox import cores

if TYPE_CHECKING:
    from grader.engine.api import Exercise
    from grader.sandbox.isolation import Limits

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNDER = 3

# Grades one submission: (submission, hidden, limits, exercises) -> result; raises SubmissionError.
Runner = Callable[[Path, "Path | None", "Limits", "dict[str, Exercise]"], GradeResult]


@dataclass(frozen=True)
class GradeOptions:
    """What to grade and where to write it; the fields of ``python -m grader grade``'s options.

    ``student_id`` and ``student_name`` (set by ``batch``) go into every result written.
    """

    submission: Path
    hidden: Path | None = None
    exercises: str | None = None  # comma-separated names; None: all
    memory_gib: float = 4.0
    import_timeout: float = 60.0
    parallel: int | None = None  # exercises graded at once; None: one per core
    threads: int | None = None  # torch threads per child; None: the cores shared among them
    json: Path | None = None
    gradescope: Path | None = None
    junit: Path | None = None
    quiet: bool = False
    fail_under: float | None = None
    student_id: str = ""
    student_name: str = ""


def grade(options: GradeOptions, runner: Runner | None = None) -> int:
    """Grade ``options.submission``; write its reports; return the exit code (``EXIT_*``).

    ``runner`` grades one submission (default: :func:`grader.sandbox.grading.grade_submission`, which
    sets up the process that forks the exercise children in ``grading.ready_to_fork``). A submission
    that cannot be read still gets reports, with the error as their message, and exits 2.
    Raises ``SystemExit`` with a message for bad options (an unknown exercise, a missing --hidden).
    """
    from grader.checks import registry
    from grader.sandbox.grading import SubmissionError, grade_submission
    from grader.sandbox.isolation import GiB, Limits

    available = cores.pin_threads()
    try:
        hidden = _hidden(options.hidden)
        exercises = _selected(registry.all_exercises(hidden), options.exercises)
        parallel = max(1, min(options.parallel or cores.cores(), len(exercises)))
        threads = options.threads or max(1, available // parallel)
        limits = Limits(memory_bytes=int(options.memory_gib * GiB), threads=threads,
                        import_timeout=options.import_timeout, parallel=parallel)
        result, code = (runner or grade_submission)(options.submission, hidden, limits, exercises), EXIT_OK
    except SubmissionError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        result, code = GradeResult(str(options.submission), error=str(exc)), EXIT_USAGE
    finally:
        cores.torch_threads(available)
    result = replace(result, student_id=options.student_id, student_name=options.student_name)
    write_reports(result, options)
    if code == EXIT_OK and not options.quiet:
        from grader.reporters import terminal

        print(terminal.report(result))
    if code == EXIT_OK and options.fail_under is not None and result.score < options.fail_under:
        message = _("score {score} is under --fail-under {minimum}")
        print(message.format(score=f"{result.score:g}", minimum=f"{options.fail_under:g}"), file=sys.stderr)
        return EXIT_UNDER
    return code


def write_reports(result: GradeResult, options: GradeOptions) -> None:
    """The JSON, Gradescope and JUnit files ``options`` asks for."""
    from grader.reporters import gradescope, json_v3, junit

    for path, reporter in ((options.json, json_v3), (options.gradescope, gradescope), (options.junit, junit)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(reporter.dumps(result))


def _selected(exercises: dict[str, "Exercise"], names: str | None) -> dict[str, "Exercise"]:
    if not names:
        return exercises
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in exercises]
    if unknown:
        message = _("error: --exercises: no exercise {names}; choose from {choices}")
        raise SystemExit(message.format(names=", ".join(unknown), choices=", ".join(exercises)))
    return {name: exercises[name] for name in wanted}


def _hidden(hidden: Path | None) -> Path | None:
    if hidden is None:
        return None
    if not Path(hidden).is_dir():
        raise SystemExit(_("error: --hidden {path}: no such folder").format(path=hidden))
    return Path(hidden)
