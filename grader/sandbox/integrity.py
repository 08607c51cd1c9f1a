"""Detecting a submission that patches the tools it is judged with.

Before a student's file is imported, :func:`take` records the identity of every
function reachable from torch, numpy, math, builtins and the grader's own
modules. After each probe, :meth:`Fingerprint.changed` lists what was replaced
(``torch.allclose``, ``Tensor.__eq__``, ``grader.sandbox.probe.probe_case`` …), so a
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
    ids: dict[str, dict[str, int]]  # namespace name -> {attribute: id}; code objects under "attribute.__code__"

    def changed(self) -> list[str]:
        """Names replaced since :func:`take`, and names added to a watched class."""
        now = _current()
        found: set[str] = set()
        for prefix, before in self.ids.items():
            after = now.get(prefix, {})
            if after == before:  # the usual case, compared without building a name per attribute
                continue
            found.update(f"{prefix}.{key}" for key, ident in before.items() if after.get(key) != ident)
            if prefix.startswith(_CLASS_PREFIX):
                found.update(f"{prefix}.{key}" for key in after.keys() - before.keys())
        return sorted(found)


def take() -> Fingerprint:
    return Fingerprint(_current())


def _current() -> dict[str, dict[str, int]]:
    ids: dict[str, dict[str, int]] = {}
    for name in _WATCHED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            ids[name] = _record(vars(module))
    for cls in _WATCHED_CLASSES:
        ids[f"{_CLASS_PREFIX}{cls.__module__}.{cls.__qualname__}"] = _record(vars(cls))
    for name, module in list(sys.modules.items()):
        if name == "grader" or name.startswith("grader."):
            ids[name] = _record(vars(module), code=True)
            exercise = vars(module).get("EXERCISE")
            for check in getattr(exercise, "checks", ()):
                ids[f"{name}.{check.name}"] = _record({"probe": check.probe, "judge": check.judge_fn}, code=True)
    return ids


def _record(namespace: Any, code: bool = False) -> dict[str, int]:
    ids = {key: id(value) for key, value in list(namespace.items()) if callable(value) or isinstance(value, _DESCRIPTORS)}
    if code:
        for key, value in list(namespace.items()):
            inner = getattr(value, "__code__", None) if key in ids else None
            if inner is not None:
                ids[f"{key}.__code__"] = id(inner)
    return ids


_DESCRIPTORS = (staticmethod, classmethod, property)

# Keep references so the fingerprinted modules stay imported.
_KEEP = (builtins, math, numpy)
