"""Keeping a long-lived grading process (``batch``) going whatever the code it grades does to it.

Signals meant to end the process (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
SIGUSR2, SIGALRM) are blocked and taken with ``sigtimedwait``, which says
who sent each: one sent by a process below this one (a submission's code) is
ignored and reported; one from the kernel, the terminal or anyone else ends
the process as asked (see :func:`_is_below` for the one case it cannot tell). SIGSTOP cannot be blocked: a small watchdog process,
started first, sends SIGCONT whenever this process is stopped.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

STOPPING = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                      signal.SIGALRM})
_WATCH_EVERY = 0.1


@dataclass(frozen=True)
class StraySignal:
    """A signal a process below this one sent to it, and the sender's session."""

    signal: int
    sender: int
    session: int

    @property
    def name(self) -> str:
        return signal_name(self.signal)


class Stop(Exception):
    """Someone outside asked this process to end (Ctrl-C, ``kill``): finish up and exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15; the number itself for anything that is not a signal's."""
    return signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)


def block() -> None:
    """From now on the stopping signals wait for :func:`take`."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)


def unblock() -> None:
    """Back to normal (in a child forked from a blocking process, before it does anything else)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)


def release() -> None:
    """Back to normal once the work is done: signals still pending are dropped, not delivered now."""
    while signal.sigpending() & STOPPING:
        signal.sigtimedwait(STOPPING, 0)
    unblock()


def take(timeout: float) -> list[StraySignal]:
    """Wait up to ``timeout`` s for a stopping signal; return those sent from below; raise :class:`Stop` for others."""
    strays = []
    info = _wait(timeout)
    while info is not None:
        session = _session(info.si_pid)
        if info.si_pid > 0 and session is not None and _is_below(info.si_pid):
            strays.append(StraySignal(info.si_signo, info.si_pid, session))
        else:
            raise Stop(info.si_signo)
        info = _wait(0)
    return strays


def _wait(timeout: float) -> signal.struct_siginfo | None:
    """One stopping signal taken within ``timeout`` s, or None.

    When a stop and continue (SIGSTOP, then the watchdog's SIGCONT) interrupt the wait after its deadline,
    CPython's ``sigtimedwait`` returns a siginfo it never filled in (signal 0, a random sender): that is
    no signal at all, not an order to end.
    """
    info = signal.sigtimedwait(STOPPING, max(0.0, timeout))
    return info if info is not None and info.si_signo in STOPPING else None


def _session(pid: int) -> int | None:
    """The session of ``pid``; None when it is gone."""
    try:
        return os.getsid(pid)
    except OSError:
        return None


def _is_below(pid: int) -> bool:
    """Whether ``pid`` descends from this process (an orphan of one comes back to us: we are a subreaper).

    A sender that already ended (and was reaped) cannot be placed: it counts as outside, so ``kill`` from
    a shell still ends the batch; the kernel's signal scoping (Landlock) is what stops a submission from
    signalling at all.
    """
    me = os.getpid()
    for _hop in range(64):
        parent = _parent(pid)
        if parent is None or parent <= 1:
            return False
        if parent == me:
            return True
        pid = parent
    return False


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def start_watchdog() -> int:
    """Fork the process that resumes this one whenever it is stopped (SIGSTOP); return its pid."""
    watched = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the watchdog
        try:
            os.setsid()
            unblock()
            while os.getppid() == watched:
                if _state(watched) in (b"T", b"t"):
                    os.kill(watched, signal.SIGCONT)
                time.sleep(_WATCH_EVERY)
        finally:
            os._exit(0)
    return pid


def _state(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return b""


def end(pid: int) -> None:
    """Kill a child process and its process group (where it leads one), and reap it."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
