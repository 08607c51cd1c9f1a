"""Grade solutions/ N times in a row and print every check whose outcome ever changed.

    python bench/flakes.py [--runs 20]

A check that passes on one run and not on another is a flaky check; this
script must print none.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--submission", default="solutions")
    args = parser.parse_args()
    seen: dict[str, set[str]] = defaultdict(set)
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            out = Path(tmp) / f"{run}.json"
            subprocess.run([sys.executable, "-m", "grader", "grade", args.submission, "--quiet", "--json", str(out)],
                           cwd=KIT, check=True)
            data = json.loads(out.read_text())
            for test in data["tests"]:
                seen[test["name"]].add(test["outcome"])
            print(f"run {run:>2}: {data['score']:g} / {data['max_score']:g}  ({time.perf_counter() - start:.1f} s)", flush=True)
    changed = {name: sorted(outcomes) for name, outcomes in seen.items() if len(outcomes) > 1}
    for name, outcomes in sorted(changed.items()):
        print(f"CHANGED {name}: {', '.join(outcomes)}")
    print(f"{len(changed)} of {len(seen)} checks changed outcome over {args.runs} runs")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
