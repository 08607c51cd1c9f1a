"""The hostile corpus (tests/hostile/) graded as a class by ``python -m grader batch``, end to end.

One batch grades a classmate with honest answers beside every attack of ``tests/hostile/`` and a few
hostile submissions made of files rather than code (a notebook nested a hundred thousand deep, a
million-line notebook, compiled code in a zip, names that clash with each other or with the batch's
outputs). The batch runs under the kernel layers this machine offers, with a secret in its environment
and a hidden check whose expected values are marked. Afterwards every attack must have been held: the
batch finished and graded everyone, the classmate kept full marks and unchanged files, every forged
exercise scored what its honest part earns (nothing), the kit and site-packages are byte for byte the
same, nothing reached the listeners, no secret reached any student's output, and nothing was left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import py_compile
import secrets
import site
import socket
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import pytest

from grader.authoring.stubs import make_stub
from grader.sandbox import layers

from conftest import KIT, SOLUTIONS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
CORPUS = Path(__file__).parent / "hostile"
ATTACKS = sorted(CORPUS.glob("*.py"))
EXERCISES = "ex01_tensors,ex02_autograd"
# ex01 is worth 9 points on a CPU machine plus the hidden check's 1. What an attack's honest part may earn:
# read_grader_secrets.py writes a working scale_ (the public scale_in_place, 2, and the hidden check, 1).
FULL_EX01 = 10.0
HONEST_EX01 = {"read_grader_secrets": 3.0}


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 that keep whatever reaches them."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def ports(self) -> tuple[int, int]:
        return self.tcp.getsockname()[1], self.udp.getsockname()[1]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self.tcp.accept()
                self.received.append(b"tcp connection:" + connection.recv(1000))
                connection.close()
            except OSError:
                pass
            try:
                self.received.append(b"udp:" + self.udp.recv(1000))
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.tcp.close()
        self.udp.close()


def _tree_digest(*roots: Path, content: bool = True) -> dict[str, str]:
    """Every file under ``roots`` (symlinks not followed): its size and modification time, and its content's hash
    unless ``content`` is false (site-packages: gigabytes of torch)."""
    digest = {}
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                hashed = hashlib.sha256(path.read_bytes()).hexdigest() if content else ""
                digest[str(path)] = f"{hashed}:{stat.st_size}:{stat.st_mtime_ns}"
    return digest


def _snapshot(kit: tuple[Path, ...], root: Path) -> dict:
    return {"kit": _tree_digest(*kit), "site": _tree_digest(*_site_packages(), content=False),
            "class": _tree_digest(root), "pth": _pth_files(),
            "shm": set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()}


def _site_packages() -> list[Path]:
    return sorted({Path(p) for p in site.getsitepackages() if Path(p).is_dir()})


def _pth_files() -> set[str]:
    return {str(p) for folder in _site_packages() for p in folder.glob("*.pth")}


def _stub(name: str) -> str:
    return make_stub((SOLUTIONS / f"{name}.py").read_text(), name)


def _hidden_checks(folder: Path, marker: str) -> None:
    """A hidden ex01 check whose probe prints, and whose judge expects, the marked value."""
    folder.mkdir()
    (folder / "ex01_tensors.py").write_text(textwrap.dedent(f'''
        from grader.api import Exercise, expect_true

        EXERCISE = Exercise("ex01_tensors")


        @EXERCISE.check(points=1, needs=("scale_",), seed=99)
        def scale_hidden(ex, case):
            """scale_ on hidden inputs."""
            print("HIDDEN-PROBE-OUTPUT {marker}")
            t = case.randn(4, 4)
            return {{"same": ex.scale_(t, 3.0) is t}}


        @scale_hidden.judge
        def _(obs, case):
            expected = "{marker}"
            expect_true(obs["same"], "scale_ (hidden)", "the same tensor", "another")
    '''))


def _notebook(cells_source: list[str]) -> dict:
    cells = [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [],
              "source": source} for i, source in enumerate(cells_source)]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def _file_attacks(root: Path) -> dict[str, float]:
    """Submissions hostile by their files; their expected ex01 score."""
    ex01, ex02 = (SOLUTIONS / "ex01_tensors.py").read_text(), (SOLUTIONS / "ex02_autograd.py").read_text()
    deep = root / "deep-notebook"
    deep.mkdir()
    (deep / "ex01_tensors.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (deep / "ex02_autograd.py").write_text(ex02)
    long = root / "million-lines"
    long.mkdir()
    (long / "ex01_tensors.ipynb").write_text(json.dumps(_notebook(["x = 1\n" * 1_000_000])))
    (long / "ex02_autograd.py").write_text(ex02)
    compiled = root.parent / "compiled.py"
    compiled.write_text(ex01)
    pyc = py_compile.compile(str(compiled), cfile=str(root.parent / "ex01.pyc"))
    with zipfile.ZipFile(root / "pyc-in-zip.zip", "w") as zf:
        zf.writestr("ex01_tensors.py", _stub("ex01_tensors"))
        zf.write(pyc, f"__pycache__/ex01_tensors.cpython-{sys.version_info[0]}{sys.version_info[1]}.pyc")
        zf.write(pyc, "ex01_tensors.pyc")
        zf.writestr("ex02_autograd.py", ex02)
        zf.writestr("../escaped.py", "print('outside')\n")
    compiled.unlink()
    for name, source in (("Zhang San", ex01), ("Zhang_San", _stub("ex01_tensors")), ("report.html", ex01),
                         ("students", ex01)):
        (root / name).mkdir()
        (root / name / "ex01_tensors.py").write_text(source)
        (root / name / "ex02_autograd.py").write_text(ex02)
    with zipfile.ZipFile(root / "gradebook.csv.zip", "w") as zf:
        zf.writestr("ex01_tensors.py", ex01)
        zf.writestr("ex02_autograd.py", ex02)
    return {"deep-notebook": 0.0, "million-lines": 0.0, "pyc-in-zip.zip": 0.0, "Zhang San": FULL_EX01, "Zhang_San": 0.0,
            "report.html": FULL_EX01, "students": FULL_EX01, "gradebook.csv.zip": FULL_EX01}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("hostile")
    root, out = tmp / "class", tmp / "out"
    root.mkdir()
    token, secret, hidden = (f"HOSTILE_{secrets.token_hex(8).upper()}" for _ in range(3))
    victim = root / "victim"
    victim.mkdir()
    for name in ("ex01_tensors", "ex02_autograd"):
        (victim / f"{name}.py").write_text((SOLUTIONS / f"{name}.py").read_text())
    listener = Listener()
    marker = tmp / "marker-never-written"
    known = {"kit": str(KIT), "class": str(root), "victim": str(victim), "tcp": listener.ports[0],
             "udp": listener.ports[1], "marker": str(marker), "token": token, "secret": secret, "hidden": hidden}
    for attack in ATTACKS:
        folder = root / attack.stem
        folder.mkdir()
        source = f"{_stub('ex01_tensors')}\n\nHOSTILE = {known!r}\n\n{attack.read_text()}"
        (folder / "ex01_tensors.py").write_text(source)
        (folder / "ex02_autograd.py").write_text((SOLUTIONS / "ex02_autograd.py").read_text())
    expected = {attack.stem: HONEST_EX01.get(attack.stem, 0.0) for attack in ATTACKS}
    expected.update(_file_attacks(root))
    expected["victim"] = FULL_EX01
    hidden_dir = tmp / f"hidden-{hidden}"
    _hidden_checks(hidden_dir, hidden)
    watched = (KIT / "grader", KIT / "solutions", KIT / "data_fixtures", KIT / "tests")
    before = _snapshot(watched, root)
    env = {**os.environ, token: secret, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "grader", "batch", str(root), "--out", str(out), "--jobs", "2",
               "--exercises", EXERCISES, "--hidden", str(hidden_dir), "--import-timeout", "20", "--memory", "2"]
    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500)
    finally:
        listener.close()
    after = _snapshot(watched, root)
    return {"run": finished, "out": out, "expected": expected, "before": before, "after": after,
            "listener": listener, "marker": marker, "secrets": (secret, hidden), "token": token}


def _results(out: Path) -> dict[str, dict]:
    found = {}
    for path in (out / "students").glob("*/results.json"):
        data = json.loads(path.read_text())
        found[data["student"]] = data  # the name as it was in the class folder
    return found


def _points(data: dict, exercise: str) -> float:
    """The exercise's score; a submission that could not be graded at all has none, and earned nothing."""
    return next((e["score"] for e in data.get("exercises", []) if e["name"] == exercise), 0.0)


def test_the_machine_offers_the_layers_the_corpus_is_run_against() -> None:
    offer = layers.detect()
    assert offer.missing() == (), f"this machine lacks kernel layers: {offer.missing()}"


def test_the_batch_finishes_and_grades_everyone(graded: dict) -> None:
    run = graded["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    results = _results(graded["out"])
    assert sorted(results) == sorted(graded["expected"])


def test_the_classmate_keeps_full_marks_and_every_forgery_scores_what_it_earned(graded: dict) -> None:
    results = _results(graded["out"])
    scores = {name: _points(data, "ex01_tensors") for name, data in results.items()}
    ex02 = {name: _points(data, "ex02_autograd") for name, data in results.items()}
    assert {n: s for n, s in scores.items() if s != graded["expected"][n]} == {}
    honest_ex02 = [n for n in results if n not in ("deep-notebook", "million-lines")]
    assert {n: ex02[n] for n in honest_ex02 if ex02[n] != ex02["victim"]} == {}


def test_nothing_outside_the_work_folders_changed(graded: dict) -> None:
    before, after = graded["before"], graded["after"]
    for tree in ("kit", "site"):
        changed = {k for k in before[tree].keys() | after[tree].keys() if before[tree].get(k) != after[tree].get(k)}
        assert changed == set(), tree
    assert before["class"] == after["class"]
    assert before["pth"] == after["pth"]
    assert after["shm"] - before["shm"] == set()
    assert not graded["marker"].exists()
    assert not (graded["out"].parent / "escaped.py").exists()


def test_no_byte_left_the_machine(graded: dict) -> None:
    assert graded["listener"].received == []


def test_no_secret_and_no_classmate_reached_a_students_output(graded: dict) -> None:
    secret, hidden = graded["secrets"]
    victim_code = (SOLUTIONS / "ex01_tensors.py").read_text().splitlines()
    solution_line = next(line for line in victim_code if "resize_" in line or "view" in line)
    leaks = []
    for path in (graded["out"] / "students").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for needle in (secret, hidden, graded["token"], "LEAKED-SOLUTION " + "dir_fd", "HIDDEN-PROBE-OUTPUT"):
                if needle in text:
                    leaks.append((path.parent.name, path.name, needle))
    assert leaks == []
    assert solution_line.strip()  # the line looked for below exists in the reference
    classmate = _results(graded["out"])["touch_a_classmate"]
    assert solution_line.strip() not in json.dumps(classmate)


def test_nothing_the_submissions_started_is_left_running(graded: dict) -> None:
    left = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "hostile-helper":
                    left.append(int(entry))
            except OSError:
                pass
    assert left == []
