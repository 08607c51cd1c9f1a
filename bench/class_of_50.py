"""Grade a class of 50 mixed submissions with `python -m grader batch` and report.

    python bench/class_of_50.py [--jobs 2]

The class: correct copies of solutions/, untouched stubs, partial work,
broken files and hostile ones (endless loops, exits, segfaults, fork bombs
kept small, output floods, memory hogs, tampering). Prints the wall time,
checks that every student has a gradebook row with the expected kind of
score, and that no process of the batch is left behind.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent

HOSTILE = {
    "loops": "while True:\n    pass\n",
    "exits": "import sys\nsys.exit(0)\n",
    "segfaults": "import ctypes\nctypes.string_at(0)\n",
    "hogs": "hoard = []\nwhile True:\n    hoard.append(bytearray(b'x' * 2**26))\n",
    "floods": "while True:\n    print('x' * 10**6)\n",
    "forks": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(3600)\n",
    "patches": "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.Tensor.__eq__ = lambda a, b: True\n",
    "sleeps": "import time\ntime.sleep(10**6)\n",
    "deletes": f"import shutil\ntry:\n    shutil.rmtree({str(KIT / 'solutions')!r})\nexcept OSError:\n    pass\n",
    "reads": f"exec(open({str(KIT / 'solutions' / 'ex05_dropout.py')!r}).read())\n",
}


def build(folder: Path) -> dict[str, str]:
    """Fifty submissions; returns student -> expected kind ("full", "zero", "partial")."""
    kinds = {}
    for i in range(15):
        shutil.copytree(KIT / "solutions", folder / f"correct{i:02d}")
        kinds[f"correct{i:02d}"] = "full"
    for i in range(10):
        shutil.copytree(KIT / "exercises", folder / f"stub{i:02d}", ignore=shutil.ignore_patterns("conftest.py"))
        kinds[f"stub{i:02d}"] = "zero"
    for i in range(10):
        target = folder / f"partial{i:02d}"
        shutil.copytree(KIT / "exercises", target, ignore=shutil.ignore_patterns("conftest.py"))
        for path in sorted((KIT / "solutions").glob("ex*.py"))[: i + 1]:
            shutil.copy(path, target / path.name)
        kinds[f"partial{i:02d}"] = "partial"
    for i, (name, code) in enumerate(HOSTILE.items()):
        target = folder / f"hostile_{name}"
        shutil.copytree(KIT / "solutions", target)
        (target / "ex05_dropout.py").write_text(code)  # the attack replaces one exercise
        kinds[target.name] = "partial"
    for i in range(5):
        target = folder / f"broken{i}"
        target.mkdir()
        (target / "ex01_tensors.py").write_text("def flatten_images_(:\n")
        kinds[target.name] = "zero"
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    before = set(os.listdir("/proc"))
    with tempfile.TemporaryDirectory() as tmp:
        kinds = build(Path(tmp) / "class")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "grader", "batch", f"{tmp}/class", "--out", f"{tmp}/out",
                               "--jobs", str(args.jobs)], cwd=KIT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        with open(f"{tmp}/out/gradebook.csv") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
    wrong = []
    for student, kind in kinds.items():
        row = rows.get(student)
        total, best = (float(row["total"]), float(row["max_score"])) if row and row["total"] else (None, None)
        ok = total is not None and {"full": total == best, "zero": total == 0, "partial": 0 < total < best}[kind]
        if not ok:
            wrong.append(f"{student}: expected {kind}, got {total}/{best}")
    left = [p for p in set(os.listdir("/proc")) - before if p.isdigit() and _is_ours(p)]
    print(f"batch exit code {done.returncode}; {len(rows)} gradebook rows for {len(kinds)} submissions; {elapsed:.1f} s")
    print("\n".join(wrong) or "every row has the score its submission earns")
    print(f"processes left behind: {len(left)}")
    return 0 if done.returncode == 0 and not wrong and not left and len(rows) == len(kinds) else 1


def _is_ours(pid: str) -> bool:
    try:
        return "grader" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") or \
            "time.sleep" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
