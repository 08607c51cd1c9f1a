"""What the similarity section costs for a class: read, fingerprint and compare every submission.

    python bench/similarity_cost.py [--students 300]

Each student hands in all thirteen exercises: the reference solution with a third of its solution
lines left out and lines of their own added (so that no two are alike), one in ten a stub; five
pairs copied one from the other. Prints the seconds taken (what `batch --no-similarity` saves) and
how many of the copied pairs were flagged.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT))

from grader.authoring.stubs import BEGIN, END, make_stub  # noqa: E402
from grader.frontends import similar  # noqa: E402

EXERCISES = sorted(p.stem for p in (KIT / "solutions").glob("ex*.py"))
COPIES = 5


def variant(source: str, rng: random.Random) -> str:
    """The solution with some of its solution lines dropped and lines of one's own put in."""
    out, inside = [], False
    for line in source.splitlines():
        marker = line.strip()
        inside = (inside or marker == BEGIN) and marker != END
        if inside and marker and not marker.startswith("#") and rng.random() < 0.35:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}note_{rng.randrange(10**6)} = {rng.randrange(100)} * {rng.random():.3f}")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def build(root: Path, students: int, rng: random.Random) -> list[tuple[str, str, Path]]:
    sources = {e: (KIT / "solutions" / f"{e}.py").read_text() for e in EXERCISES}
    found = []
    for index in range(students):
        folder = root / f"s{index:03d}"
        folder.mkdir()
        for exercise, source in sources.items():
            code = make_stub(source, exercise) if rng.random() < 0.1 else variant(source, rng)
            (folder / f"{exercise}.py").write_text(code)
        found.append((folder.name, folder.name, folder))
    for copy in range(COPIES):  # the last students copied from the first ones
        original, copier = found[copy][2], found[-1 - copy][2]
        for path in original.iterdir():
            (copier / path.name).write_text(path.read_text().replace("note_", "mine_"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        submissions = build(Path(scratch), args.students, random.Random(0))
        start = time.perf_counter()
        found = similar.compare_class(submissions, EXERCISES)
        seconds = time.perf_counter() - start
    copied = {(submissions[c][0], submissions[-1 - c][0]) for c in range(COPIES)}
    flagged = {(p.a, p.b) for p in found.pairs}
    print(f"{args.students} students x {len(EXERCISES)} exercises: similarity in {seconds:.1f} s")
    print(f"flagged {len(flagged)} pairs; copied pairs found: {len(copied & flagged)} of {len(copied)}")


if __name__ == "__main__":
    main()
