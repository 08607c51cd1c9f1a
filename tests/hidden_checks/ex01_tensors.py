"""Instructor-only checks for ex01_tensors: other seeds and sizes than the public ones."""

from __future__ import annotations

import torch

from grader.api import Exercise, expect_tensor, expect_true

EXERCISE = Exercise("ex01_tensors")


def _batch(case) -> torch.Tensor:
    return torch.randn(9, 2, 7, 3, generator=case.generator())


@EXERCISE.check(points=2, needs=("flatten_images_",), seed=424242)
def flatten_images_large_batch(ex, case):
    """flatten_images_ on a larger batch than the public check uses."""
    images = _batch(case)
    out = ex.flatten_images_(images)
    return {"same": out is images, "out": out}


@flatten_images_large_batch.judge
def _(obs, case):
    checked = "flatten_images_ on a (9, 2, 7, 3) batch"
    expect_true(obs["same"], checked, "the same tensor object", "a different object")
    expect_tensor(obs["out"], _batch(case).reshape(9, -1), checked)
