"""Hostile tests of the kernel layers, one layer at a time, in forked children.

Each attack runs twice: in a child with only that layer applied, where it
must be held, and in a child with no layer, where it must succeed, so a test
fails when a layer silently does nothing. A test skips only where this
kernel lacks the layer.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import select
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

from grader.sandbox import layers, resources
from grader.engine.model import expand_repeats

from conftest import KIT, SOLUTIONS

OFFER = layers.detect()
NO_LANDLOCK = pytest.mark.skipif(OFFER.landlock_abi < 1, reason="this kernel has no Landlock")
NO_LANDLOCK_NET = pytest.mark.skipif(OFFER.landlock_abi < 4, reason="this kernel's Landlock (ABI < 4) has no TCP rules")
NO_LANDLOCK_SCOPE = pytest.mark.skipif(OFFER.landlock_abi < 6, reason="this kernel's Landlock (ABI < 6) has no scoping")
NO_SECCOMP = pytest.mark.skipif(not OFFER.seccomp, reason="this kernel or machine has no seccomp filter here")
NO_NAMESPACES = pytest.mark.skipif(not OFFER.namespaces, reason="this kernel refuses unprivileged user namespaces")
NO_CGROUP = pytest.mark.skipif(not OFFER.cgroup, reason="this process may not make memory and pids cgroups here")
NONE: frozenset[str] = frozenset()
SOLUTION = SOLUTIONS / "ex01_tensors.py"


@dataclass
class Scene:
    """What an attack aims at, prepared by the test process: files, a listener, a victim process."""

    tmp: Path
    marker_name: str = field(default_factory=lambda: f"attack-{uuid.uuid4().hex}")
    tcp: socket.socket = field(default_factory=lambda: _listener(socket.SOCK_STREAM))
    udp: socket.socket = field(default_factory=lambda: _listener(socket.SOCK_DGRAM))
    unix: socket.socket = field(default_factory=lambda: _unix_listener())  # a pathname datagram socket, as /dev/log
    victim: subprocess.Popen = field(default_factory=lambda: subprocess.Popen(["sleep", "60"]))
    work: Path = Path()  # the child's work folder, set in the child
    planted: list[Path] = field(default_factory=list)  # files an attack may create outside the work folder
    pycache_made: bool = field(default_factory=lambda: not (KIT / "grader" / "__pycache__").exists())

    def close(self) -> None:
        self.tcp.close()
        self.udp.close()
        Path(self.unix.getsockname()).unlink(missing_ok=True)
        Path(self.unix.getsockname()).parent.rmdir()
        self.unix.close()
        self.victim.kill()
        self.victim.wait()
        for path in self.planted:
            path.unlink(missing_ok=True)
        pycache = KIT / "grader" / "__pycache__"
        if self.pycache_made and pycache.exists():
            pycache.rmdir()

    def tcp_arrived(self) -> bool:
        self.tcp.setblocking(False)
        try:
            connection, _address = self.tcp.accept()
        except BlockingIOError:
            return False
        connection.close()
        return True

    def udp_arrived(self) -> bool:
        return bool(select.select([self.udp], [], [], 0)[0])

    def unix_arrived(self) -> bool:
        return bool(select.select([self.unix], [], [], 0)[0])

    def victim_state(self) -> str:
        """'R'/'S' running or sleeping, 'T' stopped, 'gone' when killed."""
        if self.victim.poll() is not None:
            return "gone"
        return Path(f"/proc/{self.victim.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _unix_listener() -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(Path(tempfile.mkdtemp(prefix="dgram-")) / "log"))  # short: a socket path has 108 bytes
    return listener


def _listener(kind: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, kind)
    listener.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        listener.listen(4)
    return listener


@dataclass
class Run:
    layers: tuple[str, ...]
    report: dict
    while_alive: dict
    status: int


def run_attack(attack: Callable[[Scene], object], scene: Scene, wanted: frozenset[str],
               check_alive: Callable[[int, Path], dict] | None = None, **policy: int) -> Run:
    """Fork a child, apply ``wanted`` layers, run ``attack``; ``check_alive(pid, work)`` runs before it exits."""
    reports, report_to = os.pipe()
    release_from, release = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reports)
        os.close(release)
        _child(attack, scene, wanted, report_to, release_from, policy)
    os.close(report_to)
    os.close(release_from)
    work = scene.tmp / "work" / str(pid)
    try:
        text = _read_all(reports)
        seen = check_alive(pid, work) if check_alive else {}
        os.close(release)
        _pid, status = os.waitpid(pid, 0)
    finally:
        group = resources.group_of(pid)
        seen_group = group.hit() if group is not None else None
        if group is not None:
            group.close()
    data = json.loads(text) if text else {"layers": [], "result": None, "error": "no report"}
    seen.setdefault("group_hit", seen_group)
    return Run(tuple(data["layers"]), data, seen, status)


def _read_all(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 120)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


def _child(attack: Callable[[Scene], object], scene: Scene, wanted: frozenset[str], report_to: int,
           release_from: int, policy: dict) -> None:
    code = 0
    try:
        scene.work = scene.tmp / "work" / str(os.getpid())
        scene.work.mkdir(parents=True)
        tempfile.tempdir = str(scene.work)  # as the grader's child does
        names = layers.apply(layers.Policy(work=scene.work, forbidden=(SOLUTIONS, KIT / "tests"), layers=wanted,
                                           **policy))
        try:
            result, error = attack(scene), None
        except BaseException as exc:  # the attack was held (or broke): say how
            result, error = None, f"{type(exc).__name__}: {exc}"
        os.write(report_to, json.dumps({"layers": names, "result": result, "error": error}, default=str).encode())
        os.close(report_to)
        os.read(release_from, 1)  # wait until the test has looked at the running child
    except BaseException:
        code = 70
    finally:
        os._exit(code)


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    made = Scene(tmp_path)
    yield made
    made.close()


# ---- the attacks (each runs inside the child) --------------------------------------------------------------------


def write_outside(scene: Scene) -> None:
    (scene.tmp / scene.marker_name).write_text("written from the sandbox")


def read_solutions(scene: Scene) -> str:
    return SOLUTION.read_text()


def read_solutions_with_dir_fd(scene: Scene) -> str:
    folder = os.open(SOLUTIONS, os.O_PATH)
    fd = os.open(SOLUTION.name, os.O_RDONLY, dir_fd=folder)
    return os.read(fd, 1 << 20).decode()


def read_solutions_with_ctypes_open(scene: Scene) -> str:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.open(os.fsencode(SOLUTION), os.O_RDONLY)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "open")
    return os.read(fd, 1 << 20).decode()


def read_solutions_with_raw_openat(scene: Scene) -> str:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    openat = {"x86_64": 257, "aarch64": 56}[platform.machine()]
    fd = libc.syscall(ctypes.c_long(openat), ctypes.c_int(-100), os.fsencode(SOLUTION), ctypes.c_int(os.O_RDONLY))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "openat")
    return os.read(fd, 1 << 20).decode()


def read_parent_environment(scene: Scene) -> str:
    return Path(f"/proc/{os.getppid()}/environ").read_bytes().decode(errors="replace")


def write_kit_pycache(scene: Scene) -> None:
    folder = KIT / "grader" / "__pycache__"
    folder.mkdir(exist_ok=True)
    (folder / f"{scene.marker_name}.pyc").write_bytes(b"forged")


def write_site_packages_pth(scene: Scene) -> None:
    (Path(site.getsitepackages()[0]) / f"{scene.marker_name}.pth").write_text("# written from the sandbox\n")


def write_dev_shm(scene: Scene) -> None:
    (Path("/dev/shm") / scene.marker_name).write_text("outlives the grade")


def shell_with_os_system(scene: Scene) -> int:
    return os.system(f"echo shell > {scene.work / scene.marker_name}")


def program_with_posixsubprocess(scene: Scene) -> int:
    return subprocess.run(["/bin/sh", "-c", f"echo shell > {scene.work / scene.marker_name}"]).returncode


def program_with_ctypes_execve(scene: Scene) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    argv = (ctypes.c_char_p * 4)(b"/bin/sh", b"-c", f"echo shell > {scene.work / scene.marker_name}".encode(), None)
    libc.execve(b"/bin/sh", argv, None)
    raise OSError(ctypes.get_errno(), "execve")


def fork_a_process(scene: Scene) -> None:
    pid = os.fork()
    if pid == 0:
        (scene.work / scene.marker_name).write_text("forked")
        os._exit(0)
    os.waitpid(pid, 0)


def tcp_connect(scene: Scene) -> None:
    with socket.create_connection(scene.tcp.getsockname(), timeout=5):
        pass


def udp_sendto(scene: Scene) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        out.sendto(b"a byte out", scene.udp.getsockname())


def unix_datagram_sendto(scene: Scene) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
        out.sendto(b"a line in the log", scene.unix.getsockname())


def unix_datagram_sendmsg(scene: Scene) -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)  # allowed: connected to each other
    with left, right:
        left.sendmsg([b"a line in the log"], [], 0, scene.unix.getsockname())


def kill_victim(scene: Scene) -> None:
    os.kill(scene.victim.pid, signal.SIGKILL)


def stop_victim(scene: Scene) -> None:
    os.kill(scene.victim.pid, signal.SIGSTOP)


def marker_in_work(scene: Scene) -> bool:
    return (scene.work / scene.marker_name).exists()


def _planted(scene: Scene, *paths: Path) -> list[Path]:
    scene.planted += paths
    return list(paths)


# ---- Landlock --------------------------------------------------------------------------------------------------


LANDLOCK = frozenset({"landlock"})


def _reads(scene: Scene, attack: Callable[[Scene], object], wanted: frozenset[str]) -> bool:
    run = run_attack(attack, scene, wanted)
    return run.report["result"] == SOLUTION.read_text()


@NO_LANDLOCK
@pytest.mark.parametrize("attack", [read_solutions, read_solutions_with_dir_fd, read_solutions_with_ctypes_open,
                                    read_solutions_with_raw_openat])
def test_landlock_keeps_the_solutions_unread(scene: Scene, attack: Callable[[Scene], object]) -> None:
    assert not _reads(scene, attack, LANDLOCK)
    assert _reads(scene, attack, NONE)


@NO_LANDLOCK
def test_landlock_keeps_the_parent_environment_unread(scene: Scene) -> None:
    run = run_attack(read_parent_environment, scene, LANDLOCK)
    assert run.report["result"] is None and "Permission denied" in run.report["error"]
    assert "PATH=" in run_attack(read_parent_environment, scene, NONE).report["result"]


@NO_LANDLOCK
@pytest.mark.parametrize("attack, target", [
    (write_outside, lambda s: s.tmp / s.marker_name),
    (write_kit_pycache, lambda s: KIT / "grader" / "__pycache__" / f"{s.marker_name}.pyc"),
    (write_site_packages_pth, lambda s: Path(site.getsitepackages()[0]) / f"{s.marker_name}.pth"),
    (write_dev_shm, lambda s: Path("/dev/shm") / s.marker_name),
])
def test_landlock_keeps_writes_in_the_work_folder(scene: Scene, attack: Callable[[Scene], object],
                                                  target: Callable[[Scene], Path]) -> None:
    (path,) = _planted(scene, target(scene))
    run = run_attack(attack, scene, LANDLOCK)
    assert "Permission denied" in run.report["error"] and not path.exists()
    run_attack(attack, scene, NONE)
    assert path.exists()


@NO_LANDLOCK
def test_landlock_runs_no_program(scene: Scene) -> None:
    """No right to execute anything: the shell os.system starts cannot be loaded."""
    run = run_attack(lambda s: (shell_with_os_system(s), marker_in_work(s)), scene, LANDLOCK)
    assert run.report["result"][1] is False
    assert run_attack(lambda s: (shell_with_os_system(s), marker_in_work(s)), scene, NONE).report["result"] == [0, True]


@NO_LANDLOCK_NET
def test_landlock_refuses_tcp(scene: Scene) -> None:
    run = run_attack(tcp_connect, scene, LANDLOCK)
    assert "Permission denied" in run.report["error"] and not scene.tcp_arrived()
    run_attack(tcp_connect, scene, NONE)
    assert scene.tcp_arrived()


@NO_LANDLOCK_SCOPE
@pytest.mark.parametrize("attack, after", [(kill_victim, "gone"), (stop_victim, "T")])
def test_landlock_scoping_keeps_signals_in(scene: Scene, attack: Callable[[Scene], object], after: str) -> None:
    run = run_attack(attack, scene, LANDLOCK)
    assert "Operation not permitted" in run.report["error"] and scene.victim_state() in ("S", "R")
    run_attack(attack, scene, NONE)
    assert scene.victim_state() == after


# ---- seccomp ---------------------------------------------------------------------------------------------------


SECCOMP = frozenset({"seccomp"})


@NO_SECCOMP
@pytest.mark.parametrize("attack", [shell_with_os_system, program_with_posixsubprocess, program_with_ctypes_execve,
                                    fork_a_process])
def test_seccomp_starts_no_program_and_no_process(scene: Scene, attack: Callable[[Scene], object]) -> None:
    def attempt(s: Scene) -> bool:
        try:
            attack(s)
        except OSError:
            pass
        return marker_in_work(s)

    run = run_attack(attempt, scene, SECCOMP)
    assert run.layers == ("seccomp",) and run.report["result"] is False
    assert run_attack(attempt, scene, NONE).report["result"] is True or attack is program_with_ctypes_execve
    if attack is program_with_ctypes_execve:  # a successful execve never reports: the shell ran instead
        assert (scene.tmp / "work").exists() and any(p.name == scene.marker_name for p in (scene.tmp / "work").rglob("*"))


@NO_SECCOMP
@pytest.mark.parametrize("attack, arrived", [(tcp_connect, Scene.tcp_arrived), (udp_sendto, Scene.udp_arrived)])
def test_seccomp_opens_no_network_socket(scene: Scene, attack: Callable[[Scene], object],
                                         arrived: Callable[[Scene], bool]) -> None:
    run = run_attack(attack, scene, SECCOMP)
    assert "Operation not permitted" in run.report["error"] and not arrived(scene)
    run_attack(attack, scene, NONE)
    assert arrived(scene)


@NO_SECCOMP
@pytest.mark.parametrize("attack", [unix_datagram_sendto, unix_datagram_sendmsg])
def test_seccomp_sends_no_datagram_to_a_pathname_socket(scene: Scene, attack: Callable[[Scene], object]) -> None:
    run = run_attack(attack, scene, SECCOMP)
    assert "Operation not permitted" in run.report["error"] and not scene.unix_arrived()
    run_attack(attack, scene, NONE)
    assert scene.unix_arrived()


@NO_SECCOMP
@pytest.mark.parametrize("attack, after", [(kill_victim, "gone"), (stop_victim, "T")])
def test_seccomp_sends_signals_only_to_itself(scene: Scene, attack: Callable[[Scene], object], after: str) -> None:
    run = run_attack(attack, scene, SECCOMP)
    assert "Operation not permitted" in run.report["error"] and scene.victim_state() in ("S", "R")
    run_attack(attack, scene, NONE)
    assert scene.victim_state() == after


@NO_SECCOMP
def test_seccomp_keeps_threads_signals_to_itself_and_unix_socketpairs(scene: Scene) -> None:
    def ordinary(s: Scene) -> list:
        results: list = []
        thread = threading.Thread(target=lambda: results.append("thread"))
        thread.start()
        thread.join()
        signal.signal(signal.SIGUSR1, lambda *_: results.append("signal"))
        os.kill(os.getpid(), signal.SIGUSR1)
        left, right = socket.socketpair()
        left.send(b"x")
        results.append(right.recv(1).decode())
        return results

    assert run_attack(ordinary, scene, SECCOMP).report["result"] == ["thread", "signal", "x"]


def test_seccomp_program_checks_the_architecture_first() -> None:
    from grader.sandbox import seccomp

    code = seccomp.program(1234, "x86_64")
    assert code[0] == (0x20, 0, 0, 4) and code[1][3] == 0xC000003E and code[2] == (0x06, 0, 0, 0x80000000)
    assert seccomp.program(1234, "aarch64")[1][3] == 0xC00000B7
    assert len(seccomp.encode(code)) == 8 * len(code)


# ---- network namespace -----------------------------------------------------------------------------------------


NETNS = frozenset({"netns"})


@NO_NAMESPACES
@pytest.mark.parametrize("attack, arrived", [(tcp_connect, Scene.tcp_arrived), (udp_sendto, Scene.udp_arrived)])
def test_network_namespace_reaches_nothing(scene: Scene, attack: Callable[[Scene], object],
                                           arrived: Callable[[Scene], bool]) -> None:
    run = run_attack(attack, scene, NETNS)
    assert run.layers == ("netns", "disk-tmpfs") and run.report["error"] and not arrived(scene)
    run_attack(attack, scene, NONE)
    assert arrived(scene)


# ---- limits: disk, memory, tasks, file size --------------------------------------------------------------------


def write_64_mib(scene: Scene) -> int:
    written = 0
    with open(scene.work / "big", "wb") as out:
        for _ in range(64):
            written += out.write(b"\0" * 2**20)
            out.flush()
    return written


def _disk_seen(limit: int, tmpfs: bool) -> Callable[[int, Path], dict]:
    def seen(pid: int, work: Path) -> dict:
        return {"hit": resources.Watch(None, work, limit, tmpfs, pid).exceeded()}

    return seen


@NO_NAMESPACES
def test_the_work_folder_holds_no_more_than_the_disk_limit(scene: Scene) -> None:
    limit = 8 * 2**20
    run = run_attack(write_64_mib, scene, NETNS, _disk_seen(limit, tmpfs=True), disk_bytes=limit)
    assert "No space left on device" in run.report["error"] and run.while_alive["hit"] == resources.DISK
    run = run_attack(write_64_mib, scene, NONE, _disk_seen(limit, tmpfs=False), disk_bytes=limit)
    assert run.report["result"] == 64 * 2**20
    assert run.while_alive["hit"] == resources.DISK  # where no tmpfs can be had, the grader measures the folder


def allocate_256_mib(scene: Scene) -> int:
    block = bytearray(256 * 2**20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return len(block)


@NO_CGROUP
def test_the_cgroup_counts_memory_and_says_so(scene: Scene) -> None:
    run = run_attack(allocate_256_mib, scene, frozenset({"cgroup"}), memory_bytes=64 * 2**20)
    assert os.WIFSIGNALED(run.status) and os.WTERMSIG(run.status) == signal.SIGKILL
    assert run.while_alive["group_hit"] == resources.MEMORY
    run = run_attack(allocate_256_mib, scene, NONE, memory_bytes=64 * 2**20)
    assert run.report["result"] == 256 * 2**20 and run.while_alive["group_hit"] is None


def start_64_threads(scene: Scene) -> int:
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(64)]
    started = 0
    try:
        for thread in threads:
            thread.start()
            started += 1
    finally:
        stop.set()
        for thread in threads[:started]:
            thread.join()
    return started


@NO_CGROUP
def test_the_cgroup_bounds_tasks_and_says_so(scene: Scene) -> None:
    run = run_attack(start_64_threads, scene, frozenset({"cgroup"}), max_tasks=16)
    assert "can't start new thread" in run.report["error"] and run.while_alive["group_hit"] == resources.PROCESSES
    run = run_attack(start_64_threads, scene, NONE, max_tasks=16)
    assert run.report["result"] == 64


def write_two_mib_file(scene: Scene) -> int:
    with open(scene.work / "file", "wb") as out:
        return out.write(b"\0" * 2 * 2**20)


def test_rlimits_bound_one_file(scene: Scene) -> None:
    run = run_attack(write_two_mib_file, scene, frozenset({"rlimits"}), file_bytes=2**20)
    assert run.layers == ("rlimits",) and "File too large" in run.report["error"]
    assert run_attack(write_two_mib_file, scene, NONE, file_bytes=2**20).report["result"] == 2 * 2**20


# ---- all layers together ---------------------------------------------------------------------------------------


def test_every_layer_this_kernel_offers_is_applied_and_named(scene: Scene) -> None:
    run = run_attack(lambda s: None, scene, layers.ALL)
    assert run.layers == layers.plan()
    expected = {"rlimits"} | ({"seccomp"} if OFFER.seccomp else set()) | ({"netns"} if OFFER.namespaces else set())
    assert expected <= set(run.layers)
    assert any(n.startswith("landlock-abi") for n in run.layers) == (OFFER.landlock_abi > 0)


def test_torch_trains_saves_and_loads_inside_every_layer(scene: Scene) -> None:
    def train(s: Scene) -> list:
        import torch

        torch.set_num_threads(2)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
        inputs, targets = torch.randn(64, 8), torch.randn(64, 1)
        losses = []
        for _ in range(20):
            loss = torch.nn.functional.mse_loss(model(inputs), targets)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        torch.save(model.state_dict(), s.work / "model.pt")
        loaded = torch.load(s.work / "model.pt", weights_only=True)
        return [losses[-1] < losses[0], sorted(loaded) == sorted(model.state_dict())]

    run = run_attack(train, scene, layers.ALL)
    assert run.report["result"] == [True, True], run.report["error"]


def test_a_dataloader_with_workers_fails_with_a_hint(scene: Scene) -> None:
    from grader.sandbox.loading import SANDBOX_HINT, SANDBOX_VARIABLE, explain

    def load(s: Scene) -> str:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        os.environ[SANDBOX_VARIABLE] = "1"
        try:
            list(DataLoader(TensorDataset(torch.zeros(8, 2)), batch_size=2, num_workers=2))
        except Exception as exc:
            message, _tag = explain(exc, s.work, "a DataLoader with num_workers=2")
            return [message.got, *message.hints]
        return ["no error"]

    got, *hints = run_attack(load, scene, layers.ALL).report["result"]
    assert got.startswith("PermissionError") and SANDBOX_HINT in hints


# ---- through the grader: verdicts and the layers in its output ------------------------------------------------

FILL_THE_DISK = '''
with open("filler", "wb") as out:
    for _ in range(3 * 1024):  # 3 GB, if nothing stops it
        out.write(b"\\0" * 2**20)
'''
START_THREADS = '''
import threading
_stop = threading.Event()
for _ in range(400):
    threading.Thread(target=_stop.wait, daemon=True).start()
'''


def _graded(tmp_path: Path, appended: str, **limits: int):
    import shutil

    from grader.checks import registry
    from grader.sandbox.grading import grade_submission
    from grader.sandbox.isolation import Limits

    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "ex07_checkpoint.py", folder)
    (folder / "ex01_tensors.py").write_text(SOLUTION.read_text() + appended)
    exercises = {name: e for name, e in registry.all_exercises().items() if name in ("ex01_tensors", "ex07_checkpoint")}
    return grade_submission(folder, limits=Limits(**limits), exercises=exercises)


@pytest.mark.slow
@NO_NAMESPACES
def test_a_submission_that_fills_the_disk_gets_the_disk_limit_verdict_and_its_classmate_keeps_marks(
        tmp_path: Path) -> None:
    from grader.reporters import json_v3, terminal

    result = _graded(tmp_path, FILL_THE_DISK, disk_bytes=16 * 2**20)
    ex01 = [r for r in expand_repeats(result.results) if r.exercise == "ex01_tensors" and r.outcome.value != "skipped"]
    assert ex01 and all(r.message.startswith("Disk limit: your code wrote more than 16 MiB") for r in ex01), ex01[0]
    ex07 = result.exercises()[1]
    assert ex07.name == "ex07_checkpoint" and ex07.score == ex07.max_score > 0  # torch saves and loads in the sandbox
    assert result.sandbox == layers.reported() and "seccomp" in result.sandbox
    assert json_v3.to_dict(result)["sandbox"] == list(result.sandbox)
    assert json_v3.from_dict(json_v3.to_dict(result), "s").sandbox == result.sandbox
    assert "sandbox: " + ", ".join(result.sandbox) in terminal.report(result)


@pytest.mark.slow
@NO_CGROUP
def test_a_submission_that_starts_threads_without_end_gets_the_process_limit_verdict(tmp_path: Path) -> None:
    result = _graded(tmp_path, START_THREADS, max_tasks=64)
    ex01 = [r for r in expand_repeats(result.results) if r.exercise == "ex01_tensors" and r.outcome.value != "skipped"]
    assert ex01 and all(r.message.startswith("Process limit: your code started more than 64") for r in ex01), ex01[0]


def test_grading_refuses_a_kernel_without_landlock_or_seccomp_unless_told(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from grader.frontends import cli

    monkeypatch.setattr(layers, "detect", lambda: layers.Offer(0, False, OFFER.namespaces, OFFER.cgroup))
    assert cli.main(["grade", str(SOLUTIONS), "--exercises", "ex01_tensors"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "offers no landlock, seccomp" in err and "--allow-weak-sandbox" in err
    assert cli.main(["batch", str(SOLUTIONS), "--out", "/nonexistent-never-written"]) == cli.EXIT_USAGE
    assert "offers no landlock, seccomp" in capsys.readouterr().err
    assert cli.main(["grade", str(SOLUTIONS), "--exercises", "ex01_tensors", "--allow-weak-sandbox"]) == cli.EXIT_OK
    out, err = capsys.readouterr()
    assert "warning: grading without landlock, seccomp (--allow-weak-sandbox)" in err
    assert "sandbox: " in out and "seccomp" not in out.split("sandbox: ")[1]
