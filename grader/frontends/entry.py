"""The one entry for grading a submission, below ``python -m grader grade`` and ``batch``.

:func:`grade` takes :class:`GradeOptions`, grades, writes the requested
reports and returns the exit code; ``cli`` builds the options from its
arguments and ``batch`` from each submission, so neither imports the other.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from grader.engine.i18n import _
from grader.engine.model import CheckResult, GradeResult
from grader.sandbox import cores

if TYPE_CHECKING:
    from grader.engine.api import Exercise
    from grader.sandbox.isolation import Limits

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNDER = 3

# Grades one submission: (submission, hidden, limits, exercises, on_exercise) -> result; raises SubmissionError.
# The default is grader.sandbox.grading.grade_submission.
Runner = Callable[[Path, "Path | None", "Limits", "dict[str, Exercise]", Callable[[list[CheckResult]], None]],
                  GradeResult]


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
    time_budget: float | None = None  # seconds; exercises not graded by then score 0 with a message
    allow_weak_sandbox: bool = False
    json: Path | None = None
    gradescope: Path | None = None
    junit: Path | None = None
    prairielearn: Path | None = None
    classroom: Path | None = None
    summary: Path | None = None
    quiet: bool = False
    fail_under: float | None = None
    keep_for_hints: bool = False  # a folder graded keeps its results for ``python -m grader hint``
    student_id: str = ""
    student_name: str = ""


def grade(options: GradeOptions, runner: Runner | None = None) -> int:
    """Grade ``options.submission``; write its reports; return the exit code (``EXIT_*``).

    ``runner`` grades one submission (default: :func:`grader.sandbox.grading.grade_submission`,
    which sets up the process that forks the exercise children in ``grading.ready_to_fork``): the
    place to hand in another way of starting children. Report files are written at the start and
    again as each exercise finishes. A submission that cannot be read still gets reports, with the
    error as their message, and exits 2. Raises ``SystemExit`` with a message for bad options.
    """
    from grader.checks import registry
    from grader.sandbox import budget
    from grader.sandbox.grading import SubmissionError, grade_submission
    from grader.sandbox import zygote
    from grader.sandbox.isolation import GiB, Limits

    if refuse_weak_sandbox(options.allow_weak_sandbox):
        return EXIT_USAGE
    available = cores.pin_threads()
    zygote.shared()  # forked now, before the hidden checks and the submission are read
    progress = None
    try:
        hidden = _hidden(options.hidden)
        exercises = _selected(registry.all_exercises(hidden), options.exercises)
        parallel = max(1, min(options.parallel or cores.cores(), len(exercises)))
        threads = options.threads or max(1, available // parallel)
        limits = Limits(memory_bytes=int(options.memory_gib * GiB), threads=threads,
                        import_timeout=options.import_timeout, parallel=parallel)
        progress = budget.Progress(str(options.submission), exercises,
                                   lambda partial: write_reports(_identified(partial, options), options))
        progress.start()
        try:
            with budget.time_budget(options.time_budget):
                result = (runner or grade_submission)(options.submission, hidden, limits, exercises, progress.finished)
        except budget.BudgetSpent:
            result = progress.result(budget.budget_message(options.time_budget or 0))
        code = EXIT_OK
    except zygote.ZygoteLost as exc:  # only code running without the kernel's layers can end it
        print(_("error: the process the submission's code is forked from (the zygote) ended or stopped "
                "answering: {error}").format(error=exc), file=sys.stderr)
        return EXIT_INTERNAL
    except SubmissionError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        pending = progress.result(str(exc)) if progress is not None else GradeResult(str(options.submission))
        result, code = dataclasses.replace(pending, error=str(exc)), EXIT_USAGE
    finally:
        cores.torch_threads(available)
    result = _identified(result, options)
    write_reports(result, options)
    if code == EXIT_OK and options.keep_for_hints and Path(options.submission).is_dir():
        from grader.reporters import hints

        hints.save_last_run(result, Path(options.submission))
    if code == EXIT_OK and not options.quiet:
        from grader.reporters import terminal

        print(terminal.report(result))
    if code == EXIT_OK and options.fail_under is not None and result.score < options.fail_under:
        message = _("score {score} is under --fail-under {minimum}")
        print(message.format(score=f"{result.score:g}", minimum=f"{options.fail_under:g}"), file=sys.stderr)
        return EXIT_UNDER
    return code


def _identified(result: GradeResult, options: GradeOptions) -> GradeResult:
    return dataclasses.replace(result, student_id=options.student_id, student_name=options.student_name)


def write_reports(result: GradeResult, options: GradeOptions) -> None:
    """The report files ``options`` asks for, each replaced whole (never half written)."""
    from grader.reporters import gradescope, json_v3, junit, prairielearn

    reporters = ((options.json, json_v3.dumps), (options.gradescope, gradescope.dumps), (options.junit, junit.dumps),
                 (options.prairielearn, prairielearn.dumps))
    for path, dumps in reporters:
        if path:
            write_atomically(Path(path), dumps(result))
    if options.classroom or options.summary:
        from grader.reporters import classroom

        for path, text in ((options.classroom, classroom.encode), (options.summary, classroom.summary)):
            if path:
                write_atomically(Path(path), text(result))


def write_atomically(path: Path, text: str) -> None:
    """Readers (and a platform that kills this process) see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def refuse_weak_sandbox(allowed: bool) -> bool:
    """Say so and return True when the kernel lacks a required layer (Landlock, seccomp) and that was not allowed."""
    from grader.sandbox import layers

    missing = layers.detect().missing()
    if not missing:
        return False
    names = ", ".join(missing)
    if allowed:
        print(_("warning: grading without {layers} (--allow-weak-sandbox)").format(layers=names), file=sys.stderr)
        return False
    message = _(
        "error: this machine's kernel offers no {layers}, so the student's code would not be held by the kernel "
        "(only the audit hook and limits would stand). Grade on Linux with Landlock and seccomp (5.13 or newer), "
        "or pass --allow-weak-sandbox to grade with the weaker sandbox; results list the layers that were active."
    )
    print(message.format(layers=names), file=sys.stderr)
    return True


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
