"""``python -m grader batch``: grade a class, one isolated ``grade`` process per submission.

The batch process imports torch and the checks once, stays single-threaded,
and forks one grading process per submission (``python -m grader grade``'s
own ``main``, in its own process group, output to a file): a submission that
crashes or stalls its grader costs that student only, and nobody pays the
torch import again.

It starts the zygote (:mod:`grader.sandbox.zygote`) before it reads the class
folder; each grading process gets its own connection to it, so every child
that runs a student's code is forked from a process that never saw the class.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from grader.sandbox import zygote

RESULTS = "results.json"
ERRORS = "grader-error.txt"
SUBMISSION_TIMEOUT = 3600.0
_POLL = 0.05


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


@dataclass(frozen=True)
class Outcome:
    student: str
    status: str  # "graded", "skipped" (already graded), "failed" (the grade command itself failed)
    score: float | None
    max_score: float | None
    detail: str = ""


def find_submissions(folder: Path) -> list[Submission]:
    """One submission per sub-folder or ``.zip``; the student is its name."""
    found = []
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix == ".zip":
            found.append(Submission(_safe_name(path.stem if path.suffix == ".zip" else path.name), path))
    return found


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name) or "_"


@dataclass
class _Job:
    submission: Submission
    pid: int
    started: float


def _grade_arguments(submission: Submission, folder: Path, extra: list[str], threads: int, parallel: int) -> list[str]:
    return [
        "grade", str(submission.path), "--quiet", "--threads", str(threads), "--parallel", str(parallel),
        "--json", str(folder / RESULTS), "--gradescope", str(folder / "gradescope.json"),
        "--junit", str(folder / "junit.xml"), *extra,
    ]


def _start(
    submission: Submission, out: Path, extra: list[str], force: bool, threads: int, parallel: int
) -> _Job | Outcome:
    """Fork the grading process of one submission (or return the outcome of an earlier run)."""
    folder = out / submission.student
    results = folder / RESULTS
    if results.exists() and not force:
        return _read(submission.student, results, "skipped")
    folder.mkdir(parents=True, exist_ok=True)
    arguments = _grade_arguments(submission, folder, extra, threads, parallel)
    errors = os.open(folder / ERRORS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    connection = zygote.shared().connect()  # this submission's own connection to the batch's zygote
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _grade_in_child(arguments, errors, connection)  # never returns
    os.close(errors)
    os.close(connection)
    try:
        os.setpgid(pid, pid)
    except (ProcessLookupError, PermissionError):
        pass
    return _Job(submission, pid, time.monotonic())


def _grade_in_child(arguments: list[str], errors: int, connection: int) -> None:
    code = 1
    try:
        os.setpgid(0, 0)
        zygote.adopt(connection)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(errors, 2)
        sys.stdout = open(1, "w", buffering=1, errors="replace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, errors="replace", closefd=False)
        from grader.frontends import cli

        code = cli.main(arguments)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException as exc:  # a bug in the grader: say so in grader-error.txt
        os.write(2, f"internal grader error: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(code)


def _poll(job: _Job, out: Path) -> Outcome | None:
    """The job's outcome once its grading process has ended (or been ended for taking too long)."""
    pid, status = os.waitpid(job.pid, os.WNOHANG)
    if pid == 0:
        if time.monotonic() - job.started < SUBMISSION_TIMEOUT:
            return None
        _kill(job.pid)
        return _failed(job.submission, out, f"grading took longer than {SUBMISSION_TIMEOUT:g} s", from_log=False)
    code = os.waitstatus_to_exitcode(status)
    results = out / job.submission.student / RESULTS
    if code != 0 or not results.exists():
        return _failed(job.submission, out, f"exit {code}")
    (out / job.submission.student / ERRORS).unlink(missing_ok=True)
    return _read(job.submission.student, results, "graded")


def _failed(submission: Submission, out: Path, why: str, from_log: bool = True) -> Outcome:
    """Keep the end of what the grading process printed; the detail is its last line, else ``why``."""
    errors = out / submission.student / ERRORS
    text = errors.read_text(errors="replace") if errors.exists() else ""
    errors.write_text(text[-20_000:])
    last = text.strip().splitlines()[-1:] if from_log else []
    return Outcome(submission.student, "failed", None, None, last[0] if last else why)


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _read(student: str, results: Path, status: str) -> Outcome:
    try:
        data = json.loads(results.read_text())
        return Outcome(student, status, float(data["score"]), float(data["max_score"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Outcome(student, "failed", None, None, f"unreadable {results.name}: {exc}")


def run_batch(
    folder: Path, out: Path, jobs: int = 1, force: bool = False, extra: list[str] | None = None,
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> list[Outcome]:
    from grader.frontends import cli
    from grader.sandbox import isolation

    jobs = max(1, jobs)
    parallel = max(1, cli.cores() // jobs)  # each grading process grades this many exercises at once
    threads = max(1, cli.cores() // (jobs * parallel))
    _import_once()
    zygote.start()  # before the class folder is read: the children's parent never sees it
    submissions = find_submissions(folder)
    out.mkdir(parents=True, exist_ok=True)
    isolation.become_subreaper()  # what a killed grading process leaves behind comes back to us to end
    outcomes: dict[int, Outcome] = {}
    waiting = list(enumerate(submissions))
    running: dict[int, _Job] = {}

    def finish(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if progress:
            progress(len(outcomes), len(submissions), outcome)

    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index, submission = waiting.pop(0)
                job = _start(submission, out, extra or [], force, threads, parallel)
                if isinstance(job, Outcome):
                    finish(index, job)
                else:
                    running[index] = job
            for index, job in list(running.items()):
                outcome = _poll(job, out)
                if outcome is not None:
                    del running[index]
                    isolation.end_strays(keep={j.pid for j in running.values()})
                    finish(index, outcome)
            if running:
                time.sleep(_POLL)
    finally:
        for job in running.values():
            _kill(job.pid)
        isolation.end_strays()
    return [outcomes[i] for i in range(len(submissions))]


def _import_once() -> None:
    """What every grading process needs, imported here before the first fork, on one torch thread.

    torchvision comes first: its first import re-wraps torch.manual_seed (see grading.grade_submission).
    """
    import torchvision  # noqa: F401

    from grader.frontends import cli
    from grader.checks import registry
    from grader.reporters import gradescope, json_v3, junit, terminal  # noqa: F401
    from grader.sandbox import grading  # noqa: F401

    cli.pin_threads()
    registry.public_exercises()


def progress_bar(stream: TextIO) -> Callable[[int, int, Outcome], None]:
    start = time.monotonic()

    def show(done: int, total: int, outcome: Outcome) -> None:
        width = 30
        filled = width * done // max(total, 1)
        score = f"{outcome.score:g}/{outcome.max_score:g}" if outcome.score is not None else outcome.status.upper()
        stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {time.monotonic() - start:6.1f}s"
            f"  {outcome.student}: {score} ({outcome.status})\x1b[K"
        )
        if done == total:
            stream.write("\n")
        stream.flush()

    return show
