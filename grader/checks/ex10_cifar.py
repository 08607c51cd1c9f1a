"""Checks for ex10_cifar: MyCNN, the CIFAR-10 transform, the loss, the optimiser and one training epoch.

``MyCNN``'s logits are recomputed here with ``torch.nn.functional`` from
weights the grader generates (loaded into the student's model by name).
``cifar10_transform`` is compared with torchvision's own pipeline on real
images of the CIFAR-10 fixture. ``train_epoch`` and ``make_optimizer`` get the
grader's own model (:class:`GraderCNN`, the contract's MyCNN, recording what
its ``forward`` saw) and loaders; the judge replays or recomputes every number
with PyTorch.
"""

from __future__ import annotations

import functools
import math
import types

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.engine.api import Calibration, Case, Exercise
from grader.checks.hygiene import (STEP_HINTS, expect_batches_unchanged, expect_settings_kept, expect_train_mode_after,
                                   torch_settings)
from grader.checks.devices import device_of, expect_explicit_device, expect_model_rule, offer_cuda
from grader.engine.expect import expect_count, expect_equal, expect_number, expect_tensor, expect_true, fail, same_device
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex10_cifar")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
TRANSFORM_HINTS = (
    N_("The transform resizes the image, turns it into a tensor, then normalises it with the ImageNet statistics: "
       "three steps, in this order."),
    N_("Put Resize to image_size, ToTensor and Normalize with IMAGENET_MEAN and IMAGENET_STD in one "
       "transforms.Compose, in that order."),
)

RTOL, ATOL = 1e-4, 1e-5
CUDA_RTOL, CUDA_ATOL = 5e-3, 5e-3  # cuDNN may run convolutions in TF32


# ---- the grader's own model ---------------------------------------------------------------------


class GraderCNN(nn.Module):
    """The contract's MyCNN(image_size): conv1 = Conv2d(3, 16, 3), fc = Linear(16 * (s - 2) ** 2, 10).

    ``forward`` records ``self.training``, ``torch.is_grad_enabled()`` and the
    device and shape of its input, one entry per call, when ``record`` is True.
    """

    def __init__(self, image_size: int, record: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3)
        self.fc = nn.Linear(16 * (image_size - 2) ** 2, 10)
        self.record = record
        self.calls: list[dict] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.record:
            self.calls.append({"training": bool(self.training), "grad": torch.is_grad_enabled(),
                               "device": device_of(x), "shape": [int(s) for s in x.shape]})
        return self.fc(self.conv1(x).reshape(x.shape[0], -1))


def cnn_logits(weights: dict, x: torch.Tensor) -> torch.Tensor:
    """conv1, flatten per sample, fc — from a state_dict."""
    h = F.conv2d(x, weights["conv1.weight"].float(), weights["conv1.bias"].float())
    return F.linear(h.reshape(x.shape[0], -1), weights["fc.weight"].float(), weights["fc.bias"].float())


def _cnn_weights(case: Case, image_size: int, offset: int = 0) -> dict:
    """Seeded weights for MyCNN(image_size), scaled so the logits are of order 1."""
    g = case.generator(500 + offset)
    features = 16 * (image_size - 2) ** 2
    return {
        "conv1.weight": torch.randn(16, 3, 3, 3, generator=g) / math.sqrt(27),
        "conv1.bias": torch.randn(16, generator=g) * 0.1,
        "fc.weight": torch.randn(10, features, generator=g) / math.sqrt(features),
        "fc.bias": torch.randn(10, generator=g) * 0.1,
    }


def _grader_cnn(case: Case, image_size: int, offset: int = 0) -> GraderCNN:
    with torch.random.fork_rng(devices=[]):  # nn's own init must not touch the global RNG
        model = GraderCNN(image_size)
    model.load_state_dict(_cnn_weights(case, image_size, offset))
    return model


def _state_dict(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()} if isinstance(model, nn.Module) else {}


def _random_size(case: Case) -> int:
    return int(torch.randint(5, 20, (1,), generator=case.generator(600)))


# ---- MyCNN --------------------------------------------------------------------------------------


def _layer(module) -> dict:
    if not isinstance(module, nn.Module):
        return {"type": describe(module) if module is not None else "nothing (no such attribute)"}
    facts = {"type": type(module).__name__}
    if isinstance(module, nn.Conv2d):
        facts.update(conv=True, in_channels=module.in_channels, out_channels=module.out_channels,
                     kernel_size=tuple(module.kernel_size), stride=tuple(module.stride),
                     padding=module.padding if isinstance(module.padding, str) else tuple(module.padding),
                     dilation=tuple(module.dilation), groups=module.groups, bias=module.bias is not None)
    if isinstance(module, nn.Linear):
        facts.update(linear=True, in_features=module.in_features, out_features=module.out_features,
                     bias=module.bias is not None)
    return facts


def _layer_sizes(case: Case) -> list:
    return [32, 224, None, _random_size(case)]  # None: MyCNN() with the default image_size (224)


@EXERCISE.check(points=2, needs=("MyCNN",), timeout=60)
def mycnn_layers(ex, case):
    """MyCNN(image_size) has conv1 = Conv2d(3, 16, 3) and fc = Linear(16 * (image_size - 2) ** 2, 10); default 224."""
    found = []
    for size in _layer_sizes(case):
        model = ex.MyCNN() if size is None else ex.MyCNN(size)
        found.append({"conv1": _layer(getattr(model, "conv1", None)), "fc": _layer(getattr(model, "fc", None)),
                      "parameters": sorted(n for n, _unused in model.named_parameters())
                      if isinstance(model, nn.Module) else None})
        del model
    return {"models": found}


@mycnn_layers.judge
def _judge(obs, case):
    hint = ladder(N_("MyCNN has one convolution, conv1 (3 channels in, 16 out, a 3×3 kernel, no padding, stride 1), "
                     "and one Linear layer, fc, to the 10 classes."),
                  N_("A 3×3 kernel without padding trims one pixel on each border, so conv1 turns an image of "
                     "side image_size into 16 maps of side image_size - 2: fc takes all of those numbers."))
    for size, got in zip(_layer_sizes(case), obs["models"], strict=True):
        s = 224 if size is None else size
        checked = "MyCNN()" if size is None else f"MyCNN({size})"
        conv, fc = got["conv1"], got["fc"]
        conv_ok = (conv.get("conv") and conv["in_channels"] == 3 and conv["out_channels"] == 16
                   and conv["kernel_size"] == (3, 3) and conv["stride"] == (1, 1) and conv["dilation"] == (1, 1)
                   and conv["padding"] in ((0, 0), "valid") and conv["groups"] == 1 and conv["bias"])
        expect_true(bool(conv_ok), checked + ".conv1", _("Conv2d(3, 16, kernel_size=3) (stride 1, "
                                                         "no padding, bias)"),
                    _describe_layer(conv), hint)
        fc_ok = fc.get("linear") and fc["in_features"] == 16 * (s - 2) ** 2 and fc["out_features"] == 10 and fc["bias"]
        expect_true(bool(fc_ok), checked + ".fc",
                    _("Linear({n}, 10) (16 * ({s} - 2) ** 2 inputs)").format(n=16 * (s - 2) ** 2, s=s),
                    _describe_layer(fc), hint)
        expect_equal(got["parameters"], ["conv1.bias", "conv1.weight", "fc.bias", "fc.weight"],
                     _("{checked}: the names of its parameters").format(checked=checked),
                     _("MyCNN has only the two layers conv1 and fc."))


def _describe_layer(facts: dict) -> str:
    if facts.get("conv"):
        return (f"Conv2d({facts['in_channels']}, {facts['out_channels']}, kernel_size={facts['kernel_size']}, "
                f"stride={facts['stride']}, padding={facts['padding']}, bias={facts['bias']})")
    if facts.get("linear"):
        return f"Linear({facts['in_features']}, {facts['out_features']}, bias={facts['bias']})"
    return str(facts.get("type"))


def _forward_cases(case: Case) -> list[tuple[int, torch.Tensor]]:
    g = case.generator(700)
    n = int(torch.randint(2, 5, (1,), generator=g))
    small = _random_size(case)
    return [(32, torch.randn(n, 3, 32, 32, generator=g)), (32, torch.randn(1, 3, 32, 32, generator=g)),
            (small, torch.randn(3, 3, small, small, generator=g)), (224, torch.randn(2, 3, 224, 224, generator=g))]


@EXERCISE.check(points=3, needs=("MyCNN",), per_device=True, timeout=60)
def mycnn_forward_logits(ex, case):
    """MyCNN's forward is conv1, flatten per sample, fc: logits (N, 10), as model(x) and model.forward(x), at 32 and 224 px."""
    found = []
    for size, x in _forward_cases(case):
        model = ex.MyCNN(size)
        names = sorted(model.state_dict()) if isinstance(model, nn.Module) else None
        if names != ["conv1.bias", "conv1.weight", "fc.bias", "fc.weight"]:
            return {"names": names, "size": size}
        model.to(case.device)
        model.load_state_dict(_cnn_weights(case, size))
        x = x.to(case.device)
        with torch.no_grad():
            found.append({"call": model(x), "forward": model.forward(x)})
        del model
    return {"names": None, "outputs": found}


@mycnn_forward_logits.judge
def _judge(obs, case):
    if obs["names"] is not None:
        fail(_("the names in MyCNN({size}).state_dict()").format(size=obs["size"]), "conv1.bias, conv1.weight, fc.bias, fc.weight",
             describe(obs["names"]), _("MyCNN has exactly two layers: self.conv1 and self.fc."),
             tag=Tag.WRONG_ARCHITECTURE)
    tol = dict(rtol=RTOL, atol=ATOL) if case.device == "cpu" else dict(rtol=CUDA_RTOL, atol=CUDA_ATOL)
    for (size, x), out in zip(_forward_cases(case), obs["outputs"], strict=True):
        expected = cnn_logits(_cnn_weights(case, size), x)
        for key, how in (("call", "model(x)"), ("forward", "model.forward(x)")):
            expect_tensor(out[key], expected,
                          _("MyCNN({size}): {how} for x of shape {shape} on {device} (random "
                            "weights)").format(size=size, how=how, shape=tuple(x.shape), device=case.device),
                          ladder(N_("forward: conv1, then flatten each image's maps into one row, then fc; no "
                                    "activation and no softmax."),
                                 N_("Flatten with the batch size kept as the first dimension (reshape to N rows), "
                                    "so that a batch of one image stays a batch.")),
                          device=case.device, **tol)


# ---- cifar10_transform --------------------------------------------------------------------------


def _image_indices(case: Case) -> list[int]:
    return [int(i) for i in torch.randint(0, 1000, (2,), generator=case.generator(800))]


def _transform_sizes(case: Case) -> list:
    small = int(torch.randint(12, 31, (1,), generator=case.generator(801)))
    return [32, small, None]  # None: cifar10_transform() with the default image_size (224)


@functools.lru_cache(maxsize=4)
def _fixture_image(index: int):
    import data_fixtures

    image, _unused = data_fixtures.cifar10(train=False)[index]
    return image


def expected_transform(image_size: int):
    from torchvision import transforms

    return transforms.Compose([transforms.Resize(image_size), transforms.ToTensor(),
                               transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


@EXERCISE.check(points=3, needs=("cifar10_transform",))
def cifar10_transform_output(ex, case):
    """cifar10_transform(s) turns a CIFAR-10 image into Resize(s) -> ToTensor -> Normalize(ImageNet mean, std)."""
    found = []
    for size in _transform_sizes(case):
        transform = ex.cifar10_transform() if size is None else ex.cifar10_transform(size)
        found.append([transform(_fixture_image(i)) for i in _image_indices(case)])
    return {"outputs": found}


@cifar10_transform_output.judge
def _judge(obs, case):
    for size, outputs in zip(_transform_sizes(case), obs["outputs"], strict=True):
        s = 224 if size is None else size
        call = "cifar10_transform()" if size is None else f"cifar10_transform({size})"
        for index, got in zip(_image_indices(case), outputs, strict=True):
            expected = expected_transform(s)(_fixture_image(index))
            expect_tensor(got, expected, _("{call} applied to CIFAR-10 test image #{index} "
                                           "(32x32 RGB)").format(call=call, index=index),
                          ladder(*TRANSFORM_HINTS),
                          rtol=1e-5, atol=1e-5)


def _step_facts(step) -> dict:
    facts = {"type": type(step).__name__, "module": type(step).__module__}
    size = getattr(step, "size", None)
    if isinstance(size, int) or (isinstance(size, (list, tuple)) and all(isinstance(v, int) for v in size)):
        facts["size"] = list(size) if isinstance(size, (list, tuple)) else [size]
    for name in ("mean", "std"):
        value = getattr(step, name, None)
        if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
            facts[name] = [float(v) for v in value]
        elif isinstance(value, torch.Tensor):
            facts[name] = [float(v) for v in value.reshape(-1)]
    dtype = getattr(step, "dtype", None)
    if isinstance(dtype, torch.dtype):
        facts["dtype"] = str(dtype)
    elif isinstance(dtype, dict):  # v2.ToDtype may hold a dict per kind of data
        facts["dtype"] = str(next(iter(dtype.values()), None))
    if hasattr(step, "scale"):
        facts["scale"] = bool(step.scale)
    return facts


@EXERCISE.check(points=1, needs=("cifar10_transform",))
def cifar10_transform_steps(ex, case):
    """cifar10_transform(s) is a Compose of Resize(s), ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD), in this order."""
    found = []
    for size in (32, None):
        transform = ex.cifar10_transform() if size is None else ex.cifar10_transform(size)
        steps = getattr(transform, "transforms", None)
        found.append({"type": type(transform).__name__,
                      "steps": [_step_facts(t) for t in steps] if isinstance(steps, (list, tuple)) else None})
    return {"transforms": found}


def _to_tensor_steps(steps: list[dict]) -> bool:
    """ToTensor(), or the v2 pair ToImage() + ToDtype(float32, scale=True), or PILToTensor + ConvertImageDtype."""
    names = [s["type"] for s in steps]
    if names == ["ToTensor"]:
        return True
    if names == ["ToImage", "ToDtype"] or names == ["PILToTensor", "ToDtype"]:
        return steps[1].get("dtype") == "torch.float32" and steps[1].get("scale") is True
    if names == ["PILToTensor", "ConvertImageDtype"]:
        return steps[1].get("dtype") == "torch.float32"
    return False


@cifar10_transform_steps.judge
def _judge(obs, case):
    hint = ladder(*TRANSFORM_HINTS)
    for size, got in zip((32, None), obs["transforms"], strict=True):
        s = 224 if size is None else size
        checked = "cifar10_transform()" if size is None else f"cifar10_transform({size})"
        expect_true(got["type"] == "Compose" and got["steps"] is not None, checked, _("a transforms.Compose"),
                    _("a {type}").format(type=got["type"]), hint, tag=Tag.WRONG_TYPE)
        steps = got["steps"]
        names = [st["type"] for st in steps]
        expected = f"Resize({s}), ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)"
        ok = (len(steps) >= 3 and names[0] == "Resize" and steps[0].get("size") in ([s], [s, s])
              and names[-1] == "Normalize" and _to_tensor_steps(steps[1:-1]))
        if ok:
            mean, std = steps[-1].get("mean"), steps[-1].get("std")
            ok = (mean is not None and std is not None and len(mean) == 3 and len(std) == 3
                  and all(abs(a - b) < 1e-6 for a, b in zip(mean + std, IMAGENET_MEAN + IMAGENET_STD)))
        found = ", ".join(f"{st['type']}" + (f"({st['size']})" if "size" in st else "")
                          + (f"(mean={st['mean']}, std={st['std']})" if "mean" in st else "") for st in steps)
        expect_true(ok, _("{checked}: its steps").format(checked=checked), expected, found, hint)


# ---- make_loss ----------------------------------------------------------------------------------


def _loss_inputs(case: Case) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = case.generator(900)
    out = []
    for classes in (10, int(torch.randint(3, 8, (1,), generator=g))):
        n = int(torch.randint(3, 10, (1,), generator=g))
        out.append((torch.randn(n, classes, generator=g) * 3, torch.randint(0, classes, (n,), generator=g)))
    return out


@EXERCISE.check(points=2, needs=("make_loss",))
def make_loss_is_cross_entropy(ex, case):
    """make_loss() returns an nn.Module computing the mean cross-entropy of raw logits and integer labels."""
    criterion = ex.make_loss()
    if not isinstance(criterion, nn.Module):
        return {"module": False, "type": type(criterion).__name__}
    values = []
    for logits, labels in _loss_inputs(case):
        values.append(criterion(logits.clone(), labels.clone()))
    return {"module": True, "type": type(criterion).__name__, "values": values}


@make_loss_is_cross_entropy.judge
def _judge(obs, case):
    hint = _("make_loss returns PyTorch's cross-entropy loss object with its defaults: the mean over the batch, "
             "log-softmax applied to the raw logits inside it.")
    expect_true(obs["module"], "make_loss()", _("an nn.Module (a loss object)"),
                _("a {type}").format(type=obs["type"]), hint)
    for (logits, labels), got in zip(_loss_inputs(case), obs["values"], strict=True):
        checked = _("make_loss()(logits, labels) for random logits of shape {shape}").format(
            shape=tuple(logits.shape))
        expect_tensor(got, F.cross_entropy(logits, labels), checked, hint, rtol=1e-5, atol=1e-6)


# ---- make_optimizer -----------------------------------------------------------------------------


@EXERCISE.check(points=2, needs=("make_optimizer",))
def make_optimizer_sgd_momentum(ex, case):
    """make_optimizer(model) is torch.optim.SGD with momentum > 0 over every parameter of the model, each once."""
    model = _grader_cnn(case, _random_size(case))
    parameters = list(model.parameters())
    optimizer = ex.make_optimizer(model)
    facts = {"type": type(optimizer).__name__, "sgd": isinstance(optimizer, torch.optim.SGD),
             "count": len(parameters)}
    groups = getattr(optimizer, "param_groups", None)
    if facts["sgd"] and isinstance(groups, list):
        facts["groups"] = []
        for group in groups:
            index = [next((i for i, p in enumerate(parameters) if p is q), -1) for q in group.get("params", [])]
            facts["groups"].append({"params": index, "momentum": _num(group.get("momentum")),
                                    "lr": _num(group.get("lr"))})
    return facts


def _num(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else describe(value)


@make_optimizer_sgd_momentum.judge
def _judge(obs, case):
    checked = _("make_optimizer(model) for a model with conv1 and fc")
    expect_true(obs["sgd"], checked, _("a torch.optim.SGD"), _("a {type}").format(type=obs["type"]),
                _("Return torch.optim.SGD(model.parameters(), lr=..., momentum=0.9)."))
    found = sorted(i for group in obs["groups"] for i in group["params"])
    count = len(list(_grader_cnn(case, _random_size(case)).parameters()))  # the grader's model, counted here
    expect_equal(found, list(range(count)), _("{checked}: the optimizer's parameters, as "
                                                     "positions in list(model.parameters()) (-1: "
                                                     "not a parameter of the model)").format(checked=checked),
                 _("Pass model.parameters() — all of them, each once (not only fc's, not a copy)."))
    for group in obs["groups"]:
        momentum, lr = group["momentum"], group["lr"]
        expect_true(isinstance(momentum, float) and momentum > 0, checked + ": momentum",
                    _("a momentum > 0 (e.g. 0.9)"),
                    describe(momentum), _("SGD's momentum defaults to 0: pass momentum=0.9."))
        expect_true(isinstance(lr, float) and math.isfinite(lr) and lr > 0,
                    _("{checked}: learning rate").format(checked=checked),
                    _("a learning rate > 0"), describe(lr), _("Pass lr=1e-3 (for example)."))


# ---- train_epoch --------------------------------------------------------------------------------

EPOCH_SIZE = 6  # images (N, 3, 6, 6): conv1 gives (N, 16, 4, 4), fc has 256 inputs


def _epoch_data(case: Case, offset: int = 0):
    """A seeded GraderCNN, data and a batch size with a smaller last batch.

    The last batch is labelled with the model's own predictions (low loss) and the others mostly not
    (high loss), so averaging batch means instead of samples always gives another number.
    """
    model = _grader_cnn(case, EPOCH_SIZE, offset)
    g = case.generator(1000 + offset)
    batch = int(torch.randint(5, 9, (1,), generator=g))
    rest = int(torch.randint(1, 4, (1,), generator=g))
    n = int(torch.randint(2, 4, (1,), generator=g)) * batch + rest
    x = torch.randn(n, 3, EPOCH_SIZE, EPOCH_SIZE, generator=g)
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    model.calls.clear()
    wrong = (predicted + torch.randint(1, 10, (n,), generator=g)) % 10
    y = torch.where(torch.rand(n, generator=g) < 0.3, predicted, wrong)
    y[-rest:] = predicted[-rest:]
    return model, x, y, batch


def _sizes(x: torch.Tensor, batch: int) -> list[int]:
    return [min(batch, x.shape[0] - i) for i in range(0, x.shape[0], batch)]


@EXERCISE.check(points=3, needs=("train_epoch",))
def train_epoch_returns_mean_loss_per_sample(ex, case):
    """With SGD(lr=0) (weights fixed), train_epoch returns the per-sample mean loss over the loader, as a float."""
    model, x, y, batch = _epoch_data(case)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    result = ex.train_epoch(model, DataLoader(TensorDataset(x, y), batch_size=batch), nn.CrossEntropyLoss(),
                            optimizer, "cpu")
    model, x, y, batch = _epoch_data(case, offset=3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    one = ex.train_epoch(model, DataLoader(TensorDataset(x[:1], y[:1]), batch_size=batch), nn.CrossEntropyLoss(),
                         optimizer, "cpu")
    return {"result": result, "type": type(result).__name__, "one_sample": one}


@train_epoch_returns_mean_loss_per_sample.judge
def _judge(obs, case):
    model, x, y, batch = _epoch_data(case)
    with torch.no_grad():
        expected = F.cross_entropy(cnn_logits(model.state_dict(), x).double(), y).item()
    checked = _('train_epoch(model, loader, nn.CrossEntropyLoss(), SGD(lr=0), "cpu") over {n} '
                "samples in batches of {sizes}").format(n=x.shape[0], sizes=_sizes(x, batch))
    value = expect_number(obs["result"], checked, _("Return a Python float: total_loss / number_of_samples."))
    if not abs(value - expected) <= 1e-5 + 1e-5 * abs(expected):
        fail(checked, _("{expected:.6g} (the mean loss per sample)").format(expected=expected), f"{value:.6g}",
             _("criterion(...) gives a batch mean: add loss.item() * batch_size for every batch "
               "and divide by the number of samples (not by the number of batches), so the "
               "smaller last batch gets its true weight."))
    expect_equal(obs["type"], "float", _("{checked}: the type of the value returned").format(checked=checked),
                 _("Use loss.item() so you add Python floats (a tensor would also keep the "
                   "autograd graph alive)."),
                 tag=Tag.WRONG_TYPE)
    if "one_sample" in obs:
        model, x, y, _unused = _epoch_data(case, offset=3)
        with torch.no_grad():
            expected = F.cross_entropy(cnn_logits(model.state_dict(), x[:1]).double(), y[:1]).item()
        checked = _('train_epoch(model, loader, nn.CrossEntropyLoss(), SGD(lr=0), "cpu") with a loader of exactly '
                    "one sample")
        value = expect_number(obs["one_sample"], checked, _("Return a Python float: total_loss / number_of_samples."))
        if not abs(value - expected) <= 1e-5 + 1e-5 * abs(expected):
            fail(checked, _("{expected:.6g} (the loss of that sample)").format(expected=expected), f"{value:.6g}",
                 _("One sample is a valid loader: no special case for a count of 1, no squeeze that drops the batch "
                   "dimension."))


@EXERCISE.check(points=2, needs=("train_epoch",))
def train_epoch_steps_every_batch(ex, case):
    """train_epoch makes one optimizer step per batch (zero_grad, loss, backward, step), once over the loader."""
    model, x, y, batch = _epoch_data(case, offset=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    ex.train_epoch(model, DataLoader(TensorDataset(x, y), batch_size=batch), nn.CrossEntropyLoss(), optimizer,
                   torch.device("cpu"))
    return {"weights": _state_dict(model)}


@train_epoch_steps_every_batch.judge
def _judge(obs, case):
    model, x, y, batch = _epoch_data(case, offset=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    with torch.enable_grad():
        for i in range(0, x.shape[0], batch):
            optimizer.zero_grad()
            F.cross_entropy(model(x[i:i + batch]), y[i:i + batch]).backward()
            optimizer.step()
    checked = _("the weights after train_epoch(model, loader, nn.CrossEntropyLoss(), "
                'SGD(lr=0.05, momentum=0.9), torch.device("cpu")) over batches of {sizes}').format(
        sizes=_sizes(x, batch))
    weights = obs["weights"]
    if not isinstance(weights, dict):
        fail(checked, _("the model's parameters"), describe(weights), tag=Tag.WRONG_TYPE)
    for name, parameter in model.state_dict().items():
        expect_tensor(weights.get(name), parameter, f"{checked}: {name}",
                      ladder(*STEP_HINTS), rtol=1e-4, atol=1e-5)


OFFERED = "device=None, model on cpu in eval mode"
EPOCH_ON_DEVICE = N_("train_epoch trains the model on device, with the batches moved there")


@EXERCISE.check(points=2, needs=("train_epoch",), per_device=True, timeout=60)
def train_epoch_device_and_mode(ex, case):
    """train_epoch runs the model in train mode with batches on the device (str, torch.device; None: the model's) and leaves it in train mode, global state and data untouched."""
    variants = [(f'device="{case.device}" (a str), model on {case.device} in eval mode', case.device, case.device),
                (f'device=torch.device("{case.device}"), model on {case.device} in eval mode', case.device,
                 torch.device(case.device)),
                (f"device=None, model on {case.device} in eval mode", case.device, None)]
    if case.device != "cpu":
        variants.append((OFFERED, "cpu", None))
    if case.device == "cpu":  # last: with CUDA offered (grader.checks.devices), the call may be stopped
        variants.append((OFFERED, "cpu", None))
    found = []
    for label, model_device, device in variants:
        model, x, y, batch = _epoch_data(case, offset=2)
        model.to(model_device).eval()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x_before, y_before = x.clone(), y.clone()

        def run(model=model, x=x, y=y, batch=batch, optimizer=optimizer, device=device):
            return ex.train_epoch(model, DataLoader(TensorDataset(x, y), batch_size=batch), nn.CrossEntropyLoss(),
                                  optimizer, device)

        if label == OFFERED:  # device=None, model on the CPU: also judged with CUDA available
            offered = offer_cuda(run).facts()
        else:
            run()
            offered = {}
        found.append({"label": label, "model_device": model_device, "calls": list(model.calls),
                      "training_after": model.training,
                      "global_state": torch_settings(),
                      "data_unchanged": torch.equal(x, x_before) and torch.equal(y, y_before), **offered})
    return {"runs": found, "explicit": _explicit_epochs(ex, case) if case.device == "cpu" else []}


def _explicit_epochs(ex, case: Case) -> list[dict]:
    """train_epoch with an explicit device, the model on the CPU, CUDA offered and its moves followed (devices)."""
    found = []
    for device in ("cpu", "cuda", torch.device("cuda")):
        model, x, y, batch = _epoch_data(case, offset=2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        run = offer_cuda(lambda: ex.train_epoch(model, DataLoader(TensorDataset(x, y), batch_size=batch),
                                                nn.CrossEntropyLoss(), optimizer, device), follow=True)
        label = f'device=torch.device("{device}")' if isinstance(device, torch.device) else f'device="{device}"'
        found.append({"label": label, "device": str(device), "parameter_targets": run.parameter_targets(model),
                      "input_devices": [c["device"] for c in model.calls], **run.facts()})
    return found


@train_epoch_device_and_mode.judge
def _judge(obs, case):
    _unused, x, _unused, batch = _epoch_data(case, offset=2)
    for run in obs.get("explicit", []):
        expect_explicit_device(run, run["device"], _("train_epoch(..., {label}) with the model on cpu").format(
                                   label=run["label"]),
                               _("Use the device you are given: only when device is None choose one yourself "
                                 "(next(model.parameters()).device); never replace \"cpu\" or \"cuda\" by "
                                 "another."), inputs=run["input_devices"], what=_(EPOCH_ON_DEVICE))
    for run in expect_count(obs["runs"], 4, "train_epoch(...)"):
        arg = run["label"].split(", model on ")[0]
        checked = _("train_epoch(..., {arg}, model on {device} in eval mode)").format(
            arg=arg, device=run["model_device"])
        want = run["model_device"] if run["label"].startswith("device=None") else case.device
        calls = run["calls"]
        if "cuda_requests" in run:
            expect_model_rule(run, [c["device"] for c in calls], checked)
        expect_equal([c["shape"][0] for c in calls], _sizes(x, batch),
                     _("{checked}: the batch sizes the model was called with, in order").format(checked=checked),
                     _("One forward pass per batch of the loader, one pass over the loader."), tag=Tag.WRONG_SHAPE)
        wrong = sorted({c["device"] for c in calls if not same_device(c["device"], want)})
        expect_true(not wrong, _("{checked}: the device of the batches given to the model").format(checked=checked),
                    _("every batch on {device}").format(device=want), _("batches on {devices}").format(devices=wrong),
                    _("Move images and labels with .to(device); when device is None use "
                      "next(model.parameters()).device."), tag=Tag.WRONG_DEVICE)
        in_eval = [c for c in calls if not c["training"]]
        expect_true(not in_eval, _("{checked}: model.training during the epoch").format(checked=checked),
                    _("True (train mode) for every batch"),
                    _("eval mode for {n} of {total} batches").format(n=len(in_eval), total=len(calls)),
                    _("Call model.train() before the loop."),
                    tag=Tag.MODE_NOT_RESTORED)
        no_grad = [c for c in calls if not c["grad"]]
        expect_true(not no_grad, _("{checked}: grad mode during the epoch").format(checked=checked),
                    _("autograd on for every batch"),
                    _("off for {n} of {total} batches").format(n=len(no_grad), total=len(calls)),
                    _("Do not wrap training in torch.no_grad()."),
                    tag=Tag.GRAD_MODE_LEAKED)
        expect_train_mode_after(run["training_after"], checked)
        expect_settings_kept(run["global_state"], checked)
        expect_batches_unchanged(run["data_unchanged"], checked)


# ---- the accuracy threshold on CIFAR-10 ---------------------------------------------------------

# Calibrated with `python -m grader calibrate ex10_cifar --seeds 20` (seeds 1000..1019; output in
# grader/authoring/calibration.md): the grader's MyCNN(32) trained by the reference train_epoch with the reference
# make_loss() and make_optimizer(model) (SGD lr 1e-3, momentum 0.9), 3 epochs, batch 64, shuffled, the
# grader's own transform; test accuracy on the fixture's 1,000 test images.
#   reference:                                   min 0.3070  median 0.3385  max 0.3610
#   under-trained (SGD lr 1e-6, momentum 0.9):   min 0.0840  median 0.1125  max 0.1260
# The threshold sits 0.057 below the worst reference run and 0.124 above the best under-trained run.
# Other optimisers a student might pick (3 seeds each): SGD momentum 0.9 with lr 1e-4 / 3e-4 / 3e-3 reaches
# 0.296-0.338 (passes); lr 1e-2 with momentum 0.5 0.31-0.34 (passes); lr 1e-2 with momentum 0.9
# 0.24-0.27 (borderline), lr 1e-3 with momentum 0.99 0.26-0.32; lr 3e-2 0.05-0.18 and lr 0.1 (NaN) fail.
CIFAR_ACCURACY_THRESHOLD = 0.25
CIFAR_EPOCHS = 3
CIFAR_BATCH = 64
CIFAR_SIZE = 32


def cifar_transform():
    return expected_transform(CIFAR_SIZE)


@functools.lru_cache(maxsize=2)
def cifar_tensors(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixture's split through the grader's transform, decoded once: (N, 3, 32, 32) and (N,)."""
    import data_fixtures

    data = data_fixtures.cifar10(train=train, transform=cifar_transform())
    images = torch.stack([data[i][0] for i in range(len(data))])
    return images, torch.as_tensor(data.targets)


def cifar_accuracy(weights: dict) -> float:
    images, labels = cifar_tensors(False)
    with torch.no_grad():
        return (cnn_logits(weights, images).argmax(dim=1) == labels).double().mean().item()


def metric(obs, case: Case) -> float:
    """Test accuracy of the trained weights on the CIFAR-10 fixture, computed by the grader."""
    checked = _("the weights of the grader's MyCNN(32) after training with train_epoch")
    got = obs["state_dict"]
    names = {"conv1.weight": (16, 3, 3, 3), "conv1.bias": (16,), "fc.weight": (10, 16 * 30 * 30), "fc.bias": (10,)}
    weights = {}
    for name, shape in names.items():
        value = got.get(name) if isinstance(got, dict) else None
        if not isinstance(value, TensorObs) or value.values is None or tuple(value.shape) != shape:
            fail(checked + f": {name}", _("a tensor of shape {shape}").format(shape=shape), describe(value),
                 tag=Tag.WRONG_TYPE)
        if not torch.isfinite(value.values).all():
            fail(checked, _("finite weights"), _("NaN or infinite values in {name}").format(name=name),
                 _("Training diverged: a smaller learning rate in make_optimizer (e.g. lr=1e-3 "
                   "with momentum 0.9)."),
                 tag=Tag.NOT_FINITE)
        weights[name] = value.values.float()
    return cifar_accuracy(weights)


@EXERCISE.check(points=3, needs=("make_loss", "make_optimizer", "train_epoch"), timeout=120)
def train_epoch_reaches_accuracy_on_cifar10(ex, case):
    """A few epochs of train_epoch, with make_loss() and make_optimizer(model), reach the threshold on the CIFAR-10 fixture."""
    images, labels = cifar_tensors(True)
    torch.manual_seed(case.seed)
    model = GraderCNN(CIFAR_SIZE, record=False)
    loader = DataLoader(TensorDataset(images, labels), batch_size=CIFAR_BATCH, shuffle=True)
    criterion = ex.make_loss()
    optimizer = ex.make_optimizer(model)
    losses = [ex.train_epoch(model, loader, criterion, optimizer, "cpu") for _unused in range(CIFAR_EPOCHS)]
    return {"state_dict": _state_dict(model), "losses": losses}


@train_epoch_reaches_accuracy_on_cifar10.judge
def _judge(obs, case):
    accuracy = metric(obs, case)
    if not accuracy >= CIFAR_ACCURACY_THRESHOLD:
        fail(_("test accuracy (computed by the grader on the fixture's 1,000 test images) of "
               "MyCNN(32) after {epochs} epochs of train_epoch(model, loader, make_loss(), "
               'make_optimizer(model), "cpu") on the CIFAR-10 fixture (batches of {batch})').format(
                 epochs=CIFAR_EPOCHS, batch=CIFAR_BATCH),
             _("at least {threshold:.2f} (chance is 0.10)").format(threshold=CIFAR_ACCURACY_THRESHOLD), f"{accuracy:.3f}",
             _("Check make_optimizer (SGD with lr=1e-3 and momentum=0.9 works; lr=1e-2 diverges "
               "for this model), make_loss (nn.CrossEntropyLoss()) and the loop in train_epoch "
               "(zero_grad, backward, step per batch)."),
             tag=Tag.THRESHOLD_NOT_REACHED)


def _undertrained(reference):
    """The reference with SGD(lr=1e-6, momentum=0.9): the same steps, almost no learning."""
    return types.SimpleNamespace(
        make_loss=reference.make_loss, train_epoch=reference.train_epoch,
        make_optimizer=lambda model: torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9),
    )


EXERCISE.calibrated(Calibration(
    check="train_epoch_reaches_accuracy_on_cifar10", metric=metric, threshold=CIFAR_ACCURACY_THRESHOLD,
    undertrained=_undertrained, higher_is_better=True,
))
