"""``python -m grader batch``: grade a class, one isolated grading process per submission.

Every submission (a sub-folder or ``.zip`` of the class folder) gets an id
made from its name and a hash of it (``Zhang San/`` and ``Zhang_San/`` get two),
and all its outputs go to ``OUT/students/<id>/``, so no name can clash with
another student's or with ``OUT/gradebook.csv`` and ``OUT/report.html``. The
original name is kept in every output.

The batch process imports torch and the checks once, stays single-threaded,
and forks one grading process per submission (:func:`grader.frontends.entry.grade`,
in its own session, with its own temporary folder, output to a file): a
submission that crashes, stalls, stops or kills its grading process costs
that student only, with a message on their row. Signals a submission sends
to the batch itself are ignored and reported (:mod:`grader.sandbox.guard`).

It starts the zygote (:mod:`grader.sandbox.zygote`) before it reads the class
folder; each grading process gets its own connection to it, so every child
that runs a student's code is forked from a process that never saw the class.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from grader.engine.i18n import _
from grader.frontends import entry
from grader.sandbox import cores, guard, zygote

STUDENTS = "students"
RESULTS = "results.json"
ERRORS = "grader-error.txt"
GRADEBOOK = "gradebook.csv"
SUBMISSION_TIMEOUT = 3600.0
MAX_STOPS = 3  # times a grading process may be stopped (SIGSTOP) and resumed before it is ended
_POLL = 0.05


@dataclass(frozen=True)
class Submission:
    """One student's submission: ``name`` as it is in the class folder, ``id`` distinct and safe as a folder name."""

    id: str
    name: str
    path: Path

    @property
    def folder(self) -> str:
        """Its output folder, relative to OUT."""
        return f"{STUDENTS}/{self.id}"


@dataclass(frozen=True)
class Outcome:
    student: str  # the original name
    status: str  # "graded", "skipped" (already graded), "failed" (the grading process itself failed)
    score: float | None
    max_score: float | None
    detail: str = ""
    id: str = ""


@dataclass(frozen=True)
class Found:
    """The class folder's entries: the submissions, and what was not taken as one."""

    submissions: list[Submission]
    ignored: list[str] = field(default_factory=list)


def find_submissions(folder: Path, out: Path | None = None) -> Found:
    """One submission per sub-folder or ``.zip`` of ``folder`` (hidden entries and ``out`` itself left out)."""
    submissions, ignored = [], []
    skip = Path(out).resolve() if out is not None else None
    for path in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.resolve() == skip:
            continue
        if (path.is_dir() and not path.is_symlink()) or path.suffix.lower() == ".zip":
            submissions.append(Submission(submission_id(path.name), path.name, path))
        else:
            ignored.append(path.name)
    return Found(submissions, ignored)


def submission_id(name: str) -> str:
    """``Zhang San.zip`` -> ``Zhang_San-1f0c2a9e``: the name made safe, and a hash of the exact name."""
    stem = name[:-4] if name.lower().endswith(".zip") else name
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:40] or "student"
    return f"{safe}-{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


@dataclass
class _Job:
    submission: Submission
    pid: int
    started: float
    scratch: Path
    stops: int = 0
    signals: list[str] = field(default_factory=list)  # signals its code sent to the batch


def _options(submission: Submission, folder: Path, base: entry.GradeOptions) -> entry.GradeOptions:
    return dataclasses.replace(
        base, submission=submission.path, quiet=True, fail_under=None,
        json=folder / RESULTS, gradescope=folder / "gradescope.json", junit=folder / "junit.xml",
        prairielearn=None, classroom=None, summary=None, student_id=submission.id, student_name=submission.name,
    )


def _start(submission: Submission, out: Path, base: entry.GradeOptions, force: bool,
           runner: entry.Runner | None) -> _Job | Outcome:
    """Fork the grading process of one submission (or return the outcome of an earlier run)."""
    folder = out / submission.folder
    if not force and (earlier := _earlier(submission, folder / RESULTS)) is not None:
        return earlier
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RESULTS).unlink(missing_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"grader-{submission.id}-"))
    errors = os.open(folder / ERRORS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    connection = _connection()  # this submission's own connection to the batch's zygote
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _grade_in_child(_options(submission, folder, base), errors, scratch, runner, connection)  # never returns
    os.close(errors)
    os.close(connection)
    return _Job(submission, pid, time.monotonic(), scratch)


def _grade_in_child(options: entry.GradeOptions, errors: int, scratch: Path, runner: entry.Runner | None,
                    connection: int) -> None:
    code = entry.EXIT_INTERNAL
    try:
        os.setsid()  # its own session: a signal to its group or session never reaches the batch
        guard.unblock()
        zygote.adopt(connection)
        tempfile.tempdir = str(scratch)  # everything it writes is removed with it, however it ends
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(errors, 2)
        sys.stdout = open(1, "w", buffering=1, errors="replace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, errors="replace", closefd=False)
        code = entry.grade(options, runner)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException as exc:  # a bug in the grader: say so in grader-error.txt
        os.write(2, f"internal grader error: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(code)


def _poll(job: _Job, out: Path) -> Outcome | None:
    """The job's outcome once its grading process has ended (or been ended)."""
    pid, status = os.waitpid(job.pid, os.WNOHANG | os.WUNTRACED)
    if pid and os.WIFSTOPPED(status):
        return _resume(job, out, os.WSTOPSIG(status))
    if pid == 0:
        if time.monotonic() - job.started < SUBMISSION_TIMEOUT:
            return None
        guard.end(job.pid)
        return _failed(job, out, _("grading took longer than {seconds} s").format(seconds=f"{SUBMISSION_TIMEOUT:g}"))
    guard.end(job.pid)  # what it left running in its session
    results = out / job.submission.folder / RESULTS
    if os.WIFSIGNALED(status):
        name = _signal_name(os.WTERMSIG(status))
        return _failed(job, out, _("the grading process was killed by {signal} (the submission's code can do "
                                   "that to the process that runs it)").format(signal=name), from_log=False)
    if not results.exists() or os.WEXITSTATUS(status) == entry.EXIT_INTERNAL:  # its results are not complete
        return _failed(job, out, _("the grading process exited with status {status}")
                       .format(status=os.WEXITSTATUS(status)))
    (out / job.submission.folder / ERRORS).unlink(missing_ok=True)
    return _read(job.submission, results, "graded", job.signals)


def _resume(job: _Job, out: Path, sig: int) -> Outcome | None:
    """A grading process was stopped (by the submission's code): resume it, or end it after ``MAX_STOPS``."""
    job.stops += 1
    if job.stops <= MAX_STOPS:
        try:
            os.killpg(job.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        return None
    guard.end(job.pid)
    why = _("the grading process was stopped by {signal} {count} times and was ended")
    return _failed(job, out, why.format(signal=_signal_name(sig), count=job.stops), from_log=False)


def _signal_name(sig: int) -> str:
    return guard.signal_name(sig)


def _failed(job: _Job, out: Path, why: str, from_log: bool = True) -> Outcome:
    """Keep the end of what the grading process printed; write a results file that says what happened."""
    folder = out / job.submission.folder
    errors = folder / ERRORS
    try:
        text = errors.read_text(errors="replace") if errors.exists() else ""
        errors.write_text(text[-20_000:])
    except OSError:
        text = ""
    last = text.strip().splitlines()[-1:] if from_log else []
    detail = "; ".join([last[0] if last else why, *job.signals])
    _write_failure(folder / RESULTS, job.submission, detail)
    return Outcome(job.submission.name, "failed", None, None, detail, job.submission.id)


def _write_failure(path: Path, submission: Submission, detail: str) -> None:
    """A results file with the error, so the gradebook, report and feedback page show it."""
    from grader.engine.model import GradeResult
    from grader.reporters import json_v3

    result = GradeResult(str(submission.path), error=detail, student_id=submission.id, student_name=submission.name)
    try:
        path.write_text(json_v3.dumps(result))
    except OSError:
        pass


def _earlier(submission: Submission, results: Path) -> Outcome | None:
    """The outcome of an earlier run for this very submission, if it was graded."""
    try:
        data = json.loads(results.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("status") == "error":
        return None
    if data.get("student") != submission.name:
        return None
    return _read(submission, results, "skipped", [])


def _read(submission: Submission, results: Path, status: str, signals: list[str]) -> Outcome:
    try:
        data = json.loads(results.read_text())
        detail = "; ".join([*([str(data["message"])] if data.get("status") == "error" else []), *signals])
        if data.get("status") == "error":
            return Outcome(submission.name, "failed", None, None, detail, submission.id)
        return Outcome(submission.name, status, float(data["score"]), float(data["max_score"]), detail, submission.id)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Outcome(submission.name, "failed", None, None, f"unreadable {results.name}: {exc}", submission.id)


def run_batch(
    submissions: list[Submission], out: Path, base: entry.GradeOptions, jobs: int = 1, force: bool = False,
    progress: Callable[[int, int, Outcome], None] | None = None, runner: entry.Runner | None = None,
) -> list[Outcome]:
    """Grade ``submissions`` into ``out/students/<id>/``, ``jobs`` at once; one outcome each, in order.

    ``base``: the options every submission is graded with (its paths are set per submission).
    Raises :class:`grader.sandbox.guard.Stop` when someone outside asks the batch to end
    (the outcomes so far are lost to the caller, the results on disk are kept).
    """
    from grader.sandbox import isolation

    out.mkdir(parents=True, exist_ok=True)
    parallel, threads = cores.share(jobs)
    base = dataclasses.replace(base, parallel=base.parallel or parallel, threads=base.threads or threads)
    _import_once()
    zygote.shared()  # the command line started it before reading the class folder; else it starts now
    isolation.become_subreaper()  # what a killed grading process leaves behind comes back to us to end
    guard.block()
    watchdog = guard.start_watchdog()
    outcomes: dict[int, Outcome] = {}
    waiting = list(enumerate(submissions))
    running: dict[int, _Job] = {}

    def finish(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if progress:
            progress(len(outcomes), len(submissions), outcome)

    try:
        while waiting or running:
            while waiting and len(running) < max(1, jobs):
                index, submission = waiting.pop(0)
                job = _start(submission, out, base, force, runner)
                if isinstance(job, Outcome):
                    finish(index, job)
                else:
                    running[index] = job
            for index, job in list(running.items()):
                outcome = _poll(job, out)
                if outcome is not None:
                    del running[index]
                    shutil.rmtree(job.scratch, ignore_errors=True)
                    isolation.end_strays(keep={j.pid for j in running.values()} | {watchdog})
                    finish(index, outcome)
            if running:
                _note_strays(guard.take(_POLL), running)
                _keep_zygote_running()
    finally:
        for job in running.values():
            guard.end(job.pid)
            shutil.rmtree(job.scratch, ignore_errors=True)
        guard.end(watchdog)
        isolation.end_strays()
        guard.release()
    return [outcomes[i] for i in range(len(submissions))]


def _connection() -> int:
    """A new connection to the batch's zygote; a fresh zygote when that one is gone.

    Only code running without the kernel's layers (``--allow-weak-sandbox``) can signal the zygote; the
    fresh one is forked from the batch, so it has read the class folder (its environment is wiped again).
    """
    try:
        return zygote.shared().connect()
    except zygote.ZygoteLost:
        zygote.stop()
        return zygote.start().connect()


def _keep_zygote_running() -> None:
    """Resume the zygote if something stopped it (SIGSTOP), as the watchdog does for the batch."""
    for pid in zygote.known_pids():
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def _note_strays(strays: list[guard.StraySignal], running: dict[int, _Job]) -> None:
    """Put each signal a submission sent to the batch on that submission's row."""
    for stray in strays:
        text = _("its code sent {signal} to the batch (ignored)").format(signal=stray.name)
        owners = [job for job in running.values() if job.pid == stray.session]
        for job in owners:
            if text not in job.signals:
                job.signals.append(text)
        if not owners:
            print(_("ignored {signal} sent to the batch by process {pid}").format(signal=stray.name, pid=stray.sender),
                  file=sys.stderr)


def _import_once() -> None:
    """What every grading process needs, imported here before the first fork, on one torch thread.

    torchvision comes first: its first import re-wraps torch.manual_seed (see grading.ready_to_fork).
    """
    import torchvision  # noqa: F401

    from grader.checks import registry
    from grader.reporters import gradescope, json_v3, junit, terminal  # noqa: F401
    from grader.sandbox import grading  # noqa: F401

    cores.pin_threads()
    registry.public_exercises()


# ---- the class's outputs -------------------------------------------------------------------------


REPORT_EXTRA = "the class report needs jinja2, matplotlib and copydetect: pip install 'torch-exercise-kit[report]'"


class ReportExtraMissing(Exception):
    pass


def write_html(out: Path, ids: list[str] | None, withhold_hidden: bool = False, similar=None) -> Path:
    """``OUT/report.html`` and each student's feedback page; ``ids``: the students (None: every folder there)."""
    try:
        from grader.reporters import html
    except ImportError as exc:
        raise ReportExtraMissing(f"{REPORT_EXTRA} ({exc})") from None
    return html.write(out, ids, withhold_hidden, similar)


def write_gradebook(out: Path, submissions: list[Submission]) -> Path:
    from grader.reporters import gradebook

    path = out / GRADEBOOK
    path.write_text(gradebook.dumps(out / STUDENTS, [s.id for s in submissions]))
    return path


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
