"""Checks for ex01_tensors: in-place reshapes, scaling and the NumPy bridge."""

from __future__ import annotations

import numpy as np
import torch

from grader.engine.api import Case, Exercise, raised_by_stub
from grader.engine.expect import expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag

EXERCISE = Exercise("ex01_tensors")


def _images(case: Case) -> torch.Tensor:
    """A random (N, C, H, W) batch; sizes vary with the seed so nothing can be hard-coded."""
    g = case.generator()
    n, c, h, w = (int(torch.randint(2, 6, (1,), generator=g)) for _i in range(4))
    return torch.randn(n, c, h, w, generator=g)


@EXERCISE.check(points=2, needs=("flatten_images_",), per_device=True)
def flatten_images_in_place(ex, case):
    """flatten_images_ turns (N, C, H, W) into (N, C*H*W) in place and returns the same tensor."""
    images = _images(case).to(case.device)
    pointer = images.data_ptr()
    out = ex.flatten_images_(images)
    return {
        "same_object": out is images,
        "same_storage": isinstance(out, torch.Tensor) and out.data_ptr() == pointer,
        "out": out,
    }


@flatten_images_in_place.judge
def _judge(obs, case):
    images = _images(case)
    checked = _("flatten_images_(images) on a random batch")
    expect_true(
        obs["same_object"], checked, _("the very tensor object that was passed in"), _("a different object"),
        _("In-place means: call images.resize_(...) and return images itself, not a copy or a view."),
        tag=Tag.NOT_IN_PLACE,
    )
    expect_true(
        obs["same_storage"], checked, _("the same storage (data_ptr unchanged)"), _("new memory"),
        _("resize_ to the same number of elements keeps the storage; do not clone or copy."), tag=Tag.NOT_IN_PLACE,
    )
    expect_tensor(
        obs["out"], images.reshape(images.shape[0], -1), checked,
        _("Keep row-major order: row n holds image n read channel by channel, row by row."),
    )


@EXERCISE.check(points=2, needs=("scale_",), per_device=True)
def scale_in_place(ex, case):
    """scale_ multiplies in place and returns the same tensor."""
    tensor = case.randn(3, 5).to(case.device)
    factor = float(case.rand(1, offset=1)) * 4 - 2
    pointer = tensor.data_ptr()
    out = ex.scale_(tensor, factor)
    return {"same_object": out is tensor, "same_storage": tensor.data_ptr() == pointer, "tensor": tensor}


@scale_in_place.judge
def _judge(obs, case):
    factor = float(case.rand(1, offset=1)) * 4 - 2
    checked = f"scale_(tensor, {factor:.3f})"
    expect_true(obs["same_object"], checked, _("the same tensor object back"), _("a different object"),
                ladder(N_("scale_ changes the tensor it is given, in place, and returns that same tensor object, "
                          "not a new one."),
                       N_("PyTorch's in-place methods end in an underscore: mul_ multiplies the tensor itself and "
                          "returns it.")), tag=Tag.NOT_IN_PLACE)
    expect_true(obs["same_storage"], checked, _("the tensor's own memory changed"), _("its storage was replaced"),
                _("An in-place op writes into the existing storage."), tag=Tag.NOT_IN_PLACE)
    expect_tensor(obs["tensor"], case.randn(3, 5) * factor,
                  _("{checked} — the values of the tensor passed in").format(checked=checked),
                  _("The caller's tensor itself must hold the scaled values (in place)."), device=case.device)


def _array(case: Case, dtype: np.dtype) -> np.ndarray:
    return (case.randn(4, 3).numpy() * 10).astype(dtype)


@EXERCISE.check(points=2, needs=("from_numpy_shared",))
def from_numpy_shares_memory(ex, case):
    """from_numpy_shared returns a tensor that shares memory with the array, both ways."""
    found = {}
    for dtype in ("float64", "int32"):
        array = _array(case, np.dtype(dtype))
        tensor = ex.from_numpy_shared(array)
        if not isinstance(tensor, torch.Tensor):
            return {"type": type(tensor).__name__}
        before = tensor.clone()
        array[0, 0] = 123  # write through the array ...
        seen_by_tensor = bool(tensor.reshape(-1)[0] == 123) if tensor.numel() else False
        tensor.reshape(-1)[-1] = 77  # ... and through the tensor
        found[dtype] = {"values": before, "tensor_sees_array": seen_by_tensor, "array_sees_tensor": bool(array[-1, -1] == 77)}
    return {"type": "Tensor", "results": found}


@from_numpy_shares_memory.judge
def _judge(obs, case):
    expect_equal(obs["type"], "Tensor", _("from_numpy_shared returns a torch.Tensor"), _("Use torch.from_numpy(array)."),
                 tag=Tag.WRONG_TYPE)
    for dtype, got in ((dtype, obs["results"][dtype]) for dtype in ("float64", "int32")):
        checked = _("from_numpy_shared on a {dtype} array").format(dtype=dtype)
        expected = torch.from_numpy(_array(case, np.dtype(dtype)))
        expect_tensor(got["values"], expected, _("{checked} (same shape, dtype and values)").format(checked=checked),
                      _("torch.from_numpy keeps shape and dtype."))
        hint = ladder(N_("The tensor and the array must be two views of one block of memory: most ways of making a "
                         "tensor copy the data instead."),
                      N_("torch.tensor copies the array; torch.from_numpy shares its memory."))
        expect_true(got["tensor_sees_array"], checked, _("writing to the array changes the tensor"),
                    _("the tensor did not change"), hint)
        expect_true(got["array_sees_tensor"], checked, _("writing to the tensor changes the array"),
                    _("the array did not change"), hint)


@EXERCISE.check(points=2, needs=("to_numpy_shared",))
def to_numpy_shares_memory(ex, case):
    """to_numpy_shared returns an array sharing memory with a CPU tensor, also one that requires grad."""
    found = {}
    for requires_grad in (False, True):
        tensor = case.randn(3, 4).requires_grad_(requires_grad)
        array = ex.to_numpy_shared(tensor)
        if not isinstance(array, np.ndarray):
            return {"type": type(array).__name__}
        before = torch.from_numpy(np.array(array, copy=True))
        array[0, 0] = 55.0  # write through the array ...
        with torch.no_grad():
            tensor_sees = bool(tensor[0, 0] == 55.0)
            tensor[-1, -1] = -66.0  # ... and through the tensor
        found[str(requires_grad)] = {
            "values": before, "tensor_sees_array": tensor_sees, "array_sees_tensor": bool(array[-1, -1] == -66.0),
            "requires_grad_after": tensor.requires_grad, "grad": tensor.grad,
        }
    return {"type": "ndarray", "results": found}


@to_numpy_shares_memory.judge
def _judge(obs, case):
    expect_equal(obs["type"], "ndarray", _("to_numpy_shared returns a numpy.ndarray"),
                 _("Use tensor.detach().numpy()."), tag=Tag.WRONG_TYPE)
    for requires_grad, got in ((flag, obs["results"][flag]) for flag in ("False", "True")):
        checked = _("to_numpy_shared on a CPU tensor with requires_grad={requires_grad}").format(requires_grad=requires_grad)
        expected = case.randn(3, 4)
        expect_tensor(got["values"], expected, _("{checked} (same shape, dtype and values)").format(checked=checked))
        hint = _("np.array(t) and t.clone().numpy() copy; t.detach().numpy() shares memory.")
        expect_true(got["tensor_sees_array"], checked, _("writing to the array changes the tensor"),
                    _("the tensor did not change"), hint)
        expect_true(got["array_sees_tensor"], checked, _("writing to the tensor changes the array"),
                    _("the array did not change"), hint)
        expect_equal(got["requires_grad_after"], requires_grad == "True",
                     _("{checked}: requires_grad of the caller's tensor").format(checked=checked),
                     _("Detach a copy of the reference (tensor.detach()), do not call requires_grad_(False) on it."),
                     tag=Tag.INPUT_MODIFIED)


@EXERCISE.check(points=1, needs=("to_numpy_shared",), per_device=True)
def to_numpy_rejects_other_devices(ex, case):
    """to_numpy_shared raises ValueError, mentioning the CPU, for a tensor not on the CPU."""
    device = "meta" if case.device == "cpu" else case.device
    tensor = torch.ones(2, 3, device=device)
    try:
        returned = ex.to_numpy_shared(tensor)
    except ValueError as exc:
        return {"raised": "ValueError", "text": str(exc), "device": device}
    except Exception as exc:  # the wrong exception type is a failure, not a crash
        if raised_by_stub(exc):
            raise
        return {"raised": type(exc).__name__, "text": str(exc)[:200], "device": device}
    return {"raised": None, "text": type(returned).__name__, "device": device}


@to_numpy_rejects_other_devices.judge
def _judge(obs, case):
    checked = _("to_numpy_shared on a tensor on the '{device}' device").format(device=obs["device"])
    hint = _("Check tensor.device.type (or tensor.is_cpu) first and raise ValueError('... must be on the CPU ...').")
    if obs["raised"] is None:
        fail(checked, "ValueError", _("no exception (it returned a {type})").format(type=obs["text"]), hint,
             tag=Tag.WRONG_ERROR)
    expect_equal(obs["raised"], "ValueError", _("{checked}: the exception type").format(checked=checked), hint,
                 tag=Tag.WRONG_ERROR)
    expect_true("cpu" in obs["text"].lower(), _("{checked}: the error message").format(checked=checked),
                _("a message saying the tensor must be on the CPU"), repr(obs["text"]), hint)
