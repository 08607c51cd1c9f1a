"""Limits per submission: memory over all its processes, tasks, and bytes written.

A :class:`Group` is a cgroup the grading process makes for one child (v1
``memory`` and ``pids`` controllers, or v2 with both delegated), when it may:
the child joins it first thing, the kernel counts every process and thread
the child starts, and :meth:`Group.hit` reads back which limit was reached
(an OOM kill, a refused task) so the verdict can say so. Elsewhere the child
sets rlimits (:func:`set_rlimits`): address space, core files, file size.

The total bytes written are bounded by a size-limited ``tmpfs`` over the work
folder (:func:`grader.sandbox.netns.mount_work`) where a mount namespace is
available, else by the grading process measuring the folder
(:meth:`Watch.exceeded`) and stopping the child.
"""

from __future__ import annotations

import os
import resource
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MEMORY, PROCESSES, DISK = "memory", "processes", "disk"  # which limit was hit
_CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Group:
    """One child's cgroup: its folder in each hierarchy (v1: memory, pids; v2: one)."""

    version: int
    folders: tuple[Path, ...]

    @property
    def name(self) -> str:
        return f"cgroup-v{self.version}"

    def join(self) -> None:
        """Move the calling process into the group (before any student byte runs)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text("0")

    def hit(self) -> str | None:
        """``MEMORY`` when the kernel killed for memory, ``PROCESSES`` when it refused a task, else None."""
        if self.version == 1:
            oom = _counter(self.folders[0] / "memory.oom_control", "oom_kill")
            refused = _counter(self.folders[1] / "pids.events", "max")
        else:
            oom = _counter(self.folders[0] / "memory.events", "oom_kill")
            refused = _counter(self.folders[0] / "pids.events", "max")
        return MEMORY if oom else PROCESSES if refused else None

    def close(self) -> None:
        """End whatever still runs in the group, then remove it."""
        for _attempt in range(50):
            pids = [pid for folder in self.folders for pid in _pids(folder)]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                for folder in self.folders:
                    if folder.exists():
                        folder.rmdir()
                return
            except OSError:
                time.sleep(0.01)


def cgroup_version() -> int:
    """1 or 2 when this process may make cgroups with a memory and a pids limit here; else 0. No side effects."""
    if _v1_parents():
        return 1
    return 2 if _v2_parent() is not None else 0


def make_group(pid: int, memory_bytes: int, max_tasks: int) -> Group | None:
    """A new cgroup for process ``pid`` with these limits, or None where this process may not make one."""
    group = group_of(pid)
    if group is None:
        return None
    try:
        for folder in group.folders:
            folder.mkdir(exist_ok=True)
        first = group.folders[0]
        if group.version == 1:
            _write(first / "memory.limit_in_bytes", memory_bytes)
            _write(first / "memory.memsw.limit_in_bytes", memory_bytes, optional=True)  # no swapping past it
            _write(group.folders[1] / "pids.max", max_tasks)
        else:
            _write(first / "memory.max", memory_bytes)
            _write(first / "memory.swap.max", 0, optional=True)
            _write(first / "pids.max", max_tasks)
    except OSError:
        group.close()
        return None
    return group


def group_of(pid: int) -> Group | None:
    """Where the cgroup of the child ``pid`` is (or will be), by name; None where none can be made."""
    name = f"grader-{pid}"
    parents = _v1_parents()
    if parents:
        return Group(1, tuple(parent / name for parent in parents))
    parent = _v2_parent()
    return Group(2, (parent / name,)) if parent is not None else None


def _write(path: Path, value: int, optional: bool = False) -> None:
    if optional and not path.exists():
        return
    path.write_text(str(value))


def _v1_parents() -> tuple[Path, Path] | None:
    """This process's own memory and pids cgroups (v1), when it may make groups in both."""
    own = _own_cgroups()
    folders = []
    for controller in ("memory", "pids"):
        path = own.get(controller)
        folder = _CGROUP_ROOT / controller / path.lstrip("/") if path is not None else None
        if folder is None or not (folder / "cgroup.procs").exists() or not os.access(folder, os.W_OK):
            return None
        folders.append(folder)
    return folders[0], folders[1]


def _v2_parent() -> Path | None:
    """This process's v2 cgroup, when memory and pids are delegated to groups made below it."""
    path = _own_cgroups().get("")
    if path is None or not (_CGROUP_ROOT / "cgroup.controllers").exists():
        return None
    folder = _CGROUP_ROOT / path.lstrip("/")
    try:
        delegated = (folder / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    return folder if {"memory", "pids"} <= set(delegated) and os.access(folder, os.W_OK) else None


def _own_cgroups() -> dict[str, str]:
    """Controller name ('' for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    found: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _hierarchy, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _pids(folder: Path) -> list[int]:
    try:
        return [int(line) for line in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def set_rlimits(memory_bytes: int | None, file_bytes: int, max_tasks: int | None) -> None:
    """Per-process limits: no core files, no file over ``file_bytes``, address space, tasks of this user.

    ``memory_bytes`` None: no address-space cap (CUDA reserves vast address space). ``max_tasks``:
    only where no cgroup counts them (RLIMIT_NPROC counts every task of this user).
    """
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, file_bytes)
    if memory_bytes is not None:
        _limit(resource.RLIMIT_AS, _virtual_size() + memory_bytes)
    if max_tasks is not None:
        _limit(resource.RLIMIT_NPROC, _tasks_of_this_user() + max_tasks)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file over the limit raises OSError, not a silent kill


def _limit(which: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass


def _virtual_size() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _tasks_of_this_user() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


@dataclass
class Watch:
    """What the grading process reads to tell which limit one child hit.

    ``tmpfs``: the work folder is a size-limited tmpfs in the child's own mount
    namespace, read through ``/proc/PID/root``; else the folder itself is measured.
    """

    group: Group | None
    work: Path
    disk_bytes: int
    tmpfs: bool
    pid: int = 0
    _pinned: int | None = None  # a descriptor of the child's tmpfs, once it is mounted

    def exceeded(self) -> str | None:
        """``MEMORY``, ``PROCESSES`` or ``DISK`` when that limit was reached; None otherwise."""
        hit = self.group.hit() if self.group is not None else None
        if hit is not None:
            return hit
        return DISK if self.disk_used() >= self.disk_bytes else None

    def disk_used(self) -> int:
        if self.tmpfs and self.pin():
            assert self._pinned is not None
            fs = os.fstatvfs(self._pinned)
            free = fs.f_bavail * fs.f_frsize
            return self.disk_bytes if free < 2**20 else fs.f_blocks * fs.f_frsize - free
        return sum(_sizes(self.work))

    def pin(self) -> bool:
        """Hold the child's tmpfs open (through ``/proc/PID/root``) so it can be measured after the child ends."""
        if self._pinned is None and self.tmpfs:
            try:
                fd = os.open(f"/proc/{self.pid}/root{self.work}", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                return False
            fs = os.fstatvfs(fd)
            if fs.f_blocks * fs.f_frsize <= self.disk_bytes + 2**20:  # the child's tmpfs, not the folder below it
                self._pinned = fd
            else:
                os.close(fd)
        return self._pinned is not None

    def close(self) -> None:
        if self.group is not None:
            self.group.close()
        if self._pinned is not None:
            os.close(self._pinned)
            self._pinned = None


def _sizes(folder: Path) -> Iterator[int]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _sizes(Path(entry.path))
            else:
                yield entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
