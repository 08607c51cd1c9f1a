"""Checks for ex08_data: the ImageNet constants, the two image pipelines and two loaders.

Pipelines are judged twice. *By their steps*: the probe reads the list inside
the returned ``transforms.Compose`` (v1 or v2; a nested ``Compose`` or an
``nn.Sequential`` is opened too) and records each step's class name and
parameters; the judge wants the contract's steps in the contract's order.
Conversions may be written the v1 way (``ToTensor()``) or the v2 way
(``ToImage()`` + ``ToDtype(torch.float32, scale=True)``, or ``PILToTensor()`` +
``ConvertImageDtype(torch.float32)``). A pipeline that has no step list (a
plain function, say) is judged by its effect only. *By their effect*: on a real
photo of the cats-and-dogs fixture the output is a float32 tensor
``(3, S, S)``; the test pipeline equals torchvision's own pipeline (computed
here, in the judge) and is deterministic; the training pipeline changes with
the seed, and undoing ``Normalize`` gives values in [0, 1] on the 1/255 grid
of the 8-bit photo.

Loaders are judged on the fixture's folders (``ImageFolder``) and on seeded
tensors whose rows are unique integers, so every returned row names the
sample it came from.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from grader.engine.api import Case, Exercise
from grader.engine.expect import expect_count, expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex08_data")

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
DEFAULT_SIZE = 224

# ---- shared inputs ------------------------------------------------------------------------------


def _randint(g: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high] (both included)."""
    return int(torch.randint(low, high + 1, (1,), generator=g))


def _sizes(case: Case) -> list[int]:
    """Image sizes to try: two fixed small ones and one that changes with the seed."""
    return [32, 64, _randint(case.generator(7), 40, 120)]


def _photo_paths(train: bool = True) -> list[Path]:
    import data_fixtures

    root = data_fixtures.cats_dogs_root(train)
    return sorted(p for folder in sorted(root.iterdir()) if folder.is_dir() for p in sorted(folder.iterdir()))


def _photo(case: Case, offset: int = 0):
    """A real RGB photo from the fixture, chosen by the seed (a fresh PIL image each call)."""
    from PIL import Image

    paths = _photo_paths(True)
    path = paths[_randint(case.generator(11 + offset), 0, len(paths) - 1)]
    with Image.open(path) as image:
        return image.convert("RGB")


def _photo_name(case: Case, offset: int = 0) -> str:
    paths = _photo_paths(True)
    path = paths[_randint(case.generator(11 + offset), 0, len(paths) - 1)]
    return f"{path.parent.name}/{path.name}"


def _call_build(ex, train: bool, size: int | None, keywords: bool):
    if size is None:
        return ex.build_transforms(train=train) if keywords else ex.build_transforms(train)
    return ex.build_transforms(train=train, image_size=size) if keywords else ex.build_transforms(train, size)


def _call_text(train: bool, size: int | None) -> str:
    return f"build_transforms(train={train})" if size is None else f"build_transforms(train={train}, image_size={size})"


# ---- the probe's view of a pipeline -------------------------------------------------------------

_PARAMS = ("degrees", "expand", "size", "scale", "ratio", "p", "mean", "std", "dtype", "interpolation")


def _plain(value: Any, depth: int = 0) -> Any:
    """A parameter as plain data: numbers, strings, lists of them."""
    if depth > 3:
        return repr(value)[:80]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value, depth + 1)
    if isinstance(value, (torch.dtype, torch.device)):
        return str(value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist() if value.numel() <= 16 else repr(value)[:80]
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in list(value)[:16]]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:16]}
    return repr(value)[:80]


def _container(step: Any) -> list | None:
    """The steps inside a Compose (v1 or v2) or an nn.Sequential, else None."""
    if isinstance(step, nn.Sequential):
        return list(step)
    inner = getattr(step, "transforms", None)
    if type(step).__name__ == "Compose" and isinstance(inner, (list, tuple)):
        return list(inner)
    return None


def _steps(pipeline: Any, depth: int = 0) -> list[dict] | None:
    """Each step's class name and parameters (nested Compose opened), or None without a step list."""
    items = _container(pipeline)
    if items is None:
        return None
    found: list[dict] = []
    for step in items[:30]:
        inner = _steps(step, depth + 1) if depth < 3 else None
        if inner is not None:
            found.extend(inner)
            continue
        params = {name: _plain(getattr(step, name)) for name in _PARAMS if hasattr(step, name)}
        text = json.dumps(params)  # one string: observations may nest only a few levels deep
        found.append({"name": type(step).__name__, "module": type(step).__module__,
                      "params": text if len(text) <= 480 else "{}"})
    return found


# ---- the judge's view of steps ------------------------------------------------------------------

_TO_TENSOR = {"ToTensor"}
_FROM_PIL = {"ToImage", "PILToTensor", "ToImageTensor"}
_TO_DTYPE = {"ToDtype", "ConvertImageDtype"}
_NEUTRAL = {"ToPureTensor"}
_CONVERSIONS = _TO_TENSOR | _FROM_PIL | _TO_DTYPE | _NEUTRAL


def _render(step: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in step.get("params", {}).items())
    text = f"{step.get('name')}({params})"
    return text if len(text) <= 110 else text[:107] + "..."


def _render_all(steps: list[dict]) -> str:
    return "[" + ", ".join(_render(s) for s in steps) + "]"


def _numbers(value: Any) -> list[float] | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    return None


def _close(got: Any, want: tuple[float, ...], tol: float = 1e-6) -> bool:
    values = _numbers(got)
    return values is not None and len(values) == len(want) and all(abs(a - b) <= tol for a, b in zip(values, want))


def _square(value: Any) -> tuple[int, int] | None:
    """A crop size as (h, w): an int s, [s] or [h, w]."""
    values = _numbers(value)
    if values is None or len(values) not in (1, 2) or any(v != int(v) for v in values):
        return None
    return (int(values[0]), int(values[-1]))


def _bilinear(step: dict) -> bool:
    if "interpolation" not in step["params"]:
        return True
    value = step["params"]["interpolation"]
    return value == 2 or (isinstance(value, str) and "bilinear" in value.lower())


def _is_float_dtype(step: dict) -> bool:
    return "float32" in str(step["params"].get("dtype"))


def _judge_conversions(steps: list[dict], checked: str, expected: str) -> None:
    """Before Normalize: ToTensor(), or PIL->tensor followed by a scaled conversion to float32."""
    names = [s["name"] for s in steps]
    before = steps[: names.index("Normalize")]
    hint = (_("Put ToTensor() (v2: ToImage() then ToDtype(torch.float32, scale=True)) before "
              "Normalize: Normalize works on float tensors with values in [0, 1]."))
    for step in before:
        if step["name"] == "ToDtype" and _is_float_dtype(step) and step["params"].get("scale") is not True:
            fail(checked, _("ToDtype(torch.float32, scale=True), which divides by 255"), _render(step),
                 _("Without scale=True the pixels stay in [0, 255]; ToTensor() and ToDtype(..., "
                   "scale=True) give [0, 1]."))
    if any(s["name"] in _TO_TENSOR for s in before):
        return
    from_pil = next((i for i, s in enumerate(before) if s["name"] in _FROM_PIL), None)
    scaled = from_pil is not None and any(
        s["name"] in _TO_DTYPE and _is_float_dtype(s) and (s["name"] == "ConvertImageDtype" or s["params"].get("scale"))
        for s in before[from_pil + 1:]
    )
    if not scaled:
        fail(checked, expected,
             _("{steps} (no conversion to a float tensor before Normalize)").format(steps=_render_all(steps)), hint)


def _judge_steps(steps: list[dict] | None, want: list[tuple[str, Any]], checked: str, expected: str,
                 order_hint: str) -> None:
    """``want``: (class name, test(step) -> None or raises) for each non-conversion step, in order."""
    if steps is None:
        return  # no step list: the effect checks judge this pipeline
    ops = [s for s in steps if s["name"] not in _CONVERSIONS]
    names = [s["name"] for s in ops]
    if names != [name for name, _unused in want]:
        fail(checked, expected, _render_all(steps), order_hint)
    _judge_conversions(steps, checked, expected)
    for step, (_unused, test) in zip(ops, want):
        test(step, checked)


def _test_normalize(step: dict, checked: str) -> None:
    params = step["params"]
    expect_true(_close(params.get("mean"), MEAN) and _close(params.get("std"), STD),
                _("{checked}: {name}").format(checked=checked, name="Normalize"),
                f"Normalize(mean={list(MEAN)}, std={list(STD)})", _render(step),
                _("Pass the ImageNet constants: Normalize(IMAGENET_MEAN, IMAGENET_STD) (mean "
                  "first, then std)."))


# ---- IMAGENET_MEAN / IMAGENET_STD -----------------------------------------------------------------


@EXERCISE.check(points=1, needs=("IMAGENET_MEAN", "IMAGENET_STD", "build_transforms"))
def imagenet_constants(ex, case):
    """IMAGENET_MEAN and IMAGENET_STD hold the ImageNet per-channel mean and std, and the pipelines use them."""
    found = {}
    for name in ("IMAGENET_MEAN", "IMAGENET_STD"):
        value = getattr(ex, name)
        found[name] = {"type": type(value).__name__, "values": _plain(value)}
    found["out"] = ex.build_transforms(False, 32)(_photo(case, 5))  # the stub's constants alone earn nothing
    return found


@imagenet_constants.judge
def _judge(obs, case):
    for name, want in (("IMAGENET_MEAN", MEAN), ("IMAGENET_STD", STD)):
        got = obs[name]
        expect_true(_close(got["values"], want, 1e-9), _("the constant {name} (red, green, blue)").format(name=name),
                    str(want), _("{values} (a {type})").format(values=repr(got["values"]), type=got["type"]),
                    _("Copy the values from the contract: mean (0.485, 0.456, 0.406), std "
                      "(0.229, 0.224, 0.225)."))
    checked = _("{call} applied to the photo {photo}").format(call=_call_text(False, 32), photo=_photo_name(case, 5))
    _expect_normalised_photo(_expect_image_tensor(obs["out"], 32, checked), checked)


# ---- build_transforms: steps --------------------------------------------------------------------


def _step_probe(ex, case, train: bool) -> dict:
    found = {}
    for i, size in enumerate([*_sizes(case), None]):
        pipeline = _call_build(ex, train, size, keywords=i % 2 == 1)
        found[str(size or "default")] = {"type": type(pipeline).__name__, "steps": _steps(pipeline)}
    return found


def _each_size(obs, case: Case) -> list[tuple[str, Any]]:
    """The probe's findings for each size it asked for, in its order (a size it did not report fails)."""
    keys = [str(size or "default") for size in [*_sizes(case), None]]
    return [(key, obs[key]) for key in keys]


def _parsed(steps: Any) -> list[dict] | None:
    """The probe's steps with their parameters decoded (None: no step list to judge)."""
    if not isinstance(steps, list):
        return None
    parsed = []
    for step in steps:
        if not isinstance(step, dict):
            step = {"name": describe(step), "params": "{}"}
        try:
            params = json.loads(step["params"])
        except (TypeError, ValueError, KeyError):
            params = {}
        parsed.append({"name": str(step.get("name")), "params": params if isinstance(params, dict) else {}})
    return parsed


def _train_steps(size: int) -> list[tuple[str, Any]]:
    def rotation(step, checked):
        params = step["params"]
        expect_true(_close(params.get("degrees"), (-30.0, 30.0)) and not params.get("expand"),
                    _("{checked}: {name}").format(checked=checked,
                                                  name="RandomRotation"), "RandomRotation(30): degrees (-30, 30), expand=False",
                    _render(step), _("RandomRotation(30) turns by a random angle between -30 and "
                                     "30 degrees."))

    def crop(step, checked):
        params = step["params"]
        ok = (_square(params.get("size")) == (size, size) and _close(params.get("scale"), (0.08, 1.0))
              and _close(params.get("ratio"), (3 / 4, 4 / 3)) and _bilinear(step))
        expect_true(ok, _("{checked}: {name}").format(checked=checked, name="RandomResizedCrop"),
                    _("RandomResizedCrop({size}): size ({size}, {size}), the default scale "
                      "(0.08, 1.0), ratio (3/4, 4/3) and bilinear interpolation").format(size=size), _render(step),
                    _("Pass image_size (the function's argument, not a fixed number) and keep "
                      "the other defaults."))

    def flip(step, checked):
        expect_true(_close(step["params"].get("p"), (0.5,)),
                    _("{checked}: {name}").format(checked=checked, name="RandomHorizontalFlip"),
                    _("RandomHorizontalFlip() with p=0.5"), _render(step),
                    _("Keep the default p=0.5: half of the images are mirrored."))

    return [("RandomRotation", rotation), ("RandomResizedCrop", crop), ("RandomHorizontalFlip", flip),
            ("Normalize", _test_normalize)]


def _test_steps(size: int) -> list[tuple[str, Any]]:
    resize_to = size * 256 // 224

    def resize(step, checked):
        got = _numbers(step["params"].get("size"))
        if got is not None and len(got) == 2:
            fail(_("{checked}: {name}").format(checked=checked, name="Resize"),
                 _("Resize({resize}): one number, the length of the "
                   "shorter side").format(resize=resize_to),
                 _render(step), _("Resize((h, w)) squashes the photo to that shape; Resize(n) "
                                  "scales the shorter side to n and keeps the aspect ratio."))
        expect_true(got is not None and got == [resize_to] and _bilinear(step),
                    _("{checked}: {name}").format(checked=checked, name="Resize"),
                    f"Resize({resize_to}) (image_size * 256 // 224, bilinear)", _render(step),
                    _("Compute image_size * 256 // 224 from the argument (256 for 224, 73 for "
                      "64)."))

    def center(step, checked):
        expect_true(_square(step["params"].get("size")) == (size, size),
                    _("{checked}: {name}").format(checked=checked, name="CenterCrop"),
                    f"CenterCrop({size})", _render(step), _("Crop the centre to image_size: "
                                                            "CenterCrop(image_size)."))

    return [("Resize", resize), ("CenterCrop", center), ("Normalize", _test_normalize)]


@EXERCISE.check(points=2, needs=("build_transforms",))
def train_transform_steps(ex, case):
    """build_transforms(True, S): RandomRotation(30), RandomResizedCrop(S), RandomHorizontalFlip(), ToTensor(), Normalize."""
    return _step_probe(ex, case, True)


@train_transform_steps.judge
def _judge(obs, case):
    for key, call in _each_size(obs, case):
        size = DEFAULT_SIZE if key == "default" else int(key)
        checked = _("the steps of {call}").format(call=_call_text(True, None if key == "default" else size))
        _judge_steps(_parsed(call["steps"]), _train_steps(size), checked,
                     _("RandomRotation(30), RandomResizedCrop({size}), RandomHorizontalFlip(), "
                       "ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD), in this order").format(size=size),
                     _("Return transforms.Compose([...]) with exactly these steps, in the contract's order."))


@EXERCISE.check(points=2, needs=("build_transforms",))
def test_transform_steps(ex, case):
    """build_transforms(False, S): Resize(S * 256 // 224), CenterCrop(S), ToTensor(), Normalize."""
    return _step_probe(ex, case, False)


@test_transform_steps.judge
def _judge(obs, case):
    for key, call in _each_size(obs, case):
        size = DEFAULT_SIZE if key == "default" else int(key)
        checked = _("the steps of {call}").format(call=_call_text(False, None if key == "default" else size))
        _judge_steps(_parsed(call["steps"]), _test_steps(size), checked,
                     _("Resize({resize}), CenterCrop({size}), ToTensor(), "
                       "Normalize(IMAGENET_MEAN, IMAGENET_STD), in this order").format(resize=size * 256 // 224,
                                                                                       size=size),
                     _("The test pipeline has no random step: Resize, CenterCrop, ToTensor, Normalize."))


# ---- build_transforms: effect on a real photo ---------------------------------------------------


def _expect_image_tensor(got: Any, size: int, checked: str) -> torch.Tensor:
    """A float32 tensor (3, size, size); returns its values."""
    if not isinstance(got, TensorObs):
        fail(checked, _("a float tensor of shape (3, {size}, {size})").format(size=size), describe(got),
             _("End the pipeline with ToTensor() and Normalize(...): the output must be a "
               "tensor, not a PIL image."),
             tag=Tag.WRONG_TYPE)
    expect_equal(tuple(got.shape), (3, size, size), _("{checked}: the shape of the output").format(checked=checked),
                 _("RandomResizedCrop(image_size) / CenterCrop(image_size) make the image "
                   "image_size x image_size; ToTensor puts the channels first."), tag=Tag.WRONG_SHAPE)
    expect_equal(got.dtype, "torch.float32", _("{checked}: the dtype of the output").format(checked=checked),
                 _("ToTensor() (v2: ToDtype(torch.float32, scale=True)) gives float32."))
    if got.values is None:
        fail(checked, _("a tensor with values"), describe(got), tag=Tag.WRONG_TYPE)
    return got.values


def _denormalised(values: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, dtype=torch.float64).view(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(3, 1, 1)
    return values.double() * std + mean


def _expect_normalised_photo(values: torch.Tensor, checked: str) -> None:
    """Undoing Normalize(MEAN, STD) gives pixels in [0, 1] on the 1/255 grid of an 8-bit photo."""
    pixels = _denormalised(values)
    low, high = float(pixels.min()), float(pixels.max())
    expect_true(low >= -1e-4 and high <= 1 + 1e-4, _("{checked}: the values after undoing the "
                                                     "normalisation (x * IMAGENET_STD + "
                                                     "IMAGENET_MEAN, per channel)").format(checked=checked), _("pixels in [0, 1]"),
                _("values from {low:.4g} to {high:.4g}").format(low=low, high=high),
                _("ToTensor() scales the pixels to [0, 1]; then Normalize(IMAGENET_MEAN, "
                  "IMAGENET_STD) subtracts the mean and divides by the std of each channel. "
                  "Check both steps and their order."))
    steps = pixels * 255
    off = float((steps - steps.round()).abs().max())
    expect_true(off < 2e-3,
                _("{checked}: the values after undoing the normalisation, times 255").format(checked=checked),
                _("whole numbers (the photo's 8-bit pixels, up to float error)"),
                _("values up to {off:.3g} away from a whole number").format(off=off),
                _("Normalize with exactly IMAGENET_MEAN and IMAGENET_STD (mean first), and do "
                  "every resize, crop, rotation and flip on the PIL photo, before ToTensor()."))


@EXERCISE.check(points=2, needs=("build_transforms",))
def transforms_output_shape(ex, case):
    """Both pipelines map a photo to a float32 tensor (3, S, S), for several S and the default 224."""
    found = []
    for train in (False, True):
        for i, size in enumerate([*_sizes(case), None]):
            pipeline = _call_build(ex, train, size, keywords=i % 2 == 0)
            found.append({"train": train, "size": size, "out": pipeline(_photo(case, i))})
    return {"calls": found, "grad": torch.is_grad_enabled(), "dtype": torch.get_default_dtype()}


@transforms_output_shape.judge
def _judge(obs, case):
    for i, call in enumerate(expect_count(obs["calls"], 2 * (len(_sizes(case)) + 1), "build_transforms(...)")):
        size = call["size"] or DEFAULT_SIZE
        checked = _("{call} applied to the photo {photo}").format(call=_call_text(call["train"], call["size"]),
                                                           photo=_photo_name(case, i % 4))
        _expect_image_tensor(call["out"], size, checked)
    expect_equal(obs["grad"], True, _("torch.is_grad_enabled() after build_transforms and its "
                                      "pipelines ran"),
                 _("Do not switch grad mode off globally (torch.set_grad_enabled(False))."), tag=Tag.GRAD_MODE_LEAKED)
    expect_equal(obs["dtype"], "torch.float32", _("torch.get_default_dtype() after "
                                                  "build_transforms ran"),
                 _("Do not change the default dtype."), tag=Tag.GLOBAL_STATE_LEAKED)


def _test_references(image, size: int) -> list[torch.Tensor]:
    """torchvision's test pipeline on the photo: resizing the PIL image (the contract's order), or, as the v2
    docs do it, the photo as a uint8 tensor (v2's and v1's uint8 kernels round a few pixels differently)."""
    from torchvision.transforms import functional as F
    from torchvision.transforms.v2 import functional as F2

    resize_to = size * 256 // 224
    pil_path = F.to_tensor(F.center_crop(F.resize(image, resize_to), [size, size]))
    uint8 = F.pil_to_tensor(image)
    v2_path = F2.center_crop(F2.resize(uint8, [resize_to], antialias=True), [size, size]).float() / 255
    v1_path = F.center_crop(F.resize(uint8, [resize_to], antialias=True), [size, size]).float() / 255
    return [F.normalize(t, MEAN, STD) for t in (pil_path, v2_path, v1_path)]


@EXERCISE.check(points=2, needs=("build_transforms",))
def test_transform_matches_torchvision(ex, case):
    """The test pipeline gives the same tensor as torchvision's Resize, CenterCrop, ToTensor, Normalize."""
    found = []
    for i, size in enumerate(_sizes(case)):
        pipeline = _call_build(ex, False, size, keywords=i % 2 == 1)
        found.append({"size": size, "out": pipeline(_photo(case, 20 + i))})
    return {"calls": found}


@test_transform_matches_torchvision.judge
def _judge(obs, case):
    for i, call in enumerate(expect_count(obs["calls"], len(_sizes(case)), "build_transforms(False, ...)")):
        size = call["size"]
        checked = _("{call} applied to the photo {photo}").format(call=_call_text(False, size),
                                                                  photo=_photo_name(case, 20 + i))
        values = _expect_image_tensor(call["out"], size, checked)
        _expect_normalised_photo(values, checked)
        pil_path, *tensor_paths = _test_references(_photo(case, 20 + i), size)
        tol = dict(rtol=1e-5, atol=1e-5)
        if any(torch.allclose(values, other, **tol) for other in tensor_paths):
            continue  # resized as a uint8 tensor (v2 with ToImage() first): also correct
        expect_tensor(call["out"], pil_path, _("{checked}, compared with torchvision's "
                                               "Resize({resize}), CenterCrop({size}), ToTensor(), "
                                               "Normalize(IMAGENET_MEAN, IMAGENET_STD)").format(checked=checked,
                                                                                                resize=size * 256 // 224, size=size),
                      _("Resize(image_size * 256 // 224) with ONE number (the shorter side, "
                        "keeping the aspect ratio, default bilinear), then "
                        "CenterCrop(image_size), then ToTensor() and Normalize."), **tol)


@EXERCISE.check(points=1, needs=("build_transforms",))
def test_transform_deterministic(ex, case):
    """The test pipeline gives the same output every time, whatever the random seed."""
    size = _sizes(case)[2]
    image = _photo(case, 30)
    pipeline = ex.build_transforms(False, size)
    torch.manual_seed(case.seed)
    first = pipeline(image)
    torch.manual_seed(case.seed + 1)
    second = pipeline(image)
    torch.manual_seed(case.seed + 2)
    third = ex.build_transforms(False, size)(image)
    import numpy as np

    return {"outs": [first, second, third], "image_after": torch.from_numpy(np.array(image))}


@test_transform_deterministic.judge
def _judge(obs, case):
    import numpy as np

    size = _sizes(case)[2]
    checked = _("{call} applied three times to the photo {photo} with other seeds").format(
        call=_call_text(False, size), photo=_photo_name(case, 30))
    first = _expect_image_tensor(expect_count(obs["outs"], 3, "build_transforms(False, ...)")[0], size, checked)
    for k, out in enumerate(obs["outs"][1:], start=2):
        expect_tensor(out, first, _("{checked}: call {k} compared with call 1").format(checked=checked, k=k),
                      _("The test pipeline must not be random: no RandomResizedCrop, "
                        "RandomRotation or flips, only Resize and CenterCrop."), rtol=0, atol=0)
    expect_tensor(obs["image_after"], torch.from_numpy(np.array(_photo(case, 30))),
                  _("{checked}: the photo passed in, afterwards").format(checked=checked), _("Do not change the caller's image."), rtol=0, atol=0)


@EXERCISE.check(points=1, needs=("build_transforms",))
def train_transform_random(ex, case):
    """The training pipeline is random: with different torch.manual_seed values its outputs differ."""
    image = _photo(case, 40)
    pipeline = ex.build_transforms(True, 32)
    outs = []
    for k in range(4):
        torch.manual_seed(case.seed + 1000 * k)
        outs.append(pipeline(image))
    return {"outs": outs}


@train_transform_random.judge
def _judge(obs, case):
    checked = _("{call} applied to the photo {photo} after 4 different torch.manual_seed").format(
        call=_call_text(True, 32), photo=_photo_name(case, 40))
    values = [_expect_image_tensor(out, 32, checked) for out in expect_count(obs["outs"], 4, "build_transforms(True, 32)")]
    same = [(a + 1, b + 1) for a in range(len(values)) for b in range(a + 1, len(values))
            if torch.equal(values[a], values[b])]
    expect_true(not same, checked, _("4 different outputs (random rotation, crop and flip)"),
                _("equal outputs for {pairs}").format(pairs=_("; ").join(
                    _("call {a} and call {b}").format(a=a, b=b) for a, b in same)),
                _("The training pipeline augments at random: RandomRotation(30), "
                  "RandomResizedCrop(image_size), RandomHorizontalFlip(); it must not be the "
                  "test pipeline."))


@EXERCISE.check(points=1, needs=("build_transforms",))
def train_transform_normalised(ex, case):
    """The training pipeline ends with ToTensor and Normalize(IMAGENET_MEAN, IMAGENET_STD) on the photo's pixels."""
    found = []
    for k, size in enumerate(_sizes(case)):
        pipeline = _call_build(ex, True, size, keywords=k % 2 == 0)
        torch.manual_seed(case.seed + k)
        found.append({"size": size, "out": pipeline(_photo(case, 50 + k))})
    return {"calls": found}


@train_transform_normalised.judge
def _judge(obs, case):
    for k, call in enumerate(expect_count(obs["calls"], len(_sizes(case)), "build_transforms(True, ...)")):
        checked = _("{call} applied to the photo {photo}").format(call=_call_text(True, call["size"]),
                                                                  photo=_photo_name(case, 50 + k))
        values = _expect_image_tensor(call["out"], call["size"], checked)
        _expect_normalised_photo(values, checked)


# ---- image_folder_loader ------------------------------------------------------------------------


def _folder_size(case: Case) -> int:
    return _randint(case.generator(60), 8, 20)


def _folder_transform(case: Case):
    """The grader's own transform: a small square copy of each photo, so every sample is recognisable."""
    from torchvision import transforms as T

    size = _folder_size(case)
    return T.Compose([T.Resize((size, size)), T.ToTensor()])


def _folder_batch_size(case: Case) -> int:
    return [3, 6, 7, 8, 9][_randint(case.generator(61), 0, 4)]  # never divides the 20 training photos


def _folder_reference(train: bool, case: Case) -> tuple[torch.Tensor, torch.Tensor]:
    """Every sample of the folder, in ImageFolder's order, with the grader's transform."""
    import data_fixtures
    from torchvision.datasets import ImageFolder

    dataset = ImageFolder(data_fixtures.cats_dogs_root(train), transform=_folder_transform(case))
    images, labels = zip(*(dataset[i] for i in range(len(dataset))))
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64)


def _epoch(loader, limit: int = 40) -> list:
    return [batch for _unused, batch in zip(range(limit), loader)]


def _split_batch(batch: Any, checked: str) -> tuple[TensorObs, TensorObs]:
    if not isinstance(batch, (list, tuple)) or len(batch) != 2:
        fail(checked, _("batches (images, labels): two tensors"), describe(batch),
             _("Wrap the dataset in torch.utils.data.DataLoader; it gives [images, labels] "
               "batches."), tag=Tag.WRONG_TYPE)
    images, labels = batch
    for name, value in (("images", images), ("labels", labels)):
        if not isinstance(value, TensorObs) or value.values is None:
            fail(checked, _("the {name} of each batch as a tensor").format(name=name), describe(value),
                 _("Let DataLoader's default collate stack the samples (no collate_fn)."), tag=Tag.WRONG_TYPE)
    return images, labels


def _sizes_of(batches: list, checked: str) -> tuple[list[int], torch.Tensor, torch.Tensor]:
    """Batch sizes and the concatenated samples and labels of one epoch."""
    if not isinstance(batches, list) or not batches:
        fail(checked, _("at least one batch"), describe(batches), _("Return a DataLoader over the dataset."),
             tag=Tag.WRONG_TYPE)
    pairs = [_split_batch(b, checked) for b in batches]
    sizes = [int(images.shape[0]) if images.shape else 0 for images, _unused in pairs]
    shapes = {tuple(images.shape[1:]) for images, _unused in pairs}
    if len(shapes) != 1:
        fail(checked, _("batches of samples with one shape"),
             _("sample shapes {shapes}").format(shapes=sorted(shapes)), tag=Tag.WRONG_SHAPE)
    return sizes, torch.cat([i.values for i, _unused in pairs]), torch.cat([l.values.reshape(-1) for _unused,
                                                                            l in pairs])


def _expected_sizes(n: int, batch_size: int) -> list[int]:
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


def _match_rows(rows: torch.Tensor, reference: torch.Tensor) -> list[int | None]:
    """For each row, the index of the reference sample it equals (None if none)."""
    got = rows.reshape(rows.shape[0], -1).double()
    ref = reference.reshape(reference.shape[0], -1).double()
    if got.shape[1] != ref.shape[1]:
        return [None] * got.shape[0]
    distance = (got[:, None, :] - ref[None, :, :]).abs().amax(dim=2)
    best = distance.min(dim=1)
    return [int(i) if float(d) <= 1e-5 else None for d, i in zip(best.values, best.indices)]


@EXERCISE.check(points=2, needs=("image_folder_loader",))
def image_folder_loader_dataset(ex, case):
    """image_folder_loader returns a DataLoader over an ImageFolder of root: classes cat=0, dog=1, one sample a photo."""
    import data_fixtures
    from torch.utils.data import DataLoader
    from torchvision.datasets import ImageFolder

    found = {}
    for train in (True, False):
        root = data_fixtures.cats_dogs_root(train)
        loader = ex.image_folder_loader(root if train else str(root), _folder_transform(case), 4, False)
        dataset = getattr(loader, "dataset", None)
        found[str(train)] = {
            "type": type(loader).__name__,
            "is_dataloader": isinstance(loader, DataLoader),
            "dataset_type": type(dataset).__name__,
            "is_image_folder": isinstance(dataset, ImageFolder),
            "class_to_idx": _plain(getattr(dataset, "class_to_idx", None)),
            "length": len(dataset) if hasattr(dataset, "__len__") else None,
        }
    return found


@image_folder_loader_dataset.judge
def _judge(obs, case):
    for train in (True, False):
        got = obs[str(train)]
        split = "train" if train else "test"
        checked = f"image_folder_loader(data_fixtures.cats_dogs_root({train}), transform, 4, False)"
        expect_true(got["is_dataloader"], checked, _("a torch.utils.data.DataLoader"),
                    _("a {type} object").format(type=got["type"]),
                    ladder(N_("Return a DataLoader: it wraps the ImageFolder dataset and hands out its samples in "
                              "batches."),
                           N_("Give the DataLoader the batch size and the shuffle flag you were given, unchanged.")))
        expect_true(got["is_image_folder"], _("{checked}: {name}").format(checked=checked, name="loader.dataset"),
                    _("a torchvision.datasets.ImageFolder"),
                    _("a {type} object").format(type=got["dataset_type"]), _("Build datasets.ImageFolder(root, "
                                                                             "transform=transform)."))
        expect_equal(got["class_to_idx"], {"cat": 0, "dog": 1},
                     _("{checked}: {name}").format(checked=checked, name="loader.dataset.class_to_idx"),
                     _("ImageFolder names the classes after the sub-folders of root, in sorted "
                       "order."))
        photos = len(_photo_paths(train))
        expect_equal(got["length"], photos, _("{checked}: len(loader.dataset) (the {split} "
                                              "folder has {photos} photos)").format(checked=checked, split=split,
                                                                                    photos=photos),
                     _("Use root itself (the folder holding cat/ and dog/), not a sub-folder or "
                       "its parent."))


@EXERCISE.check(points=2, needs=("image_folder_loader",))
def image_folder_loader_batches(ex, case):
    """image_folder_loader applies transform and gives batches of batch_size (the last smaller) in folder order when shuffle=False."""
    import data_fixtures

    loader = ex.image_folder_loader(data_fixtures.cats_dogs_root(True), _folder_transform(case),
                                    batch_size=_folder_batch_size(case), shuffle=False)
    epochs = []
    for k in range(2):
        torch.manual_seed(case.seed + k)
        epochs.append(_epoch(loader))
    return {"epochs": epochs}


@image_folder_loader_batches.judge
def _judge(obs, case):
    images, labels = _folder_reference(True, case)
    size, batch_size = _folder_size(case), _folder_batch_size(case)
    want_sizes = _expected_sizes(len(labels), batch_size)
    for k, batches in enumerate(expect_count(obs["epochs"], 2, "image_folder_loader(...)"), start=1):
        checked = (_("image_folder_loader(cats_dogs train folder, Resize(({size}, {size})) + "
                     "ToTensor(), batch_size={batch_size}, shuffle=False), epoch {k}").format(size=size,
                                                                                              batch_size=batch_size, k=k))
        for images_obs, labels_obs in (_split_batch(b, checked) for b in batches):
            expect_equal(labels_obs.dtype, "torch.int64",
                         _("{checked}: the dtype of the labels").format(checked=checked),
                         _("ImageFolder gives int labels; DataLoader stacks them into an int64 "
                           "tensor."))
        sizes, got_images, got_labels = _sizes_of(batches, checked)
        expect_equal(sizes, want_sizes, _("{checked}: the sizes of the batches").format(checked=checked),
                     _("Pass batch_size to DataLoader and keep the last, smaller batch (no "
                       "drop_last): {count} photos in batches of {batch_size}.").format(count=len(labels),
                                                                                        batch_size=batch_size))
        expect_tensor(_tensor_obs(got_images),
                      images, _("{checked}: the images of one epoch, in order").format(checked=checked),
                      _("Give transform to ImageFolder(root, transform=transform) and do not "
                        "shuffle when shuffle=False."), rtol=1e-5, atol=1e-6)
        expect_tensor(_tensor_obs(got_labels),
                      labels, _("{checked}: the labels of one epoch, in order").format(checked=checked),
                      _("Pass shuffle=shuffle to DataLoader (False keeps the folder order: all "
                        "cats, then all dogs)."))


@EXERCISE.check(points=1, needs=("image_folder_loader",))
def image_folder_loader_defaults(ex, case):
    """image_folder_loader(root, transform) defaults to batch_size=32 and no shuffling."""
    import data_fixtures

    loader = ex.image_folder_loader(data_fixtures.cats_dogs_root(False), _folder_transform(case))
    torch.manual_seed(case.seed)
    return {"batch_size": getattr(loader, "batch_size", None), "epoch": _epoch(loader)}


@image_folder_loader_defaults.judge
def _judge(obs, case):
    checked = _("image_folder_loader(cats_dogs test folder, transform) with the default "
                "batch_size and shuffle")
    expect_equal(obs["batch_size"], 32, _("{checked}: {name}").format(checked=checked, name="loader.batch_size"),
                 _("Keep the defaults of the signature: batch_size=32, shuffle=False."))
    images, labels = _folder_reference(False, case)
    sizes, got_images, got_labels = _sizes_of(obs["epoch"], checked)
    expect_equal(sizes, [len(labels)], _("{checked}: the sizes of the batches").format(checked=checked),
                 _("batch_size=32 by default."))
    expect_equal(_match_rows(got_images, images), list(range(len(labels))), _("{checked}: the order of the photos "
                                                                              "(their index in the folder)").format(checked=checked), _("shuffle=False by default: keep the folder "
                                                  "order."))


@EXERCISE.check(points=1, needs=("image_folder_loader",))
def image_folder_loader_shuffles(ex, case):
    """image_folder_loader with shuffle=True gives each photo once per epoch, in an order that changes with the seed."""
    import data_fixtures

    loader = ex.image_folder_loader(data_fixtures.cats_dogs_root(True), _folder_transform(case),
                                    _folder_batch_size(case), True)
    epochs = []
    for k in range(3):
        torch.manual_seed(case.seed + 100 * k)
        epochs.append(_epoch(loader))
    return {"epochs": epochs}


@image_folder_loader_shuffles.judge
def _judge(obs, case):
    images, labels = _folder_reference(True, case)
    n, batch_size = len(labels), _folder_batch_size(case)
    orders = []
    for k, batches in enumerate(expect_count(obs["epochs"], 3, "image_folder_loader(...)"), start=1):
        checked = (_("image_folder_loader(cats_dogs train folder, transform, "
                     "batch_size={batch_size}, shuffle=True), epoch {k} after torch.manual_seed").format(batch_size=batch_size, k=k))
        sizes, got_images, got_labels = _sizes_of(batches, checked)
        expect_equal(sizes, _expected_sizes(n, batch_size),
                     _("{checked}: the sizes of the batches").format(checked=checked),
                     _("Pass batch_size to DataLoader and keep the last, smaller batch."))
        order = _match_rows(got_images, images)
        expect_true(sorted(i for i in order if i is not None) == list(range(n)) and None not in order,
                    _("{checked}: which photos came out").format(checked=checked), _("each of the {n} photos exactly once").format(n=n),
                    _("photo indices {order}").format(order=order), _("Let DataLoader(shuffle=True) shuffle: it gives "
                                                                      "a permutation per epoch."))
        expect_tensor(_tensor_obs(got_labels),
                      labels[order], _("{checked}: the label of each photo").format(checked=checked),
                      _("Keep each photo with its own label (ImageFolder's (image, label) pairs)."))
        orders.append(order)
    identity = list(range(n))
    expect_true(any(o != identity for o in orders) and len({tuple(o) for o in orders}) > 1,
                _("image_folder_loader(..., shuffle=True) over {count} epochs with different "
                  "seeds").format(count=len(orders)),
                _("a new random order each epoch"), _("orders {orders}").format(orders=orders),
                _("Pass shuffle=shuffle to DataLoader."))


# ---- tensor_loader ------------------------------------------------------------------------------


def _tensor_data(case: Case, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor, int]:
    """x (N, 2, 3) with unique integer values (each row names its sample), y int64 labels, a batch size."""
    g = case.generator(70 + offset)
    batch_size = _randint(g, 3, 8)
    n = _randint(g, 11, 40)
    if n % batch_size == 0:
        n += 1
    x = torch.randperm(n * 6, generator=g).reshape(n, 2, 3).float()
    y = torch.randint(0, 5, (n,), generator=g)
    return x, y, batch_size


def _tensor_obs(t: torch.Tensor) -> TensorObs:
    return TensorObs(t, tuple(t.shape), str(t.dtype), "cpu", False, False, True)


def _tensor_epoch(batches: Any, x: torch.Tensor, y: torch.Tensor, batch_size: int, checked: str) -> list[int]:
    """Judge one epoch: batch sizes, dtypes, each sample once with its own label; returns the order."""
    n = x.shape[0]
    if not isinstance(batches, list) or not batches:
        fail(checked, _("at least one batch"), describe(batches), _("Return a DataLoader over "
                                                                    "TensorDataset(x, y)."),
             tag=Tag.WRONG_TYPE)
    for batch in batches:
        xb, yb = _split_batch(batch, checked)
        expect_equal((xb.dtype, yb.dtype), (str(x.dtype), str(y.dtype)),
                     _("{checked}: the dtypes of (xb, yb)").format(checked=checked),
                     _("Keep x and y as they are: TensorDataset(x, y) does not convert them."))
    sizes, rows, labels = _sizes_of(batches, checked)
    expect_equal(sizes, _expected_sizes(n, batch_size),
                 _("{checked}: the sizes of the batches").format(checked=checked),
                 _("DataLoader(dataset, batch_size=batch_size) without drop_last: {n} samples in "
                   "batches of {batch_size}, the last one smaller.").format(n=n, batch_size=batch_size))
    expect_equal(tuple(rows.shape[1:]), tuple(x.shape[1:]),
                 _("{checked}: the shape of one sample of x").format(checked=checked),
                 _("Do not reshape x: TensorDataset(x, y)[i] is (x[i], y[i])."), tag=Tag.WRONG_SHAPE)
    order = _match_rows(rows, x)
    expect_true(None not in order and sorted(order) == list(range(n)),
                _("{checked}: which samples came out").format(checked=checked),
                _("each of the {n} samples exactly once").format(n=n), _("sample indices {order}").format(order=order),
                _("Use DataLoader's own shuffle (a permutation per epoch), not sampling with "
                  "replacement."))
    expect_tensor(_tensor_obs(labels), y[order], _("{checked}: the label next to each sample").format(checked=checked),
                  _("Wrap both tensors in one TensorDataset(x, y) so every x[i] stays with y[i]."))
    return order


@EXERCISE.check(points=1, needs=("tensor_loader",))
def tensor_loader_dataset(ex, case):
    """tensor_loader returns a DataLoader over a TensorDataset of (x, y)."""
    from torch.utils.data import DataLoader, TensorDataset

    x, y, batch_size = _tensor_data(case)
    loader = ex.tensor_loader(x, y, batch_size, False)
    dataset = getattr(loader, "dataset", None)
    return {
        "type": type(loader).__name__,
        "is_dataloader": isinstance(loader, DataLoader),
        "dataset_type": type(dataset).__name__,
        "is_tensor_dataset": isinstance(dataset, TensorDataset),
        "tensors": list(dataset.tensors) if isinstance(dataset, TensorDataset) else None,
    }


@tensor_loader_dataset.judge
def _judge(obs, case):
    x, y, batch_size = _tensor_data(case)
    checked = _("tensor_loader(x, y, {batch_size}, False) with x of shape {shape}").format(batch_size=batch_size,
                                                                                           shape=tuple(x.shape))
    expect_true(obs["is_dataloader"], checked, _("a torch.utils.data.DataLoader"),
                _("a {type} object").format(type=obs["type"]),
                ladder(N_("Return a DataLoader over a TensorDataset: the dataset pairs x[i] with y[i], the loader "
                          "hands them out in batches."),
                       N_("Give the DataLoader the batch size and the shuffle flag you were given, unchanged.")))
    expect_true(obs["is_tensor_dataset"], _("{checked}: {name}").format(checked=checked, name="loader.dataset"),
                _("a torch.utils.data.TensorDataset"),
                _("a {type} object").format(type=obs["dataset_type"]), _("Wrap x and y in TensorDataset(x, y)."))
    tensors = obs["tensors"]
    expect_equal(len(tensors), 2,
                 _("{checked}: the number of tensors in loader.dataset.tensors").format(checked=checked),
                 _("TensorDataset(x, y): exactly x and y."))
    expect_tensor(tensors[0], x, _("{checked}: {name}").format(checked=checked, name="loader.dataset.tensors[0]"),
                  _("The first tensor is x, unchanged."))
    expect_tensor(tensors[1], y, _("{checked}: {name}").format(checked=checked, name="loader.dataset.tensors[1]"),
                  _("The second tensor is y, unchanged."))


@EXERCISE.check(points=2, needs=("tensor_loader",))
def tensor_loader_in_order(ex, case):
    """tensor_loader with shuffle=False yields every sample once per epoch, in order, in batches of batch_size."""
    x, y, batch_size = _tensor_data(case, 1)
    x_in, y_in = x.clone(), y.clone()
    loader = ex.tensor_loader(x_in, y_in, batch_size=batch_size, shuffle=False)
    epochs = []
    for k in range(2):
        torch.manual_seed(case.seed + k)
        epochs.append(_epoch(loader, 100))
    return {"epochs": epochs, "x_after": x_in, "y_after": y_in}


@tensor_loader_in_order.judge
def _judge(obs, case):
    x, y, batch_size = _tensor_data(case, 1)
    expect_tensor(obs["x_after"], x, _("tensor_loader(x, ...): the caller's x after two epochs"),
                  _("Do not change x: wrap it as it is in TensorDataset(x, y)."), tag=Tag.INPUT_MODIFIED)
    expect_tensor(obs["y_after"], y, _("tensor_loader(..., y, ...): the caller's y after two "
                                       "epochs"),
                  _("Do not change y: wrap it as it is in TensorDataset(x, y)."), tag=Tag.INPUT_MODIFIED)
    for k, batches in enumerate(expect_count(obs["epochs"], 2, "tensor_loader(...)"), start=1):
        checked = _("tensor_loader(x, y, batch_size={batch_size}, shuffle=False) with {count} samples, epoch {k}").format(
            batch_size=batch_size, count=x.shape[0], k=k)
        order = _tensor_epoch(batches, x, y, batch_size, checked)
        expect_equal(order, list(range(x.shape[0])), _("{checked}: the order of the samples").format(checked=checked),
                     _("Pass shuffle=shuffle to DataLoader: shuffle=False keeps the order of x."))


def _shuffled_epochs(ex, case, offset: int, pass_shuffle: bool) -> dict:
    x, y, batch_size = _tensor_data(case, offset)
    loader = ex.tensor_loader(x, y, batch_size, True) if pass_shuffle else ex.tensor_loader(x, y, batch_size)
    epochs = []
    for k in range(3):
        torch.manual_seed(case.seed + 10 * k)
        epochs.append(_epoch(loader, 100))
    return {"epochs": epochs}


def _judge_shuffled(obs, case, offset: int, call: str, hint: str) -> None:
    x, y, batch_size = _tensor_data(case, offset)
    orders = []
    for k, batches in enumerate(expect_count(obs["epochs"], 3, call), start=1):
        checked = _("{call} with {count} samples, epoch {k} after torch.manual_seed").format(
            call=call.format(batch_size=batch_size), count=x.shape[0], k=k)
        orders.append(_tensor_epoch(batches, x, y, batch_size, checked))
    identity = list(range(x.shape[0]))
    expect_true(any(o != identity for o in orders) and len({tuple(o) for o in orders}) > 1,
                _("{call} over {count} epochs with different seeds").format(call=call.format(batch_size=batch_size),
                                                                            count=len(orders)),
                _("a new random order each epoch"), _("orders {orders}").format(orders=orders), hint)


@EXERCISE.check(points=2, needs=("tensor_loader",))
def tensor_loader_shuffles(ex, case):
    """tensor_loader with shuffle=True yields every sample once per epoch, in an order that changes with the seed."""
    return _shuffled_epochs(ex, case, 2, True)


@tensor_loader_shuffles.judge
def _judge(obs, case):
    _judge_shuffled(obs, case, 2, "tensor_loader(x, y, {batch_size}, True)", _("Pass shuffle=shuffle to DataLoader."))


@EXERCISE.check(points=1, needs=("tensor_loader",))
def tensor_loader_shuffles_by_default(ex, case):
    """tensor_loader(x, y, batch_size) shuffles by default (shuffle=True)."""
    return _shuffled_epochs(ex, case, 3, False)


@tensor_loader_shuffles_by_default.judge
def _judge(obs, case):
    _judge_shuffled(obs, case, 3, _("tensor_loader(x, y, {batch_size}) with the default shuffle"),
                    _("The signature is tensor_loader(x, y, batch_size, shuffle=True): shuffle "
                      "by default."))
