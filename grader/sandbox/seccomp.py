"""seccomp: the system calls a student's process may not make, as a classic-BPF filter.

:func:`program` builds the filter in Python; :func:`install` loads it for
every thread of the process (``SECCOMP_FILTER_FLAG_TSYNC``), for good. The
filter first checks the architecture (a 32-bit or x32 call kills the
process), then refuses with ``EPERM`` (Python raises ``PermissionError``):

- running programs: ``execve``, ``execveat``;
- new processes: ``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``
  (threads stay allowed); ``clone3`` answers ``ENOSYS``, its flags sit behind a
  pointer the filter cannot read, and glibc then makes threads with ``clone``;
- other processes: ``ptrace``, ``process_vm_readv/writev``, ``kcmp``,
  ``pidfd_*``, ``process_madvise``, and signals (``kill``, ``tgkill``,
  ``rt_sigqueueinfo``...) to any process but itself (``tkill`` always);
- the network: ``socket`` and ``socketpair`` of any family but ``AF_UNIX``,
  ``connect`` (so no pathname socket such as a container runtime's), and
  sending to an address: ``sendto`` with one (a datagram to a pathname socket
  such as ``/dev/log``), ``sendmsg`` and ``sendmmsg`` (their address sits behind a
  pointer the filter cannot read; ``send`` and ``write`` stay allowed);
- the kernel's larger attack surface and the machine's settings: io_uring,
  ``bpf``, ``userfaultfd``, ``perf_event_open``, keyrings, mounts and
  namespaces (``mount``, ``unshare``, ``setns``, ``chroot``, the new mount
  API), modules, ``kexec``, ``reboot``, swap, ``acct``, quotas, file handles
  (``open_by_handle_at``), ``syslog``, clocks, host names, ``iopl``/``ioperm``.

Numbers are for x86_64 and aarch64 (from the kernel's ``unistd`` tables);
elsewhere :func:`supported` is False and no filter is built.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys

_BY_ARCH = {  # name: (x86_64, aarch64); None where that architecture has no such call
    "execve": (59, 221), "execveat": (322, 281), "fork": (57, None), "vfork": (58, None), "clone": (56, 220),
    "clone3": (435, 435), "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "kcmp": (312, 272), "pidfd_open": (434, 434), "pidfd_getfd": (438, 438), "pidfd_send_signal": (424, 424),
    "process_madvise": (440, 440), "kill": (62, 129), "tkill": (200, 130), "tgkill": (234, 131),
    "rt_sigqueueinfo": (129, 138), "rt_tgsigqueueinfo": (297, 240), "socket": (41, 198), "socketpair": (53, 199),
    "connect": (42, 203), "sendto": (44, 206), "sendmsg": (46, 211), "sendmmsg": (307, 269),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "bpf": (321, 280), "userfaultfd": (323, 282), "perf_event_open": (298, 241),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218), "mount": (165, 40),
    "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51), "unshare": (272, 97), "setns": (308, 268),
    "open_tree": (428, 428), "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106), "kexec_load": (246, 104),
    "kexec_file_load": (320, 294), "reboot": (169, 142), "swapon": (167, 224), "swapoff": (168, 225),
    "acct": (163, 89), "quotactl": (179, 60), "quotactl_fd": (443, 443), "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265), "syslog": (103, 116), "iopl": (172, None), "ioperm": (173, None),
    "lookup_dcookie": (212, 18), "vhangup": (153, 58), "settimeofday": (164, 170), "clock_settime": (227, 112),
    "clock_adjtime": (305, 266), "adjtimex": (159, 171), "sethostname": (170, 161), "setdomainname": (171, 162),
    "fanotify_init": (300, 262), "uselib": (134, None), "seccomp_syscall": (317, 277),
}
_ARCHES = {"x86_64": (0, 0xC000003E), "amd64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7), "arm64": (1, 0xC00000B7)}
_X32_BIT = 0x40000000

DENIED = (
    "execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open",
    "pidfd_getfd", "pidfd_send_signal", "process_madvise", "tkill", "connect", "sendmsg", "sendmmsg", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "bpf", "userfaultfd", "perf_event_open", "keyctl", "add_key", "request_key", "mount",
    "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "name_to_handle_at", "open_by_handle_at",
    "syslog", "iopl", "ioperm", "lookup_dcookie", "vhangup", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "sethostname", "setdomainname", "fanotify_init", "uselib",
)
SIGNALS_TO_SELF = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")  # arg 0 is the target process
UNIX_ONLY = ("socket", "socketpair")  # arg 0 is the address family
NO_ADDRESS = ("sendto",)  # arg 5 is the address's length: 0 (no address) for send() on a connected socket
AF_UNIX = 1
CLONE_THREAD = 0x00010000

# Classic BPF, as in <linux/filter.h> and <linux/seccomp.h>.
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
_RET_KILL_PROCESS, _RET_ALLOW, _RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
_NR, _ARCH, _ARG0, _ARG5 = 0, 4, 16, 56  # offsets in struct seccomp_data (an arg's low 32 bits: little-endian)
_SECCOMP_SET_MODE_FILTER, _FILTER_FLAG_TSYNC = 1, 1
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2

Instruction = tuple[int, int, int, int]  # code, jump if true, jump if false, k


class SeccompError(OSError):
    pass


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


def supported() -> bool:
    """A filter can be built for this machine (x86_64 or aarch64, little-endian, Linux)."""
    return sys.platform.startswith("linux") and sys.byteorder == "little" and platform.machine().lower() in _ARCHES


def _numbers(names: tuple[str, ...], column: int) -> list[int]:
    return [nr for nr in (_BY_ARCH[name][column] for name in names) if nr is not None]


def program(pid: int, machine: str | None = None) -> list[Instruction]:
    """The filter for process ``pid`` (the only process its signals may reach)."""
    column, audit_arch = _ARCHES[(machine or platform.machine()).lower()]
    eperm = _RET_ERRNO | errno.EPERM
    code: list[Instruction] = [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ_K, 1, 0, audit_arch),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, _NR),
    ]
    if column == 0:  # x32 system calls on x86_64: the same numbers with bit 30 set
        code += [(_JSET_K, 0, 1, _X32_BIT), (_RET_K, 0, 0, eperm)]
    for nr in _numbers(DENIED, column):
        code += [(_JEQ_K, 0, 1, nr), (_RET_K, 0, 0, eperm)]
    code += _when_arg(_numbers(("clone3",), column), (_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS), None)
    code += _when_arg(_numbers(("clone",), column), None, (_JSET_K, 1, 0, CLONE_THREAD))
    code += _when_arg(_numbers(UNIX_ONLY, column), None, (_JEQ_K, 1, 0, AF_UNIX))
    code += _when_arg(_numbers(SIGNALS_TO_SELF, column), None, (_JEQ_K, 1, 0, pid))
    code += _when_arg(_numbers(NO_ADDRESS, column), None, (_JEQ_K, 1, 0, 0), offset=_ARG5)
    return code + [(_RET_K, 0, 0, _RET_ALLOW)]


def _when_arg(numbers: list[int], answer: Instruction | None, test: Instruction | None,
               offset: int = _ARG0) -> list[Instruction]:
    """For each call in ``numbers``: ``answer`` outright, or allow it when ``test`` on arg 0 (or the argument
    at ``offset``) holds, else EPERM.

    Every block leaves the accumulator holding the call number when the call is not its own.
    """
    code: list[Instruction] = []
    for nr in numbers:
        if answer is not None:
            block = [answer]
        else:
            assert test is not None
            block = [(_LD_W_ABS, 0, 0, offset), test, (_RET_K, 0, 0, _RET_ERRNO | errno.EPERM), (_RET_K, 0, 0, _RET_ALLOW)]
        code += [(_JEQ_K, 0, len(block), nr), *block]
    return code


def encode(code: list[Instruction]) -> bytes:
    """The program as the kernel reads it (``struct sock_filter[]``), for tools that load raw BPF."""
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def install(code: list[Instruction]) -> None:
    """Load the filter on every thread of this process. Needs no_new_privs (or CAP_SYS_ADMIN)."""
    filters = (_Filter * len(code))(*(_Filter(*instruction) for instruction in code))
    prog = _Program(len(code), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    nr = _BY_ARCH["seccomp_syscall"][_ARCHES[platform.machine().lower()][0]]
    if libc.syscall(ctypes.c_long(nr), ctypes.c_uint(_SECCOMP_SET_MODE_FILTER), ctypes.c_uint(_FILTER_FLAG_TSYNC),
                    ctypes.byref(prog)) == 0:
        return
    failure = ctypes.get_errno()
    if failure != errno.ENOSYS:
        raise SeccompError(failure, "seccomp(SECCOMP_SET_MODE_FILTER) failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:  # kernels before 3.17
        raise SeccompError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def available() -> bool:
    """The kernel filters system calls (read without side effects from /proc/self/status)."""
    if not supported():
        return False
    try:
        with open("/proc/self/status") as status:
            return any(line.startswith("Seccomp:") for line in status)
    except OSError:
        return False
