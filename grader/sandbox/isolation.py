"""The isolated runner: each exercise's probes run in a child process forked by the zygote.

For every exercise the parent (this process) asks the zygote
(:mod:`grader.sandbox.zygote`) for a child that drops into a private work folder,
caps its memory and file sizes, installs the :mod:`grader.sandbox.audit` audit
hook, imports the student's file and runs the probes one case at a time. The
child sends back only observations (:mod:`grader.sandbox.protocol`); the parent
judges them. A frame that claims anything else (an outcome, a score, another
case) is a protocol error: the exercise's cases not yet judged score 0. A case
that runs past its time limit, or a child that dies, is recorded for that case,
and a fresh child carries on with the next one. Hidden checks run in a child of
their own, which alone receives their probes (never their judges), and what
they print or raise is not shown.

Up to ``Limits.parallel`` exercises run at once. The parent stays one thread:
each exercise is a generator that yields what it waits for (its child's pipes
and a wake-up time), and :func:`run_exercises` waits on all of them with one
``select``, so every exercise keeps its own child, limits and deadlines.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Generator, Iterator

from grader.checks import registry
from grader.engine import i18n, observe
from grader.engine.api import Case, Check, Exercise
from grader.sandbox import layers, protocol, resources, zygote
from grader.sandbox.child import HEADER, SANDBOX_FAILED, GiB, Limits, RunRequest, Workspace, work_folder
from grader.engine.model import CheckResult, Outcome, Tag
from grader.engine.i18n import N_, _
from grader.sandbox.protocol import ProtocolError
from grader.sandbox.runner import CUDA_SKIP_REASON, case_points, judge_case, skipped, timeout_message

__all__ = ["GiB", "Limits", "Workspace", "run_exercise", "run_exercises", "end_strays", "become_subreaper"]

_MAX_FRAME = 256 * 2**20
_PR_SET_CHILD_SUBREAPER = 36
_POLL = 0.2  # seconds between memory checks while a child works
_CLOSED_GRACE = 2.0  # seconds a child whose report pipe closed has to exit before it is stopped

# What an exercise in progress waits for: the file descriptors to watch and when to wake up anyway.
Wait = tuple[list[int], float]
Steps = Generator[Wait, set[int], "list[CheckResult]"]


@dataclass
class _Child:
    pid: int
    read_fd: int  # reports from the child
    output_fd: int  # the child's stdout and stderr
    zygote: zygote.Zygote  # its parent, which knows how it ended
    output: bytearray = field(default_factory=bytearray)
    output_total: int = 0
    watch: resources.Watch | None = None  # the limits it shares with all it starts

    def limit_hit(self) -> str | None:
        """``resources.MEMORY``, ``PROCESSES`` or ``DISK`` once the child has reached that limit."""
        return self.watch.exceeded() if self.watch is not None else None

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
    return run_exercises([exercise], workspace, limits, cuda)[0]


def run_exercises(
    exercises: list[Exercise], workspace: Workspace, limits: Limits, cuda: bool,
    on_exercise: Callable[[list[CheckResult]], None] | None = None,
) -> list[list[CheckResult]]:
    """Grade ``exercises``, up to ``limits.parallel`` at once; one list of results per exercise, in order.

    The costliest exercises (by their checks' time limits) start first, so the last one to finish
    is a short one. ``on_exercise`` is called with an exercise's results as soon as it is graded.
    """
    order = sorted(range(len(exercises)), key=lambda i: -_expected_cost(exercises[i]))
    live: set[int] = set()  # the children at work now
    waiting = [(i, _exercise_steps(exercises[i], workspace, limits, cuda, live)) for i in order]
    running: dict[int, tuple[Steps, Wait]] = {}
    done: dict[int, list[CheckResult]] = {}

    def advance(index: int, steps: Steps, ready: set[int] | None) -> None:
        try:
            running[index] = (steps, steps.send(ready))  # type: ignore[arg-type]
        except StopIteration as stop:
            running.pop(index, None)
            done[index] = stop.value
            end_strays(keep=live)
            if on_exercise is not None:
                on_exercise(stop.value)

    try:
        while waiting or running:
            while waiting and len(running) < max(1, limits.parallel):
                advance(*waiting.pop(0), None)
            if not running:
                continue
            fds = [fd for _steps, (watched, _until) in running.values() for fd in watched]
            wake = min(until for _steps, (_watched, until) in running.values())
            ready = set(select.select(fds, [], [], max(0.0, wake - time.monotonic()))[0])
            now = time.monotonic()
            for index, (steps, (watched, until)) in list(running.items()):
                hits = ready.intersection(watched)
                if hits or now >= until:
                    advance(index, steps, hits)
    finally:
        for steps, _waiting_on in running.values():
            steps.close()  # ends its child
        end_strays()
    return [done[i] for i in range(len(exercises))]


def _expected_cost(exercise: Exercise) -> float:
    return sum(check.timeout * len(check.cases()) for check in exercise.checks)


def _exercise_steps(exercise: Exercise, workspace: Workspace, limits: Limits, cuda: bool, live: set[int]) -> Steps:
    cases = [(check, case) for check in exercise.checks for case in check.cases()]
    results: dict[int, CheckResult] = {}
    runnable = []
    for index, (check, case) in enumerate(cases):
        if case.device == "cuda" and not cuda:
            results[index] = skipped(check, case, _(CUDA_SKIP_REASON))
        else:
            runnable.append(index)
    for source, indices in _by_source(cases, runnable):
        position = 0
        while position < len(indices):
            child = _spawn(exercise.name, cases, indices[position:], workspace, limits, source)
            pid = child.pid
            live.add(pid)
            try:
                position = yield from _collect(child, cases, indices, position, results, limits, cuda)
            finally:
                live.discard(pid)
                _end(child)
    return [results[i] for i in range(len(cases))]


def _by_source(cases: list[tuple[Check, Case]], runnable: list[int]) -> list[tuple[str | None, list[int]]]:
    """Runs of cases that one child may serve: the kit's own checks (None), or one hidden module's."""
    public = registry.public_exercises()
    sources: dict[str, str | None] = {}
    groups: list[tuple[str | None, list[int]]] = []
    for index in runnable:
        check = cases[index][0]
        if check.name not in sources:
            sources[check.name] = _probe_source(check, public)
        source = sources[check.name]
        if groups and groups[-1][0] == source:
            groups[-1][1].append(index)
        else:
            groups.append((source, [index]))
    return groups


def _probe_source(check: Check, public: dict[str, Exercise]) -> str | None:
    """None for a check of the kit itself; else its module's source without the judges."""
    mine = public.get(check.exercise)
    if mine is not None and any(c.name == check.name and c.probe is check.probe for c in mine.checks):
        return None
    with open(check.probe.__code__.co_filename, encoding="utf-8") as f:
        return registry.probes_only(f.read())


# ---- parent side -------------------------------------------------------------------------------


def _collect(
    child: _Child, cases: list[tuple[Check, Case]], runnable: list[int], position: int,
    results: dict[int, CheckResult], limits: Limits, cuda: bool,
) -> Generator[Wait, set[int], int]:
    """Read the child's reports; return the position in ``runnable`` to start the next child at."""
    imported = False
    while position < len(runnable):
        index = runnable[position]
        check, case = cases[index]
        timeout = limits.import_timeout if not imported else check.timeout
        frame, why = yield from _read_frame(child, time.monotonic() + timeout, limits)
        if frame is None:
            if not imported:
                _fail_rest(cases, runnable[position:], results, _import_failure(why, limits), cuda)
                return len(runnable)
            results[index] = _lost_case(check, case, why, limits, cuda, _take_output(child, limits))
            return position + 1
        try:
            if frame.get("kind") != "case":
                kind, names = protocol.decode_control(frame)
                if kind == "imported" and not imported:
                    imported = True
                    if child.watch is not None:
                        child.watch.pin()  # its work folder is set up by now: measure it even after it ends
                    continue
                if kind == "tampered":
                    message = _("Your code replaced functions the grader relies on: {names}").format(names=", ".join(names[:8]))
                    _fail_rest(cases, runnable[position:], results, (Outcome.ERROR, message, Tag.TAMPERING), cuda)
                    return len(runnable)
                raise ProtocolError("a second 'imported' frame")
            if not imported:
                raise ProtocolError("a case reported before the file was imported")
            event = protocol.decode_case(frame, index)
        except ProtocolError:
            _fail_rest(cases, runnable[position:], results, _protocol_failure(), cuda)
            return len(runnable)
        hit = child.limit_hit()
        if hit:
            results[index] = _lost_case(check, case, hit, limits, cuda, _take_output(child, limits))
            return position + 1
        result = judge_case(check, case, event, case_points(check, cuda))
        results[index] = _with_output(result, _take_output(child, limits))
        position += 1
    return position


def _protocol_failure() -> tuple[Outcome, str, Tag]:
    message = _(
        "The process running your code sent the grader something other than what it observed "
        "(a result it made up, or a report out of turn). No check of this exercise that was still to come "
        "counts: the grader alone decides whether a check passes."
    )
    return Outcome.ERROR, message, Tag.PROTOCOL


def _read_frame(child: _Child, deadline: float, limits: Limits) -> Generator[Wait, set[int], tuple[dict | None, str]]:
    """One message from the child, or (None, reason): "timeout", "memory" or how it ended."""
    header = yield from _read_exactly(child, HEADER.size, deadline, limits)
    if isinstance(header, str):
        return None, header
    (size,) = HEADER.unpack(header)
    if size > _MAX_FRAME:
        return None, _("sent an oversized report")
    body = yield from _read_exactly(child, size, deadline, limits)
    if isinstance(body, str):
        return None, body
    try:
        frame = observe.loads(body)
    except Exception:
        return None, _("sent a report the grader could not read")
    return (frame, "") if isinstance(frame, dict) else (None, _("sent a malformed report"))


def _read_exactly(child: _Child, size: int, deadline: float, limits: Limits) -> Generator[Wait, set[int], bytes | str]:
    chunks, remaining = [], size
    next_memory_check = 0.0
    while remaining:
        now = time.monotonic()
        if now >= deadline:
            return "timeout"
        if now >= next_memory_check:
            if _group_rss(child.pid) > limits.memory_bytes:
                return "memory"
            hit = child.limit_hit()
            if hit:
                return hit
            next_memory_check = now + _POLL
        ready = yield [child.read_fd, child.output_fd], min(now + _POLL, deadline)
        if child.output_fd in ready:
            child.drain(limits.output_chars * 4)
        if child.read_fd not in ready:
            continue
        chunk = os.read(child.read_fd, min(remaining, 2**20))
        if not chunk:
            return (yield from _how_it_ended(child))
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _how_it_ended(child: _Child) -> Generator[Wait, set[int], str]:
    """Why the child's report pipe closed: it ended, or it closed the pipe and is stopped here."""
    give_up = time.monotonic() + _CLOSED_GRACE
    while (status := child.zygote.status(child.pid)) is None:
        if time.monotonic() >= give_up:  # it closed its end of the pipe (os.closerange) and runs on
            _stop(child)
            return _("closed its connection to the grader and was stopped")
        yield [], time.monotonic() + _POLL / 4
    child.pid = -1
    hit = child.limit_hit()
    if hit:
        return hit
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == SANDBOX_FAILED:
        return _("could not be sandboxed (a kernel layer failed; see the output) and never ran your code")
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
            fd = os.open(f"/proc/{entry.name}/stat", os.O_RDONLY)
        except OSError:
            continue
        try:
            stat = os.read(fd, 4096)  # unbuffered: this runs for every process, five times a second
        except OSError:
            continue
        finally:
            os.close(fd)
        yield int(entry.name), stat.rsplit(b")", 1)[1].split()


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
    elif why in _LIMIT_MESSAGES:
        outcome, message, tag = Outcome.CRASHED, _limit_message(why, limits), Tag.CRASHED
    else:
        message = _("The process running your code {why} during this check.").format(why=why)
        outcome, tag = Outcome.CRASHED, Tag.CRASHED
    output = "" if check.hidden else output
    return CheckResult(check.exercise, check.name, device, outcome, 0.0, points, message, output, check.hidden, tag=tag)


def _memory_message(limits: Limits) -> str:
    return _(
        "Out of memory: your code used more than {gib} GiB, the grader's limit. "
        "Look for a list or tensor that grows without end."
    ).format(gib=f"{limits.memory_bytes / GiB:g}")


_LIMIT_MESSAGES = {
    resources.PROCESSES: N_(
        "Process limit: your code started more than {count} threads or processes, the grader's limit. "
        "Look for threads started in a loop; grading allows no new processes (use DataLoader(num_workers=0))."
    ),
    resources.DISK: N_(
        "Disk limit: your code wrote more than {mib} MiB of files, the grader's limit. "
        "Look for files written in a loop, or far larger than needed."
    ),
}


def _limit_message(why: str, limits: Limits) -> str:
    return _(_LIMIT_MESSAGES[why]).format(count=limits.max_tasks, mib=f"{limits.disk_bytes / 2**20:g}")


def _import_failure(why: str, limits: Limits) -> tuple[Outcome, str, Tag]:
    if why == "timeout":
        message = _("Importing the file took longer than {seconds} s (code at module level that never ends?).")
        return Outcome.TIMEOUT, message.format(seconds=f"{limits.import_timeout:g}"), Tag.TIMEOUT
    if why == "memory":
        return Outcome.CRASHED, _memory_message(limits), Tag.OUT_OF_MEMORY
    if why in _LIMIT_MESSAGES:
        return Outcome.CRASHED, _limit_message(why, limits), Tag.CRASHED
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
    """What the child printed goes with the result, unless the check is hidden."""
    return replace(result, output=output) if output and not result.hidden else result


def _end(child: _Child) -> None:
    _stop(child)
    os.close(child.read_fd)
    os.close(child.output_fd)


def _stop(child: _Child) -> None:
    """Kill the child's process group (and its cgroup), reap the child (once), remove its work folder."""
    if child.pid > 0:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        child.zygote.status(child.pid, block=True)
        child.pid = -1
    if child.watch is not None:
        child.watch.close()
        shutil.rmtree(child.watch.work, ignore_errors=True)


def end_strays(keep: set[int] | frozenset[int] = frozenset()) -> None:
    """Kill and reap any process left behind (orphans re-parented to us as subreaper).

    ``keep``: children still at work, with the processes in their process groups.
    """
    me = str(os.getpid())
    keep = set(keep) | zygote.known_pids()
    for _attempt in range(20):
        strays = [pid for pid, group in _children_and_groups(me) if pid not in keep and group not in keep]
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in strays:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not strays:
            return
        time.sleep(0.05)


def _children(parent: str) -> list[int]:
    return [pid for pid, _group in _children_and_groups(parent)]


def _children_and_groups(parent: str) -> list[tuple[int, int]]:
    return [(pid, int(fields[2])) for pid, fields in _processes() if fields[1].decode() == parent]


def _spawn(
    name: str, cases: list[tuple[Check, Case]], indices: list[int], workspace: Workspace, limits: Limits,
    source: str | None,
) -> _Child:
    """Ask the zygote for a child that runs ``indices`` of ``cases``; it inherits only its two pipes."""
    request = RunRequest(
        exercise=name, cases=tuple((i, cases[i][0].name, cases[i][1].device, cases[i][1].seed) for i in indices),
        workspace=workspace, limits=limits, lang=i18n.language(), source=source,
    )
    read_fd, write_fd = os.pipe()
    output_read, output_write = os.pipe()
    parent = zygote.shared()
    try:
        pid = parent.spawn(request.to_bytes(), write_fd, output_write)
    except BaseException:
        for fd in (read_fd, output_read):
            os.close(fd)
        raise
    finally:
        os.close(write_fd)
        os.close(output_write)
    os.set_blocking(output_read, False)
    return _Child(pid, read_fd, output_read, parent, watch=_watch(pid, workspace, limits))


def _watch(pid: int, workspace: Workspace, limits: Limits) -> resources.Watch:
    """What tells the parent which limit the child ``pid`` hit (see :func:`layers.apply` for what it sets up)."""
    planned = layers.plan(limits.layers)
    group = resources.group_of(pid) if any(name.startswith("cgroup-") for name in planned) else None
    return resources.Watch(group, work_folder(workspace, pid), limits.disk_bytes, layers.DISK_TMPFS in planned, pid)
