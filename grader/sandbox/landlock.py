"""Landlock: the kernel's file (and TCP, signal, abstract-socket) rules for one process.

:func:`abi` asks the kernel which Landlock ABI it speaks (0: none).
:func:`restrict` builds a ruleset that handles every access right that ABI
knows, allows reading the paths in :class:`Rules` and changing only its work
folder, and binds the calling thread and its future children to it for good.
Rights the ABI does not know are not enforced; :class:`Applied` says what was.

Raw system calls through ``ctypes`` (numbers 444-446 on x86_64 and aarch64);
see https://docs.kernel.org/userspace-api/landlock.html.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# File-system rights, by the ABI that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the rights a rule on a non-folder may hold
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = READ_FILE | READ_DIR
READ_WRITE_DEVICE = READ_FILE | WRITE_FILE | TRUNCATE
WORK = (WRITE_FILE | READ_FILE | READ_DIR | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO
        | MAKE_SYM | REFER | TRUNCATE)  # everything but running programs and making device nodes


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@dataclass(frozen=True)
class Rules:
    """What the restricted process may reach: paths with their rights (``READ``, ``WORK``, ...)."""

    paths: tuple[tuple[Path, int], ...]


@dataclass(frozen=True)
class Applied:
    """What :func:`restrict` enforced: the ABI, and which of TCP and scoping it could handle."""

    abi: int
    tcp: bool
    scoped: bool
    missing: tuple[str, ...] = ()  # paths of rules that do not exist here (skipped)

    @property
    def name(self) -> str:
        return f"landlock-abi{self.abi}"


class LandlockError(OSError):
    pass


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi() -> int:
    """The Landlock ABI version of the running kernel; 0 when it has none (or it is disabled)."""
    try:
        libc = _libc()
        libc.syscall.restype = ctypes.c_long
        version = libc.syscall(ctypes.c_long(_CREATE_RULESET), None, ctypes.c_size_t(0),
                               ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def handled_fs(version: int) -> int:
    return next((mask for since, mask in sorted(_FS_BY_ABI.items(), reverse=True) if version >= since), 0)


def set_no_new_privs() -> None:
    """No exec may ever gain privileges again (setuid bits, file caps): required before restricting."""
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise LandlockError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def restrict(rules: Rules, version: int | None = None) -> Applied:
    """Apply ``rules`` to this thread and its future children, as far as the kernel's ABI allows.

    Raises :class:`LandlockError` when the kernel has no Landlock or refuses the ruleset.
    """
    version = abi() if version is None else version
    if version < 1:
        raise LandlockError(errno.ENOSYS, "the kernel has no Landlock")
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    fs = handled_fs(version)
    attr = _RulesetAttr(fs, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = 8 if version < 4 else 16 if version < 6 else 24
    ruleset = libc.syscall(ctypes.c_long(_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise LandlockError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        missing = tuple(str(path) for path, access in rules.paths if not _allow(libc, ruleset, path, access & fs))
        set_no_new_privs()
        if libc.syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise LandlockError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return Applied(version, tcp=version >= 4, scoped=version >= 6, missing=missing)


def _allow(libc: ctypes.CDLL, ruleset: int, path: Path, access: int) -> bool:
    """Add one path-beneath rule; False when the path does not exist here."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _FILE_ONLY
        rule = _PathBeneathAttr(access, fd)
        if libc.syscall(ctypes.c_long(_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise LandlockError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)
    return True
