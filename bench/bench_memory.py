"""Peak memory of the Gradescope autograder grading the reference solutions, against 768 MiB.

    python bench/bench_memory.py [--exercises ex05_dropout,ex09_lenet] [--hidden tests/hidden_checks]

Builds the autograder zip (`python -m grader gradescope-bundle`), unpacks it into an
emulated `/autograder` layout in a temporary folder, puts the solutions in
`submission/` and runs `run_autograder` there (AUTOGRADER_ROOT, PYTHON). While it
runs, every 50 ms, it adds up the proportional set size (Pss, from
`/proc/PID/smaps_rollup`) of every process in the tree under `run_autograder`:
pages shared between the grader and the children it forks count once in all,
as the container's memory limit counts them. It prints the peak beside the goal
(Gradescope's default container: 768 MB, taken as 768 MiB), the peak process
count, the time, and the score from results.json.

Gradescope installs torch's CPU build (setup.sh). Where the torch installed here
is a CUDA build, its CUDA-only libraries (cuBLAS, NVRTC, Triton, ...) add about
200 MiB to every tree; the peak is then also printed without their mappings,
an upper bound for the CPU build, and the Pss of a bare `import torch,
torchvision` is printed for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

KIT = Path(__file__).resolve().parent.parent
GOAL_MIB = 768
INTERVAL = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")
# Libraries only a CUDA build of torch loads (the CPU build that setup.sh installs has none of them).
CUDA_ONLY = re.compile(r"/nvidia/|/triton/|/cuda/bindings/|/lib(torch_cuda|c10_cuda|cudart|nvrtc|nvjpeg)[^/]*$")
UNIQUE_EVERY = 4  # samples between two page-frame counts (each reads the page tables of the tree)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(b")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _tree(root: int) -> list[int]:
    children, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _pss_kib(pid: int) -> tuple[int, int]:
    """Proportional set size of ``pid``: in all, and in the mappings of CUDA-only libraries."""
    total = cuda = 0
    in_cuda = False
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:  # ended meanwhile
        return 0, 0
    for line in text.splitlines():
        if line[:1] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:  # a mapping's header line
            in_cuda = bool(CUDA_ONLY.search(line))
        elif line.startswith("Pss:"):
            kib = int(line.split()[1])
            total += kib
            cuda += kib if in_cuda else 0
    return total, cuda


def _resident_frames(pid: int) -> "np.ndarray":
    """The physical page frames ``pid`` has resident (root only: /proc/PID/pagemap shows frames to root)."""
    frames = []
    try:
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        fd = os.open(f"/proc/{pid}/pagemap", os.O_RDONLY)
    except OSError:
        return np.zeros(0, dtype=np.uint64)
    try:
        for line in maps:
            start, end = (int(x, 16) // PAGE for x in line.split()[0].split("-"))
            if start >= end or "[vsyscall]" in line:
                continue
            data = os.pread(fd, (end - start) * 8, start * 8)
            entries = np.frombuffer(data, dtype=np.uint64)
            present = entries[(entries >> np.uint64(63)) & np.uint64(1) == 1]
            frames.append(present & np.uint64((1 << 55) - 1))
    except OSError:
        pass
    finally:
        os.close(fd)
    return np.concatenate(frames) if frames else np.zeros(0, dtype=np.uint64)


def _unique_kib(pids: list[int]) -> int:
    """Resident memory of the tree, each physical page once, however many processes (in or out) map it."""
    frames = np.unique(np.concatenate([_resident_frames(pid) for pid in pids]))
    if frames.size and not frames.any():  # frames hidden (not root): no answer
        return 0
    return int(frames.size) * PAGE // 1024


def _layout(root: Path, exercises: list[str] | None, hidden: Path | None) -> None:
    bundle = root.parent / "autograder.zip"
    args = [sys.executable, "-m", "grader", "gradescope-bundle", str(bundle)]
    subprocess.run(args + (["--hidden", str(hidden)] if hidden else []), cwd=KIT, check=True, capture_output=True)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    for path in sorted((KIT / "solutions").glob("ex[0-9][0-9]_*.py")):
        if exercises is None or path.stem in exercises:
            shutil.copy(path, root / "submission")


def measure(exercises: list[str] | None, hidden: Path | None, unique: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        root = Path(tmp) / "autograder"
        _layout(root, exercises, hidden)
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
        env.pop("PYTHONPATH", None)  # the bundle's own grader, as on Gradescope
        start = time.perf_counter()
        process = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak_kib, peak_cpu_kib, peak_unique_kib, peak_processes, samples = 0, 0, 0, 0, 0
        while process.poll() is None:
            pids = _tree(process.pid)
            sizes = [_pss_kib(pid) for pid in pids]
            peak_kib = max(peak_kib, sum(total for total, _ in sizes))
            peak_cpu_kib = max(peak_cpu_kib, sum(total - cuda for total, cuda in sizes))
            if unique and samples % UNIQUE_EVERY == 0:
                peak_unique_kib = max(peak_unique_kib, _unique_kib(pids))
            peak_processes = max(peak_processes, len(pids))
            samples += 1
            time.sleep(INTERVAL)
        seconds = time.perf_counter() - start
        results = json.loads((root / "results" / "results.json").read_text())
        scored = sum(t["score"] for t in results["tests"])
        possible = sum(t["max_score"] for t in results["tests"])
        return {"peak_mib": peak_kib / 1024, "peak_cpu_mib": peak_cpu_kib / 1024, "peak_unique_mib": peak_unique_kib / 1024, "processes": peak_processes, "seconds": seconds,
                "score": scored, "max_score": possible, "stderr": process.stderr.read().decode()[-2000:]}


def _verdict(mib: float) -> str:
    return f"{'meets' if mib <= GOAL_MIB else 'MISSES'} the goal <= {GOAL_MIB} MiB"


def _import_floor() -> tuple[float, float]:
    """Pss of one process that has imported torch and torchvision: in all, and in CUDA-only libraries."""
    code = "import os, sys, torch, torchvision; print(flush=True); sys.stdin.read()"
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    process.stdout.readline()
    total, cuda = _pss_kib(process.pid)
    process.communicate()
    return total / 1024, cuda / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exercises", help="comma-separated exercises (default: all thirteen)")
    parser.add_argument("--hidden", type=Path, help="hidden checks to include in the bundle")
    parser.add_argument("--unique", action="store_true",
                        help="also count the tree's resident pages once each (root; slower sampling)")
    args = parser.parse_args()
    exercises = args.exercises.split(",") if args.exercises else None
    result = measure(exercises, args.hidden, args.unique)
    floor, floor_cuda = _import_floor()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"import torch, torchvision alone: Pss {floor:.0f} MiB, {floor_cuda:.0f} MiB of it in CUDA-only libraries")
    print(f"peak Pss of the process tree {result['peak_mib']:.0f} MiB ({_verdict(result['peak_mib'])}); "
          f"up to {result['processes']} processes; {result['seconds']:.1f} s; "
          f"score {result['score']:g} / {result['max_score']:g}")
    if floor_cuda:
        # Gradescope runs the CPU build setup.sh installs. Leaving out the CUDA-only libraries' pages
        # still counts what they allocate at start-up outside their mappings: an upper bound for it.
        print(f"the same without CUDA-only libraries (an upper bound for the CPU build that setup.sh installs): "
              f"{result['peak_cpu_mib']:.0f} MiB ({_verdict(result['peak_cpu_mib'])})")
    if result["peak_unique_mib"]:
        verdict = "meets" if result["peak_unique_mib"] <= GOAL_MIB else "MISSES"
        print(f"peak resident memory of the tree, each page once: {result['peak_unique_mib']:.0f} MiB ({verdict} the goal)")
    if result["stderr"].strip():
        print(result["stderr"])


if __name__ == "__main__":
    main()
