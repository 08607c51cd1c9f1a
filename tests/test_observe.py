"""Observations survive the trip from a child process unchanged, and carry no code."""

from __future__ import annotations

import io
import math
import pickle

import pytest
import torch

from grader.engine import observe
from grader.engine.observe import Opaque, TensorObs


def test_parameters_are_seen_as_leaves() -> None:
    obs = observe.snapshot(torch.nn.Parameter(torch.ones(2)))
    assert obs.is_leaf and obs.requires_grad and not obs.has_grad_fn
    assert type(obs.values) is torch.Tensor


def test_round_trip_keeps_every_kind_of_value() -> None:
    x = torch.randn(3, requires_grad=True)
    value = {"t": x * 2, "meta": torch.ones(2, device="meta"), "n": [1, 2.5, float("nan"), None, True, "s"],
             "tuple": (1, 2), "dtype": torch.float64, "module": torch.nn.ReLU()}
    back = observe.loads(observe.dumps(observe.snapshot(value)))
    assert isinstance(back["t"], TensorObs) and back["t"].has_grad_fn and torch.equal(back["t"].values, (x * 2).detach())
    assert back["meta"].values is None and back["meta"].device == "meta"
    assert back["n"][:2] == [1, 2.5] and math.isnan(back["n"][2]) and back["n"][3:] == [None, True, "s"]
    assert back["tuple"] == (1, 2) and back["dtype"] == "torch.float64"
    assert isinstance(back["module"], Opaque) and back["module"].type_name.endswith("ReLU")


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loading_refuses_pickled_code() -> None:
    buffer = io.BytesIO()
    torch.save({"x": _Payload()}, buffer)
    with pytest.raises(pickle.UnpicklingError):
        observe.loads(buffer.getvalue())
