"""Observations: what a probe saw, as plain data that can cross a process boundary.

A probe may return tensors, numbers, booleans, strings, ``None`` and lists,
tuples or dicts of those. :func:`snapshot` turns every tensor into a
:class:`TensorObs` (values copied to the CPU plus the facts a judge needs:
shape, dtype, device, autograd flags) and anything else into an
:class:`Opaque` description. :func:`to_wire` / :func:`from_wire` turn a snapshot
into objects that ``torch.load(..., weights_only=True)`` accepts, so the
grader never unpickles code from a student's process.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import torch

from grader.engine.i18n import _

MAX_DEPTH = 6
MAX_ITEMS = 10_000
MAX_TEXT = 500


@dataclass(frozen=True)
class TensorObs:
    """A tensor as the student's code returned it."""

    values: torch.Tensor | None  # a plain CPU copy; None for tensors without data (meta)
    shape: tuple[int, ...]
    dtype: str
    device: str
    requires_grad: bool
    has_grad_fn: bool
    is_leaf: bool

    def describe(self) -> str:
        return _("a tensor of shape {shape}, dtype {dtype}, on {device}").format(
            shape=tuple(self.shape), dtype=self.dtype, device=self.device
        )


@dataclass(frozen=True)
class Opaque:
    """Something that is not plain data (a module, an array, …), by type and repr."""

    type_name: str
    text: str

    def describe(self) -> str:
        return _("a {type_name} ({text})").format(type_name=self.type_name, text=self.text)


def describe(value: Any) -> str:
    """A short, learner-readable description of an observation."""
    if isinstance(value, (TensorObs, Opaque)):
        return value.describe()
    if value is None:
        return "None"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def snapshot(value: Any, depth: int = 0) -> Any:
    """Copy an observation into plain data (see the module docstring)."""
    if depth > MAX_DEPTH:
        return Opaque(type(value).__name__, "nested too deeply")
    if isinstance(value, torch.Tensor):
        return _tensor(value)
    if value is None or type(value) in (bool, int, str):
        return value[:MAX_TEXT] if type(value) is str else value
    if type(value) is float:
        return value
    if isinstance(value, (torch.dtype, torch.device)):
        return str(value)
    if type(value) in (list, tuple):
        return type(value)(snapshot(v, depth + 1) for v in list(value)[:MAX_ITEMS])
    if type(value) is dict:
        return {str(k): snapshot(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    return Opaque(_type_name(value), _safe_repr(value))


def _tensor(t: torch.Tensor) -> TensorObs:
    # Autograd flags come from the tensor itself (an nn.Parameter is a leaf);
    # values from a detached plain copy, so nothing of the student's travels on.
    has_data = t.device.type != "meta"
    values = t.detach().to("cpu", copy=True).contiguous() if has_data else None
    if values is not None and type(values) is not torch.Tensor:
        values = values.as_subclass(torch.Tensor)
    return TensorObs(
        values=values,
        shape=tuple(int(s) for s in t.shape),
        dtype=str(t.dtype),
        device=str(t.device),
        requires_grad=bool(t.requires_grad),
        has_grad_fn=t.grad_fn is not None,
        is_leaf=bool(t.is_leaf),
    )


def _type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    return f"{module}.{cls.__qualname__}" if module not in ("builtins", "") else cls.__qualname__


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a student's __repr__ may raise
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


# ---- wire format -------------------------------------------------------------

_TAG = "__obs__"


def to_wire(value: Any) -> Any:
    if isinstance(value, TensorObs):
        return {
            _TAG: "tensor",
            "values": value.values,
            "shape": list(value.shape),
            "dtype": value.dtype,
            "device": value.device,
            "flags": [value.requires_grad, value.has_grad_fn, value.is_leaf],
        }
    if isinstance(value, Opaque):
        return {_TAG: "opaque", "type_name": value.type_name, "text": value.text}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "items": [to_wire(v) for v in value]}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return {_TAG: "float", "text": repr(value)}
    return value


def from_wire(value: Any) -> Any:
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TAG)
    if tag == "tensor":
        requires_grad, has_grad_fn, is_leaf = (bool(f) for f in value["flags"])
        values = value["values"]
        return TensorObs(
            values=values if isinstance(values, torch.Tensor) else None,
            shape=tuple(int(s) for s in value["shape"]),
            dtype=str(value["dtype"]),
            device=str(value["device"]),
            requires_grad=requires_grad,
            has_grad_fn=has_grad_fn,
            is_leaf=is_leaf,
        )
    if tag == "opaque":
        return Opaque(str(value["type_name"]), str(value["text"]))
    if tag == "tuple":
        return tuple(from_wire(v) for v in value["items"])
    if tag == "float":
        return float(value["text"])
    return {str(k): from_wire(v) for k, v in value.items()}


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(to_wire(value), buffer)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """Load bytes from a possibly hostile process: tensors and plain data only."""
    return from_wire(torch.load(io.BytesIO(data), weights_only=True, map_location="cpu"))
