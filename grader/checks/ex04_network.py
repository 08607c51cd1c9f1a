"""Checks for ex04_network: a classifier class, weight init, nn.Sequential, convolution blocks.

Expected values are always recomputed here, in the grader, from the parameters
the student's model actually holds (the probe returns its ``state_dict``), with
``torch.nn.functional``; inputs and sizes come from the case seed.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from grader.engine.api import Case, Exercise
from grader.engine.expect import expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex04_network")

# Float32 results computed in another order (x @ W.T + b vs F.linear, …) differ by ~1e-7.
RTOL, ATOL = 1e-4, 1e-6


# ---- helpers shared by probes and judges --------------------------------------


def _ints(g: torch.Generator, low: int, high: int, count: int) -> list[int]:
    """``count`` random ints in [low, high] from a private generator."""
    return [int(v) for v in torch.randint(low, high + 1, (count,), generator=g)]


def _module_facts(module) -> dict:
    """What a judge needs to know about one layer, without trusting its repr."""
    if not isinstance(module, nn.Module):
        return {"type": describe(module) if module is not None else _("nothing (no such attribute)"), "module": False}
    facts = {"type": type(module).__name__, "module": True,
             "linear": isinstance(module, nn.Linear), "relu": isinstance(module, nn.ReLU),
             "softmax": isinstance(module, nn.Softmax), "conv2d": isinstance(module, nn.Conv2d)}
    for name in ("in_features", "out_features", "in_channels", "out_channels", "kernel_size", "dim"):
        value = getattr(module, name, None)
        if value is None or type(value) in (int, str) or (type(value) is tuple and all(type(v) is int for v in value)):
            facts[name] = value
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        facts["has_bias"] = module.bias is not None
    return facts


def _state(model) -> dict:
    """The model's parameters by qualified name (detached copies are made by the snapshot)."""
    return dict(model.state_dict()) if isinstance(model, nn.Module) else {}


def _param(state: dict, key: str, checked: str, hint: str) -> torch.Tensor:
    got = state.get(key)
    if not isinstance(got, TensorObs) or got.values is None:
        fail(checked, _("a parameter named '{key}' in the model's state_dict").format(key=key),
             _("no such parameter (names found: {state})").format(state=', '.join(sorted(state)) or 'none'), hint, tag=Tag.WRONG_ARCHITECTURE)
    return got.values.double()


def _expect_layer(facts: dict, kind: str, checked: str, hint: str, **wanted) -> None:
    """The layer is an nn.<kind> with the wanted attributes (in_features=…, …)."""
    flag = {"Linear": "linear", "ReLU": "relu", "Softmax": "softmax", "Conv2d": "conv2d"}[kind]
    expect_true(facts.get(flag) is True, checked, _("an nn.{kind}").format(kind=kind), facts.get("type", "?"), hint,
                tag=Tag.WRONG_ARCHITECTURE)
    for name, value in wanted.items():
        got = facts.get(name)
        if got != value:
            fail(checked, f"{name}={value!r}", f"{name}={got!r}", hint, tag=Tag.WRONG_ARCHITECTURE)


def _expect_probabilities(got, rows: int, cols: int, checked: str) -> None:
    """Softmax over dim 1: non-negative rows that each sum to 1."""
    if not isinstance(got, TensorObs) or got.values is None:
        fail(checked, _("a tensor of shape ({rows}, {cols})").format(rows=rows, cols=cols), describe(got), _("forward must return a tensor."),
             tag=Tag.WRONG_TYPE)
    if tuple(got.shape) != (rows, cols):
        fail(checked, _("shape ({rows}, {cols})").format(rows=rows, cols=cols), _("shape {shape}").format(shape=tuple(got.shape)),
             _("One row per sample, one column per class."), tag=Tag.WRONG_SHAPE)
    values = got.values.double()
    sums = values.sum(dim=1)
    ok = bool(torch.isfinite(values).all()) and bool((values >= 0).all()) and bool(((sums - 1).abs() <= 1e-5).all())
    expect_true(ok, _("{checked}: every row is a probability distribution").format(checked=checked),
                _("non-negative values, each row summing to 1"),
                _("row sums {sums}{rows}, smallest value {values:.4g}").format(sums=[round(float(s), 5) for s in sums[:4]], rows=' …' if rows > 4 else '', values=float(values.min())),
                _("Apply softmax over dim=1 (the class dimension), e.g. F.softmax(logits, "
                  "dim=1), as the last step."),
                tag=Tag.WRONG_VALUE if bool(torch.isfinite(values).all()) else Tag.NOT_FINITE)


# ---- Network -------------------------------------------------------------------

_NETWORK_SIZES = (("fc1", 784, 128), ("fc2", 128, 64), ("fc3", 64, 10))


@EXERCISE.check(points=2, needs=("Network",))
def network_layers(ex, case):
    """Network has fc1 = Linear(784, 128), fc2 = Linear(128, 64), fc3 = Linear(64, 10)."""
    model = ex.Network()
    return {"is_module": isinstance(model, nn.Module),
            "layers": {name: _module_facts(getattr(model, name, None)) for name, _unused, _unused in _NETWORK_SIZES}}


@network_layers.judge
def _judge(obs, case):
    expect_true(obs["is_module"], _("Network() builds an nn.Module"), _("an nn.Module"), _("something else"),
                _("class Network(nn.Module) and call super().__init__() first in __init__."), tag=Tag.WRONG_TYPE)
    for name, n_in, n_out in _NETWORK_SIZES:
        _expect_layer(obs["layers"][name], "Linear", f"Network().{name}",
                      _("Network needs self.{name}, an nn.Linear from {n_in} inputs to {n_out} outputs, created "
                        "in __init__.").format(name=name, n_in=n_in, n_out=n_out),
                      in_features=n_in, out_features=n_out, has_bias=True)


def _network_input(case: Case) -> torch.Tensor:
    n = _ints(case.generator(1), 2, 6, 1)[0]
    return torch.randn(n, 784, generator=case.generator(2))


@EXERCISE.check(points=3, needs=("Network",))
def network_forward(ex, case):
    """Network.forward: fc1, ReLU, fc2, ReLU, fc3, softmax over dim 1, via model(x) and model.forward(x)."""
    x = _network_input(case)
    model = ex.Network()
    model.train()
    by_call = model(x)
    grad_after_call = torch.is_grad_enabled()
    training_after_call = model.training
    model.eval()
    with torch.no_grad():
        by_forward = model.forward(x)
        grad_after_forward = torch.is_grad_enabled()
    return {"state": _state(model), "call": by_call, "forward": by_forward, "x_after": x,
            "grad_after_call": grad_after_call, "grad_after_forward": grad_after_forward,
            "training_after_call": training_after_call, "training_after_forward": model.training}


def _network_expected(state: dict, x: torch.Tensor, checked: str) -> torch.Tensor:
    h = x.double()
    for k, (name, _unused, _unused) in enumerate(_NETWORK_SIZES):
        hint = _("Network needs a layer self.{name} (nn.Linear).").format(name=name)
        h = F.linear(h, _param(state, f"{name}.weight", checked, hint), _param(state, f"{name}.bias", checked, hint))
        if k < 2:
            h = F.relu(h)
    return F.softmax(h, dim=1).float()


@network_forward.judge
def _judge(obs, case):
    x = _network_input(case)
    n = x.shape[0]
    expected = _network_expected(obs["state"], x, _("Network forward"))
    hint = ladder(N_("forward: ReLU after each hidden layer (fc1 and fc2), and softmax over the classes after the "
                     "last one (fc3)."),
                  N_("Apply fc1, ReLU, fc2, ReLU, fc3 in that order, then softmax over dim=1 so that each row sums "
                     "to 1; no ReLU after fc3."))
    for key, how in (("call", "model(x)"), ("forward", "model.forward(x)")):
        checked = _("Network output of {how} on a random batch of shape ({n}, 784)").format(how=how, n=n)
        _expect_probabilities(obs[key], n, 10, checked)
        expect_tensor(obs[key], expected, checked, hint, rtol=RTOL, atol=ATOL)
    expect_tensor(obs["x_after"], x, _("the input batch after Network forward"),
                  _("Do not change the caller's x in place (no x.relu_() or in-place ops on the "
                    "input)."),
                  tag=Tag.INPUT_MODIFIED)
    expect_equal(obs["grad_after_call"], True, _("grad mode after model(x) with gradients enabled"),
                 _("forward must not switch gradient recording off (no "
                   "torch.set_grad_enabled(False))."),
                 tag=Tag.GRAD_MODE_LEAKED)
    expect_equal(obs["grad_after_forward"], False, _("grad mode after model.forward(x) inside "
                                                     "torch.no_grad()"),
                 _("forward must not switch gradient recording on."), tag=Tag.GRAD_MODE_LEAKED)
    expect_equal(obs["training_after_call"], True, _("model.training after model(x) in train mode"),
                 _("forward must not call self.eval() or self.train()."), tag=Tag.MODE_NOT_RESTORED)
    expect_equal(obs["training_after_forward"], False, _("model.training after model.forward(x) "
                                                         "in eval mode"),
                 _("forward must not call self.train() or self.eval()."), tag=Tag.MODE_NOT_RESTORED)


# ---- init_weights_ -------------------------------------------------------------

WIDTH = 512


class _Block(nn.Module):
    """A custom module hiding a Linear next to a convolution (the grader's own)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, kernel_size=3)
        self.proj = nn.Linear(WIDTH, WIDTH)

    def forward(self, x):
        return self.proj(x)


def _init_model(case: Case, offset: int) -> nn.Module:
    """Linear layers nested two deep, plus layers that init_weights_ must leave alone.

    Every parameter starts from seeded values far from N(0, std) and from 0, so
    an untouched Linear is visible; the grader's global RNG is not consumed.
    """
    with torch.random.fork_rng(devices=[]):
        model = nn.Sequential(
            nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH)),
            _Block(),
            nn.Conv2d(3, 4, kernel_size=3),
            nn.LayerNorm(WIDTH),
            nn.Linear(WIDTH, 128),
        )
    g = case.generator(offset)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g) + 0.5)
    return model


def _custom_std(case: Case) -> float:
    """A non-default std in [0.03, 0.15], different for every seed."""
    return round(0.03 + 0.12 * float(torch.rand(1, generator=case.generator(3))), 4)


def _probe_init(ex, case: Case) -> dict:
    """init_weights_ twice: a custom std (eval mode, grad on), the default (train mode, inside no_grad)."""
    runs = {}
    for label, std, offset in (("custom", _custom_std(case), 10), ("default", None, 20)):
        model = _init_model(case, offset)
        model.eval() if label == "custom" else model.train()
        before = {name: p for name, p in model.named_parameters()}
        if std is None:
            with torch.no_grad():
                returned = ex.init_weights_(model)
                grad_after = torch.is_grad_enabled()
        else:
            returned = ex.init_weights_(model, std=std) if case.seed % 2 else ex.init_weights_(model, std)
            grad_after = torch.is_grad_enabled()
        after = dict(model.named_parameters())
        runs[label] = {
            "returned_model": returned is model,
            "returned": None if returned is model else describe(returned),
            "params": {name: t.detach() for name, t in after.items()},
            # recorded here: the snapshot of an nn.Parameter goes through as_subclass, which adds a grad_fn
            "flags": {name: {"requires_grad": t.requires_grad, "is_leaf": t.is_leaf, "grad_fn": t.grad_fn is not None}
                      for name, t in after.items()},
            "same_objects": {name: after.get(name) is p for name, p in before.items()},
            "grad_after": grad_after,
            "training": [m.training for m in model.modules()],
        }
    return runs


def _linear_names(model: nn.Module) -> list[str]:
    return [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]


def _expect_normal(w: torch.Tensor, std: float, checked: str) -> None:
    """Weights look like n draws of N(0, std): mean, standard deviation and shape of the distribution.

    Every bound is 6 standard errors for this sample size (a false alarm about once in 10^8 runs).
    """
    w = w.double().flatten()
    n = w.numel()
    hint_std = _("Draw the weight with weight.normal_(mean=0, std=std) (std is the standard "
                 "deviation, here {std:g}).").format(std=std)
    mean = float(w.mean())
    mean_tol = 6 * std / math.sqrt(n)
    expect_true(abs(mean) <= mean_tol, _("{checked}: mean of the weights").format(checked=checked), _("0 (within {mean_tol:.2g})").format(mean_tol=mean_tol),
                f"{mean:.4g}", _("Draw the weights with mean 0."))
    sd = float(w.std())
    sd_tol = 6 / math.sqrt(2 * (n - 1))
    expect_true(abs(sd / std - 1) <= sd_tol, _("{checked}: standard deviation of the weights").format(checked=checked),
                _("{std:g} (within {sd_tol:.1f}%)").format(std=std, sd_tol=100 * sd_tol), f"{sd:.4g}", hint_std)
    inside = float((w.abs() <= std).double().mean())
    p = math.erf(1 / math.sqrt(2))  # P(|Z| <= 1) for a normal distribution
    tol = 6 * math.sqrt(p * (1 - p) / n)
    expect_true(abs(inside - p) <= tol, _("{checked}: shape of the distribution of the weights").format(checked=checked),
                _("a normal distribution: {p:.1f}% of the weights within one std of 0").format(p=100 * p),
                f"{100 * inside:.1f}%", _("Use a normal distribution (normal_), not a uniform "
                                          "one (uniform_)."))


def _params_of(run: dict, key: str, checked: str) -> torch.Tensor:
    got = run["params"].get(key)
    if not isinstance(got, TensorObs) or got.values is None:
        fail(checked, _("the model's parameter '{key}'").format(key=key), _("it is gone from the model"),
             _("Change the existing parameters in place; do not delete or rename them."))
    return got


@EXERCISE.check(points=3, needs=("init_weights_",), timeout=30)
def init_weights_linear_layers(ex, case):
    """init_weights_ zeroes every nested Linear's bias and draws its weight from N(0, std); other layers untouched."""
    return _probe_init(ex, case)


@init_weights_linear_layers.judge
def _judge(obs, case):
    for label, std in (("custom", _custom_std(case)), ("default", 0.01)):
        run = obs[label]
        call = f"init_weights_(model, std={std:g})" if label == "custom" else _("init_weights_(model) (default std=0.01)")
        fresh = _init_model(case, 10 if label == "custom" else 20)
        linears = set(_linear_names(fresh))
        for name, start in fresh.named_parameters():
            owner = name.rsplit(".", 1)[0]
            checked = _("{call} on nested layers: parameter '{name}'").format(call=call, name=name)
            got = _params_of(run, name, checked)
            if owner not in linears:
                expect_tensor(got, start.detach(), _("{checked} of a {name}").format(checked=checked, name=type(fresh.get_submodule(owner)).__name__),
                              _("Only re-initialise nn.Linear layers: test isinstance(module, "
                                "nn.Linear)."))
            elif name.endswith(".bias"):
                expect_tensor(got, torch.zeros_like(start), _("{checked} (a Linear bias)").format(checked=checked),
                              _("Fill every Linear's bias with 0 (bias.fill_(0) or "
                                "nn.init.zeros_)."))
            else:
                unchanged = torch.equal(got.values, start.detach())
                expect_true(not unchanged, _("{checked} (a Linear weight)").format(checked=checked), _("new values drawn from N(0, std)"),
                            _("the weights were not changed"),
                            _("Visit every module, nested ones too: for module in "
                              "model.modules(): ..."))
                _expect_normal(got.values, std, _("{checked} (a Linear weight)").format(checked=checked))


@EXERCISE.check(points=2, needs=("init_weights_",), timeout=30)
def init_weights_in_place(ex, case):
    """init_weights_ changes the parameters in place without autograd, keeps grad and train/eval mode, returns model."""
    runs = _probe_init(ex, case)
    for run in runs.values():
        run.pop("params", None)  # their values are init_weights_linear_layers' to judge
    return runs


@init_weights_in_place.judge
def _judge(obs, case):
    for label, std in (("custom", _custom_std(case)), ("default", 0.01)):
        run = obs[label]
        call = f"init_weights_(model, std={std:g})" if label == "custom" else _("init_weights_(model) inside "
                                                                                "torch.no_grad()")
        expect_true(run["returned_model"], _("{call}: the return value").format(call=call), _("the model object that was passed in"),
                    run["returned"] or "?", _("End with `return model`."), tag=Tag.NOT_IN_PLACE)
        for name, same in run["same_objects"].items():
            expect_true(same, _("{call}: parameter '{name}'").format(call=call, name=name), _("the same nn.Parameter object as before "
                                                               "the call"),
                        _("a new object"), _("Write into the existing tensors (weight.normal_(...), "
                                          "bias.fill_(0)) instead of assigning new nn.Parameter "
                                          "objects."), tag=Tag.NOT_IN_PLACE)
        for name, flags in run["flags"].items():
            checked = _("{call}: parameter '{name}' afterwards").format(call=call, name=name)
            hint = (_("Do the writes inside `with torch.no_grad():` so autograd does not record "
                      "them; never set requires_grad=False."))
            ok = flags["requires_grad"] is True and flags["is_leaf"] is True and flags["grad_fn"] is False
            expect_true(ok, checked, _("a leaf tensor with requires_grad=True and no grad_fn"),
                        _("requires_grad={requires_grad}, is_leaf={is_leaf}, grad_fn {grad_fn}").format(
                            requires_grad=flags["requires_grad"], is_leaf=flags["is_leaf"],
                            grad_fn=_("set") if flags["grad_fn"] else "None"), hint, tag=Tag.GRAPH_BUILT)
        wanted_grad = label == "custom"
        expect_equal(run["grad_after"], wanted_grad, _("{call}: grad mode after the call").format(call=call),
                     _("Use `with torch.no_grad():` (it restores grad mode) rather than "
                       "torch.set_grad_enabled(False)."),
                     tag=Tag.GRAD_MODE_LEAKED)
        wanted_mode = label != "custom"
        expect_true(all(flag is wanted_mode for flag in run["training"]), _("{call}: train/eval mode of the model").format(call=call),
                    _("every module still in train mode") if wanted_mode else _("every module still in eval mode"),
                    _("training flags {training}").format(training=run['training']), _("init_weights_ must not call "
                                                           "model.train() or model.eval()."),
                    tag=Tag.MODE_NOT_RESTORED)


# ---- build_sequential -----------------------------------------------------------


def _seq_configs(case: Case) -> list[tuple[int, list[int], int]]:
    """Random (input_size, hidden_sizes, output_size) with 1, 2, 3 and 4 hidden layers."""
    g = case.generator(30)
    return [(_ints(g, 3, 40, 1)[0], _ints(g, 2, 30, k), _ints(g, 2, 12, 1)[0]) for k in (1, 2, 3, 4)]


def _expected_names(hidden: int) -> list[str]:
    names = [f"{kind}{k}" for k in range(1, hidden + 1) for kind in ("fc", "relu")]
    return names + ["output", "softmax"]


def _seq_facts(seq, hidden_arg) -> dict:
    facts = {"sequential": isinstance(seq, nn.Sequential), "type": describe(seq) if not isinstance(seq, nn.Module)
             else type(seq).__name__, "hidden_after": list(hidden_arg) if hidden_arg is not None else None}
    if isinstance(seq, nn.Module):
        facts["names"] = [name for name, _unused in seq.named_children()]
        facts["layers"] = [_module_facts(m) for _unused, m in seq.named_children()]
    return facts


def _call_build(ex, case: Case, index: int, cfg):
    n_in, hidden, n_out = cfg
    # lists and tuples, positional and keyword arguments: every form the signature allows
    arg = list(hidden) if index % 2 == 0 else tuple(hidden)
    if (index + case.seed) % 2:
        return ex.build_sequential(n_in, arg, n_out), arg
    return ex.build_sequential(input_size=n_in, hidden_sizes=arg, output_size=n_out), arg


@EXERCISE.check(points=3, needs=("build_sequential",))
def build_sequential_layers(ex, case):
    """build_sequential: OrderedDict names fc1, relu1, …, output, softmax with the right sizes, any depth."""
    found = []
    for index, cfg in enumerate(_seq_configs(case)):
        seq, arg = _call_build(ex, case, index, cfg)
        found.append(_seq_facts(seq, arg))
    found.append(_seq_facts(ex.build_sequential(), None))
    return {"configs": found}


@build_sequential_layers.judge
def _judge(obs, case):
    configs = _seq_configs(case) + [(784, [128, 64], 10)]
    for (n_in, hidden, n_out), got in zip(configs, obs["configs"], strict=True):
        default = (n_in, hidden, n_out) == (784, [128, 64], 10) and got["hidden_after"] is None
        call = "build_sequential()" if default else f"build_sequential({n_in}, {hidden}, {n_out})"
        expect_true(got["sequential"], call, _("an nn.Sequential"), got["type"],
                    _("Return nn.Sequential(OrderedDict([...]))."), tag=Tag.WRONG_ARCHITECTURE)
        names = _expected_names(len(hidden))
        expect_equal(got["names"], names, _("{call}: the names of the layers, in order").format(call=call),
                     _("Build an OrderedDict: fc1, relu1, fc2, relu2, … (K counts from 1, one "
                       "pair per hidden size), then 'output' and 'softmax'; pass it to "
                       "nn.Sequential."), tag=Tag.WRONG_ARCHITECTURE)
        sizes = [n_in, *hidden]
        for k in range(len(hidden)):
            _expect_layer(got["layers"][2 * k], "Linear", _("{call}: layer 'fc{k}'").format(call=call, k=k + 1),
                          _("fcK maps the previous size to hidden_sizes[K-1] (the first one "
                            "reads input_size)."),
                          in_features=sizes[k], out_features=sizes[k + 1])
            _expect_layer(got["layers"][2 * k + 1], "ReLU", _("{call}: layer 'relu{k}'").format(call=call, k=k + 1),
                          _("Each hidden Linear is followed by nn.ReLU()."))
        _expect_layer(got["layers"][-2], "Linear", _("{call}: layer 'output'").format(call=call),
                      _("output = nn.Linear(last hidden size, output_size)."), in_features=sizes[-1], out_features=n_out)
        _expect_layer(got["layers"][-1], "Softmax", _("{call}: layer 'softmax'").format(call=call),
                      _("The last layer is nn.Softmax(dim=1): probabilities over the classes of "
                        "each sample."), dim=1)
        if not default:
            expect_equal(got["hidden_after"], list(hidden), _("{call}: the hidden_sizes argument after "
                                                              "the call").format(call=call),
                         _("Do not change the caller's list (no append/insert/pop on "
                           "hidden_sizes); build a new one."),
                         tag=Tag.INPUT_MODIFIED)


def _seq_forward_configs(case: Case) -> list[tuple[int, list[int], int]]:
    return _seq_configs(case)[1:3]


def _seq_input(case: Case, index: int, n_in: int) -> torch.Tensor:
    g = case.generator(40 + index)
    n = _ints(g, 2, 5, 1)[0]
    return torch.randn(n, n_in, generator=g) * 2


@EXERCISE.check(points=2, needs=("build_sequential",))
def build_sequential_forward(ex, case):
    """The model from build_sequential computes Linear, ReLU, …, output, softmax(dim=1)."""
    found = []
    for index, cfg in enumerate(_seq_forward_configs(case)):
        seq, _unused = _call_build(ex, case, index, cfg)
        found.append({"state": _state(seq), "out": seq(_seq_input(case, index, cfg[0]))})
    return {"configs": found}


@build_sequential_forward.judge
def _judge(obs, case):
    for index, ((n_in, hidden, n_out), got) in enumerate(zip(_seq_forward_configs(case), obs["configs"], strict=True)):
        x = _seq_input(case, index, n_in)
        checked = _("build_sequential({n_in}, {hidden}, {n_out}) applied to a batch of shape "
                    "{shape}").format(n_in=n_in, hidden=hidden, n_out=n_out, shape=tuple(x.shape))
        h = x.double()
        for k in range(1, len(hidden) + 1):
            hint = _("Name the hidden Linear layers fc1, fc2, … in the OrderedDict.")
            h = F.relu(F.linear(h, _param(got["state"], f"fc{k}.weight", checked, hint),
                                _param(got["state"], f"fc{k}.bias", checked, hint)))
        hint = _("Name the last Linear layer 'output'.")
        h = F.linear(h, _param(got["state"], "output.weight", checked, hint),
                     _param(got["state"], "output.bias", checked, hint))
        expected = F.softmax(h, dim=1).float()
        _expect_probabilities(got["out"], x.shape[0], n_out, checked)
        expect_tensor(got["out"], expected, checked,
                      _("Order: fc1, relu1, fc2, relu2, …, output, softmax — each Linear reads "
                        "the previous layer's size."),
                      rtol=RTOL, atol=ATOL)


# ---- CustomLayer ---------------------------------------------------------------


def _layer_configs(case: Case) -> list[tuple[int, int, int, int]]:
    """(in_channels, out_channels, H, W): odd and even heights and widths."""
    g = case.generator(50)
    configs = []
    for (c_in, c_out), (h_odd, w_odd) in zip(((1, 1), (3, 2), (2, 5), (4, 3)),
                                             ((True, False), (False, True), (True, True), (False, False))):
        h, w = (2 * _ints(g, 2, 6, 1)[0] + int(odd) for odd in (h_odd, w_odd))
        configs.append((c_in, c_out, h, w))
    return configs


def _layer_input(case: Case, index: int, channels: int, h: int, w: int) -> torch.Tensor:
    g = case.generator(60 + index)
    n = _ints(g, 1, 3, 1)[0]
    return torch.randn(n, channels, h, w, generator=g)


@EXERCISE.check(points=1, needs=("CustomLayer",))
def custom_layer_convs(ex, case):
    """CustomLayer(in, out): conv1 = Conv2d(in, 3, kernel_size=3), conv2 = Conv2d(3, out, kernel_size=2)."""
    found = []
    for c_in, c_out, _unused, _unused in _layer_configs(case)[:3]:
        layer = ex.CustomLayer(c_in, c_out)
        found.append({name: _module_facts(getattr(layer, name, None)) for name in ("conv1", "conv2")})
    return {"configs": found}


@custom_layer_convs.judge
def _judge(obs, case):
    for (c_in, c_out, _unused, _unused), got in zip(_layer_configs(case)[:3], obs["configs"], strict=True):
        call = f"CustomLayer({c_in}, {c_out})"
        _expect_layer(got["conv1"], "Conv2d", call + ".conv1",
                      f"self.conv1 = nn.Conv2d({c_in}, 3, kernel_size=3, padding='same')",
                      in_channels=c_in, out_channels=3, kernel_size=(3, 3))
        _expect_layer(got["conv2"], "Conv2d", call + ".conv2",
                      f"self.conv2 = nn.Conv2d(3, {c_out}, kernel_size=2, padding='same')",
                      in_channels=3, out_channels=c_out, kernel_size=(2, 2))


def _convs(state: dict, prefix: str, x: torch.Tensor, checked: str) -> torch.Tensor:
    """conv1 then conv2 with padding='same', from the parameters the student's layer holds."""
    for name in ("conv1", "conv2"):
        hint = _("CustomLayer needs self.{name} (an nn.Conv2d).").format(name=name)
        weight = _param(state, f"{prefix}{name}.weight", checked, hint)
        bias = _param(state, f"{prefix}{name}.bias", checked, hint)
        with warnings.catch_warnings():  # PyTorch warns that kernel_size=2 with "same" pads a copy
            warnings.simplefilter("ignore", UserWarning)
            x = F.conv2d(x, weight, bias, padding="same")
    return x


@EXERCISE.check(points=2, needs=("CustomLayer",))
def custom_layer_forward(ex, case):
    """CustomLayer keeps the spatial size and applies conv1 then conv2 (padding='same')."""
    found = []
    for index, (c_in, c_out, h, w) in enumerate(_layer_configs(case)):
        layer = ex.CustomLayer(c_in, c_out)
        found.append({"state": _state(layer), "out": layer(_layer_input(case, index, c_in, h, w))})
    return {"configs": found}


@custom_layer_forward.judge
def _judge(obs, case):
    for index, ((c_in, c_out, h, w), got) in enumerate(zip(_layer_configs(case), obs["configs"], strict=True)):
        x = _layer_input(case, index, c_in, h, w)
        checked = _("CustomLayer({c_in}, {c_out}) on an input of shape {shape}").format(c_in=c_in, c_out=c_out, shape=tuple(x.shape))
        expected = _convs(got["state"], "", x.double(), checked).float()
        out = got["out"]
        if isinstance(out, TensorObs) and tuple(out.shape[-2:]) != (h, w):
            fail(checked, _("spatial size ({h}, {w}) kept: output shape {shape}").format(h=h, w=w, shape=tuple(expected.shape)),
                 _("shape {shape}").format(shape=tuple(out.shape)),
                 _("Use padding='same' in both convolutions (padding=1 is not the same for "
                   "kernel_size=2)."),
                 tag=Tag.WRONG_SHAPE)
        expect_tensor(out, expected, checked, _("forward applies conv1, then conv2, and returns that: no activation "
                                                "or other step in between."), rtol=RTOL, atol=1e-5)


# ---- CustomModel ---------------------------------------------------------------


def _params_per_layer(channels: int) -> tuple[int, int]:
    """(number of parameter tensors, number of scalars) in one CustomLayer(channels, channels)."""
    return 4, (channels * 3 * 9 + 3) + (3 * channels * 4 + channels)


@EXERCISE.check(points=2, needs=("CustomModel", "CustomLayer"))
def custom_model_layers(ex, case):
    """CustomModel(num_layers, channels).layers is an nn.ModuleList of num_layers registered CustomLayers."""
    found = []
    for num_layers, channels in [(n, c) for n in (1, 2, 3, 4) for c in (1, 2, 3)] + [(None, None)]:
        model = ex.CustomModel() if num_layers is None else ex.CustomModel(num_layers, channels)
        layers = getattr(model, "layers", None)
        params = list(model.parameters()) if isinstance(model, nn.Module) else []
        found.append({
            "modulelist": isinstance(layers, nn.ModuleList),
            "layers_type": _("nothing (no attribute 'layers')") if layers is None else _("a {name}").format(name=type(layers).__name__),
            "length": len(layers) if isinstance(layers, (nn.ModuleList, list, tuple)) else None,
            "custom": [isinstance(m, ex.CustomLayer) for m in layers]
            if isinstance(layers, (nn.ModuleList, list, tuple)) else [],
            "n_params": len(params),
            "numel": sum(p.numel() for p in params),
        })
    return {"configs": found}


@custom_model_layers.judge
def _judge(obs, case):
    configs = [(n, c) for n in (1, 2, 3, 4) for c in (1, 2, 3)] + [(3, 1)]
    for index, ((num_layers, channels), got) in enumerate(zip(configs, obs["configs"], strict=True)):
        call = "CustomModel()" if index == len(configs) - 1 else f"CustomModel({num_layers}, {channels})"
        expect_true(got["modulelist"], call + ".layers", _("an nn.ModuleList"), got["layers_type"],
                    _("self.layers = nn.ModuleList(...): a plain list hides the blocks from "
                      "model.parameters()."),
                    tag=Tag.WRONG_ARCHITECTURE)
        expect_equal(got["length"], num_layers, call + ": len(model.layers)",
                     _("Create one CustomLayer per layer: num_layers of them (the default is 3)."),
                     tag=Tag.WRONG_ARCHITECTURE)
        expect_true(all(got["custom"]), _("{call}: the entries of model.layers").format(call=call), _("CustomLayer objects"),
                    _("{custom} (True where a CustomLayer)").format(custom=got['custom']), _("Fill the ModuleList with "
                                                                     "CustomLayer(channels, channels)."),
                    tag=Tag.WRONG_ARCHITECTURE)
        tensors, scalars = _params_per_layer(channels)
        expect_equal(got["n_params"], tensors * num_layers, call + ": len(list(model.parameters()))",
                     _("Each block needs its own CustomLayer(channels, channels) object (not one "
                       "object repeated), kept in an nn.ModuleList so its 4 parameters (two "
                       "convs, weight and bias) are registered."),
                     tag=Tag.WRONG_ARCHITECTURE)
        expect_equal(got["numel"], scalars * num_layers, _("{call}: total number of parameter values").format(call=call),
                     _("Use CustomLayer(channels, channels) for every block (the default "
                       "channels is 1)."),
                     tag=Tag.WRONG_ARCHITECTURE)


def _model_configs(case: Case) -> list[tuple[int | None, int | None, int, int]]:
    g = case.generator(70)
    chosen = [(1, 2), (3, 1), (4, 3), (2, 3), (None, None)]
    return [(n, c, *_ints(g, 4, 9, 2)) for n, c in chosen]


@EXERCISE.check(points=2, needs=("CustomModel", "CustomLayer"))
def custom_model_forward(ex, case):
    """CustomModel.forward applies every block of layers, in order."""
    found = []
    for index, (num_layers, channels, h, w) in enumerate(_model_configs(case)):
        model = ex.CustomModel() if num_layers is None else ex.CustomModel(num_layers, channels)
        x = _layer_input(case, 80 + index, channels or 1, h, w)
        found.append({"state": _state(model), "out": model(x)})
    return {"configs": found}


@custom_model_forward.judge
def _judge(obs, case):
    for index, ((num_layers, channels, h, w), got) in enumerate(zip(_model_configs(case), obs["configs"], strict=True)):
        call = "CustomModel()" if num_layers is None else f"CustomModel({num_layers}, {channels})"
        num_layers, channels = num_layers or 3, channels or 1
        x = _layer_input(case, 80 + index, channels, h, w)
        checked = _("{call} on an input of shape {shape}").format(call=call, shape=tuple(x.shape))
        expected = x.double()
        for i in range(num_layers):
            expected = _convs(got["state"], f"layers.{i}.", expected, checked)
        expect_tensor(got["out"], expected.float(), checked,
                      _("forward: for layer in self.layers: x = layer(x); return x — every "
                        "block, first to last."),
                      rtol=RTOL, atol=1e-5)
