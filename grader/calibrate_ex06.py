"""Calibrate ex06's MNIST accuracy threshold (a maintainer's tool, not run by any check).

    python -m grader.calibrate_ex06 [--seeds 20]

Runs exactly what ``train_reaches_accuracy_on_mnist`` runs — the grader's
``Network(784, 10, [128, 64])``, Adam, the MNIST fixture, ``torch.manual_seed(seed)``
and the judge's own accuracy — with the reference ``solutions/ex06_validation.train``
over seeds 0..N-1 plus the check's own seed, for

- the reference: 2 epochs, Adam(lr=1e-3) (what a correct submission does);
- an under-trained baseline: 1 epoch, Adam(lr=1e-6) (barely moves from the start);

and prints min / median / max of both next to the threshold in the check.
Record the output in ``grader/calibration.md`` and beside the threshold.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

from grader.checks import ex06_validation as checks

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "ex06_validation.py"


def _reference_train():
    spec = importlib.util.spec_from_file_location("_reference_ex06_validation", SOLUTION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.train


def _summary(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    train = _reference_train()
    check_seed = next(c.seed for c in checks.EXERCISE.checks if c.name == "train_reaches_accuracy_on_mnist")
    seeds = [*range(args.seeds), check_seed]
    runs = {
        "reference: 2 epochs, Adam(lr=1e-3)": dict(epochs=checks.MNIST_EPOCHS, lr=1e-3),
        "baseline: 1 epoch, Adam(lr=1e-6)": dict(epochs=1, lr=1e-6),
    }
    start = time.perf_counter()
    for label, kwargs in runs.items():
        accuracies = []
        for seed in seeds:
            state_dict, _ = checks.mnist_run(train, seed, **kwargs)
            accuracies.append(checks.mnist_accuracy(state_dict))
        print(f"{label:<38} over {len(seeds)} seeds (0..{args.seeds - 1} and {check_seed}): {_summary(accuracies)}")
        print("    " + " ".join(f"{a:.3f}" for a in accuracies))
    print(f"threshold in the check: {checks.MNIST_ACCURACY_THRESHOLD}   ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
