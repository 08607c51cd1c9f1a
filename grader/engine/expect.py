"""Judging helpers. Each raises :class:`CheckFailed` with a learner message.

Tensors are compared in the order a beginner can act on: shape, then dtype,
device, finiteness, and only then values, with the largest differences shown.

Every failure carries a :class:`Tag`: the comparison that failed sets it
(``expect_tensor``: wrong_shape, wrong_dtype, wrong_device, not_finite,
wrong_value), and a check names it with ``tag=`` where it knows better (a
grad mode left off is ``Tag.GRAD_MODE_LEAKED``, not a wrong value).
"""

from __future__ import annotations

from typing import Any

import torch

from grader.engine.api import CheckFailed, Message
from grader.engine.i18n import N_, _
from grader.engine.model import Hints, Tag
from grader.engine.observe import Opaque, TensorObs, describe

MAX_ROWS = 3


def fail(checked: str, expected: str, got: str, hint: Hints = "", *, tag: Tag = Tag.WRONG_VALUE) -> None:
    """``hint``: one hint, or a ladder from the gentlest to the most revealing (never the answer's code)."""
    hints = (hint,) if isinstance(hint, str) else tuple(hint)
    raise CheckFailed(Message(checked, expected, got, hints=hints), tag)


def expect_count(items: Any, count: int, checked: str) -> list:
    """``items``, an observed list that must hold one entry for each of the ``count`` calls the probe made."""
    if not isinstance(items, (list, tuple)) or len(items) != count:
        got = _("{count} results").format(count=len(items)) if isinstance(items, (list, tuple)) else describe(items)
        fail(checked, _("{count} results, one for each call the grader made").format(count=count), got,
             tag=Tag.WRONG_SHAPE)
    return list(items)


def expect_true(ok: bool, checked: str, expected: str, got: str, hint: Hints = "", *, tag: Tag = Tag.WRONG_VALUE) -> None:
    if ok is not True:
        fail(checked, expected, got, hint, tag=tag)


def expect_equal(got: Any, expected: Any, checked: str, hint: Hints = "", *, tag: Tag | None = None) -> None:
    """Equal values of the same type; without ``tag``, a type mismatch is wrong_type, else wrong_value."""
    if isinstance(got, (TensorObs, Opaque)) or type(got) is not type(expected):
        fail(checked, describe(expected), describe(got), hint, tag=tag or Tag.WRONG_TYPE)
    if got != expected:
        fail(checked, describe(expected), describe(got), hint, tag=tag or Tag.WRONG_VALUE)


def expect_type(got: Any, kinds: type | tuple[type, ...], checked: str, hint: Hints = "") -> None:
    if not isinstance(got, kinds) or isinstance(got, bool) and bool not in _as_tuple(kinds):
        names = _(" or ").join(_kind_name(k) for k in _as_tuple(kinds))
        fail(checked, names, describe(got), hint, tag=Tag.WRONG_TYPE)


def expect_number(got: Any, checked: str, hint: Hints = "") -> float:
    """A Python int/float (or a one-element tensor), returned as float."""
    if isinstance(got, TensorObs) and got.values is not None and got.values.numel() == 1:
        return float(got.values.reshape(()))
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        fail(checked, _("a number (a Python float)"), describe(got), hint or _("Return `loss.item()`-style floats."),
             tag=Tag.WRONG_TYPE)
    return float(got)


def expect_close(
    got: Any, expected: float, checked: str, hint: Hints = "", *, rtol: float = 1e-5, atol: float = 1e-6,
    tag: Tag = Tag.WRONG_VALUE,
) -> None:
    value = expect_number(got, checked, hint)
    if not abs(value - expected) <= atol + rtol * abs(expected):
        expected_text = _("{value} (within {tolerance})").format(
            value=f"{expected:.6g}", tolerance=f"{atol + rtol * abs(expected):.1e}"
        )
        fail(checked, expected_text, f"{value:.6g}", hint, tag=tag)


def expect_at_least(
    got: Any, threshold: float, checked: str, hint: Hints = "", *, tag: Tag = Tag.THRESHOLD_NOT_REACHED
) -> float:
    value = expect_number(got, checked, hint)
    if not value >= threshold:
        fail(checked, _("at least {threshold}").format(threshold=f"{threshold:.4g}"), f"{value:.4g}", hint, tag=tag)
    return value


def expect_at_most(
    got: Any, threshold: float, checked: str, hint: Hints = "", *, tag: Tag = Tag.THRESHOLD_NOT_REACHED
) -> float:
    value = expect_number(got, checked, hint)
    if not value <= threshold:
        fail(checked, _("at most {threshold}").format(threshold=f"{threshold:.4g}"), f"{value:.4g}", hint, tag=tag)
    return value


def expect_tensor(
    got: Any,
    expected: torch.Tensor,
    checked: str,
    hint: Hints = "",
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    dtype: bool = True,
    device: str | None = None,
    tag: Tag = Tag.WRONG_VALUE,
) -> torch.Tensor:
    """Compare shape → dtype → device → finiteness → values; return the values.

    Each comparison sets its own tag; ``tag`` is the one for differing values.
    """
    if not isinstance(got, TensorObs):
        fail(checked, _("a tensor of shape {shape}").format(shape=tuple(expected.shape)), describe(got), hint,
             tag=Tag.WRONG_TYPE)
    if tuple(got.shape) != tuple(expected.shape):
        shape = _("shape {shape}")
        fail(checked, shape.format(shape=tuple(expected.shape)), shape.format(shape=tuple(got.shape)), hint,
             tag=Tag.WRONG_SHAPE)
    if dtype and got.dtype != str(expected.dtype):
        kind = _("dtype {dtype}")
        fail(checked, kind.format(dtype=expected.dtype), kind.format(dtype=got.dtype), hint, tag=Tag.WRONG_DTYPE)
    if device is not None and not same_device(got.device, device):
        on = _("a tensor on {device}")
        fail(checked, on.format(device=device), on.format(device=got.device), hint, tag=Tag.WRONG_DEVICE)
    values = got.values
    if values is None:
        fail(checked, _("a tensor with values"), _("a tensor without data on {device}").format(device=got.device), hint,
             tag=Tag.WRONG_DEVICE)
    values = values.to(expected.dtype) if values.dtype != expected.dtype else values
    _expect_finite(values, expected, checked, hint)
    _expect_values(values, expected, checked, hint, rtol, atol, tag)
    return values


def same_device(got: str, wanted: str) -> bool:
    """`cuda` and `cuda:0` name the same device for a learner."""
    a, b = torch.device(got), torch.device(wanted)
    return a.type == b.type and (a.index or 0) == (b.index or 0)


def _expect_finite(values: torch.Tensor, expected: torch.Tensor, checked: str, hint: Hints) -> None:
    if not values.is_floating_point():
        return
    bad = ~torch.isfinite(values) & torch.isfinite(expected.to(values.dtype))
    if bad.any():
        count, total = int(bad.sum()), values.numel()
        first = tuple(int(i) for i in bad.nonzero()[0])
        fail(
            checked,
            _("finite values"),
            _("{count}/{total} values are NaN or infinite (first at index {index}: {value})").format(
                count=count, total=total, index=first, value=values[first].item()
            ),
            hint or _("Look for a division by zero, log of 0 or exp of a large number."),
            tag=Tag.NOT_FINITE,
        )


def _expect_values(
    values: torch.Tensor, expected: torch.Tensor, checked: str, hint: Hints, rtol: float, atol: float, tag: Tag
) -> None:
    if not values.is_floating_point():
        mismatch = values != expected
    else:
        mismatch = ~torch.isclose(values, expected.to(values.dtype), rtol=rtol, atol=atol, equal_nan=True)
    if not mismatch.any():
        return
    fail(
        checked,
        _("values equal to the reference (rtol={rtol}, atol={atol})").format(rtol=f"{rtol:g}", atol=f"{atol:g}"),
        _("{count}/{total} values differ; largest differences:").format(count=int(mismatch.sum()), total=values.numel())
        + "\n"
        + _difference_table(values, expected, mismatch),
        hint,
        tag=tag,
    )


def _difference_table(values: torch.Tensor, expected: torch.Tensor, mismatch: torch.Tensor) -> str:
    diff = (values.double() - expected.double()).abs()
    diff = torch.where(mismatch, torch.nan_to_num(diff, nan=float("inf")), torch.zeros_like(diff))
    order = diff.flatten().argsort(descending=True)[:MAX_ROWS]
    rows = ["            " + _("index        got          expected")]
    for flat in order.tolist():
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), values.shape))
        rows.append(f"            {str(index):<12} {_num(values.flatten()[flat]):<12} {_num(expected.flatten()[flat])}")
    return "\n".join(rows)


def _num(x: torch.Tensor) -> str:
    return f"{x.item():.6g}" if x.is_floating_point() else str(x.item())


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_name(kind: type) -> str:
    names = {TensorObs: N_("a tensor"), float: N_("a float"), int: N_("an int"), bool: N_("a bool"), str: N_("a string")}
    return _(names[kind]) if kind in names else kind.__name__
