"""The similarity threshold, measured: scores of honest and copied pairs of submissions.

    python bench/similarity_calibration.py

The samples (tests/similarity_samples.py): the reference solution and three students who each
wrote ex03, ex05 and ex12 their own way, and four copiers who renamed every name, rewrote the
comments, moved blank lines, copied only two exercises or put lines of their own between the
copied ones. Prints every pair's score, the highest honest and the lowest copied score, and
where grader.reporters.similarity.THRESHOLD sits between them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(KIT), str(KIT / "tests")]

import similarity_samples as samples  # noqa: E402

from grader.frontends import similar  # noqa: E402
from grader.reporters import similarity  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folders = samples.build(Path(scratch))
        found = similar.compare_class([(n, n, p) for n, p in folders.items()], list(samples.EXERCISES))
        everything = similarity.compare(
            [similarity.Source(n, n, similarity.read_submission(p, samples.EXERCISES)) for n, p in folders.items()],
            similar.stub_code(list(samples.EXERCISES)), threshold=0.0)
    scores = {(p.a, p.b): p.score for p in everything.pairs}
    honest = [scores.get(pair, 0.0) for pair in samples.HONEST_PAIRS]
    copied = [scores.get(pair, 0.0) for pair in samples.COPIED_PAIRS]
    for (a, b), score in sorted(scores.items(), key=lambda item: -item[1]):
        kind = "copied" if (a, b) in samples.COPIED_PAIRS else "honest"
        print(f"{a:>10} {b:<10} {score:6.3f}  {kind}")
    print(f"honest pairs: {len(honest)}, highest {max(honest):.3f}")
    print(f"copied pairs: {len(copied)}, lowest {min(copied):.3f}")
    print(f"threshold {similarity.THRESHOLD}: flags {len(found.pairs)} pairs, "
          f"{sum((p.a, p.b) in samples.COPIED_PAIRS for p in found.pairs)} of them copied")


if __name__ == "__main__":
    main()
