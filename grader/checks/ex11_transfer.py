"""Checks for ex11_transfer: freezing a network and replacing its classifier.

The models are torchvision's own ``densenet121`` and ``alexnet`` built with
``weights=None`` (nothing is downloaded), a small torchvision ``DenseNet``
whose classifier width varies with the seed (so ``in_features`` must be read
from the model), and an AlexNet whose classifier is narrowed the same way.
Every model is built under ``torch.manual_seed(case.seed)`` inside
``fork_rng``, so the judge rebuilds the very same weights in the grader's own
process and compares with them; the probe only reports what it saw.

``train_step`` is driven with the grader's own collaborators (a DenseNet-121
body with a seeded head, ``nn.NLLLoss`` and ``torch.optim.SGD`` over every
parameter), never with the student's ``head_optimizer``; the judge replays the
same steps itself and compares losses, gradients and weights.
"""

from __future__ import annotations

import contextlib
import functools
from collections import OrderedDict
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from grader.engine.api import Case, Exercise
from grader.checks.devices import device_of, expect_explicit_device, expect_model_rule, offer_cuda
from grader.engine.expect import expect_count, expect_equal, expect_tensor, expect_true, fail, same_device
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex11_transfer")

DENSENET121_FEATURES = 1024  # in_features of densenet121's classifier
ALEXNET_FEATURES = 9216  # 256 * 6 * 6, what AlexNet's classifier receives
IMAGE = 64  # DenseNet-121 and AlexNet both accept 64x64 images (adaptive pooling)
TRAIN_LR = 0.1  # the grader's SGD in train_step: big enough that one step is visible
# One CPU computation done twice in the same order agrees to ~1e-7; on CUDA the
# probe disables TF32, leaving cuDNN's algorithm choice (~1e-5 relative).
TOLERANCE = {"cpu": (1e-4, 1e-6), "cuda": (2e-3, 1e-5)}


def _one_thread(fn: Callable) -> Callable:
    """Run a probe or judge with one intra-op thread, then put the thread count back.

    DenseNet-121 on two 64x64 images is hundreds of tiny operations: a second
    thread gains nothing, and when the machine is busy (a class graded in
    parallel, other jobs) OpenMP's hand-offs between threads made one forward
    pass take seconds instead of ~0.1 s.
    """

    @functools.wraps(fn)
    def wrapper(*args):
        threads = torch.get_num_threads()
        if threads != 1:
            torch.set_num_threads(1)
        try:
            return fn(*args)
        finally:
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)

    return wrapper


# ---- models, built the same way in probe and judge -------------------------------------------


def _seeded(case: Case, build: Callable[[], nn.Module], offset: int = 0) -> nn.Module:
    """``build()`` under ``torch.manual_seed(seed + offset)``, leaving the global RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(case.seed + offset)
        return build()


def _randint(g: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high] (both included)."""
    return int(torch.randint(low, high + 1, (1,), generator=g))


def _densenet121(case: Case, offset: int = 0) -> nn.Module:
    import torchvision  # imported here: importing torchvision costs seconds, only ex11 needs it

    return _seeded(case, lambda: torchvision.models.densenet121(weights=None), offset)


def _small_densenet(case: Case, offset: int) -> nn.Module:
    """A real torchvision DenseNet whose classifier is ``Linear(w, 1000)``, ``w`` set by the seed (never 1024)."""
    from torchvision.models import DenseNet

    g = case.generator(offset)
    growth, init = _randint(g, 4, 12), _randint(g, 8, 24)
    return _seeded(case, lambda: DenseNet(growth_rate=growth, block_config=(2, 2), num_init_features=init), offset)


def _alexnet(case: Case, offset: int = 0, narrow: bool = False) -> nn.Module:
    """torchvision's AlexNet; ``narrow``: classifier[1], [4], [6] are Linear(9216, a), Linear(a, b), Linear(b, 1000)."""
    import torchvision

    def build() -> nn.Module:
        # Skip initialising the 58M parameters of the wide layers (218 MB): build on the meta
        # device, then give the layers real memory and initialise the convolutions and the last
        # layer as torchvision does (PyTorch's defaults). Memory never written is never resident:
        # classifier[1] and [4] have their full size and cost nothing (nothing here reads them).
        with torch.device("meta"):
            model = torchvision.models.alexnet(weights=None)
        if not narrow:
            model.to_empty(device="cpu")
            for layer in (*model.features, model.classifier[6]):
                if isinstance(layer, (nn.Conv2d, nn.Linear)):
                    layer.reset_parameters()
            return model
        model.features.to_empty(device="cpu")
        for layer in model.features:
            if isinstance(layer, nn.Conv2d):
                layer.reset_parameters()
        g = case.generator(offset)
        a, b = _randint(g, 24, 48), _randint(g, 12, 40)
        model.classifier[1] = nn.Linear(ALEXNET_FEATURES, a)
        model.classifier[4] = nn.Linear(a, b)
        model.classifier[6] = nn.Linear(b, 1000)
        return model

    return _seeded(case, build, offset)


def _head(in_features: int, hidden: int, classes: int) -> nn.Sequential:
    """The grader's own classifier of the contract's shape."""
    return nn.Sequential(OrderedDict(
        fc1=nn.Linear(in_features, hidden), relu=nn.ReLU(),
        fc2=nn.Linear(hidden, classes), output=nn.LogSoftmax(dim=1)))


def _images(case: Case, n: int, offset: int) -> torch.Tensor:
    return torch.randn(n, 3, IMAGE, IMAGE, generator=case.generator(offset))


def _densenet_features(body: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What DenseNet hands its classifier (torchvision's DenseNet.forward without the classifier)."""
    return torch.flatten(F.adaptive_avg_pool2d(F.relu(body.features(x)), (1, 1)), 1)


# ---- facts about modules, as plain data ----------------------------------------------------------


def _layer_facts(module) -> dict:
    """What a judge needs to know about one layer, without trusting its repr."""
    if not isinstance(module, nn.Module):
        return {"type": describe(module) if module is not None else "nothing", "module": False}
    facts = {"type": type(module).__name__, "module": True, "linear": isinstance(module, nn.Linear),
             "relu": isinstance(module, nn.ReLU), "log_softmax": isinstance(module, nn.LogSoftmax),
             "sequential": isinstance(module, nn.Sequential), "dropout": isinstance(module, nn.Dropout)}
    if isinstance(module, nn.Linear):
        facts.update(in_features=int(module.in_features), out_features=int(module.out_features),
                     has_bias=module.bias is not None, weight_shape=str(tuple(module.weight.shape)))
    if isinstance(module, nn.LogSoftmax):
        dim = module.dim
        facts["dim"] = dim if type(dim) is int or dim is None else repr(dim)
    if isinstance(module, nn.Sequential):
        facts["names"] = [name for name, _unused in module.named_children()]
        facts["children"] = {name: _layer_facts(child) for name, child in module.named_children()}
    return facts


def _params(model: nn.Module, skip: str = "") -> dict:
    """Parameters by qualified name (the snapshot copies them), except those starting with ``skip``."""
    return {name: p for name, p in model.named_parameters() if not (skip and name.startswith(skip))}


def _trainable(model: nn.Module) -> list[str]:
    return [name for name, p in model.named_parameters() if p.requires_grad]


def _kind(facts: dict) -> str:
    return facts.get("type", "?") if facts.get("module") else facts.get("type", "nothing")


def _expect_linear(facts: dict, n_in: int, n_out: int, checked: str, hint: str) -> None:
    expect_true(facts.get("linear") is True, checked, _("an nn.Linear"), _kind(facts), hint, tag=Tag.WRONG_ARCHITECTURE)
    got = (facts.get("in_features"), facts.get("out_features"))
    expect_true(got == (n_in, n_out) and facts.get("weight_shape") == str((n_out, n_in)), checked,
                f"Linear(in_features={n_in}, out_features={n_out})",
                _("Linear(in_features={n_in}, out_features={n_out}), weight of shape {shape}").format(
                    n_in=got[0], n_out=got[1], shape=facts.get("weight_shape")),
                hint, tag=Tag.WRONG_ARCHITECTURE)
    expect_true(facts.get("has_bias") is True, checked, _("a Linear with a bias"), "bias=None",
                _("Keep the default bias=True."))


def _mode_checked(checked: str, training: bool) -> str:
    """``checked`` followed by the mode the model was in before the call."""
    if training:
        return _("{checked}: model.training (the model was in train mode)").format(checked=checked)
    return _("{checked}: model.training (the model was in eval mode)").format(checked=checked)


def _expect_same_model(obs: dict, function: str) -> None:
    expect_true(obs["same_model"] is True, _("what {function} returns").format(function=function),
                _("the very model object that was passed in"),
                obs["returned"], _("Change the model in place and end {function} with `return "
                                   "model`.").format(function=function),
                tag=Tag.NOT_IN_PLACE)


def _expect_identical(got: dict, expected: dict, checked: str, what: str, hint: str) -> None:
    """Every tensor in ``got`` equals the one of the same name in ``expected``, bit for bit.

    One comparison over all of them (a DenseNet-121 has hundreds of tensors);
    only when something differs is the first difference reported tensor by tensor.
    """
    expect_equal(sorted(got), sorted(expected), _("{checked}: the names of {what}").format(checked=checked, what=_(what)),
                 _("Do not add, remove or rename layers."))
    plain = all(isinstance(got[n], TensorObs) and got[n].values is not None and tuple(got[n].shape) == tuple(v.shape)
                and got[n].dtype == str(v.dtype) for n, v in expected.items())
    if plain and expected:
        names = list(expected)
        if torch.equal(torch.cat([got[n].values.reshape(-1) for n in names]),
                       torch.cat([expected[n].reshape(-1) for n in names])):
            return
    for name, value in expected.items():
        expect_tensor(got[name], value, _("{checked}: the values of {name} (bit for bit)").format(checked=checked, name=name),
                      hint, rtol=0, atol=0)


@contextlib.contextmanager
def _exact_cuda_math(device: str) -> Iterator[None]:
    """On CUDA, switch TF32 off for the probe so results compare with the judge's float32 on the CPU."""
    if not device.startswith("cuda"):
        yield
        return
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _returned(out, model) -> dict:
    """Whether a function handed back the model it was given, and if not, what it returned."""
    if out is model:
        text = "the same model"
    elif out is None or isinstance(out, (bool, int, float, str)):
        text = describe(out)
    else:
        text = f"a different object (a {type(out).__name__})"
    return {"same_model": out is model, "returned": text}


# ---- freeze_ ---------------------------------------------------------------------------------------


@EXERCISE.check(points=2, needs=("freeze_",))
@_one_thread
def freeze_all_parameters(ex, case):
    """freeze_ sets requires_grad=False on every parameter, in place, and returns the same model."""
    found = {}
    for key, model, training in (("densenet121", _densenet121(case), False),
                                 ("small DenseNet", _small_densenet(case, 1), True)):
        model.train(training)
        with torch.no_grad():
            model.features.conv0.weight.requires_grad_(False)  # one already frozen: stays frozen
        ids = [id(p) for p in model.parameters()]
        out = ex.freeze_(model)
        found[key] = {
            **_returned(out, model),
            "count": len(ids),
            "trainable": _trainable(model),
            "same_parameters": [id(p) for p in model.parameters()] == ids,
            "training": model.training,
            "grad_mode": torch.is_grad_enabled(),
            "state": dict(model.state_dict()) if key == "small DenseNet" else None,
        }
    return found


@freeze_all_parameters.judge
@_one_thread
def _judge(obs, case):
    for key, training in (("densenet121", False), (N_("small DenseNet"), True)):
        got = obs[key]
        checked = _("freeze_(model) on a torchvision {key}").format(key=_(key))
        _expect_same_model(got, "freeze_")
        trainable = got["trainable"]
        expect_true(not trainable, _("{checked}: requires_grad of every parameter").format(checked=checked),
                    _("all {count} parameters with requires_grad=False").format(count=got["count"]),
                    _("{n} still trainable, e.g. {names}").format(n=len(trainable), names=", ".join(trainable[:4])),
                    ladder(N_("Freeze every parameter of the model, biases included, in place."),
                           N_("requires_grad_ takes the new value: with no argument it switches tracking on, "
                              "not off.")),
                    tag=Tag.WRONG_TRAINABLE)
        expect_true(got["same_parameters"], checked, _("the model's own parameter objects, "
                                                       "frozen in place"),
                    _("the parameters were replaced by other objects"),
                    _("Change requires_grad on each existing parameter; do not replace "
                      "parameters."), tag=Tag.NOT_IN_PLACE)
        expect_equal(got["training"], training, _mode_checked(checked, training),
                     _("freeze_ must not call model.train() or model.eval()."),
                     tag=Tag.MODE_NOT_RESTORED)
        expect_equal(got["grad_mode"], True, _("{checked}: grad mode afterwards").format(checked=checked),
                     _("Freezing is requires_grad on the parameters, not "
                       "torch.set_grad_enabled(False)."),
                     tag=Tag.GRAD_MODE_LEAKED)
    _expect_identical(obs["small DenseNet"]["state"], dict(_small_densenet(case, 1).state_dict()),
                      _("freeze_ on a small DenseNet"), N_("its state_dict"),
                      _("Freezing changes requires_grad only, never the values."))


# ---- replace_densenet_classifier -------------------------------------------------------------------


def _expect_head(head: dict, n_in: int, hidden: int, classes: int, checked: str) -> None:
    """model.classifier is Sequential(OrderedDict(fc1=Linear(n_in, hidden), relu=ReLU(),
    fc2=Linear(hidden, classes), output=LogSoftmax(dim=1)))."""
    recipe = (f"model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear({n_in}, {hidden}), relu=nn.ReLU(), "
              f"fc2=nn.Linear({hidden}, {classes}), output=nn.LogSoftmax(dim=1)))")
    expect_true(head.get("sequential") is True, _("{checked}: the type of model.classifier").format(checked=checked), _("an nn.Sequential"),
                _kind(head), recipe, tag=Tag.WRONG_ARCHITECTURE)
    names = head["names"]
    expect_equal(names, ["fc1", "relu", "fc2", "output"], _("{checked}: the names of "
                                                            "model.classifier's layers, in order").format(checked=checked),
                 _("Pass an OrderedDict of (name, layer) pairs to nn.Sequential: {recipe}").format(recipe=recipe), tag=Tag.WRONG_ARCHITECTURE)
    layers = head["children"]
    _expect_linear(layers["fc1"], n_in, hidden, checked + ": model.classifier.fc1",
                   _("fc1 maps the old classifier's in_features to `hidden`: read "
                     "model.classifier.in_features before replacing it, do not hard-code 1024."))
    expect_true(layers["relu"].get("relu") is True, checked + ": model.classifier.relu", _("an nn.ReLU"),
                _kind(layers["relu"]), recipe, tag=Tag.WRONG_ARCHITECTURE)
    _expect_linear(layers["fc2"], hidden, classes, checked + ": model.classifier.fc2",
                   _("fc2 maps `hidden` to `num_classes`; use the arguments, not the defaults."))
    out = layers["output"]
    expect_true(out.get("log_softmax") is True, checked + ": model.classifier.output", _("an nn.LogSoftmax"),
                _kind(out), _("The last layer is nn.LogSoftmax(dim=1) (log-probabilities, for "
                              "nn.NLLLoss)."),
                tag=Tag.WRONG_ARCHITECTURE)
    expect_true(out.get("dim") in (1, -1), _("{checked}: the dim of model.classifier.output").format(checked=checked), _("dim=1 (the classes)"),
                f"dim={out.get('dim')!r}", _("nn.LogSoftmax(dim=1): normalise each row, over the "
                                             "classes."),
                tag=Tag.WRONG_ARCHITECTURE)


@EXERCISE.check(points=3, needs=("replace_densenet_classifier",))
@_one_thread
def densenet_classifier_structure(ex, case):
    """replace_densenet_classifier on densenet121 (defaults) builds fc1/relu/fc2/output and returns the model."""
    model = _densenet121(case)
    out = ex.replace_densenet_classifier(model)
    return {**_returned(out, model), "head": _layer_facts(getattr(model, "classifier", None))}


@densenet_classifier_structure.judge
@_one_thread
def _judge(obs, case):
    _expect_same_model(obs, "replace_densenet_classifier")
    _expect_head(obs["head"], DENSENET121_FEATURES, 500, 2,
                 _("replace_densenet_classifier(densenet121) with the defaults num_classes=2, "
                   "hidden=500"))


def _sizes(case: Case, offset: int) -> tuple[int, int]:
    g = case.generator(offset)
    return _randint(g, 3, 9), _randint(g, 20, 80)  # num_classes, hidden


@EXERCISE.check(points=2, needs=("replace_densenet_classifier",))
@_one_thread
def densenet_classifier_sizes(ex, case):
    """replace_densenet_classifier reads in_features from the old classifier and honours num_classes and hidden."""
    found = []
    for k, offset in enumerate((11, 12)):
        model = _small_densenet(case, offset)
        classes, hidden = _sizes(case, offset + 10)
        if k == 0:
            out = ex.replace_densenet_classifier(model, num_classes=classes, hidden=hidden)
        else:
            out = ex.replace_densenet_classifier(model, classes, hidden)
        found.append({**_returned(out, model), "head": _layer_facts(getattr(model, "classifier", None))})
    return found


@densenet_classifier_sizes.judge
@_one_thread
def _judge(obs, case):
    for k, offset in enumerate((11, 12)):
        n_in = _small_densenet(case, offset).classifier.in_features
        classes, hidden = _sizes(case, offset + 10)
        how = f"num_classes={classes}, hidden={hidden}" if k == 0 else f"{classes}, {hidden}"
        checked = _("replace_densenet_classifier(model, {how}) on a DenseNet whose classifier is "
                    "Linear({n_in}, 1000)").format(how=how, n_in=n_in)
        _expect_same_model(obs[k], "replace_densenet_classifier")
        _expect_head(obs[k]["head"], n_in, hidden, classes, checked)


@EXERCISE.check(points=2, needs=("replace_densenet_classifier",))
@_one_thread
def densenet_classifier_frozen_body(ex, case):
    """After replace_densenet_classifier the body is frozen and unchanged, the new head trainable, modes kept."""
    found = {}
    for key, model, training in (("densenet121", _densenet121(case), True),
                                 ("small DenseNet", _small_densenet(case, 21), False)):
        model.train(training)
        ex.replace_densenet_classifier(model, 3, 16)
        classifier = getattr(model, "classifier", None)
        head_ids = {id(p) for p in classifier.parameters()} if isinstance(classifier, nn.Module) else set()
        found[key] = {
            "body_trainable": [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in head_ids],
            "head_frozen": [n for n, p in model.named_parameters() if not p.requires_grad and id(p) in head_ids],
            "head_count": len(head_ids),
            "training": model.training,
            "grad_mode": torch.is_grad_enabled(),
            "body": _params(model, skip="classifier.") if key == "small DenseNet" else None,
        }
    return found


@densenet_classifier_frozen_body.judge
@_one_thread
def _judge(obs, case):
    for key, training in (("densenet121", True), (N_("small DenseNet"), False)):
        got = obs[key]
        checked = _("replace_densenet_classifier(model, 3, 16) on a torchvision {key}").format(key=_(key))
        body = got["body_trainable"]
        expect_true(not body, _("{checked}: the parameters outside model.classifier").format(checked=checked),
                    _("all frozen (requires_grad=False)"),
                    _("{n} trainable, e.g. {names}").format(n=len(body), names=", ".join(body[:4])),
                    _("Freeze the whole model (every parameter: requires_grad_(False)) before "
                      "building the new head."),
                    tag=Tag.WRONG_TRAINABLE)
        expect_true(got["head_count"] == 4, _("{checked}: the parameters of the new "
                                              "model.classifier").format(checked=checked),
                    _("4 (fc1 and fc2, weight and bias)"), str(got["head_count"]),
                    _("The new head holds exactly two Linear layers."))
        frozen = got["head_frozen"]
        expect_true(not frozen, _("{checked}: the new head is trainable").format(checked=checked), _("requires_grad=True on every head "
                                                                           "parameter"),
                    _("frozen: {names}").format(names=", ".join(frozen)),
                    _("Freeze first, then create the new layers: a fresh nn.Linear is trainable; "
                      "do not freeze afterwards."),
                    tag=Tag.WRONG_TRAINABLE)
        expect_equal(got["training"], training, _mode_checked(checked, training),
                     _("Do not call model.train() or model.eval() here: leave the mode as it was."),
                     tag=Tag.MODE_NOT_RESTORED)
        expect_equal(got["grad_mode"], True, _("{checked}: grad mode afterwards").format(checked=checked),
                     _("Freeze with requires_grad_(False), not torch.set_grad_enabled(False)."), tag=Tag.GRAD_MODE_LEAKED)
    _expect_identical(obs["small DenseNet"]["body"], _params(_small_densenet(case, 21), skip="classifier."),
                      _("replace_densenet_classifier on a small DenseNet"), N_("the parameters outside model.classifier"),
                      _("Freezing and replacing the classifier never change the body's weights."))


def _log_prob_sizes(case: Case) -> tuple[int, int]:
    g = case.generator(31)
    return _randint(g, 3, 7), _randint(g, 8, 24)  # num_classes, hidden


@EXERCISE.check(points=1, needs=("replace_densenet_classifier",))
@_one_thread
def densenet_classifier_log_probs(ex, case):
    """The model returned by replace_densenet_classifier outputs log-probabilities: fc1, ReLU, fc2, log_softmax."""
    classes, hidden = _log_prob_sizes(case)
    model = _densenet121(case)
    model = ex.replace_densenet_classifier(model, classes, hidden)
    classifier = getattr(model, "classifier", None)
    if not isinstance(classifier, nn.Module):
        fail("replace_densenet_classifier(densenet121, ...)", _("a model with a classifier module"),
             describe(classifier), _("Set model.classifier to the new nn.Sequential and return "
                                     "model."),
             tag=Tag.WRONG_ARCHITECTURE)
    model.eval()
    with torch.no_grad():
        out = model(_images(case, 2, 32))
    return {"out": out, "head": dict(classifier.state_dict())}


@densenet_classifier_log_probs.judge
@_one_thread
def _judge(obs, case):
    classes, hidden = _log_prob_sizes(case)
    checked = _("model(x) for 2 images after replace_densenet_classifier(densenet121, {classes}, "
                "{hidden})").format(classes=classes, hidden=hidden)
    out = obs["out"]
    if not isinstance(out, TensorObs) or out.values is None or tuple(out.shape) != (2, classes):
        fail(checked, _("a tensor of shape (2, {classes}): one row of class scores per image").format(classes=classes), describe(out),
             _("The classifier's last Linear must have num_classes outputs."), tag=Tag.WRONG_TYPE)
    sums = out.values.double().exp().sum(dim=1)
    expect_true(bool(((sums - 1).abs() <= 1e-4).all()), _("{checked}: exp() of each row sums to 1").format(checked=checked),
                _("log-probabilities (each row's exp sums to 1)"), _("row sums of exp(): {sums}").format(sums=[round(float(s), 5) for s in sums]),
                _("End the classifier with nn.LogSoftmax(dim=1)."))
    head = obs["head"]
    for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
        if not isinstance(head.get(name), TensorObs) or head[name].values is None:
            fail(checked, _("a parameter {name} in model.classifier").format(name=name), _("names found: {names}").format(names=", ".join(sorted(head))),
                 _("Name the layers fc1, relu, fc2, output."), tag=Tag.WRONG_ARCHITECTURE)
    body = _densenet121(case).eval()
    with torch.no_grad():
        h = _densenet_features(body, _images(case, 2, 32))
        h = F.linear(h, head["fc1.weight"].values, head["fc1.bias"].values).relu()
        expected = F.log_softmax(F.linear(h, head["fc2.weight"].values, head["fc2.bias"].values), dim=1)
    expect_tensor(out, expected, checked, _("The head computes "
                                            "log_softmax(fc2(relu(fc1(features)))), in that "
                                            "order."),
                  rtol=1e-4, atol=1e-5)


# ---- replace_alexnet_head --------------------------------------------------------------------------


def _alexnet_classes(case: Case) -> int:
    return _randint(case.generator(41), 2, 9)


@EXERCISE.check(points=2, needs=("replace_alexnet_head",))
@_one_thread
def alexnet_head_replaced(ex, case):
    """replace_alexnet_head makes classifier[6] Linear(in_features of the old layer, num_classes)."""
    found = []
    for narrow, args in ((False, ()), (True, (_alexnet_classes(case),))):
        model = _alexnet(case, 42, narrow=narrow)
        out = ex.replace_alexnet_head(model, *args)
        classifier = getattr(model, "classifier", None)
        last = classifier[6] if isinstance(classifier, nn.Sequential) and len(classifier) > 6 else None
        entry = {**_returned(out, model), "last": _layer_facts(last)}
        if narrow and isinstance(model, nn.Module):
            model.eval()
            try:  # the layer is judged first; a forward that cannot run is reported after that
                with torch.no_grad():
                    entry["out_shape"] = list(model(_images(case, 2, 43)).shape)
            except RuntimeError as exc:
                entry["out_shape"] = f"model(x) raised RuntimeError: {str(exc)[:200]}"
        found.append(entry)
    return found


@alexnet_head_replaced.judge
@_one_thread
def _judge(obs, case):
    classes = _alexnet_classes(case)
    width = _alexnet(case, 42, narrow=True).classifier[6].in_features
    for got, (n_in, n_out, how) in zip(obs, ((4096, 10, "replace_alexnet_head(alexnet) with the default num_classes=10"),
                                             (width, classes, f"replace_alexnet_head(model, {classes}) on an AlexNet "
                                              f"whose classifier[6] is Linear({width}, 1000)")), strict=True):
        _expect_same_model(got, "replace_alexnet_head")
        _expect_linear(got["last"], n_in, n_out, how + ": model.classifier[6]",
                       _("model.classifier[6] = nn.Linear(model.classifier[6].in_features, "
                         "num_classes) — read in_features from the old layer, do not hard-code "
                         "4096."))
    expect_equal(obs[1].get("out_shape"), [2, classes],
                 _("the shape of model(x) for 2 images after replace_alexnet_head(model, "
                   "{classes})").format(classes=classes),
                 _("Only the last layer changes: the model must still run and give num_classes "
                   "scores per image."),
                 tag=Tag.WRONG_SHAPE)


@EXERCISE.check(points=2, needs=("replace_alexnet_head",))
@_one_thread
def alexnet_nothing_else_changes(ex, case):
    """replace_alexnet_head changes nothing but classifier[6]: weights, requires_grad, layer types and modes."""
    model = _alexnet(case, 51, narrow=True)
    for p in model.features.parameters():
        p.requires_grad_(False)  # a partly frozen model must stay exactly as frozen as it was
    model.eval()
    ex.replace_alexnet_head(model, 5)
    classifier = getattr(model, "classifier", None)
    entries = list(classifier) if isinstance(classifier, nn.Sequential) else []
    return {
        "params": _params(model, skip="classifier.6."),
        "trainable": [n for n in _trainable(model) if not n.startswith("classifier.6.")],
        "types": [type(m).__name__ for m in entries],
        "modes": {name: m.training for name, m in model.named_modules() if not name.startswith("classifier.6")},
        "grad_mode": torch.is_grad_enabled(),
    }


@alexnet_nothing_else_changes.judge
@_one_thread
def _judge(obs, case):
    reference = _alexnet(case, 51, narrow=True)
    checked = _("replace_alexnet_head(model, 5) on an AlexNet in eval mode with model.features "
                "frozen")
    hint = _("Only assign model.classifier[6] = nn.Linear(...); leave every other layer, flag "
             "and weight alone.")
    types = [type(m).__name__ for m in reference.classifier]
    types[6] = "Linear"
    expect_equal(obs["types"], types, _("{checked}: the types of model.classifier's layers").format(checked=checked), hint, tag=Tag.WRONG_TYPE)
    expected = _params(reference, skip="classifier.6.")
    _expect_identical(obs["params"], expected, checked, N_("the parameters outside classifier[6]"), hint)
    wanted = {n for n in expected if not n.startswith("features.")}
    trainable = set(obs["trainable"])
    changed = [(_("{name} unfrozen") if n in trainable else _("{name} frozen")).format(name=n)
               for n in sorted(trainable ^ wanted)]
    expect_true(not changed, _("{checked}: requires_grad of the parameters outside classifier[6]").format(checked=checked),
                _("as before the call (features frozen, classifier trainable)"),
                _("{n} changed: {names}").format(n=len(changed),
                                                 names=", ".join(changed[:4]) + (", …" if len(changed) > 4 else "")),
                _("replace_alexnet_head freezes and unfreezes nothing."), tag=Tag.WRONG_TRAINABLE)
    training = [name or _("(the model)") for name, flag in obs["modes"].items() if flag]
    expect_true(not training, _("{checked}: train/eval mode of the model and its layers").format(checked=checked), _("all still in eval mode"),
                _("{n} in train mode: {names}").format(
                    n=len(training), names=", ".join(training[:4]) + (", …" if len(training) > 4 else "")),
                _("Do not call model.train() here. (A new nn.Linear has no dropout, its mode "
                  "does not matter.)"),
                tag=Tag.MODE_NOT_RESTORED)
    expect_equal(obs["grad_mode"], True, _("{checked}: grad mode afterwards").format(checked=checked), _("Do not switch gradients off."),
                 tag=Tag.GRAD_MODE_LEAKED)


# ---- head_optimizer --------------------------------------------------------------------------------


def _optimizer_model(case: Case) -> nn.Module:
    """densenet121, frozen, with the grader's head (all of it trainable)."""
    model = _densenet121(case, 61)
    for p in model.parameters():
        p.requires_grad_(False)
    model.classifier = _seeded(case, lambda: _head(DENSENET121_FEATURES, 12, 3), 62)
    return model


def _optimizer_facts(optimizer, model: nn.Module) -> dict:
    names = {id(p): name for name, p in model.named_parameters()}
    adam = torch.optim.Adam
    facts = {"type": type(optimizer).__name__, "adam": type(optimizer) is adam,
             "adam_like": isinstance(optimizer, adam)}
    if not isinstance(optimizer, torch.optim.Optimizer):
        return facts
    params, rates = [], []
    for group in optimizer.param_groups:
        rates.append(float(group.get("lr", float("nan"))))
        params += [names.get(id(p), "(a tensor that is not a parameter of the model)") for p in group["params"]]
    return {**facts, "params": params, "lrs": rates}


def _optimizer_lr(case: Case) -> float:
    return round(float(case.rand(1, offset=63)) * 0.09 + 0.005, 4)


@EXERCISE.check(points=2, needs=("head_optimizer",))
@_one_thread
def head_optimizer_params(ex, case):
    """head_optimizer is Adam holding exactly the trainable parameters of model.classifier."""
    model = _optimizer_model(case)
    model.eval()
    found = {"all_trainable": _optimizer_facts(ex.head_optimizer(model), model)}
    # A harder model: part of the head frozen, one layer outside it trainable.
    model.classifier.fc1.requires_grad_(False)
    model.features.norm5.requires_grad_(True)
    found["mixed"] = _optimizer_facts(ex.head_optimizer(model), model)
    found["trainable_after"] = _trainable(model)
    found["training"] = model.training
    return found


@head_optimizer_params.judge
@_one_thread
def _judge(obs, case):
    for key, expected, situation in (
        ("all_trainable", ["classifier.fc1.weight", "classifier.fc1.bias", "classifier.fc2.weight", "classifier.fc2.bias"],
         N_("on a frozen densenet121 with a new trainable classifier")),
        ("mixed", ["classifier.fc2.weight", "classifier.fc2.bias"],
         N_("when classifier.fc1 is frozen and features.norm5 (outside the classifier) is trainable")),
    ):
        got = obs[key]
        checked = _("head_optimizer(model) {situation}").format(situation=_(situation))
        expect_true(got["adam"], _("{checked}: the optimiser's type").format(checked=checked), "torch.optim.Adam", got["type"],
                    _("Return torch.optim.Adam(params, lr=lr) (not SGD, not AdamW)."), tag=Tag.WRONG_TYPE)
        params = got["params"]
        foreign = [p for p in params if p.startswith("(")]
        expect_true(not foreign, _("{checked}: the tensors the optimiser holds").format(checked=checked), _("the model's own parameter objects"),
                    _("{foreign} tensor(s) that are not parameters of the model (copies, p.data "
                      "or p.detach()?)").format(foreign=len(foreign)),
                    _("Hand the parameters themselves to Adam: [p for p in "
                      "model.classifier.parameters() if p.requires_grad]."),
                    tag=Tag.WRONG_TRAINABLE)
        expect_true(len(params) == len(set(params)), checked, _("each parameter once"),
                    _("parameters repeated: {params}").format(params=', '.join(sorted({p for p in params if params.count(p) > 1}))),
                    _("Pass each parameter once (one parameter group is enough)."))
        expect_equal(sorted(params), sorted(expected), _("{checked}: the parameters the optimiser "
                                                         "holds").format(checked=checked),
                     _("Give Adam [p for p in model.classifier.parameters() if p.requires_grad]: "
                       "the head only, trainable parameters only, the parameter objects "
                       "themselves (not p.data or copies)."),
                     tag=Tag.WRONG_TRAINABLE)
    expect_equal(sorted(obs["trainable_after"]), ["classifier.fc2.bias", "classifier.fc2.weight",
                                                 "features.norm5.bias", "features.norm5.weight"],
                 _("requires_grad of the model's parameters after head_optimizer(model)"),
                 _("head_optimizer only builds an optimiser; it must not freeze or unfreeze "
                   "anything."),
                 tag=Tag.WRONG_TRAINABLE)
    expect_equal(obs["training"], False, _("model.training after head_optimizer(model) on a "
                                           "model in eval mode"),
                 _("head_optimizer must not call model.train()."), tag=Tag.MODE_NOT_RESTORED)


@EXERCISE.check(points=1, needs=("head_optimizer",))
@_one_thread
def head_optimizer_lr(ex, case):
    """head_optimizer uses lr=1e-3 by default and the lr it is given otherwise."""
    model = _optimizer_model(case)
    lr = _optimizer_lr(case)
    return {"default": _optimizer_facts(ex.head_optimizer(model), model),
            "given": _optimizer_facts(ex.head_optimizer(model, lr=lr), model),
            "positional": _optimizer_facts(ex.head_optimizer(model, lr), model)}


@head_optimizer_lr.judge
@_one_thread
def _judge(obs, case):
    lr = _optimizer_lr(case)
    for key, wanted, how in (("default", 1e-3, "head_optimizer(model)"), ("given", lr, f"head_optimizer(model, lr={lr})"),
                             ("positional", lr, f"head_optimizer(model, {lr})")):
        rates = obs[key].get("lrs")
        expect_true(isinstance(rates, list) and bool(rates) and all(abs(r - wanted) <= 1e-12 for r in rates),
                    _("{how}: the learning rate of every parameter group").format(how=how), f"lr={wanted:g}",
                    f"lr={', '.join(f'{r:g}' for r in rates)}" if rates else obs[key]["type"],
                    _("Pass the lr argument on: torch.optim.Adam(params, lr=lr); the default is "
                      "lr=1e-3."))


# ---- train_step ------------------------------------------------------------------------------------


class _RecordingDenseNet(nn.Module):
    """A DenseNet body with a ``classifier`` head; ``forward`` records what it saw (no hooks)."""

    def __init__(self, features: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.records: list[dict] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.records.append({"input_device": device_of(x), "param_device": str(self.classifier.fc1.weight.device),
                             "training": bool(self.training), "grad": torch.is_grad_enabled()})
        return self.classifier(_densenet_features(self, x))


def _train_sizes(case: Case) -> tuple[int, int]:
    g = case.generator(71)
    return _randint(g, 2, 5), _randint(g, 8, 24)  # classes, hidden


def _train_model(case: Case, small: bool = False) -> _RecordingDenseNet:
    """A frozen DenseNet body (DenseNet-121, or a small one) and a trainable head, from the seed."""
    classes, hidden = _train_sizes(case)
    body = _small_densenet(case, 72) if small else _densenet121(case, 72)
    for p in body.parameters():
        p.requires_grad_(False)
    head = _seeded(case, lambda: _head(body.classifier.in_features, hidden, classes), 73)
    return _RecordingDenseNet(body.features, head)


def _train_batches(case: Case, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    classes, _unused = _train_sizes(case)
    g = case.generator(74)
    return [(_images(case, 2, 75 + k), torch.randint(0, classes, (2,), generator=g)) for k in range(count)]


def _device_name(arg) -> str:
    return "device=None" if arg is None else f"device={arg!r}" if isinstance(arg, str) else f"device={arg}"


def _probe_train_steps(ex, case: Case, devices: list, small: bool = False, frozen: bool = False) -> dict:
    """``train_step`` once per entry of ``devices``, with the grader's model, NLLLoss and SGD over every parameter.

    The model is built on the CPU, so the first call must move it to the device asked for.
    """
    model = _train_model(case, small)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR)
    calls = []
    with _exact_cuda_math(case.device):
        for (inputs, labels), device in zip(_train_batches(case, len(devices)), devices):
            model.eval()  # train_step must switch to train mode itself
            model.records.clear()
            loss = ex.train_step(model, inputs, labels, criterion, optimizer, device=device)
            calls.append({
                "loss": loss,
                # clones: the snapshot is taken after every call is done
                "head": {k: v.detach().clone() for k, v in model.classifier.state_dict().items()},
                "grads": {name: None if p.grad is None else p.grad.detach().clone()
                          for name, p in model.classifier.named_parameters()},
                "records": list(model.records),
                "training": model.training,
                "grad_mode": torch.is_grad_enabled(),
                "param_device": str(model.classifier.fc1.weight.device),
                "inputs": inputs.clone(),
                "labels": labels.clone(),
            })
    result = {"calls": calls}
    if frozen:
        result["frozen"] = _params(model, skip="classifier.")
        result["unfrozen"] = [n for n in _trainable(model) if not n.startswith("classifier.")]
    return result


def _situation(device, k: int, count: int, body: str = "DenseNet-121") -> str:
    return _("train_step call {k} of {count} ({device}; frozen {body} body, trainable head, "
             "nn.NLLLoss, SGD(lr={lr}) over all parameters)").format(
        k=k + 1, count=count, device=_device_name(device), body=_(body), lr=TRAIN_LR)


def _loss_devices(case: Case) -> list:
    """Call 1: a str (the model starts on the CPU, it must be moved); call 2: None (the model's device)."""
    return [case.device, None]


@functools.lru_cache(maxsize=2)
def _expected_steps(seed: int) -> list[dict]:
    """The grader's own steps: the loss before each step, the head's gradient and weights after it."""
    case = Case(EXERCISE.name, "train_step", "cpu", seed)
    model = _train_model(case)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR)
    model.train()
    steps = []
    for inputs, labels in _train_batches(case, len(_loss_devices(case))):
        before = {k: v.clone() for k, v in model.classifier.state_dict().items()}
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        grads = {name: p.grad.clone() for name, p in model.classifier.named_parameters()}
        optimizer.step()
        steps.append({"loss": loss.item(), "before": before, "grads": grads,
                      "head": {k: v.clone() for k, v in model.classifier.state_dict().items()}})
    return steps


@EXERCISE.check(points=3, needs=("train_step",), per_device=True, timeout=60)
@_one_thread
def train_step_loss_and_update(ex, case):
    """train_step returns the batch's loss (a float) before the step and takes exactly one optimiser step."""
    return _probe_train_steps(ex, case, _loss_devices(case))


@train_step_loss_and_update.judge
@_one_thread
def _judge(obs, case):
    rtol, atol = TOLERANCE["cuda" if case.device.startswith("cuda") else "cpu"]
    devices = _loss_devices(case)
    for k, (got, want) in enumerate(zip(obs["calls"], _expected_steps(case.seed), strict=True)):
        checked = _situation(devices[k], k, len(devices))
        loss = got["loss"]
        expect_true(type(loss) is float, _("{checked}: what train_step returns").format(checked=checked), _("a Python float (the loss)"),
                    describe(loss), _("Return loss.item(): a float, not the loss tensor (that "
                                      "keeps the whole graph)."),
                    tag=Tag.WRONG_TYPE)
        expect_true(abs(loss - want["loss"]) <= atol + rtol * abs(want["loss"]), _("{checked}: the returned loss").format(checked=checked),
                    _("{loss:.6g}: criterion(model(inputs), labels) before the update").format(loss=want['loss']),
                    f"{loss:.6g}",
                    _("Put the model in train mode, compute criterion(model(inputs), labels) "
                      "once, back-propagate, step, and return that loss (not one computed after "
                      "the step)."))
        head = got["head"]
        unchanged = all(isinstance(head.get(n), TensorObs) and head[n].values is not None
                        and torch.equal(head[n].values, want["before"][n]) for n in want["before"])
        expect_true(not unchanged, _("{checked}: the head's weights").format(checked=checked), _("changed by one optimiser step"),
                    _("exactly as before the call"), _("Call loss.backward() and then "
                                                    "optimizer.step()."))
        for name, grad in got["grads"].items():
            if grad is None or isinstance(grad, TensorObs) and grad.values is not None and not grad.values.any():
                continue  # gradients zeroed or set to None after the step: fine
            expect_tensor(grad, want["grads"][name], _("{checked}: classifier.{name}.grad after "
                                                       "the call").format(checked=checked, name=name),
                          _("Call optimizer.zero_grad() before loss.backward(): otherwise the "
                            "gradients of earlier batches are added to this one's."), rtol=max(rtol, 1e-3), atol=max(atol, 1e-6),
                          tag=Tag.STALE_GRAD)
        for name, value in want["head"].items():
            expect_tensor(head.get(name), value, _("{checked}: classifier.{name} after the step").format(checked=checked, name=name),
                          _("One step: optimizer.zero_grad(); loss = criterion(model(inputs), "
                            "labels); loss.backward(); optimizer.step() — once, with this batch "
                            "only."), rtol=rtol, atol=atol)


@EXERCISE.check(points=2, needs=("train_step",), per_device=True, timeout=60)
@_one_thread
def train_step_frozen_unchanged(ex, case):
    """train_step leaves every frozen parameter bit-identical and frozen."""
    return _probe_train_steps(ex, case, [torch.device(case.device)], frozen=True)


@train_step_frozen_unchanged.judge
@_one_thread
def _judge(obs, case):
    checked = _("train_step({device}) with a frozen DenseNet-121 body and an optimiser over all "
                "parameters").format(device=_device_name(torch.device(case.device)))
    unfrozen = obs["unfrozen"]
    expect_true(not unfrozen, _("{checked}: requires_grad of the frozen parameters").format(checked=checked), _("all still False"),
                _("{n} made trainable, e.g. {names}").format(n=len(unfrozen), names=", ".join(unfrozen[:4])),
                _("train_step must not change requires_grad: the frozen body has to stay frozen."),
                tag=Tag.WRONG_TRAINABLE)
    reference = _train_model(case)
    _expect_identical(obs["frozen"], _params(reference, skip="classifier."), checked, N_("the frozen parameters"),
                      _("Frozen parameters must not change: update only through optimizer.step() "
                        "after backward (no manual updates, no weight decay of your own)."))
    head = obs["calls"][0]["head"]
    before = reference.classifier.state_dict()
    expect_true(any(isinstance(head.get(n), TensorObs) and head[n].values is not None
                    and not torch.equal(head[n].values, v) for n, v in before.items()),
                _("{checked}: the trainable head").format(checked=checked), _("changed by the step"), _("exactly as before the call"),
                _("Call loss.backward() and then optimizer.step()."))


STEP_ON_DEVICE = N_("train_step makes one optimisation step on device")


def _mode_devices(case: Case) -> list:
    """A str (the model starts on the CPU), a torch.device, then None (the model's device)."""
    return [case.device, torch.device(case.device), None]


@EXERCISE.check(points=2, needs=("train_step",), per_device=True, timeout=60)
@_one_thread
def train_step_device_and_mode(ex, case):
    """train_step runs on the device asked for (str, torch.device, None = the model's) in train mode, and stays there."""
    result = _probe_train_steps(ex, case, _mode_devices(case), small=True)
    # Last, as it may be stopped where it asks for CUDA: device=None with the model on the CPU, CUDA available.
    model = _train_model(case, small=True)
    inputs, labels = _train_batches(case, 1)[0]
    optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR)
    offered = offer_cuda(lambda: ex.train_step(model, inputs, labels, nn.NLLLoss(), optimizer, device=None))
    result["offered"] = {"records": list(model.records), "param_device": str(model.classifier.fc1.weight.device),
                         **offered.facts()}
    if case.device == "cpu":
        result["explicit"] = _explicit_steps(ex, case)
    return result


def _explicit_steps(ex, case: Case) -> list[dict]:
    """train_step with an explicit device, the model on the CPU, CUDA offered and its moves followed (devices)."""
    found = []
    for device in ("cpu", "cuda", torch.device("cuda")):
        model = _train_model(case, small=True)
        inputs, labels = _train_batches(case, 1)[0]
        optimizer = torch.optim.SGD(model.parameters(), lr=TRAIN_LR)
        run = offer_cuda(lambda: ex.train_step(model, inputs, labels, nn.NLLLoss(), optimizer, device=device),
                         follow=True)
        found.append({"label": _device_name(device), "device": str(device),
                      "parameter_targets": run.parameter_targets(model),
                      "input_devices": [r["input_device"] for r in model.records], **run.facts()})
    return found


@train_step_device_and_mode.judge
@_one_thread
def _judge(obs, case):
    devices = _mode_devices(case)
    batches = _train_batches(case, len(devices))
    for k, got in enumerate(expect_count(obs["calls"], len(devices), "train_step(...)")):
        checked = _situation(devices[k], k, len(devices), body="small DenseNet")
        records = got["records"]
        expect_true(bool(records), _("{checked}: the model was called").format(checked=checked), _("model(inputs) at least once"),
                    _("the model was never called"), _("Compute the loss as "
                                                    "criterion(model(inputs), labels)."))
        for record in records:
            expect_true(same_device(record["input_device"], case.device) and same_device(record["param_device"], case.device),
                        _("{checked}: where the forward pass ran").format(checked=checked), _("the inputs and the model on {device}").format(device=case.device),
                        _("inputs on {input_device}, model on {param_device}").format(
                            input_device=record["input_device"], param_device=record["param_device"]),
                        _("Move both: model.to(device) and inputs.to(device), labels.to(device); "
                          "with device=None use the device of next(model.parameters())."), tag=Tag.WRONG_DEVICE)
            expect_true(record["training"], _("{checked}: the model's mode during the forward "
                                              "pass (it was in eval mode)").format(checked=checked),
                        _("train mode"), _("eval mode"), _("Call model.train() before the forward pass."),
                        tag=Tag.MODE_NOT_RESTORED)
        expect_true(same_device(got["param_device"], case.device), _("{checked}: where the model is afterwards").format(checked=checked),
                    _("on {device}").format(device=case.device), got["param_device"], _("model.to(device) moves the model in "
                                                                "place."),
                    tag=Tag.WRONG_DEVICE)
        expect_equal(got["training"], True, _("{checked}: model.training after the call").format(checked=checked),
                     _("Training functions leave the model in train mode; do not call "
                       "model.eval() at the end."),
                     tag=Tag.MODE_NOT_RESTORED)
        expect_equal(got["grad_mode"], True, _("{checked}: grad mode after the call").format(checked=checked),
                     _("Leave gradient recording on (do not call torch.set_grad_enabled(False))."),
                     tag=Tag.GRAD_MODE_LEAKED)
        loss = got["loss"]
        expect_true(type(loss) is float, _("{checked}: what train_step returns").format(checked=checked), _("a Python float (the loss)"),
                    describe(loss), _("Return loss.item(): a float, not the loss tensor."), tag=Tag.WRONG_TYPE)
        inputs, labels = batches[k]
        expect_tensor(got["inputs"], inputs, _("{checked}: the caller's inputs after the call").format(checked=checked),
                      _("Do not change the caller's tensors: inputs = inputs.to(device) makes a "
                        "new one."),
                      device="cpu", rtol=0, atol=0, tag=Tag.INPUT_MODIFIED)
        expect_tensor(got["labels"], labels, _("{checked}: the caller's labels after the call").format(checked=checked),
                      _("Do not change the caller's tensors: labels = labels.to(device) makes a "
                        "new one."),
                      device="cpu", rtol=0, atol=0, tag=Tag.INPUT_MODIFIED)
    for run in obs.get("explicit", []):
        expect_explicit_device(run, run["device"], _("train_step(model, inputs, labels, criterion, optimizer, "
                                                     "{label}) with the model on cpu").format(label=run["label"]),
                               _("Use the device you are given: only when device is None choose one yourself "
                                 "(next(model.parameters()).device); never replace \"cpu\" or \"cuda\" by "
                                 "another."), inputs=run["input_devices"], what=_(STEP_ON_DEVICE))
    offered = obs.get("offered")
    if offered:
        expect_model_rule(offered, [offered["param_device"], *(r["input_device"] for r in offered["records"])],
                          "train_step(model, inputs, labels, criterion, optimizer, device=None) with the model on cpu")
