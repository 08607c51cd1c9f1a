"""Detecting a submission that patches the tools it is judged with.

Before a student's file is imported, :func:`take` records the identity of every
function reachable from torch, numpy, math, builtins and the grader's own
modules. After each probe, :meth:`Fingerprint.changed` lists what was replaced
(``torch.allclose``, ``Tensor.__eq__``, ``grader.sandbox.runner.probe_case`` …), so a
submission that makes comparisons always agree is caught instead of believed.
"""

from __future__ import annotations

import builtins
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy
import torch

_CLASS_PREFIX = "class:"
_WATCHED_MODULES = (
    "torch", "torch._C._nn", "torch.nn.functional", "torch.testing", "torch.autograd", "numpy", "math", "builtins",
)
_WATCHED_CLASSES = (
    torch.Tensor, torch._C.TensorBase, torch.nn.Module, torch.nn.Parameter, torch.optim.Optimizer, numpy.ndarray,
)


@dataclass(frozen=True)
class Fingerprint:
    ids: dict[str, int]

    def changed(self) -> list[str]:
        """Names replaced since :func:`take`, and names added to a watched class."""
        now = _current()
        replaced = {name for name, ident in self.ids.items() if now.get(name) != ident}
        added = {name for name in now.keys() - self.ids.keys() if name.startswith(_CLASS_PREFIX)}
        return sorted(replaced | added)


def take() -> Fingerprint:
    return Fingerprint(_current())


def _current() -> dict[str, int]:
    ids: dict[str, int] = {}
    for name in _WATCHED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            _record(ids, name, vars(module))
    for cls in _WATCHED_CLASSES:
        _record(ids, f"{_CLASS_PREFIX}{cls.__module__}.{cls.__qualname__}", vars(cls))
    for name, module in list(sys.modules.items()):
        if name == "grader" or name.startswith("grader."):
            _record(ids, name, vars(module), code=True)
            exercise = vars(module).get("EXERCISE")
            for check in getattr(exercise, "checks", ()):
                _record(ids, f"{name}.{check.name}", {"probe": check.probe, "judge": check.judge_fn}, code=True)
    return ids


def _record(ids: dict[str, int], prefix: str, namespace: Any, code: bool = False) -> None:
    for key, value in list(namespace.items()):
        if callable(value) or isinstance(value, (staticmethod, classmethod, property)):
            ids[f"{prefix}.{key}"] = id(value)
            inner = getattr(value, "__code__", None)
            if code and inner is not None:
                ids[f"{prefix}.{key}.__code__"] = id(inner)


# Keep references so the fingerprinted modules stay imported.
_KEEP = (builtins, math, numpy)
