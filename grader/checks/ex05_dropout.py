"""Checks for ex05_dropout: a configurable fully connected network with dropout.

Expected outputs are recomputed here from the parameters the student's model
holds (the probe returns its ``state_dict``). Dropout placement is judged by
replaying the forward pass under the same ``torch.manual_seed``: dropout masks
drawn from the global RNG in the same order (one ``self.dropout`` call after
each hidden ReLU) give the same output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from grader.engine.api import Case, Exercise
from grader.engine.expect import expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex05_dropout")

RTOL, ATOL = 1e-4, 1e-5  # float32 recomputed in another order (and on another device)
MISSING = "<missing>"
FORWARD_HINTS = (
    N_("forward: every hidden layer is followed by ReLU, then dropout; the output layer gets neither and "
       "ends in log-softmax over the classes."),
    N_("Loop over self.hidden_layers applying the layer, F.relu and self.dropout in that order; then apply "
       "self.output and F.log_softmax over dim=1, the class dimension."),
)


def _ints(g: torch.Generator, low: int, high: int, count: int) -> list[int]:
    return [int(v) for v in torch.randint(low, high + 1, (count,), generator=g)]


def _config(case: Case, offset: int, hidden_count: int, drop_p: float | None = None) -> dict:
    """Random sizes; drop_p random in [0.2, 0.7] unless given (None in 'p' means: use the default)."""
    g = case.generator(offset)
    n_in, n_out = _ints(g, 8, 40, 1)[0], _ints(g, 3, 10, 1)[0]
    hidden = _ints(g, 16, 48, hidden_count)
    p = round(0.2 + 0.5 * float(torch.rand(1, generator=g)), 2) if drop_p is None else drop_p
    n = _ints(g, 4, 8, 1)[0]
    return {"n_in": n_in, "n_out": n_out, "hidden": hidden, "p": p, "n": n, "offset": offset}


def _input(cfg: dict, case: Case) -> torch.Tensor:
    return torch.randn(cfg["n"], cfg["n_in"], generator=case.generator(cfg["offset"] + 1)) * 2


def _build(ex, cfg: dict, style: int = 0, default_p: bool = False):
    """Construct the student's Network in one of the ways the signature allows."""
    hidden = list(cfg["hidden"])
    if default_p:
        return ex.Network(cfg["n_in"], cfg["n_out"], hidden), hidden
    if style % 2:
        return ex.Network(cfg["n_in"], cfg["n_out"], hidden, drop_p=cfg["p"]), hidden
    return ex.Network(input_size=cfg["n_in"], output_size=cfg["n_out"], hidden_layers=hidden, drop_p=cfg["p"]), hidden


def _call(cfg: dict, drop_p: float | None = None) -> str:
    p = cfg["p"] if drop_p is None else drop_p
    return f"Network({cfg['n_in']}, {cfg['n_out']}, {cfg['hidden']}, drop_p={p})"


def _param(state: dict, key: str, checked: str) -> torch.Tensor:
    got = state.get(key)
    if not isinstance(got, TensorObs) or got.values is None:
        fail(checked, _("a parameter named '{key}' in the model's state_dict").format(key=key),
             _("no such parameter (names found: {state})").format(state=', '.join(sorted(state)) or 'none'),
             _("Keep the layers in self.hidden_layers (an nn.ModuleList of nn.Linear) and "
               "self.output (nn.Linear)."),
             tag=Tag.WRONG_ARCHITECTURE)
    return got.values


def _reference(state: dict, cfg: dict, x: torch.Tensor, checked: str, dropout_p: float | None = None) -> torch.Tensor:
    """The contract's forward from the student's parameters.

    Without ``dropout_p`` it is the eval-mode forward (computed in float64).
    With it, dropout is active: float32 and ``F.dropout`` after each hidden ReLU,
    drawing from the global RNG exactly as ``nn.Dropout`` in train mode does.
    """
    dtype = torch.float64 if dropout_p is None else torch.float32
    h = x.to(dtype)
    for i in range(len(cfg["hidden"])):
        w = _param(state, f"hidden_layers.{i}.weight", checked).to(dtype)
        b = _param(state, f"hidden_layers.{i}.bias", checked).to(dtype)
        h = F.relu(F.linear(h, w, b))
        if dropout_p is not None:
            h = F.dropout(h, dropout_p, training=True)
    h = F.linear(h, _param(state, "output.weight", checked).to(dtype), _param(state, "output.bias", checked).to(dtype))
    return F.log_softmax(h, dim=1).float()


def _expect_log_probabilities(got, rows: int, cols: int, checked: str) -> None:
    if not isinstance(got, TensorObs) or got.values is None:
        fail(checked, _("a tensor of shape ({rows}, {cols})").format(rows=rows, cols=cols), describe(got), _("forward must return a tensor."),
             tag=Tag.WRONG_TYPE)
    if tuple(got.shape) != (rows, cols):
        fail(checked, _("shape ({rows}, {cols})").format(rows=rows, cols=cols), _("shape {shape}").format(shape=tuple(got.shape)), _("One row per sample, one column per "
                                                                                "class."),
             tag=Tag.WRONG_SHAPE)
    sums = got.values.double().exp().sum(dim=1)
    ok = bool(torch.isfinite(sums).all()) and bool(((sums - 1).abs() <= 1e-4).all())
    expect_true(ok, _("{checked}: every row holds log-probabilities").format(checked=checked), _("exp(output) summing to 1 in each row"),
                _("row sums of exp(output): {sums}{rows}").format(sums=[round(float(s), 4) for s in sums[:4]], rows=' …' if rows > 4 else ''),
                ladder(N_("The output layer ends in log-softmax over the classes, not softmax: exp of each row "
                          "then sums to 1."),
                       N_("F.log_softmax with dim=1 takes it over the classes of each row.")),
                tag=Tag.WRONG_VALUE if bool(torch.isfinite(sums).all()) else Tag.NOT_FINITE)


def _facts(module) -> dict:
    if not isinstance(module, nn.Module):
        return {"type": MISSING if module is None else describe(module)}
    facts = {"type": type(module).__name__, "linear": isinstance(module, nn.Linear),
             "dropout": isinstance(module, nn.Dropout)}
    for name in ("in_features", "out_features"):
        value = getattr(module, name, None)
        facts[name] = value if type(value) is int else None
    p = getattr(module, "p", None)
    facts["p"] = float(p) if type(p) in (int, float) else None
    return facts


# ---- attributes ----------------------------------------------------------------


def _attribute_configs(case: Case) -> list[dict]:
    return [_config(case, 100 * k, k) for k in (1, 2, 3)] + [_config(case, 400, 2, drop_p=0.5)]


@EXERCISE.check(points=2, needs=("Network",))
def network_attributes(ex, case):
    """Network stores hidden_layers (ModuleList of Linear), output, dropout and its constructor arguments."""
    found = []
    for index, cfg in enumerate(_attribute_configs(case)):
        default_p = index == 3
        model, hidden_arg = _build(ex, cfg, index, default_p=default_p)
        layers = getattr(model, "hidden_layers", None)
        found.append({
            "modulelist": isinstance(layers, nn.ModuleList),
            "layers_type": type(layers).__name__ if layers is not None else MISSING,
            "layers": [_facts(m) for m in layers] if isinstance(layers, (nn.ModuleList, list, tuple)) else [],
            "output": _facts(getattr(model, "output", None)),
            "dropout": _facts(getattr(model, "dropout", None)),
            "stored": {name: getattr(model, name, MISSING) for name in ("input_size", "output_size", "drop_p")},
            "hidden_after": hidden_arg,
        })
    return {"configs": found}


@network_attributes.judge
def _judge(obs, case):
    for index, (cfg, got) in enumerate(zip(_attribute_configs(case), obs["configs"], strict=True)):
        call = (_("Network({n_in}, {n_out}, {hidden}) (default drop_p)").format(n_in=cfg['n_in'], n_out=cfg['n_out'], hidden=cfg['hidden']) if index == 3
                else _call(cfg))
        expect_true(got["modulelist"], call + ".hidden_layers", _("an nn.ModuleList"), got["layers_type"],
                    _("Keep the hidden layers in an nn.ModuleList: a plain Python list does not register them, "
                      "so their parameters are not the model's."),
                    tag=Tag.WRONG_ARCHITECTURE)
        sizes = [cfg["n_in"], *cfg["hidden"]]
        expect_equal(len(got["layers"]), len(cfg["hidden"]), call + ": len(model.hidden_layers)",
                     _("One nn.Linear per entry of the hidden_layers argument."), tag=Tag.WRONG_ARCHITECTURE)
        for i, facts in enumerate(got["layers"]):
            checked = f"{call}.hidden_layers[{i}]"
            expect_true(facts.get("linear") is True, checked, _("an nn.Linear"), facts["type"],
                        _("Fill hidden_layers with nn.Linear layers only (ReLU and dropout are "
                          "applied in forward)."),
                        tag=Tag.WRONG_ARCHITECTURE)
            expect_equal((facts["in_features"], facts["out_features"]), (sizes[i], sizes[i + 1]),
                         checked + ": (in_features, out_features)",
                         _("Layer i maps sizes[i] to sizes[i+1] where sizes = [input_size, "
                           "*hidden_layers]."),
                         tag=Tag.WRONG_ARCHITECTURE)
        out = got["output"]
        expect_true(out.get("linear") is True, call + ".output", _("an nn.Linear"), out["type"],
                    "self.output = nn.Linear(hidden_layers[-1], output_size).", tag=Tag.WRONG_ARCHITECTURE)
        expect_equal((out["in_features"], out["out_features"]), (sizes[-1], cfg["n_out"]),
                     call + ".output: (in_features, out_features)",
                     _("The output layer reads the last hidden size and has output_size outputs."),
                     tag=Tag.WRONG_ARCHITECTURE)
        drop = got["dropout"]
        expect_true(drop.get("dropout") is True, call + ".dropout", _("an nn.Dropout"), drop["type"],
                    "self.dropout = nn.Dropout(p=drop_p).", tag=Tag.WRONG_ARCHITECTURE)
        expect_equal(drop["p"], float(cfg["p"]), call + ".dropout.p",
                     _("Pass the constructor's drop_p to nn.Dropout (the default is 0.5)."), tag=Tag.WRONG_ARCHITECTURE)
        for name, value in (("input_size", cfg["n_in"]), ("output_size", cfg["n_out"]), ("drop_p", cfg["p"])):
            expect_equal(got["stored"][name], value, f"{call}.{name}",
                         _("Store the constructor argument: self.{name} = {name}.").format(name=name))
        expect_equal(got["hidden_after"], cfg["hidden"], _("{call}: the caller's hidden_layers list "
                                                           "after the call").format(call=call),
                     _("Do not change the caller's list (no append/insert/pop); build a new list "
                       "of sizes."),
                     tag=Tag.INPUT_MODIFIED)


# ---- eval-mode forward -----------------------------------------------------------


def _eval_configs(case: Case) -> list[dict]:
    return [_config(case, 500 + 100 * k, k) for k in (1, 2, 3)]


@EXERCISE.check(points=3, needs=("Network",))
def network_eval_forward(ex, case):
    """In eval mode forward is Linear+ReLU per hidden layer, output, log_softmax over dim 1; deterministic."""
    found = []
    for index, cfg in enumerate(_eval_configs(case)):
        model, _unused = _build(ex, cfg, index)
        x = _input(cfg, case)
        model.eval()
        by_call = model(x)
        grad_after_call = torch.is_grad_enabled()
        with torch.no_grad():
            by_forward = model.forward(x)
            grad_after_forward = torch.is_grad_enabled()
        found.append({"state": dict(model.state_dict()), "call": by_call, "forward": by_forward, "x_after": x,
                      "grad_after_call": grad_after_call, "grad_after_forward": grad_after_forward,
                      "training_after": model.training})
    return {"configs": found}


@network_eval_forward.judge
def _judge(obs, case):
    for cfg, got in zip(_eval_configs(case), obs["configs"], strict=True):
        x = _input(cfg, case)
        head = _("{cfg} in eval() mode on a batch of shape {shape}").format(cfg=_call(cfg), shape=tuple(x.shape))
        expected = _reference(got["state"], cfg, x, head)
        for key, how in (("call", "model(x)"), ("forward", "model.forward(x)")):
            checked = _("{head}: {how}").format(head=head, how=how)
            _expect_log_probabilities(got[key], cfg["n"], cfg["n_out"], checked)
            expect_tensor(got[key], expected, checked,
                          ladder(*FORWARD_HINTS, N_("In eval mode dropout must do nothing: use self.dropout "
                                                    "(nn.Dropout), or pass training=self.training to F.dropout.")),
                          rtol=RTOL, atol=ATOL)
        expect_tensor(got["x_after"], x, _("{head}: the input batch after the call").format(head=head),
                      _("Do not modify the caller's x in place."), tag=Tag.INPUT_MODIFIED)
        expect_equal(got["grad_after_call"], True, _("{head}: grad mode after model(x)").format(head=head),
                     _("forward must not switch gradient recording off."), tag=Tag.GRAD_MODE_LEAKED)
        expect_equal(got["grad_after_forward"], False, _("{head}: grad mode after "
                                                         "model.forward(x) inside no_grad").format(head=head),
                     _("forward must not switch gradient recording on."), tag=Tag.GRAD_MODE_LEAKED)
        expect_equal(got["training_after"], False, _("{head}: model.training after the call").format(head=head),
                     _("forward must not call self.train() or self.eval()."), tag=Tag.MODE_NOT_RESTORED)


# ---- drop_p = 0 and drop_p = 1 ----------------------------------------------------


def _extreme_configs(case: Case) -> list[dict]:
    return [_config(case, 900, 2, drop_p=0.0), _config(case, 1000, 1, drop_p=1.0), _config(case, 1100, 3, drop_p=1.0)]


@EXERCISE.check(points=2, needs=("Network",))
def network_dropout_p0_p1(ex, case):
    """drop_p is honoured in train mode: p=0 changes nothing, p=1 zeroes every hidden activation."""
    found = []
    for index, cfg in enumerate(_extreme_configs(case)):
        model, _unused = _build(ex, cfg, index)
        x = _input(cfg, case)
        model.train()
        first, second = model(x), model.forward(x)
        training_after = model.training
        model.eval()
        found.append({"state": dict(model.state_dict()), "first": first, "second": second,
                      "eval": model(x), "training_after": training_after})
    return {"configs": found}


@network_dropout_p0_p1.judge
def _judge(obs, case):
    for cfg, got in zip(_extreme_configs(case), obs["configs"], strict=True):
        x = _input(cfg, case)
        head = _("{cfg} in train() mode on a batch of shape {shape}").format(cfg=_call(cfg), shape=tuple(x.shape))
        no_dropout = _reference(got["state"], cfg, x, head)
        if cfg["p"] == 0.0:
            expected, what = no_dropout, _("the same output as in eval mode (dropout with p=0 "
                                           "drops nothing)")
            hint = _("Build the dropout layer with the constructor's probability: "
                     "nn.Dropout(p=drop_p).")
        else:
            bias = _param(got["state"], "output.bias", head)
            expected = F.log_softmax(bias.double(), dim=0).float().expand(cfg["n"], -1)
            what = _("log_softmax(output.bias) in every row (p=1 zeroes every hidden activation)")
            hint = (_("Apply self.dropout (nn.Dropout(p=drop_p)) after the ReLU of every hidden "
                      "layer, the last one included, and not after the output layer."))
        for key, how in (("first", "model(x)"), ("second", _("model.forward(x), called again"))):
            checked = _("{head}: {how} — expected {what}").format(head=head, how=how, what=what)
            _expect_log_probabilities(got[key], cfg["n"], cfg["n_out"], checked)
            expect_tensor(got[key], expected, checked, hint, rtol=RTOL, atol=ATOL)
        expect_tensor(got["eval"], no_dropout, _("{cfg} switched to eval() afterwards").format(cfg=_call(cfg)),
                      _("In eval mode dropout does nothing whatever drop_p is: use self.dropout "
                        "(nn.Dropout)."),
                      rtol=RTOL, atol=ATOL)
        expect_equal(got["training_after"], True, _("{head}: model.training after the calls").format(head=head),
                     _("forward must not call self.eval() or self.train()."), tag=Tag.MODE_NOT_RESTORED)


# ---- randomness in train mode, determinism in eval mode ---------------------------


def _random_config(case: Case) -> dict:
    return _config(case, 1200, 2)


@EXERCISE.check(points=1, needs=("Network",))
def network_train_randomness(ex, case):
    """With 0 < drop_p < 1, two forward passes differ in train() mode and agree in eval() mode."""
    cfg = _random_config(case)
    model, _unused = _build(ex, cfg, 1)
    x = _input(cfg, case)
    model.train()
    train = [model(x), model(x)]
    training_after = model.training
    model.eval()
    evals = [model(x), model.forward(x)]
    return {"train": train, "eval": evals, "training_after_train": training_after, "training_after_eval": model.training}


@network_train_randomness.judge
def _judge(obs, case):
    cfg = _random_config(case)
    call = _call(cfg)
    a, b = obs["train"]
    for got in (a, b):
        _expect_log_probabilities(got, cfg["n"], cfg["n_out"], _("{call} in train() mode").format(call=call))
    expect_true(not torch.equal(a.values, b.values), _("{call}: two calls of model(x) on the "
                                                       "same x in train() mode").format(call=call),
                _("different outputs (dropout draws new random masks on every call)"), _("identical outputs"),
                _("Apply self.dropout (nn.Dropout(p=drop_p)) in forward; it is active in train "
                  "mode."))
    c, d = obs["eval"]
    _expect_log_probabilities(c, cfg["n"], cfg["n_out"], _("{call} in eval() mode").format(call=call))
    expect_tensor(d, c.values, _("{call}: model(x) and model.forward(x) on the same x in eval() "
                                 "mode").format(call=call),
                  _("In eval mode dropout must do nothing: use self.dropout (nn.Dropout) or "
                    "F.dropout(x, p, training=self.training), never F.dropout(x, p) alone."), rtol=0, atol=0)
    expect_equal(obs["training_after_train"], True, _("{call}: model.training after forward in "
                                                      "train mode").format(call=call),
                 _("forward must not call self.eval() or self.train()."), tag=Tag.MODE_NOT_RESTORED)
    expect_equal(obs["training_after_eval"], False, _("{call}: model.training after forward in "
                                                      "eval mode").format(call=call),
                 _("forward must not call self.train() or self.eval()."), tag=Tag.MODE_NOT_RESTORED)


# ---- where dropout sits ------------------------------------------------------------


def _placement_configs(case: Case) -> list[dict]:
    return [_config(case, 1300 + 100 * k, k) for k in (1, 2, 3)]


def _placement_seed(case: Case, index: int) -> int:
    return case.seed * 10 + index


@EXERCISE.check(points=2, needs=("Network",))
def network_dropout_placement(ex, case):
    """In train mode dropout acts after each hidden ReLU only (replayed under the same torch.manual_seed)."""
    found = []
    for index, cfg in enumerate(_placement_configs(case)):
        model, _unused = _build(ex, cfg, index)
        x = _input(cfg, case)
        model.train()
        torch.manual_seed(_placement_seed(case, index))  # the runner restores the global RNG afterwards
        out = model(x)
        found.append({"state": dict(model.state_dict()), "out": out})
    return {"configs": found}


@network_dropout_placement.judge
def _judge(obs, case):
    for index, (cfg, got) in enumerate(zip(_placement_configs(case), obs["configs"], strict=True)):
        x = _input(cfg, case)
        seed = _placement_seed(case, index)
        head = _("{cfg} in train() mode after torch.manual_seed({seed})").format(cfg=_call(cfg), seed=seed)
        with torch.random.fork_rng(devices=[]):  # do not disturb the grader's own RNG
            torch.manual_seed(seed)
            expected = _reference(got["state"], cfg, x, head, dropout_p=cfg["p"])
        _expect_log_probabilities(got["out"], cfg["n"], cfg["n_out"], head)
        expect_tensor(
            got["out"], expected,
            _("{head}: the output, compared with the same forward pass where self.dropout is "
              "called once after each hidden ReLU (the same random masks)").format(head=head),
            _("Call self.dropout exactly once per hidden layer, right after its ReLU; do not "
              "apply dropout to the input or to the output layer, and use self.dropout "
              "(nn.Dropout(p=drop_p)), not masks of your own."),
            rtol=RTOL, atol=ATOL)


# ---- devices -----------------------------------------------------------------------


def _device_config(case: Case) -> dict:
    return _config(case, 1700, 2)


@EXERCISE.check(points=2, needs=("Network",), per_device=True)
def network_on_device(ex, case):
    """A Network moved with .to(device) runs there, in eval mode and with dropout active."""
    cfg = _device_config(case)
    model, _unused = _build(ex, cfg, 1)
    model = model.to(case.device)
    x = _input(cfg, case).to(torch.device(case.device))
    model.eval()
    eval_out = model(x)
    ones, _unused = _build(ex, {**cfg, "p": 1.0}, 0)
    ones.to(torch.device(case.device))
    ones.train()
    return {"state": dict(model.state_dict()), "eval": eval_out,
            "ones_state": dict(ones.state_dict()), "ones": ones(x)}


@network_on_device.judge
def _judge(obs, case):
    cfg = _device_config(case)
    x = _input(cfg, case)
    head = _("{cfg}.to('{device}') in eval() mode").format(cfg=_call(cfg), device=case.device)
    hints = ladder(*FORWARD_HINTS,
                   N_("Create no tensors on a fixed device in forward: everything follows the input and the model."))
    expect_tensor(obs["eval"], _reference(obs["state"], cfg, x, head), head, hints, rtol=RTOL, atol=ATOL,
                  device=case.device)
    head = _("{cfg}.to('{device}') in train() mode").format(cfg=_call(cfg, 1.0), device=case.device)
    bias = _param(obs["ones_state"], "output.bias", head)
    expect_tensor(obs["ones"], F.log_softmax(bias.double(), dim=0).float().expand(cfg["n"], -1), head,
                  _("With drop_p=1 every hidden activation is zeroed, leaving "
                    "log_softmax(output.bias)."),
                  rtol=RTOL, atol=ATOL, device=case.device)
