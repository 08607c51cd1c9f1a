"""Known-wrong code fails the check it breaks."""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
from pathlib import Path

import pytest
import torch

from grader.checks import registry
from grader.engine.api import Exercise
from grader.sandbox.inprocess import grade_in_process
from grader.engine.model import Outcome, Tag

import mutants
from conftest import SOLUTIONS

# The failure tag the judge (or the runner) gives representative wrong implementations.
PINNED_TAGS = {
    "ex01_tensors:flatten_with_view": Tag.NOT_IN_PLACE,
    "ex01_tensors:from_numpy_float32": Tag.WRONG_DTYPE,
    "ex01_tensors:to_numpy_type_error": Tag.WRONG_ERROR,
    "ex02_autograd:mean_square_grad_mode_left_on": Tag.GRAD_MODE_LEAKED,
    "ex02_autograd:mean_square_through_non_leaf_x": Tag.STALE_GRAD,
    "ex02_autograd:chain_backward_on_caller_x": Tag.INPUT_MODIFIED,
    "ex02_autograd:predict_detach_after": Tag.GRAPH_BUILT,
    "ex02_autograd:predict_switches_to_eval": Tag.MODE_NOT_RESTORED,
    "ex03_sgd:sgd_replaces_data": Tag.NOT_IN_PLACE,
    "ex03_sgd:linear_uses_item": Tag.GRAPH_BROKEN,
    "ex03_sgd:linear_flattens_output": Tag.WRONG_SHAPE,
    "ex03_sgd:fit_learning_rate_too_small": Tag.THRESHOLD_NOT_REACHED,
    "ex03_sgd:fit_switches_default_dtype": Tag.GLOBAL_STATE_LEAKED,
    "ex04_network:seq_names_from_zero": Tag.WRONG_ARCHITECTURE,
    "ex04_network:init_grad_mode_left_off": Tag.GRAD_MODE_LEAKED,
    "ex07_checkpoint:load_weights_only_false": Tag.UNSAFE_LOAD,
    "ex07_checkpoint:load_uses_get": Tag.WRONG_ERROR,
    "ex06_validation:train_none_means_cuda_when_available": Tag.WRONG_DEVICE_RULE,
    "ex07_checkpoint:load_default_none": Tag.WRONG_DEVICE_RULE,
    "ex07_checkpoint:load_without_weights_only": Tag.UNSAFE_LOAD,
    "ex09_lenet:fit_none_means_cpu": Tag.WRONG_DEVICE_RULE,
    "ex08_data:no_to_tensor": Tag.WRONG_TYPE,
    "ex11_transfer:freeze_weights_only": Tag.WRONG_TRAINABLE,
    "ex11_transfer:train_step_no_zero_grad": Tag.STALE_GRAD,
    "ex12_losses:ce_naive_log_softmax": Tag.NOT_FINITE,
    "ex12_losses:ce_calls_F_cross_entropy": Tag.FORBIDDEN_API,
    "ex12_losses:ce_shifts_logits_in_place": Tag.INPUT_MODIFIED,
}
# Only without CUDA does code that hard-codes "cuda" (or loads a CUDA checkpoint without map_location) raise.
if not torch.cuda.is_available():
    PINNED_TAGS["ex05_dropout:hard_coded_cuda"] = Tag.HARD_CODED_DEVICE
    PINNED_TAGS["ex07_checkpoint:load_without_map_location"] = Tag.HARD_CODED_DEVICE


def _all_mutants():
    for info in pkgutil.iter_modules(mutants.__path__):
        module = importlib.import_module(f"mutants.{info.name}")
        for name, (check, source) in module.MUTANTS.items():
            yield pytest.param(info.name, check, source, PINNED_TAGS.get(f"{info.name}:{name}"), id=f"{info.name}:{name}")


@pytest.mark.parametrize(("exercise", "check", "source", "tag"), list(_all_mutants()))
def test_mutant_fails_its_check(solutions_copy: Path, exercise: str, check: str, source: str, tag: Tag | None) -> None:
    path = solutions_copy / f"{exercise}.py"
    path.write_text(path.read_text() + "\n\n" + source)
    base = registry.public_exercises()[exercise]
    target = [c for c in base.checks if c.name == check]
    assert target, f"unknown check {check}"
    result = grade_in_process(solutions_copy, {exercise: Exercise(exercise, base.stand_ins, target)})
    verdicts = {r.name: r for r in result.results if r.check == check and r.outcome is not Outcome.SKIPPED}
    assert verdicts, f"no case of {check} ran"
    assert any(r.outcome is not Outcome.PASSED for r in verdicts.values()), f"{check} passed the mutant"
    for r in verdicts.values():
        if r.outcome is not Outcome.PASSED:
            assert r.message.strip(), "a failing check must explain itself"
            assert isinstance(r.tag, Tag), "a failing check must carry a tag"
        else:
            assert r.tag is None
    if tag is not None:
        assert {r.tag for r in verdicts.values() if r.tag} == {tag}, [r.message for r in verdicts.values()]
    first = next(r for r in verdicts.values() if r.outcome is not Outcome.PASSED)
    assert first.outcome is not Outcome.NOT_STARTED, "finished code read as not started"
    if first.outcome in (Outcome.FAILED, Outcome.ERROR):
        assert first.detail is not None and first.detail.hints, f"the first failure has no hint: {first.message}"
        pasted = [line for line in _reference_code(exercise) if any(line in hint for hint in first.detail.hints)]
        assert not pasted, f"a hint pastes the reference's code {pasted}: {first.detail.hints}"


@functools.cache
def _reference_code(exercise: str) -> frozenset[str]:
    """The reference solution's statements worth pasting (a call on 24 characters or more), docstrings left out.

    Block headers (``with torch.no_grad():``) are ideas a hint may name, not an answer.
    """
    source = (SOLUTIONS / f"{exercise}.py").read_text()
    docstrings = {line for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  for line in range(node.lineno, node.end_lineno + 1)}
    lines = (line.split("#")[0].strip() for n, line in enumerate(source.splitlines(), 1) if n not in docstrings)
    return frozenset(line.removeprefix("return ") for line in lines if len(line) >= 24 and "(" in line
                     and not line.endswith(":"))


def test_every_pinned_mutant_exists() -> None:
    ids = {param.id for param in _all_mutants()}
    assert set(PINNED_TAGS) <= ids


def _all_correct():
    for info in pkgutil.iter_modules(mutants.__path__):
        module = importlib.import_module(f"mutants.{info.name}")
        for name, source in getattr(module, "CORRECT", {}).items():
            yield pytest.param(info.name, source, id=f"{info.name}:{name}")


@pytest.mark.parametrize(("exercise", "source"), list(_all_correct()))
def test_correct_variant_keeps_full_marks(solutions_copy: Path, exercise: str, source: str) -> None:
    path = solutions_copy / f"{exercise}.py"
    path.write_text(path.read_text() + "\n\n" + source)
    result = grade_in_process(solutions_copy, {exercise: registry.public_exercises()[exercise]})
    failed = [f"{r.name}: {r.message}" for r in result.results if r.outcome not in (Outcome.PASSED, Outcome.SKIPPED)]
    assert not failed, "\n\n".join(failed)
