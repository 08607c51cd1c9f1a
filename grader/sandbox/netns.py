"""A private user, network and mount namespace for one child.

:func:`enter` moves the calling process into a new user namespace (all its
capabilities on the machine are gone; it keeps its own uid inside), a new
network namespace (only a loopback device, and that one down: no byte leaves
and nothing on the machine's own ``127.0.0.1`` is reachable) and a new mount
namespace, in which :func:`mount_work` puts a size-limited ``tmpfs`` over the
child's work folder (the bound on the total bytes it may write).

Unprivileged user namespaces are refused by Docker's default seccomp profile
and by Ubuntu 24.04's AppArmor policy (GitHub's runners): there
:func:`available` is False, and seccomp alone keeps the child off the network.
``unshare(CLONE_NEWUSER)`` needs a single-threaded caller, such as a child
right after ``fork``.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
_FLAGS = CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000


class NamespaceError(OSError):
    pass


def available() -> bool:
    """Whether this kernel lets this process make the namespaces; tried in a throwaway child.

    Nothing changes in the calling process. ``fork`` is fine here: the child
    only calls ``unshare`` and ``_exit``.
    """
    if not hasattr(os, "fork") or not os.path.exists("/proc/self/ns/user"):
        return False
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if ctypes.CDLL(None, use_errno=True).unshare(_FLAGS) == 0 else 1
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def enter() -> None:
    """Enter new user, network and mount namespaces, keeping this process's uid and gid inside."""
    uid, gid = os.geteuid(), os.getegid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_FLAGS) != 0:
        raise NamespaceError(ctypes.get_errno(), "unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) failed")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:  # nothing mounted here shows outside
        raise NamespaceError(ctypes.get_errno(), "making the mounts private failed")


def mount_work(folder: Path, size_bytes: int) -> None:
    """A fresh ``tmpfs`` of ``size_bytes`` over ``folder`` (inside this mount namespace only)."""
    libc = ctypes.CDLL(None, use_errno=True)
    options = f"size={max(size_bytes, 4096)},mode=700".encode()
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    if libc.mount(b"grader-work", os.fsencode(folder), b"tmpfs", flags, options) != 0:
        raise NamespaceError(ctypes.get_errno(), f"mounting a tmpfs on {folder} failed")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
