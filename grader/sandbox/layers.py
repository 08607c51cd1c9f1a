"""The kernel's layers around one child, applied together before any student byte runs.

:func:`detect` says what the running kernel offers (once per process, with no
effect on it); :func:`plan` names the layers a child will have; :func:`apply`,
called in the child, applies them in a safe order and returns their names:

1. ``cgroup-v1``/``cgroup-v2`` (:mod:`.resources`): the child joins its own
   cgroup: memory over all its processes, a bound on tasks;
2. ``rlimits``: no core files, a size per file, address space (and tasks,
   where no cgroup counts them);
3. ``netns`` (:mod:`.netns`): new user, network and mount namespaces; then
   ``disk-tmpfs``: a size-limited tmpfs over the work folder;
4. ``landlock-abiN`` (:mod:`.landlock`, after ``PR_SET_NO_NEW_PRIVS``): read-only
   the interpreter, libraries and the public kit; read-write the work folder;
   no signals or abstract sockets out of the sandbox;
5. ``seccomp`` (:mod:`.seccomp`), last: it forbids the calls the steps above make.

The audit hook (:mod:`.audit`, ``audit-hook``) is installed after them, the
first layer inside Python. Where no tmpfs bounds the work folder, the grading
process measures it (``disk-watch``).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from grader.sandbox import landlock, netns, resources, seccomp

GiB = 2**30
KIT = Path(__file__).resolve().parents[2]
ALL = frozenset({"cgroup", "rlimits", "netns", "landlock", "seccomp"})
REQUIRED = ("landlock", "seccomp")  # without them a front end for instructors refuses to grade, unless told
AUDIT_HOOK, DISK_WATCH, DISK_TMPFS, NETNS, RLIMITS, SECCOMP = (
    "audit-hook", "disk-watch", "disk-tmpfs", "netns", "rlimits", "seccomp")

_SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache", "/etc/ld.so.conf",
                "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
                "/proc/cpuinfo", "/proc/meminfo", "/proc/self", "/sys/devices/system/cpu", "/sys/devices/system/node")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full")
_CUDA_READ = ("/proc/driver/nvidia", "/sys/bus/pci", "/sys/devices", "/sys/module/nvidia")


@dataclass(frozen=True)
class Offer:
    """What the running kernel lets this process use."""

    landlock_abi: int
    seccomp: bool
    namespaces: bool
    cgroup: int  # 1 or 2: the version this process may make cgroups in; 0: none

    def missing(self) -> tuple[str, ...]:
        """The required layers (Landlock, seccomp) this kernel lacks."""
        return tuple(name for name, there in (("landlock", self.landlock_abi > 0), ("seccomp", self.seccomp))
                     if not there)


@dataclass(frozen=True)
class Policy:
    """What one child may use. ``work``: its one writable folder (made by the caller, empty)."""

    work: Path
    readable: tuple[Path, ...] = ()  # more read-only folders, such as the submission
    forbidden: tuple[Path, ...] = ()  # never readable, even from the import path (solutions, tests, hidden checks)
    memory_bytes: int = 4 * GiB
    file_bytes: int = 256 * 2**20
    disk_bytes: int = 512 * 2**20
    max_tasks: int = 256
    cuda: bool = False
    layers: frozenset[str] = field(default=ALL)  # which layers to apply (tests turn some off)


class SandboxError(Exception):
    """A layer the plan promised could not be applied: the student's code must not run."""


@functools.cache
def detect() -> Offer:
    """The layers this kernel offers this process; computed once, changes nothing here."""
    if not sys.platform.startswith("linux"):
        return Offer(0, False, False, 0)
    _interpreter()  # computed here, before any fork, so children find it ready
    return Offer(landlock.abi(), seccomp.available(), netns.available(), resources.cgroup_version())


def plan(wanted: frozenset[str] = ALL, offer: Offer | None = None) -> tuple[str, ...]:
    """The names :func:`apply` returns for these layers on this kernel (``audit-hook`` not included)."""
    offer = offer or detect()
    names = []
    if "cgroup" in wanted and offer.cgroup:
        names.append(f"cgroup-v{offer.cgroup}")
    if "rlimits" in wanted:
        names.append(RLIMITS)
    if "netns" in wanted and offer.namespaces:
        names += [NETNS, DISK_TMPFS]
    if "landlock" in wanted and offer.landlock_abi:
        names.append(f"landlock-abi{offer.landlock_abi}")
    if "seccomp" in wanted and offer.seccomp:
        names.append(SECCOMP)
    return tuple(names)


def apply(policy: Policy) -> tuple[str, ...]:
    """Apply every planned layer to this (single-threaded, just forked) process; return their names.

    Raises :class:`SandboxError` when one cannot be applied: the caller must then end the process.
    """
    planned = plan(policy.layers)
    done: list[str] = []
    try:
        if any(name.startswith("cgroup-") for name in planned):
            group = resources.make_group(os.getpid(), policy.memory_bytes, policy.max_tasks)
            if group is None:
                raise SandboxError("could not make a cgroup")
            group.join()
            done.append(group.name)
        if RLIMITS in planned:
            counted = bool(done)
            resources.set_rlimits(None if policy.cuda else policy.memory_bytes, policy.file_bytes,
                                  None if counted or SECCOMP in planned else policy.max_tasks)
            done.append(RLIMITS)
        if NETNS in planned:
            netns.enter()
            netns.mount_work(policy.work, policy.disk_bytes)
            done += [NETNS, DISK_TMPFS]
        landlock.set_no_new_privs()
        if any(name.startswith("landlock-") for name in planned):
            applied = landlock.restrict(landlock_rules(policy), detect().landlock_abi)
            done.append(applied.name)
        if SECCOMP in planned:
            seccomp.install(seccomp.program(os.getpid()))
            done.append(SECCOMP)
    except OSError as exc:
        raise SandboxError(f"{type(exc).__name__}: {exc} (applied so far: {', '.join(done) or 'none'})") from None
    return tuple(done)


def reported(wanted: frozenset[str] = ALL) -> tuple[str, ...]:
    """Every layer around a child graded here, as results list them: the kernel's, the disk bound, the audit hook."""
    names = plan(wanted)
    return (*names, *(() if DISK_TMPFS in names else (DISK_WATCH,)), AUDIT_HOOK)


def landlock_rules(policy: Policy) -> landlock.Rules:
    """Read-only: the interpreter, libraries, public kit code, a few system files; read-write: ``policy.work``."""
    read = [*_interpreter(), *_import_path(policy), *_kit_code(), *(Path(p) for p in _SYSTEM_READ), *policy.readable]
    if policy.cuda:
        read += [Path(p) for p in _CUDA_READ]
    devices = [Path(p) for p in _DEVICES]
    paths = [(path, landlock.READ) for path in _unique(read)]
    paths += [(path, landlock.READ_WRITE_DEVICE) for path in devices]
    if policy.cuda:
        paths += [(path, landlock.READ_WRITE_DEVICE | landlock.IOCTL_DEV) for path in Path("/dev").glob("nvidia*")]
    paths.append((policy.work, landlock.WORK))
    return landlock.Rules(tuple(paths))


@functools.cache
def _interpreter() -> tuple[Path, ...]:
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    libs = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(Path(p) for p in sorted(prefixes | {lib for lib in libs if lib}) if not _covers_kit(Path(p)))


def _import_path(policy: Policy) -> list[Path]:
    """Entries of ``sys.path`` that hold installed code: not the kit's folder (or above), not a forbidden one."""
    found = []
    for entry in sys.path:
        if entry in ("", "."):
            continue
        path = Path(entry).resolve()
        inside_kit = path.is_relative_to(KIT) and not path.is_relative_to(Path(sys.prefix).resolve())
        if _covers_kit(path) or inside_kit or any(path.is_relative_to(f) for f in policy.forbidden):
            continue
        if path == Path.cwd().resolve() or policy.work.is_relative_to(path):
            continue
        found.append(path)
    return found


def _covers_kit(path: Path) -> bool:
    return KIT.is_relative_to(path.resolve())


def _kit_code() -> list[Path]:
    """The public kit: the ``grader`` package and ``data_fixtures`` as this process imports them."""
    folders = [Path(__file__).resolve().parents[1]]
    spec = importlib.util.find_spec("data_fixtures")
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p).resolve() for p in spec.submodule_search_locations]
    return folders


def _unique(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(paths))
