"""The zygote: a clean process that every child running a student's code is forked from.

A grading process holds secrets: the hidden checks and their expected values,
the class list, the instructor's environment and arguments. A child forked
from it would carry all of that in its memory. So the grading process, after
importing torch, torchvision and the public kit but *before* it loads hidden
checks, reads a class folder or runs any parallel torch work, forks the
zygote (:func:`start`). The zygote scrubs what it inherited: it zeroes the
environment (``os.environ``'s bytes, the C environment and the original
block ``/proc/self/environ`` shows) and the arguments (``sys.argv``,
``sys.orig_argv``, CPython's copy and the block ``/proc/self/cmdline``
shows), and closes every file descriptor but its connection. It never runs a
torch operation, so its children may start OpenMP's threads (see
:class:`~grader.sandbox.child.Limits`).

It then serves requests on a unix socket (``SOCK_SEQPACKET``, one JSON message
each, file descriptors passed with ``SCM_RIGHTS``):

- ``spawn`` with three descriptors (a sealed memfd holding the
  :class:`~grader.sandbox.child.RunRequest`, the report pipe, the output
  pipe): fork a child that reads the request and runs
  :func:`~grader.sandbox.child.run_child`; answer its pid. The zygote itself
  never reads the request, so nothing of one submission stays in the memory
  the next child is forked from.
- ``status``: a child's wait status once the zygote has reaped it (it is their
  parent); with ``block``, answer when it has ended.
- ``connect``: a new connection, for another process (``batch`` gives one to
  each grading process it forks).

The requester keeps everything else: it judges, enforces time limits and
kills a child's process group. When a connection closes, the children it
asked for are killed; when the first one closes, the zygote ends.

Library callers that never call :func:`start` get a zygote started lazily by
:func:`shared`; it inherits the caller's memory at that moment, so the
instructor's front ends (``grade``, ``batch``) start it early.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import select
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

_MESSAGE = 2**16
_PR_SET_CHILD_SUBREAPER = 36
_POLL = 0.05  # seconds between reaping rounds in the zygote
_STRAY_SCAN = 0.5  # seconds between looks for processes orphaned onto the zygote
_TITLE = b"grader-zygote"
_STAT_ARG_START = 47  # /proc/self/stat: arg_start is field 48 (index 47 counting from 0, the pid)


class ZygoteLost(RuntimeError):
    """The zygote ended or stopped answering (a bug in the grader, never the student's doing)."""


# ---- the requester's side -------------------------------------------------------------------------


@dataclass
class Zygote:
    """A connection to a zygote, usable by the process ``user`` only.

    ``owner``: the process that started the zygote (its parent), which alone stops it.
    """

    sock: socket.socket
    pid: int
    owner: int
    user: int = field(default_factory=os.getpid)

    def spawn(self, request: bytes, report_fd: int, output_fd: int) -> int:
        """Fork a child running ``request`` (a :class:`RunRequest`'s bytes); return its pid."""
        memfd = os.memfd_create("grader-request", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            view = memoryview(request)
            while view:
                view = view[os.write(memfd, view):]
            os.lseek(memfd, 0, os.SEEK_SET)
            reply = self._call({"op": "spawn"}, [memfd, report_fd, output_fd])
        finally:
            os.close(memfd)
        return int(reply["pid"])

    def status(self, pid: int, block: bool = False) -> int | None:
        """The wait status of child ``pid`` once it has ended (``os.waitpid``'s), else None."""
        reply = self._call({"op": "status", "pid": pid, "block": block})
        return reply.get("status")

    def connect(self) -> int:
        """A new connection's descriptor for another process (inheritable; close it here once passed on)."""
        message, fds = self._exchange({"op": "connect"}, [])
        if len(fds) != 1:
            raise ZygoteLost("the zygote sent no connection")
        os.set_inheritable(fds[0], True)
        return fds[0]

    def alive(self) -> bool:
        return self.sock.fileno() >= 0 and self.user == os.getpid()

    def close(self) -> None:
        """Close this connection; the owner also waits for the zygote to end."""
        if self.sock.fileno() >= 0:
            self.sock.close()
        if self.owner == os.getpid():
            _reap(self.pid, timeout=5.0)

    def _call(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        reply, extra = self._exchange(message, fds or [])
        for fd in extra:
            os.close(fd)
        return reply

    def _exchange(self, message: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        if not self.alive():
            raise ZygoteLost("this process has no connection to a zygote")
        try:
            socket.send_fds(self.sock, [json.dumps(message).encode()], fds)
            data, received, _flags, _address = socket.recv_fds(self.sock, _MESSAGE, 4)
        except OSError as exc:
            raise ZygoteLost(f"the zygote did not answer: {exc}") from None
        if not data:
            raise ZygoteLost("the zygote has ended")
        reply = json.loads(data)
        if "error" in reply:
            raise ZygoteLost(f"the zygote refused {message.get('op')}: {reply['error']}")
        return reply, list(received)


# The zygote this process uses (as i18n keeps the language in use): set by start, adopt or shared.
_current: list[Zygote] = []


def start() -> Zygote:
    """Fork a zygote from this process now and use it; see the module docstring for when to call it."""
    _prepare()
    here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    # What is loaded now lives as long as this process: frozen, this process's collections never write
    # to its pages, which then stay shared with the zygote and every child instead of being copied.
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        here.close()
        _become_zygote(there)  # never returns
    there.close()
    zygote = Zygote(here, pid, owner=os.getpid())
    _use(zygote)
    return zygote


def adopt(fd: int) -> Zygote:
    """Use connection ``fd`` (from :meth:`Zygote.connect` in a parent process) as this process's zygote."""
    sock = socket.socket(fileno=fd)
    os.set_inheritable(fd, False)
    _use(Zygote(sock, pid=-1, owner=-1))
    return _current[0]


def shared() -> Zygote:
    """The zygote of this process, started now (inheriting this process's memory) if there is none."""
    if _current and _current[0].alive():
        return _current[0]
    return start()


def known_pids() -> set[int]:
    """The zygote this process started, if any: it is not a stray to end."""
    return {z.pid for z in _current if z.owner == os.getpid() and z.pid > 0}


def stop() -> None:
    """Close this process's connection (the owner's closing ends the zygote)."""
    while _current:
        _current.pop().close()


def _use(zygote: Zygote) -> None:
    for old in _current:
        if old.user != os.getpid():  # inherited through fork: drop our copy of the parent's connection
            old.sock.close()
        else:
            old.close()
    if not _current:
        import atexit

        atexit.register(stop)
    _current[:] = [zygote]


def _prepare() -> None:
    """Import what every child needs, so the zygote (and each child) starts with it loaded."""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # ask NVML: keeps CUDA uninitialised before fork
    # torchvision's first import re-wraps torch.manual_seed: import it before any child fingerprints torch.
    import torchvision  # noqa: F401

    from grader.checks import registry
    from grader.engine import i18n
    from grader.sandbox import child, layers  # noqa: F401

    registry.public_exercises()
    layers.detect()  # what the kernel offers, found once here: every child applies it without probing again
    chosen = i18n.language()
    for lang in i18n.LANGUAGES:  # gettext keeps each catalog loaded: children switch without reading files
        i18n.use_language(lang)
    i18n.use_language(chosen)


def _reap(pid: int, timeout: float) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.01)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


# ---- the zygote's side ----------------------------------------------------------------------------


def _become_zygote(control: socket.socket) -> NoReturn:
    code = 0
    try:
        gc.freeze()  # what it inherited is never collected (nor finalised, closing descriptors) here or in a child
        gc.disable()
        os.setpgid(0, 0)  # not in the terminal's group: ends only when its connection closes
        _subreaper()
        wipe_environment()
        wipe_arguments()
        _close_all_but({control.fileno()})
        _Server(control).serve()
    except BaseException:
        code = 70
    finally:
        os._exit(code)


@dataclass
class _Server:
    control: socket.socket
    connections: dict[int, socket.socket] = field(default_factory=dict)
    children: dict[int, int] = field(default_factory=dict)  # pid -> the connection that asked for it
    ended: dict[int, int] = field(default_factory=dict)  # pid -> wait status, until asked for
    waiting: dict[int, socket.socket] = field(default_factory=dict)  # pid -> connection blocked on its status
    next_scan: float = 0.0

    def serve(self) -> None:
        self.connections[self.control.fileno()] = self.control
        while self.control.fileno() in self.connections:
            ready, _w, _x = select.select(list(self.connections.values()), [], [], _POLL)
            for sock in ready:
                self._receive(sock)
            self._reap()

    def _receive(self, sock: socket.socket) -> None:
        try:
            data, fds, _flags, _address = socket.recv_fds(sock, _MESSAGE, 4)
        except OSError:
            data, fds = b"", []
        if not data:
            self._disconnect(sock)
            return
        try:
            self._handle(sock, json.loads(data), list(fds))
        except Exception as exc:
            for fd in fds:
                _close(fd)
            self._reply(sock, {"error": f"{type(exc).__name__}: {exc}"})

    def _handle(self, sock: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        op = message.get("op")
        if op == "spawn" and len(fds) == 3:
            self._reply(sock, {"pid": self._spawn(sock, fds)})
        elif op == "status":
            pid = int(message["pid"])
            if pid in self.ended:
                self._reply(sock, {"status": self.ended.pop(pid)})
            elif self.children.get(pid) != sock.fileno():
                raise LookupError(f"no child {pid} of this connection")
            elif message.get("block"):
                self.waiting[pid] = sock
            else:
                self._reply(sock, {"status": None})
        elif op == "connect":
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.connections[mine.fileno()] = mine
            socket.send_fds(sock, [b"{}"], [theirs.fileno()])
            theirs.close()
        else:
            raise ValueError(f"unknown request {op!r}")

    def _spawn(self, sock: socket.socket, fds: list[int]) -> int:
        pid = os.fork()
        if pid == 0:
            _run_request(*fds)  # never returns
        for fd in fds:
            os.close(fd)
        try:
            os.setpgid(pid, pid)  # before the requester learns the pid: it may kill the group at once
        except (ProcessLookupError, PermissionError):
            pass
        self.children[pid] = sock.fileno()
        return pid

    def _reply(self, sock: socket.socket, message: dict[str, Any]) -> None:
        try:
            sock.send(json.dumps(message).encode())
        except OSError:
            self._disconnect(sock)

    def _disconnect(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        self.connections.pop(fd, None)
        for pid, owner in list(self.children.items()):
            if owner == fd:
                _kill_group(pid)
        self.waiting = {pid: s for pid, s in self.waiting.items() if s is not sock}
        sock.close()
        if sock is self.control:
            for pid in list(self.children):
                _kill_group(pid)

    def _reap(self) -> None:
        ended = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            owner = self.children.pop(pid, None)
            if owner is not None:  # else a stray orphaned onto us, now reaped
                _kill_group(pid)  # what it left behind in its group
                ended.append((pid, owner, status))
        now = time.monotonic()
        if ended or now >= self.next_scan:  # strays end before anyone hears that a child has ended
            self.next_scan = now + _STRAY_SCAN
            _kill_strays(set(self.children))
        for pid, owner, status in ended:
            waiter = self.waiting.pop(pid, None)
            if waiter is not None:
                self._reply(waiter, {"status": status})
            elif owner in self.connections:
                self.ended[pid] = status


def _run_request(request_fd: int, report_fd: int, output_fd: int) -> NoReturn:
    """In a freshly forked child: keep only its three descriptors, read the request, run it."""
    try:
        _close_all_but({request_fd, report_fd, output_fd})
        gc.enable()  # for the student's objects; the inherited ones stay frozen
        chunks = []
        while chunk := os.read(request_fd, 2**20):
            chunks.append(chunk)
        os.close(request_fd)
        from grader.sandbox.child import RunRequest, run_child

        run_child(RunRequest.from_bytes(b"".join(chunks)), report_fd, output_fd)
    finally:
        os._exit(70)


# ---- scrubbing what the zygote inherited ----------------------------------------------------------


def wipe_environment() -> None:
    """Zero every environment string this process holds, then empty the environment.

    The strings live in three places: the original block the kernel shows as ``/proc/self/environ``,
    the C library's ``environ`` (the original strings or copies made by ``setenv``), and the bytes
    objects behind ``os.environ``.
    """
    libc = ctypes.CDLL(None)
    libc.getenv.restype = ctypes.c_void_p
    items = list(os.environ._data.items())  # type: ignore[attr-defined]
    for key, _value in items:
        address = libc.getenv(key)
        if address:
            start = address - len(key) - 1
            ctypes.memset(start, 0, len(key) + 1 + len(ctypes.string_at(address)))
    start, end = _stat_fields(_STAT_ARG_START + 2, _STAT_ARG_START + 3)
    if start and end > start:
        ctypes.memset(start, 0, end - start)
    libc.clearenv()
    os.environ._data.clear()  # type: ignore[attr-defined]
    for key, value in items:
        _zero_bytes(key)
        _zero_bytes(value)
    items.clear()


def wipe_arguments() -> None:
    """Zero the command line: the block ``/proc/self/cmdline`` shows, CPython's copy, ``sys.argv``."""
    start, end = _stat_fields(_STAT_ARG_START, _STAT_ARG_START + 1)
    if start and end > start:
        ctypes.memset(start, 0, end - start)
        ctypes.memmove(start, _TITLE, min(len(_TITLE), end - start - 1))
    argc, argv = ctypes.c_int(), ctypes.POINTER(ctypes.c_wchar_p)()
    get = ctypes.pythonapi.Py_GetArgcArgv
    get.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.POINTER(ctypes.c_wchar_p))]
    get(ctypes.byref(argc), ctypes.byref(argv))
    raw = ctypes.cast(argv, ctypes.POINTER(ctypes.c_void_p))
    for i in range(argc.value if raw else 0):
        if raw[i]:
            ctypes.memset(raw[i], 0, len(ctypes.wstring_at(raw[i])) * ctypes.sizeof(ctypes.c_wchar))
    # The arguments after the program (argv[0] may be shared: ``python -m`` makes it the module's __file__).
    given = set(sys.argv[1:])
    old = [*sys.argv[1:], *(a for a in getattr(sys, "orig_argv", []) if a in given)]
    sys.argv = [_TITLE.decode()]
    sys.orig_argv = [sys.executable, "-m", "grader", "zygote"]
    for text in old:
        _zero_str(text)


def _stat_fields(*indices: int) -> list[int]:
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return [0 for _i in indices]
    # fields[0] is field 3 (the state); field N is fields[N - 3]; indices count from 0 (field 1 is index 0).
    return [int(fields[i - 2]) if i - 2 < len(fields) else 0 for i in indices]


def _zero_bytes(value: bytes) -> None:
    if len(value) > 1:  # single bytes are shared singletons
        offset = sys.getsizeof(b"") - 1
        ctypes.memset(id(value) + offset, 0, len(value))


def _zero_str(text: str) -> None:
    """Zero a str's characters in place (never a one-character str: those are shared)."""
    if len(text) < 2:
        return
    block = ctypes.string_at(id(text), sys.getsizeof(text))
    for encoding in ("latin-1", "utf-16-le", "utf-32-le"):
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue
        at = block.rfind(data)
        if at > 0:
            ctypes.memset(id(text) + at, 0, len(data))
            return


def _close_all_but(keep: set[int]) -> None:
    """Point 0, 1 (and 2 unless kept) at /dev/null and close every other descriptor not in ``keep``."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        if fd not in keep:
            os.dup2(null, fd)
    os.close(null)
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        fd = int(name)
        if fd > 2 and fd not in keep:
            _close(fd)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _subreaper() -> None:
    """Processes orphaned by a child come back to the zygote, which ends them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_strays(children: set[int]) -> None:
    """Kill every process whose parent is the zygote and that it did not fork for a request."""
    me = str(os.getpid()).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in children:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            try:
                os.kill(int(entry), signal.SIGKILL)
                os.waitpid(int(entry), 0)
            except (ProcessLookupError, ChildProcessError):
                pass
