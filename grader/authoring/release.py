"""Distribution: the student bundle and the Gradescope autograder bundle."""

from __future__ import annotations

import ast
import shutil
import stat
import zipfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
_NOTEBOOK_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ipynb_checkpoints")

STUDENT_README = """\
# PyTorch exercises

Thirteen exercises, from tensors to transfer learning, each in two forms:
a Python file in `exercises/` and a Jupyter notebook in `notebooks/`. Work in
the form you like (one per exercise): read the explanations, replace every
`raise NotImplementedError(...)` with your code, and check your work.

    pip install -e .

## In files

    pytest exercises                        # every exercise
    pytest exercises -k ex05                # one exercise
    pytest exercises/ex05_dropout.py        # the same, by file

Each check prints PASSED, FAILED (with what was checked, what was expected,
what came back and a hint), NOT STARTED or ERROR (with your file and line).
A table of points per exercise closes the run. Checks on CUDA run only where
a GPU is present and are never counted against you otherwise.

## In notebooks

Open `notebooks/ex05_dropout.ipynb` in Jupyter, JupyterLab or VS Code (start
Jupyter in this folder, or in `notebooks/`). Run the setup cell, fill in the
code cells, then run the last cell, `check("ex05_dropout")`: it runs the same
checks, with the same messages and points, against what the notebook has
defined, and shows a table. `hint("ex05_dropout")` gives the hint of the first
check that does not pass. `pytest notebooks` checks the saved notebooks from a
terminal. Add cells, magics (`%matplotlib inline`) and `!pip` lines as you like:
grading runs the code cells in order and skips magics, shell escapes,
`display(...)` calls and the check cells.

If you hand in both `exNN_topic.py` and `exNN_topic.ipynb`, the notebook is
graded.

## Messages in Chinese

Messages are in English unless you ask for Chinese:
`GRADER_LANG=zh pytest exercises` (or a `zh_CN.UTF-8` locale; for notebooks,
start Jupyter with `GRADER_LANG=zh jupyter lab`). `notebooks/zh/` holds the
same notebooks with their text in Chinese; their `check` answers in Chinese.
中文说明见 [README.zh.md](README.zh.md)。
"""

STUDENT_README_ZH = """\
# PyTorch 练习

十三个练习，从张量一直到迁移学习。`exercises/` 中的每个文件都是一个待完成的
练习：阅读其中的文档字符串，把每一处 `raise NotImplementedError(...)` 换成
你自己的代码，然后检查结果。

    pip install -e .
    GRADER_LANG=zh pytest exercises                   # 全部练习
    GRADER_LANG=zh pytest exercises -k ex05           # 单个练习
    GRADER_LANG=zh pytest exercises/ex05_dropout.py   # 同上，按文件指定

每项检查显示 通过、失败（附上检查了什么、期望什么、实际得到什么以及一条提示）、
未开始 或 错误（附上你的文件名和行号）。运行结束时列出每个练习的得分表。
CUDA 上的检查只在有 GPU 的机器上运行，没有 GPU 时不会扣分。

## 在 notebook 中练习

用 `GRADER_LANG=zh jupyter lab` 启动 Jupyter（在这个文件夹或 `notebooks/` 中），
打开 `notebooks/ex05_dropout.ipynb`。先运行设置单元格，完成代码单元格，再运行
最后一个单元格 `check("ex05_dropout")`：它运行同样的检查，给出同样的提示和得分，
并显示一张表。`hint("ex05_dropout")` 给出第一个未通过检查的提示。
`GRADER_LANG=zh pytest notebooks` 在终端里检查保存的 notebook。同时提交
`exNN_topic.py` 和 `exNN_topic.ipynb` 时，以 notebook 为准。

`notebooks/zh/` 中是同样的 notebook，说明文字为中文（代码与英文版相同），
`check` 的结果也用中文显示；在终端里用 `GRADER_LANG=zh pytest notebooks/zh` 检查。

`GRADER_LANG=zh` 让所有提示使用中文；系统语言为中文（例如 `LANG=zh_CN.UTF-8`）时
也会自动使用中文。设为 `GRADER_LANG=en` 则显示英文。
"""

# The versions the calibrated thresholds were measured with (grader/authoring/calibration.md):
# grading with another torch may move a trained model's accuracy across a threshold.
CALIBRATED_TORCH = "2.14.1"
CALIBRATED_TORCHVISION = "0.29.1"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
TIME_BUDGET = 540.0  # seconds: under Gradescope's default limit of 10 minutes, with time to start and write

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built (Ubuntu; pick a base image with Python >= 3.10).
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv > /dev/null
python3 -m venv /opt/grader-venv
# The CPU build of the torch the thresholds were calibrated on, never the newest one.
/opt/grader-venv/bin/pip install --quiet "torch=={torch}" "torchvision=={torchvision}" --index-url {index}
/opt/grader-venv/bin/pip install --quiet /autograder/source
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT and PYTHON exist for testing elsewhere;
# GRADER_TIME_BUDGET (seconds) overrides the time budget the bundle was built with.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
python="${{PYTHON:-/opt/grader-venv/bin/python}}"
results="$root/results/results.json"
mkdir -p "$root/results"
# One exercise at a time on one thread: the whole process tree stays under Gradescope's default 768 MB.
# results.json is written at once and again as each exercise finishes, so a kill at the platform's
# time limit still leaves every finished score; the budget ends grading before that limit.
options=(--quiet --parallel 1 --threads 1 --memory {memory} --time-budget "${{GRADER_TIME_BUDGET:-{budget}}}")
options+=(--gradescope "$results")
if [ -d "$root/source/hidden_checks" ]; then options+=(--hidden "$root/source/hidden_checks"); fi
# Grading refuses to start where the kernel lacks Landlock or seccomp (the student's code would not be held);
# set GRADER_ALLOW_WEAK_SANDBOX=1 in this script to grade there anyway (results list the active layers).
if [ "${{GRADER_ALLOW_WEAK_SANDBOX:-0}}" = 1 ]; then options+=(--allow-weak-sandbox); fi
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
submission="$root/submission"
# A zip handed in alone is graded as the submission: the grader reads it in a limited child (size caps,
# no ../ paths, only sources), never unpacked here.
shopt -s nullglob nocaseglob
archives=("$submission"/*.zip)
entries=("$submission"/*)
shopt -u nocaseglob
if [ "${{#archives[@]}}" -eq 1 ] && [ "${{#entries[@]}}" -eq 1 ]; then
  submission="${{archives[0]}}"
fi
cd "$root/source"
"$python" -m grader grade "$submission" "${{options[@]}}" 2> "$root/results/grader-errors.txt"
status=$?
cat "$root/results/grader-errors.txt" >&2
if [ "$status" -ne 0 ] && [ ! -s "$results" ]; then
  why="$(tail -n 1 "$root/results/grader-errors.txt" | tr -d '"\\\\\\000-\\037' | cut -c 1-500)"
  printf '{{"score": 0, "output": "The autograder could not run (exit %s): %s Please tell your instructor.", "tests": []}}\\n' \\
    "$status" "$why" > "$results"
fi
exit 0
"""


def setup_sh() -> str:
    return SETUP_SH.format(torch=CALIBRATED_TORCH, torchvision=CALIBRATED_TORCHVISION, index=TORCH_INDEX)


def run_autograder(time_budget: float = TIME_BUDGET, memory_gib: float = 1.5) -> str:
    return RUN_AUTOGRADER.format(budget=f"{time_budget:g}", memory=f"{memory_gib:g}")


STUDENT_PYTEST = """\
[tool.pytest.ini_options]
testpaths = ["exercises"]
addopts = "--strict-markers"
"""


def student_pyproject(text: str) -> str:
    """The kit's pyproject.toml with pytest set for the bundle: ``pytest`` alone checks exercises/."""
    start = text.index("[tool.pytest.ini_options]")
    following = text.find("\n[", start + 1)
    return text[:start] + STUDENT_PYTEST + (text[following + 1:] if following != -1 else "")


# The grader's own models: working answers to contract items, kept out of the student bundle. Each maps to
# the student's class that stands in for it there (grader/checks/withheld.py); None: no stand-in fits.
WITHHELD = {
    "Network": ("ex05_dropout", "Network"),  # grader/checks/collaborators.py, used by ex06 and ex07
    "GraderLeNet": ("ex09_lenet", "LeNet"),
    "GraderCNN": None,  # takes a recording switch the contract's MyCNN does not have
    "GraderNet": ("ex13_fitting", "Net"),
}
_WITHHELD_IN = {"collaborators.py": {"Network"}, "ex06_validation.py": {"Network"}, "ex07_checkpoint.py": {"Network"},
                "ex09_lenet.py": {"GraderLeNet"}, "ex10_cifar.py": {"GraderCNN"}, "ex13_fitting.py": {"GraderNet"}}


class _Withhold(ast.NodeTransformer):
    """Drop the classes named in ``names`` and their imports; every other use builds the stand-in instead."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def visit_ClassDef(self, node: ast.ClassDef):
        return None if node.name in self.names else self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        node.names = [alias for alias in node.names if alias.name not in self.names]
        return node if node.names else None

    def visit_Name(self, node: ast.Name):
        if node.id not in self.names or not isinstance(node.ctx, ast.Load):
            return node
        target = WITHHELD[node.id]
        call = "withheld.unavailable({!r})".format(node.id) if target is None else \
            "withheld.students_class({!r}, {!r})".format(*target)
        return ast.copy_location(ast.parse(call, mode="eval").body, node)


def withhold(source: str, names: set[str]) -> str:
    """``source`` of a check module without the grader's models ``names`` (see :data:`WITHHELD`)."""
    tree = _Withhold(names).visit(ast.parse(source))
    body = tree.body
    at = next((i + 1 for i, node in enumerate(body)
               if isinstance(node, ast.ImportFrom) and node.module == "__future__"), 0)
    body.insert(at, ast.parse("from grader.checks import withheld").body[0])
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _withhold_models(grader: Path) -> None:
    for file, names in _WITHHELD_IN.items():
        path = grader / "checks" / file
        path.write_text(withhold(path.read_text(encoding="utf-8"), names), encoding="utf-8")


def _copy_kit(target: Path, with_exercises: bool) -> None:
    shutil.copytree(KIT / "grader", target / "grader", ignore=_IGNORE)
    shutil.copytree(KIT / "data_fixtures", target / "data_fixtures", ignore=_IGNORE)
    pyproject = (KIT / "pyproject.toml").read_text(encoding="utf-8")
    (target / "pyproject.toml").write_text(student_pyproject(pyproject) if with_exercises else pyproject,
                                           encoding="utf-8")
    if with_exercises:
        shutil.copytree(KIT / "exercises", target / "exercises", ignore=_IGNORE)
        shutil.copytree(KIT / "notebooks", target / "notebooks", ignore=_NOTEBOOK_IGNORE)


def release(out: Path) -> Path:
    """Write the student bundle: stubs and notebooks, public checks, fixtures; no solutions, no hidden checks."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    _copy_kit(out, with_exercises=True)
    _withhold_models(out / "grader")
    (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
    (out / "README.zh.md").write_text(STUDENT_README_ZH, encoding="utf-8")
    workflow = KIT / ".github" / "workflows" / "classroom.yml"
    if workflow.exists():  # GitHub Classroom grades each push of a repository made from this bundle
        (out / ".github" / "workflows").mkdir(parents=True)
        shutil.copy(workflow, out / ".github" / "workflows" / "classroom.yml")
    return out


def gradescope_bundle(zip_path: Path, hidden: Path | None = None, time_budget: float = TIME_BUDGET) -> Path:
    """Write a Gradescope autograder zip: setup.sh, run_autograder and the kit (with hidden checks).

    ``time_budget``: seconds of grading before the remaining exercises are given up (with a message).
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    staging = zip_path.with_suffix(".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        _copy_kit(staging, with_exercises=False)
        (staging / "README.md").write_text("Gradescope autograder built by `python -m grader gradescope-bundle`.\n")
        if hidden is not None:
            shutil.copytree(hidden, staging / "hidden_checks", ignore=_IGNORE)
        for name, text in (("setup.sh", setup_sh()), ("run_autograder", run_autograder(time_budget))):
            (staging / name).write_text(text)
            (staging / name).chmod(0o755)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(staging).as_posix())
                    if path.stat().st_mode & stat.S_IXUSR:
                        info.external_attr = 0o755 << 16
                    zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return zip_path
