"""``python -m grader batch``: grade a class, one isolated ``grade`` process per submission."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

RESULTS = "results.json"
SUBMISSION_TIMEOUT = 3600.0


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


def grade_one(submission: Submission, out: Path, extra: list[str], force: bool, threads: int) -> Outcome:
    folder = out / submission.student
    results = folder / RESULTS
    if results.exists() and not force:
        return _read(submission.student, results, "skipped")
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "grader", "grade", str(submission.path), "--quiet", "--threads", str(threads),
        "--json", str(results), "--gradescope", str(folder / "gradescope.json"), "--junit", str(folder / "junit.xml"),
        *extra,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=SUBMISSION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Outcome(submission.student, "failed", None, None, "grading took longer than an hour")
    if done.returncode != 0 or not results.exists():
        (folder / "grader-error.txt").write_text(done.stderr[-20_000:])
        return Outcome(submission.student, "failed", None, None, done.stderr.strip().splitlines()[-1:][0] if done.stderr.strip() else f"exit {done.returncode}")
    return _read(submission.student, results, "graded")


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
    submissions = find_submissions(folder)
    out.mkdir(parents=True, exist_ok=True)
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    lock, finished = threading.Lock(), []

    def work(submission: Submission) -> Outcome:
        outcome = grade_one(submission, out, extra or [], force, threads)
        with lock:
            finished.append(outcome)
            if progress:
                progress(len(finished), len(submissions), outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(work, submissions))
    return outcomes


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
