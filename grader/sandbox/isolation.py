"""The isolated runner: each exercise's probes run in a forked child process.

The parent (this process) has torch and the checks imported; for every
exercise it forks a child that drops into a private work folder, caps its
memory and file sizes, installs the :mod:`grader.sandbox.audit` audit hook, imports
the student's file and runs the probes one case at a time. The child sends
back only observations (:mod:`grader.engine.observe`'s wire format); the parent
judges them. A case that runs past its time limit, or a child that dies, is
recorded for that case, and a fresh child carries on with the next one.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Iterator

from grader.engine import observe
from grader.engine.api import Case, Check, Exercise
from grader.sandbox.child import HEADER, GiB, Limits, Workspace, run_child
from grader.engine.model import CheckResult, Outcome, Tag
from grader.engine.i18n import _
from grader.sandbox.runner import CUDA_SKIP_REASON, ProbeReport, case_points, judge_case, skipped, timeout_message

__all__ = ["GiB", "Limits", "Workspace", "run_exercise", "end_strays", "become_subreaper"]

_MAX_FRAME = 256 * 2**20
_PR_SET_CHILD_SUBREAPER = 36


@dataclass
class _Child:
    pid: int
    read_fd: int  # reports from the child
    output_fd: int  # the child's stdout and stderr
    output: bytearray = field(default_factory=bytearray)
    output_total: int = 0

    def drain(self, keep: int) -> None:
        """Read what the child printed; keep the first ``keep`` bytes, count the rest."""
        try:
            chunk = os.read(self.output_fd, 2**16)
        except OSError:
            chunk = b""
        self.output_total += len(chunk)
        room = keep - len(self.output)
        if room > 0:
            self.output += chunk[:room]


def become_subreaper() -> None:
    """Orphans of the student's processes become our children, so we can end them."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def run_exercise(
    exercise: Exercise, workspace: Workspace, limits: Limits, cuda: bool
) -> list[CheckResult]:
    cases = [(check, case) for check in exercise.checks for case in check.cases()]
    results: dict[int, CheckResult] = {}
    runnable = []
    for index, (check, case) in enumerate(cases):
        if case.device == "cuda" and not cuda:
            results[index] = skipped(check, case, _(CUDA_SKIP_REASON))
        else:
            runnable.append(index)
    position = 0
    while position < len(runnable):
        child = _fork(exercise.name, cases, runnable[position:], workspace, limits)
        position = _collect(child, cases, runnable, position, results, limits, cuda)
        _end(child)
    end_strays()
    return [results[i] for i in range(len(cases))]


# ---- parent side -------------------------------------------------------------------------------


def _collect(
    child: _Child, cases: list[tuple[Check, Case]], runnable: list[int], position: int,
    results: dict[int, CheckResult], limits: Limits, cuda: bool,
) -> int:
    """Read the child's reports; return the position in ``runnable`` to start the next child at."""
    imported = False
    while position < len(runnable):
        index = runnable[position]
        check, case = cases[index]
        timeout = limits.import_timeout if not imported else check.timeout
        frame, why = _read_frame(child, time.monotonic() + timeout, limits)
        if frame is None:
            if not imported:
                _fail_rest(cases, runnable[position:], results, _import_failure(why, limits), cuda)
                return len(runnable)
            results[index] = _lost_case(check, case, why, limits, cuda, _take_output(child, limits))
            return position + 1
        if frame.get("kind") == "imported":
            imported = True
            continue
        if frame.get("kind") == "tampered":
            names = ", ".join(frame.get("names", [])[:8])
            message = _("Your code replaced functions the grader relies on: {names}").format(names=names)
            _fail_rest(cases, runnable[position:], results, (Outcome.ERROR, message, Tag.TAMPERING), cuda)
            return len(runnable)
        if frame.get("kind") != "case" or frame.get("index") != index or not isinstance(frame.get("report"), dict):
            results[index] = _lost_case(check, case, _("sent a malformed report"), limits, cuda, _take_output(child, limits))
            return position + 1
        report = ProbeReport.from_dict(frame["report"])
        result = judge_case(check, case, report, case_points(check, cuda))
        results[index] = _with_output(result, _take_output(child, limits))
        position += 1
    return position


def _read_frame(child: _Child, deadline: float, limits: Limits) -> tuple[dict | None, str]:
    """One message from the child, or (None, reason): "timeout", "memory" or how it ended."""
    header = _read_exactly(child, HEADER.size, deadline, limits)
    if isinstance(header, str):
        return None, header
    (size,) = HEADER.unpack(header)
    if size > _MAX_FRAME:
        return None, _("sent an oversized report")
    body = _read_exactly(child, size, deadline, limits)
    if isinstance(body, str):
        return None, body
    try:
        frame = observe.loads(body)
    except Exception:
        return None, _("sent a report the grader could not read")
    return (frame, "") if isinstance(frame, dict) else (None, _("sent a malformed report"))


def _read_exactly(child: _Child, size: int, deadline: float, limits: Limits) -> bytes | str:
    chunks, remaining = [], size
    next_memory_check = 0.0
    while remaining:
        now = time.monotonic()
        if now >= deadline:
            return "timeout"
        if now >= next_memory_check:
            if _group_rss(child.pid) > limits.memory_bytes:
                return "memory"
            next_memory_check = now + 0.2
        ready = select.select([child.read_fd, child.output_fd], [], [], min(0.2, deadline - now))[0]
        if child.output_fd in ready:
            child.drain(limits.output_chars * 4)
        if child.read_fd not in ready:
            continue
        chunk = os.read(child.read_fd, min(remaining, 2**20))
        if not chunk:
            return _how_it_ended(child)
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _how_it_ended(child: _Child) -> str:
    try:
        status = os.waitpid(child.pid, 0)[1]
    except ChildProcessError:
        return _("ended")
    child.pid = -1
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGSEGV:
            return _("was killed by signal {signal} (a segmentation fault)").format(signal=name)
        return _("was killed by signal {signal}").format(signal=name)
    return _("exited with status {status} (os._exit or a crash)").format(status=os.WEXITSTATUS(status))


def _processes() -> Iterator[tuple[int, list[bytes]]]:
    """(pid, fields of /proc/PID/stat after the command name) for every process; none off Linux."""
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                yield int(entry.name), f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue


def _group_rss(pgid: int) -> int:
    """Resident memory of every process in the child's process group, in bytes."""
    page = os.sysconf("SC_PAGE_SIZE")
    return sum(int(fields[21]) * page for _pid, fields in _processes() if int(fields[2]) == pgid)


def _lost_case(check: Check, case: Case, why: str, limits: Limits, cuda: bool, output: str) -> CheckResult:
    points = case_points(check, cuda)
    device = case.device if check.per_device else None
    if why == "timeout":
        outcome, message, tag = Outcome.TIMEOUT, timeout_message(check.timeout), Tag.TIMEOUT
    elif why == "memory":
        outcome, message, tag = Outcome.CRASHED, _memory_message(limits), Tag.OUT_OF_MEMORY
    else:
        message = _("The process running your code {why} during this check.").format(why=why)
        outcome, tag = Outcome.CRASHED, Tag.CRASHED
    return CheckResult(check.exercise, check.name, device, outcome, 0.0, points, message, output, check.hidden, tag=tag)


def _memory_message(limits: Limits) -> str:
    return _(
        "Out of memory: your code used more than {gib} GiB, the grader's limit. "
        "Look for a list or tensor that grows without end."
    ).format(gib=f"{limits.memory_bytes / GiB:g}")


def _import_failure(why: str, limits: Limits) -> tuple[Outcome, str, Tag]:
    if why == "timeout":
        message = _("Importing the file took longer than {seconds} s (code at module level that never ends?).")
        return Outcome.TIMEOUT, message.format(seconds=f"{limits.import_timeout:g}"), Tag.TIMEOUT
    if why == "memory":
        return Outcome.CRASHED, _memory_message(limits), Tag.OUT_OF_MEMORY
    message = _("The process importing your file {why}; no check of this exercise could run.")
    return Outcome.CRASHED, message.format(why=why), Tag.CRASHED


def _fail_rest(
    cases: list[tuple[Check, Case]], indices: list[int], results: dict[int, CheckResult],
    verdict: tuple[Outcome, str, Tag], cuda: bool,
) -> None:
    outcome, message, tag = verdict
    for index in indices:
        check, case = cases[index]
        device = case.device if check.per_device else None
        results[index] = CheckResult(
            check.exercise, check.name, device, outcome, 0.0, case_points(check, cuda), message, hidden=check.hidden,
            tag=tag,
        )


def _take_output(child: _Child, limits: Limits) -> str:
    """What the child printed since the last report, cut to ``limits.output_chars``."""
    while select.select([child.output_fd], [], [], 0)[0] and child.pid > 0:
        before = child.output_total
        child.drain(limits.output_chars * 4)
        if child.output_total == before:
            break
    text = child.output.decode("utf-8", "replace")[: limits.output_chars]
    shown = len(text.encode("utf-8", "replace"))
    if child.output_total > shown:
        text += "\n" + _("... [output truncated: {count} more bytes not shown]").format(count=child.output_total - shown)
    child.output, child.output_total = bytearray(), 0
    return text


def _with_output(result: CheckResult, output: str) -> CheckResult:
    return replace(result, output=output) if output else result


def _end(child: _Child) -> None:
    if child.pid > 0:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:
            pass
    os.close(child.read_fd)
    os.close(child.output_fd)


def end_strays() -> None:
    """Kill and reap any process left behind (orphans re-parented to us as subreaper)."""
    me = str(os.getpid())
    for _attempt in range(20):
        strays = [pid for pid in _children(me)]
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                pid = os.waitpid(-1, os.WNOHANG)[0]
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not strays:
            return
        time.sleep(0.05)


def _children(parent: str) -> list[int]:
    return [pid for pid, fields in _processes() if fields[1].decode() == parent]


def _fork(name: str, cases: list[tuple[Check, Case]], indices: list[int], workspace: Workspace, limits: Limits) -> _Child:
    read_fd, write_fd = os.pipe()
    output_read, output_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.close(output_read)
        run_child(name, cases, indices, workspace, limits, write_fd, output_write)  # never returns
    os.close(write_fd)
    os.close(output_write)
    os.set_blocking(output_read, False)
    try:
        os.setpgid(pid, pid)
    except (ProcessLookupError, PermissionError):
        pass
    return _Child(pid, read_fd, output_read)
