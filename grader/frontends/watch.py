"""``python -m grader watch``: check an exercise again every time its file is saved.

The watching process imports torch and the checks once and never runs a tensor operation
itself. For every save it forks a child that grades the saved exercises with the in-process
runner (the same checks, messages and points as ``pytest exercises``), prints the verdict and
keeps the run for ``python -m grader hint``; the child's imports are already warm, so a verdict
follows a save in well under a second for a quick exercise (``bench/bench_watch.py``).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Callable

import torch

from grader.checks import registry
from grader.engine.api import Exercise
from grader.engine.i18n import _
from grader.reporters import hints, terminal
from grader.sandbox.inprocess import grade_in_process
from grader.sandbox.loading import source_file

EXERCISE_FILE = re.compile(r"(ex\d\d_\w+)\.(py|ipynb)")
POLL_MS = 50  # how often watchfiles looks for changes, and how long it waits for a burst of writes to end


def watch(folder: Path, names: list[str], threads: int, print_line: Callable[[str], None] = print) -> int:
    """Grade ``names`` (default: every exercise with a file in ``folder``) now and after every save."""
    import watchfiles

    chosen = _chosen(folder, names)
    if isinstance(chosen, str):
        print_line(chosen)
        return 2
    waiting = _("Watching {folder} for changes to {names} (Ctrl+C to stop).").format(
        folder=folder, names=", ".join(chosen))
    stamps = saved_stamps(folder, chosen)
    check_in_child(folder, list(chosen), chosen, threads)
    print_line(waiting)
    here = folder.resolve()

    def wanted(_change: object, path: str) -> bool:
        return bool(EXERCISE_FILE.fullmatch(Path(path).name)) and Path(path).parent.resolve() == here

    try:
        # Woken by a change, or every half second: a save made before the watcher started is not lost.
        for _changes in watchfiles.watch(folder, watch_filter=wanted, debounce=POLL_MS, step=POLL_MS,
                                         recursive=False, raise_interrupt=False, yield_on_timeout=True,
                                         rust_timeout=500):
            now = saved_stamps(folder, chosen)
            saved = [name for name in chosen if now[name] != stamps[name]]
            stamps = now
            if saved:
                print_line(_("{names} saved: checking…").format(names=", ".join(saved)))
                check_in_child(folder, saved, chosen, threads)
                print_line(waiting)
    except KeyboardInterrupt:
        pass
    return 0


def saved_stamps(folder: Path, chosen: dict[str, Exercise]) -> dict[str, tuple[int, int] | None]:
    """Each exercise's file as last saved (modification time and size), or None without a file."""
    return {name: _stamp(source_file(folder, name)) for name in chosen}


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        status = path.stat() if path else None
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size) if status else None


def _chosen(folder: Path, names: list[str]) -> dict[str, Exercise] | str:
    exercises = registry.public_exercises()
    if not folder.is_dir():
        return _("error: {path} is not a folder").format(path=folder)
    unknown = [n for n in names if n not in exercises]
    if unknown:
        return _("error: no exercise {names}; choose from {choices}").format(
            names=", ".join(unknown), choices=", ".join(exercises))
    present = {p.stem for pattern in ("ex*.py", "ex*.ipynb") for p in folder.glob(pattern)}
    picked = names or [n for n in exercises if n in present]
    if not picked:
        return _("error: {path} has no exercise files (exNN_topic.py or .ipynb)").format(path=folder)
    return {n: exercises[n] for n in picked}


def check_in_child(folder: Path, names: list[str], chosen: dict[str, Exercise], threads: int) -> None:
    """Grade ``names`` in a forked child (a fresh copy of this warm process) and wait for its verdict."""
    limit = sum(check.timeout * len(check.cases()) for name in names for check in chosen[name].checks)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # the child: grade, print, keep the run for hints, and leave without cleaning up
        code = 1
        try:
            code = _grade_and_print(folder, {n: chosen[n] for n in names}, threads)
        finally:
            sys.stdout.flush()
            os._exit(code)
    _wait(pid, limit)


def _grade_and_print(folder: Path, exercises: dict[str, Exercise], threads: int) -> int:
    torch.set_num_threads(threads)
    result = grade_in_process(folder, exercises)
    hints.save_last_run(result, folder)
    print(terminal.report(result), flush=True)
    return 0


def _wait(pid: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    try:
        while os.waitpid(pid, os.WNOHANG)[0] == 0:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                print(_("Stopped after {seconds} s: look for an endless loop or far too much work.").format(
                    seconds=f"{limit:g}"), flush=True)
                return
            time.sleep(0.005)
    except KeyboardInterrupt:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
