"""The child side of isolated grading: the process a student's code runs in.

:func:`run_child` is entered right after ``fork``. It drops into a private
work folder with a clean environment, applies the kernel's layers
(:mod:`grader.sandbox.layers`: limits, namespaces, Landlock, seccomp), installs
the :mod:`grader.sandbox.audit` audit hook, fingerprints torch and the grader
(:mod:`grader.sandbox.integrity`), imports the student's file and runs the probes one
case at a time, writing each report to a pipe. It never returns.
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.sandbox import integrity
from grader.engine import observe
from grader.sandbox import audit, layers
from grader.engine.api import Case, Check
from grader.engine.i18n import _
from grader.sandbox.loading import SANDBOX_VARIABLE, LoadError, SubmissionLoader
from grader.engine.model import Outcome, Tag
from grader.sandbox.runner import ProbeReport, cuda_available, probe_case

GiB = 2**30
HEADER = struct.Struct("!I")
SANDBOX_FAILED = 71  # the child's exit status when a kernel layer the plan promised could not be applied


@dataclass(frozen=True)
class Limits:
    """What one child may use. ``threads``: torch threads in the child.

    A process that forks must not have started OpenMP's thread pool, or the
    children hang in their first parallel operation. The command line pins
    the grading process to one thread before any tensor work and gives the
    children the machine's threads; callers that have already run torch with
    several threads (tests, notebooks) keep the safe default of 1.

    ``parallel``: how many exercises (each in its own child, each with these
    limits) run at once; the command line uses one per core.

    ``memory_bytes``, ``disk_bytes`` and ``max_tasks`` hold for the child and all
    it starts (:mod:`grader.sandbox.layers`); ``file_bytes`` per file.
    """

    memory_bytes: int = 4 * GiB
    import_timeout: float = 60.0
    output_chars: int = 2000
    file_bytes: int = 256 * 2**20
    threads: int = 1
    parallel: int = 1
    disk_bytes: int = 512 * 2**20  # all the files one child writes, together
    max_tasks: int = 256  # processes and threads of one child, together (where a cgroup counts them)
    layers: frozenset[str] = layers.ALL  # the kernel layers to apply where the kernel offers them


@dataclass
class Workspace:
    """Folders of one grading run: the submission copy and the child's tmp."""

    root: Path
    submission: Path
    forbidden: tuple[Path, ...]
    stand_ins: dict[str, dict[str, Any]] = field(default_factory=dict)



def run_child(
    name: str, cases: list[tuple[Check, Case]], indices: list[int], workspace: Workspace, limits: Limits, fd: int,
    output: int,
) -> None:
    exit_now = os._exit  # bound before the student's code can replace anything
    code = 0
    try:
        os.setpgid(0, 0)
        send = _sender(fd)
        _enter(workspace, limits, output)
        fingerprint = integrity.take()
        changed, probe = fingerprint.changed, _guarded_probe
        loader = SubmissionLoader(workspace.submission, workspace.stand_ins)
        _import(loader, name)
        send({"kind": "imported"})
        for index in indices:
            check, case = cases[index]
            report = probe(check, case, loader)
            replaced = changed()
            if replaced:
                send({"kind": "tampered", "names": replaced})
                break
            send({"kind": "case", "index": index, "report": report.to_dict()})
    except BaseException:
        code = 70
    finally:
        exit_now(code)


def _sender(fd: int) -> Callable[[dict], None]:
    write, dumps, pack = os.write, observe.dumps, HEADER.pack

    def send(message: dict) -> None:
        data = dumps(message)
        view = memoryview(pack(len(data)) + data)
        while view:
            view = view[write(fd, view):]

    return send


def _enter(workspace: Workspace, limits: Limits, output: int) -> None:
    """Become the restricted process the student's code runs in: kernel layers first, then the audit hook."""
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    # Fresh streams on fds 1 and 2: the parent's sys.stdout may be a capture object (pytest's).
    sys.stdout = open(1, "w", buffering=1, errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, errors="replace", closefd=False)
    sys.stdin = open(os.devnull)
    sys.dont_write_bytecode = True
    work = work_folder(workspace, os.getpid())
    work.mkdir(parents=True)
    os.environ.clear()
    os.environ.update({"HOME": str(work), "TMPDIR": str(work / "tmp"), "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
                       SANDBOX_VARIABLE: "1"})
    sys.path[:] = [p for p in sys.path if _may_import_from(p, workspace)]
    try:
        layers.apply(sandbox_policy(workspace, limits, work, cuda_available()))
    except layers.SandboxError as exc:
        print(_("The grader could not set up its sandbox: {error}").format(error=exc), file=sys.stderr, flush=True)
        os._exit(SANDBOX_FAILED)
    (work / "tmp").mkdir()
    import tempfile

    tempfile.tempdir = str(work / "tmp")
    os.chdir(work)
    import torch

    torch.set_num_threads(max(1, limits.threads))
    audit.install(audit.Policy(work, workspace.submission, workspace.forbidden))


def work_folder(workspace: Workspace, pid: int) -> Path:
    """The one folder the child ``pid`` may change (a size-limited tmpfs where the kernel allows)."""
    return workspace.root / "work" / str(pid)


def sandbox_policy(workspace: Workspace, limits: Limits, work: Path, cuda: bool) -> layers.Policy:
    return layers.Policy(
        work=work, readable=(workspace.submission,), forbidden=workspace.forbidden, memory_bytes=limits.memory_bytes,
        file_bytes=limits.file_bytes, disk_bytes=limits.disk_bytes, max_tasks=limits.max_tasks, cuda=cuda,
        layers=limits.layers,
    )


def _may_import_from(entry: str, workspace: Workspace) -> bool:
    """Drop the kit's own folder, the current one and forbidden ones from the import path: no `import solutions`."""
    if entry in ("", "."):
        return False
    kit = Path(__file__).resolve().parents[2]
    path = Path(entry).resolve()
    return path != kit and path != Path.cwd() and not any(path.is_relative_to(f) for f in workspace.forbidden)


def _import(loader: SubmissionLoader, name: str) -> None:
    """Import now, so import-time work counts against the import limit, not the first check."""
    try:
        loader.load(name)
    except LoadError:
        pass  # reported by every probe of this exercise


def _guarded_probe(check: Check, case: Case, loader: SubmissionLoader) -> ProbeReport:
    try:
        return probe_case(check, case, loader)
    except KeyboardInterrupt:
        return ProbeReport(Outcome.CRASHED, _("Your code raised KeyboardInterrupt."), tag=Tag.CRASHED)
    except BaseException as exc:  # anything else that escapes (e.g. GeneratorExit) is a crash
        message = _("Your code ended the run with {error}.").format(error=type(exc).__name__)
        return ProbeReport(Outcome.CRASHED, message, tag=Tag.CRASHED)
