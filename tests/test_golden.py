"""Golden results: scenario submissions graded in isolation, compared with stored JSON.

Each scenario is graded in English (``<scenario>.json``) and in Chinese
(``<scenario>.zh.json``). Regenerate after an intended change with
``pytest tests/test_golden.py --update-goldens``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Callable

import pytest

from grader.checks import registry
from grader.engine import i18n
from grader.sandbox.grading import grade_submission
from grader.reporters import json_v3

from conftest import EXERCISES, SOLUTIONS

pytestmark = pytest.mark.slow
GOLDEN = Path(__file__).parent / "golden"
SUBSET = ("ex01_tensors", "ex02_autograd", "ex05_dropout")


def _files(source: Path, folder: Path) -> None:
    for name in SUBSET:
        shutil.copy(source / f"{name}.py", folder)


def _append(folder: Path, exercise: str, code: str) -> None:
    path = folder / f"{exercise}.py"
    path.write_text(path.read_text() + "\n\n" + code)


def all_pass(folder: Path) -> None:
    _files(SOLUTIONS, folder)


def not_started(folder: Path) -> None:
    _files(EXERCISES, folder)


def syntax_error(folder: Path) -> None:
    _files(SOLUTIONS, folder)
    _append(folder, "ex05_dropout", "def forward(self, x)\n    return x\n")


def missing_function(folder: Path) -> None:
    _files(SOLUTIONS, folder)
    path = folder / "ex01_tensors.py"
    path.write_text(path.read_text().replace("def scale_(", "def scale("))


def nan_output(folder: Path) -> None:
    _files(SOLUTIONS, folder)
    _append(folder, "ex05_dropout", (
        "import torch\n\n"
        "def _nan_forward(self, x):\n"
        "    return torch.full((x.shape[0], self.output.out_features), float('nan'))\n\n"
        "Network.forward = _nan_forward\n"
    ))


SCENARIOS: dict[str, Callable[[Path], None]] = {
    f.__name__: f for f in (all_pass, not_started, syntax_error, missing_function, nan_output)
}


def device_free(data: dict) -> dict:
    """The same on a machine with or without CUDA: a check's device cases summed into one entry.

    Without CUDA the ``[cpu]`` case holds all of a check's points and ``[cuda]`` is skipped; with CUDA
    each holds half. The entry keeps the ``[cpu]`` case's outcome and message.
    """
    merged: dict[str, dict] = {}
    for test in data["tests"]:
        name = re.sub(r"\[(cpu|cuda)\]$", "", test["name"])
        if name in merged:
            merged[name]["score"] += test["score"]
            merged[name]["max_score"] += test["max_score"]
        else:
            merged[name] = {**test, "name": name}
    return {**data, "tests": list(merged.values())}


def normalise(data: dict, folder: Path) -> dict:
    data = {key: value for key, value in device_free(data).items() if key != "sandbox"}  # the machine's layers
    text = json.dumps(data, indent=2, sort_keys=True)
    text = text.replace(str(folder), "<SUBMISSION>")
    text = re.sub(r"/tmp/[^\s\"']*", "<TMP>", text)
    return json.loads(text)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_matches_its_golden_result(
    scenario: str, lang: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    SCENARIOS[scenario](folder)
    exercises = {name: ex for name, ex in registry.public_exercises().items() if name in SUBSET}
    i18n.use_language(lang)
    result = grade_submission(folder, exercises=exercises)
    got = normalise(json_v3.to_dict(result), folder)
    golden = GOLDEN / (f"{scenario}.json" if lang == "en" else f"{scenario}.{lang}.json")
    if request.config.getoption("--update-goldens"):
        golden.write_text(json.dumps(got, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
