"""The child side of isolated grading: the process a student's code runs in.

:func:`run_child` is entered in a process the zygote (:mod:`grader.sandbox.zygote`)
has just forked. It reads its :class:`RunRequest`, drops into a private work
folder with a clean environment, applies the kernel's layers
(:mod:`grader.sandbox.layers`: limits, namespaces, Landlock, seccomp), installs
the :mod:`grader.sandbox.audit` audit hook, fingerprints torch and the grader
(:mod:`grader.sandbox.integrity`), imports the student's file and runs the
probes one case at a time, writing what each one observed to a pipe
(:mod:`grader.sandbox.protocol`). It never returns, and it never decides an
outcome: the grading process judges."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.checks import registry
from grader.engine import i18n, observe
from grader.engine.api import Case, Check, StandIn
from grader.engine.i18n import _
from grader.sandbox import audit, integrity, layers, protocol
from grader.sandbox.loading import SANDBOX_VARIABLE, LoadError, SubmissionLoader
from grader.sandbox.protocol import ProbeEvent
from grader.sandbox.probe import probe_case
from grader.sandbox.runner import cuda_available

GiB = 2**30
HEADER = struct.Struct("!I")
SANDBOX_FAILED = 71  # the child's exit status when a kernel layer the plan promised could not be applied


@dataclass(frozen=True)
class Limits:
    """What one child may use. ``threads``: torch threads in the child, set before its first operation.

    A process that forks must not have started OpenMP's thread pool, or the
    children hang in their first parallel operation. Children are forked by
    the zygote, which never runs a torch operation; the command line starts
    it before any tensor work and gives the children the machine's threads.
    A zygote started lazily (:func:`grader.sandbox.zygote.shared`) is forked
    from a caller that may have run torch with several threads (tests,
    notebooks): such callers keep the safe default of 1.

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

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "layers": sorted(self.layers)}

    @classmethod
    def from_dict(cls, data: dict) -> "Limits":
        return cls(**{**data, "layers": frozenset(data["layers"])})


@dataclass
class Workspace:
    """Folders of one grading run: the submission copy and the child's tmp (the stand-ins come with the checks)."""

    root: Path
    submission: Path
    forbidden: tuple[Path, ...]



@dataclass(frozen=True)
class RunRequest:
    """What one child runs: cases of one exercise, in a work folder, under limits.

    ``cases``: (index in the exercise, check name, device, seed). ``source``: for checks that are not the
    kit's public ones (hidden checks), their module's source without its judges
    (:func:`grader.checks.registry.probes_only`); it reaches only the child that runs them.
    """

    exercise: str
    cases: tuple[tuple[int, str, str, int], ...]
    workspace: Workspace
    limits: Limits
    lang: str = "en"
    source: str | None = None

    def to_bytes(self) -> bytes:
        data = {
            "exercise": self.exercise, "cases": [list(c) for c in self.cases], "lang": self.lang, "source": self.source,
            "limits": self.limits.to_dict(),
            "workspace": {"root": str(self.workspace.root), "submission": str(self.workspace.submission),
                          "forbidden": [str(p) for p in self.workspace.forbidden]},
        }
        return json.dumps(data).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "RunRequest":
        raw = json.loads(data)
        space = raw["workspace"]
        workspace = Workspace(Path(space["root"]), Path(space["submission"]), tuple(Path(p) for p in space["forbidden"]))
        return cls(raw["exercise"], tuple((int(i), str(c), str(d), int(s)) for i, c, d, s in raw["cases"]), workspace,
                   Limits.from_dict(raw["limits"]), raw["lang"], raw["source"])


def run_child(request: RunRequest, fd: int, output: int) -> None:
    exit_now = os._exit  # bound before the student's code can replace anything
    code = 0
    try:
        os.setpgid(0, 0)
        send = _sender(fd)
        i18n.use_language(request.lang)
        cases, stand_ins = _resolve(request)
        _enter(request.workspace, request.limits, output)
        fingerprint = integrity.take()
        changed, probe = fingerprint.changed, _guarded_probe
        loader = SubmissionLoader(request.workspace.submission, {request.exercise: stand_ins})
        _import(loader, request.exercise)
        send({"kind": "imported"})
        for index, check, case in cases:
            event = probe(check, case, loader)
            replaced = changed()
            if replaced:
                send({"kind": "tampered", "names": replaced})
                break
            send(protocol.encode_case(index, event))
    except BaseException:
        code = 70
    finally:
        exit_now(code)


def _resolve(request: RunRequest) -> tuple[list[tuple[int, Check, Case]], dict[str, StandIn]]:
    """The checks of the request, found by name among the kit's own or in the source it carries."""
    public = registry.public_exercises().get(request.exercise)
    exercise = registry.probes_from_source(request.source, request.exercise) if request.source else public
    if exercise is None:
        raise LookupError(f"no exercise {request.exercise}")
    stand_ins = {**(public.stand_ins if public else {}), **exercise.stand_ins}
    checks = {check.name: check for check in exercise.checks}
    cases = [(index, checks[name], Case(request.exercise, name, device, seed)) for index, name, device, seed in request.cases]
    return cases, stand_ins


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


def _guarded_probe(check: Check, case: Case, loader: SubmissionLoader) -> ProbeEvent:
    try:
        return probe_case(check, case, loader)
    except BaseException as exc:  # what escapes (KeyboardInterrupt, GeneratorExit) ends the case as a crash
        return protocol.crashed(type(exc).__name__)
