"""Graded classes written as results files, without running the grader (fast): for the report's tests and bench.

``write_six(out)`` is the class of the report's issue: full marks, not started, one wrong exercise, an
import error, a syntax error and a submission that could not be graded (a bad zip), over thirteen
exercises whose checks have CUDA cases (skipped here, as on a machine without a GPU).
``write_class(out, n)`` is a class of ``n`` mixed students, the same kinds in proportions a course sees.
``layout="students"`` writes ``OUT/students/<id>/`` with the name as handed in inside each file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from grader.engine.model import CheckResult, GradeResult, Outcome, Tag
from grader.reporters import gradebook, json_v3

EXERCISES = ("ex01_tensors", "ex02_autograd", "ex03_sgd", "ex04_network", "ex05_dropout", "ex06_validation",
             "ex07_checkpoint", "ex08_data", "ex09_lenet", "ex10_cifar", "ex11_transfer", "ex12_losses",
             "ex13_fitting")
CUDA_SKIP = "CUDA is not available on this machine; this case is skipped and not counted."


def checks(exercise: str) -> list[tuple[str, float, bool]]:
    """(check, points, also on CUDA) of one exercise: 4 to 10 checks, every third one per device."""
    number = int(exercise[2:4])
    return [(f"{exercise[5:]}_check_{i}", 2.0, i % 3 == 0) for i in range(4 + number % 7)]


def _cases(exercise: str, verdict) -> list[CheckResult]:
    """Every case of the exercise; ``verdict(check)`` gives (outcome, tag, message) for its CPU case."""
    found = []
    for check, points, cuda in checks(exercise):
        outcome, tag, message = verdict(check)
        score = points if outcome is Outcome.PASSED else 0.0
        found.append(CheckResult(exercise, check, "cpu" if cuda else None, outcome, score, points, message, tag=tag))
        if cuda:
            found.append(CheckResult(exercise, check, "cuda", Outcome.SKIPPED, 0.0, 0.0, CUDA_SKIP))
    return found


def passed(check: str):
    return Outcome.PASSED, None, ""


def stub(exercise: str):
    message = f"{exercise}.py raises NotImplementedError when imported: write {exercise}.something"
    return lambda check: (Outcome.NOT_STARTED, Tag.NOT_STARTED, message)


def import_error(exercise: str):
    message = (f"Importing {exercise}.py failed.\nNameError: name 'nn' is not defined\n  at {exercise}.py, line 12:"
               "\n    class Net(nn.Module):")
    return lambda check: (Outcome.ERROR, Tag.EXCEPTION, message)


def syntax_error(exercise: str):
    message = f"{exercise}.py, line 31: invalid syntax\n    for x in batch\n                  ^"
    return lambda check: (Outcome.ERROR, Tag.SYNTAX_ERROR, message)


def one_wrong(exercise: str, which: int = 1):
    def verdict(check: str):
        if check.endswith(f"_{which}"):
            return Outcome.FAILED, Tag.WRONG_SHAPE, f"{check}: expected a tensor of shape (4, 10), got (4, 1, 10)"
        return passed(check)
    return verdict


def timeout(exercise: str):
    message = "Took longer than 20 s (an endless loop, or training far too long?)."
    return lambda check: (Outcome.TIMEOUT, Tag.TIMEOUT, message)


def result(name: str, kinds: dict[str, object]) -> GradeResult:
    """A submission: each exercise passed unless ``kinds`` gives its verdict."""
    cases = [case for e in EXERCISES for case in _cases(e, kinds.get(e, passed))]
    return GradeResult(name, tuple(cases))


def write_student(out: Path, id: str, graded: GradeResult | None, layout: str = "flat", name: str | None = None,
                  error: str = "") -> Path:
    folder = (out / "students" / id) if layout == "students" else out / id
    folder.mkdir(parents=True)
    if graded is not None:
        data = json_v3.to_dict(graded)
        if layout == "students":
            data["student"] = name or id
            for entry in data["exercises"]:
                entry["file"] = f"{entry['name']}.py"
        (folder / "results.json").write_text(json.dumps(data, indent=1))
    if error:
        (folder / "grader-error.txt").write_text(error + "\n")
    return folder


def _gradebook(out: Path, ids: list[str], layout: str) -> None:
    root = out / "students" if layout == "students" else out
    (out / "gradebook.csv").write_text(gradebook.dumps(root, ids))


SIX = {
    "ana": {},
    "ben": {e: stub(e) for e in EXERCISES},
    "cho": {"ex05_dropout": one_wrong("ex05_dropout")},
    "dan": {"ex12_losses": import_error("ex12_losses")},
    "eve": {"ex03_sgd": syntax_error("ex03_sgd")},
}


def write_six(out: Path, layout: str = "flat") -> Path:
    for id, kinds in SIX.items():
        write_student(out, id, result(id, kinds), layout)
    write_student(out, "fay", None, layout, error="error: fay.zip is not a zip file (File is not a zip file)")
    _gradebook(out, [*SIX, "fay"], layout)
    return out


def write_class(out: Path, n: int, seed: int = 0, layout: str = "flat") -> Path:
    """``n`` students: most done or nearly, some wrong answers, a few stubs, import errors, time-outs, not graded."""
    rng = random.Random(seed)
    ids = []
    for index in range(n):
        id = f"student_{index:03d}"
        roll = rng.random()
        kinds: dict[str, object] = {}
        if roll < 0.03:
            write_student(out, id, None, layout, error="error: not a zip file")
            ids.append(id)
            continue
        for exercise in rng.sample(EXERCISES, rng.randint(0, 3)):
            kinds[exercise] = one_wrong(exercise, rng.randint(0, 3))
        if roll < 0.10:
            kinds.update({e: stub(e) for e in EXERCISES[rng.randint(6, 12):]})
        elif roll < 0.16:
            broken = rng.choice(EXERCISES)
            kinds[broken] = import_error(broken)
        elif roll < 0.19:
            kinds[rng.choice(EXERCISES)] = timeout("")
        write_student(out, id, result(id, kinds), layout, name=f"Student {index}")
        ids.append(id)
    _gradebook(out, ids, layout)
    return out
