"""The children that run a student's code hold no secret of the grader's, and what they claim is not believed.

Each test grades a hostile submission. The clean-zygote tests run the real
``python -m grader grade`` with a secret in its environment and in its
arguments and a hidden check whose judge holds a secret mark, and let the
student's code look for all three: in ``/proc/self/environ`` and ``cmdline``,
``os.environ``, ``sys.argv``, ``sys.orig_argv`` and every readable page of its
own memory. The forged-frame tests write reports on the pipe the child reports
on, in the grader's own wire format and in others.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.checks import registry
from grader.engine.model import Outcome, Tag
from grader.reporters import json_v3
from grader.sandbox.grading import KIT, grade_submission
from grader.sandbox.isolation import GiB, Limits

from conftest import SOLUTIONS

pytestmark = pytest.mark.slow
FAST = Limits(memory_bytes=int(2 * GiB), import_timeout=30.0, file_bytes=8 * 2**20)

# Looks for secrets without ever holding one whole: a secret is its first 6 bytes (searched for) and the
# rest XOR-ed with KEY (compared byte by byte), so the scanner's own objects never match.
SCANNER = '''
import os, sys

KEY = 0x5A
NEEDLES = {needles!r}


def _hits(data, prefix, rest):
    at = data.find(prefix)
    while at >= 0:
        end = at + len(prefix)
        if end + len(rest) <= len(data) and all(data[end + i] ^ KEY == rest[i] for i in range(len(rest))):
            return True
        at = data.find(prefix, at + 1)
    return False


def _found_in(data):
    return sorted(name for name, (prefix, rest) in NEEDLES.items() if _hits(data, prefix, rest))


def _memory():
    found = set()
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    mem = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for fields in regions:
            low, high = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            if "r" not in fields[1] or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            if "w" not in fields[1] and name.startswith("/"):
                continue  # code and constants of shared libraries
            step = 1 << 24
            for start in range(low, high, step):
                try:
                    data = os.pread(mem, min(step + 64, high - start), start)
                except OSError:
                    break
                found.update(_found_in(data))
    finally:
        os.close(mem)
    return found


def _everywhere():
    found = {{}}
    for label, path in (("environ", "/proc/self/environ"), ("cmdline", "/proc/self/cmdline")):
        with open(path, "rb") as f:
            found[label] = _found_in(f.read())
    found["os.environ"] = _found_in("\\0".join(f"{{k}}={{v}}" for k, v in os.environ.items()).encode())
    found["sys.argv"] = _found_in("\\0".join(sys.argv).encode())
    found["sys.orig_argv"] = _found_in("\\0".join(getattr(sys, "orig_argv", [])).encode())
    found["memory"] = sorted(_memory())
    return {{where: names for where, names in found.items() if names}}


FOUND = _everywhere()
print("SECRETS FOUND:", FOUND if FOUND else "none")
_REAL_FLATTEN = flatten_images_


def flatten_images_(images):
    """Right only while no secret is in reach: a found secret costs the check."""
    found = _everywhere()
    out = _REAL_FLATTEN(images)
    return out if not found else out * 0
'''

HIDDEN_CHECK = '''
"""A hidden check whose judge holds a mark the student's process must never see."""

import torch

from grader.api import Exercise, expect_tensor, expect_true

EXERCISE = Exercise("ex01_tensors")


@EXERCISE.check(points=2, needs=("flatten_images_",), seed=515151)
def hidden_flatten(ex, case):
    """flatten_images_ on a batch only the instructor knows."""
    images = torch.randn(5, 2, 3, 3, generator=case.generator())
    out = ex.flatten_images_(images)
    print("HIDDEN-PROBE-PRINTED", images.sum().item())
    return {{"same": out is images, "out": out}}


@hidden_flatten.judge
def _(obs, case):
    mark = "{judge_mark}"
    expect_true(obs["same"], "flatten_images_ " + mark[:0], "the same tensor", "another one")
    expected = torch.randn(5, 2, 3, 3, generator=case.generator()).reshape(5, -1)
    expect_tensor(obs["out"], expected, "flatten_images_ on the hidden batch")
'''


def _needle(secret: str) -> tuple[bytes, bytes]:
    data = secret.encode()
    return data[:6], bytes(b ^ 0x5A for b in data[6:])


def _hidden_folder(tmp_path: Path, judge_mark: str) -> Path:
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ex01_tensors.py").write_text(HIDDEN_CHECK.format(judge_mark=judge_mark))
    return hidden


def test_the_students_process_finds_no_secret_of_the_grader(tmp_path: Path) -> None:
    env_secret, argv_secret, judge_mark = (f"zq{name}{secrets.token_hex(12)}" for name in ("env", "argv", "judge"))
    needles = {"environment": _needle(env_secret), "arguments": _needle(argv_secret), "judge": _needle(judge_mark)}
    submission = tmp_path / "submission"
    submission.mkdir()
    source = (SOLUTIONS / "ex01_tensors.py").read_text()
    (submission / "ex01_tensors.py").write_text(source + "\n" + SCANNER.format(needles=needles))
    out = tmp_path / argv_secret
    command = [sys.executable, "-m", "grader", "grade", str(submission), "--exercises", "ex01_tensors",
               "--hidden", str(_hidden_folder(tmp_path, judge_mark)), "--json", str(out / "results.json"),
               "--parallel", "1", "--import-timeout", "120"]
    environment = {**os.environ, "GRADER_TEST_SECRET": env_secret, "PYTHONPATH": str(KIT)}
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600)
    results = json.loads((out / "results.json").read_text())
    outputs = {t["output"] for t in results["tests"] if t["output"]}
    assert outputs and all("SECRETS FOUND: none" in o for o in outputs), (outputs, done.stderr[-2000:])
    assert results["score"] == results["max_score"] == 11, [t["message"] for t in results["tests"] if t["status"] != "pass"]
    assert [t["name"] for t in results["tests"] if t["hidden"]] == ["ex01_tensors::hidden_flatten"]
    assert "HIDDEN-PROBE-PRINTED" not in json.dumps(results)


def test_what_a_hidden_check_prints_or_raises_is_not_shown(tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    source = (SOLUTIONS / "ex01_tensors.py").read_text()
    (submission / "ex01_tensors.py").write_text(source + textwrap.dedent('''
        _real_flatten = flatten_images_

        def flatten_images_(images):
            print("STUDENT-SAW", tuple(images.shape), images.flatten()[:3].tolist())
            if images.shape[0] == 5:  # the hidden batch
                raise ValueError(f"STUDENT-RAISED {images.flatten()[:3].tolist()}")
            return _real_flatten(images)
    '''))
    exercises = registry.all_exercises(_hidden_folder(tmp_path, "unused"))
    result = grade_submission(submission, limits=FAST, exercises={"ex01_tensors": exercises["ex01_tensors"]})
    hidden = [r for r in result.results if r.hidden]
    public = [r for r in result.results if not r.hidden and r.check == "flatten_images_in_place" and r.device == "cpu"]
    assert [(r.outcome, r.tag, r.output) for r in hidden] == [(Outcome.ERROR, Tag.EXCEPTION, "")]
    assert "flatten_images_ on a batch only the instructor knows" in hidden[0].message
    assert "STUDENT-SAW" in public[0].output  # what the public checks print is shown as before
    text = json_v3.dumps(result)
    assert "STUDENT-RAISED" not in text and "HIDDEN-PROBE-PRINTED" not in text
    assert text.count("STUDENT-SAW") == len([r for r in result.results if "STUDENT-SAW" in r.output and not r.hidden])


def test_the_students_process_holds_no_descriptor_but_its_own_pipes(tmp_path: Path) -> None:
    """No socket to the zygote (which could fork children for any work folder), no file of the grader's."""
    submission = tmp_path / "submission"
    submission.mkdir()
    source = (SOLUTIONS / "ex01_tensors.py").read_text()
    (submission / "ex01_tensors.py").write_text(source + textwrap.dedent('''
        import os as _os, stat as _stat

        def _foreign():
            found = []
            for name in _os.listdir("/proc/self/fd"):
                try:
                    mode = _os.fstat(int(name)).st_mode
                    target = _os.readlink(f"/proc/self/fd/{name}")
                except OSError:
                    continue
                own = _stat.S_ISFIFO(mode) or target == "/dev/null" or "ex01_tensors" in target
                if _stat.S_ISSOCK(mode) or (int(name) > 2 and not own):
                    found.append(target)
            return found

        FOREIGN = _foreign()
        print("FOREIGN DESCRIPTORS:", FOREIGN)
        _real_flatten = flatten_images_

        def flatten_images_(images):
            return _real_flatten(images) if not FOREIGN else images
    '''))
    exercises = registry.public_exercises()
    result = grade_submission(submission, limits=FAST, exercises={"ex01_tensors": exercises["ex01_tensors"]})
    outputs = [r.output for r in result.results if r.output]
    assert outputs and all("FOREIGN DESCRIPTORS: []" in o for o in outputs), outputs
    assert result.score == result.max_score == 9
