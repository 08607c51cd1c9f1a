"""Checks for ex03_sgd: a hand-written SGD step, LinearModel and fit_linear.

``sgd_step_`` is judged against one step of ``torch.optim.SGD`` on the same
parameters and gradients, rebuilt in the judge from the case seed.
"""

from __future__ import annotations

import torch
from torch import nn

from grader.engine.api import Case, Exercise
from grader.engine.expect import expect_close, expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex03_sgd")


def _size(g: torch.Generator, low: int = 2, high: int = 6) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=g))


# ---- sgd_step_ ---------------------------------------------------------------------


class TwoLayers(nn.Module):
    """The grader's model: two Linear layers and one parameter that takes no part in the loss."""

    def __init__(self, n_in: int, n_hidden: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, 1)
        self.unused = nn.Parameter(torch.zeros(3))


def _sgd_setup(case: Case, device: str | torch.device = "cpu"):
    """A model (as a module) and a list of plain leaf tensors, with seeded values and grads, and lr.

    In both, exactly one tensor has ``.grad`` None (the module's ``unused``, the list's last one).
    """
    g = case.generator(61)
    n_in, n_hidden = _size(g), _size(g)
    lr = float(torch.empty(1).uniform_(0.05, 0.5, generator=g))
    model = TwoLayers(n_in, n_hidden)
    grads = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g))
            if name != "unused":
                grads[name] = torch.randn(p.shape, generator=g)
    model.to(device)
    for name, p in model.named_parameters():
        if name in grads:
            p.grad = grads[name].to(device)
    shapes = [(_size(g),), (_size(g), _size(g)), (_size(g), _size(g), 2), (_size(g),)]
    tensors = []
    for i, shape in enumerate(shapes):
        t = torch.randn(shape, generator=g).to(device).requires_grad_(True)
        if i < len(shapes) - 1:
            t.grad = torch.randn(shape, generator=g).to(device)
        tensors.append(t)
    return model, tensors, lr


def _flags(p: torch.Tensor) -> dict:
    return {"is_leaf": p.is_leaf, "requires_grad": p.requires_grad, "has_grad_fn": p.grad_fn is not None}


@EXERCISE.check(points=3, needs=("sgd_step_",), per_device=True)
def sgd_step_matches_torch_sgd(ex, case):
    """sgd_step_ equals one step of torch.optim.SGD, for model.parameters() (a generator) and for a list."""
    model, tensors, lr = _sgd_setup(case, case.device)
    ex.sgd_step_(model.parameters(), lr)
    ex.sgd_step_(tensors, lr)
    return {
        "model": {name: p.detach() for name, p in model.named_parameters()},
        "list": [t.detach() for t in tensors],
    }


@sgd_step_matches_torch_sgd.judge
def _judge(obs, case):
    model, tensors, lr = _sgd_setup(case)
    torch.optim.SGD(model.parameters(), lr=lr).step()
    torch.optim.SGD(tensors, lr=lr).step()
    hint = ladder(N_("One SGD step moves every parameter that has a gradient against it, by lr times the "
                     "gradient, in place and without autograd recording it."),
                  N_("Loop over params once (it may be a generator), skip those whose .grad is None, and update "
                     "each one with an in-place subtraction inside `with torch.no_grad():`."))
    for name, p in model.named_parameters():
        if name == "unused":
            continue
        expect_tensor(obs["model"][name], p.detach(),
                      _("sgd_step_(model.parameters(), lr={lr:.4f}) on {device}: parameter "
                        "'{name}' after the step").format(lr=lr, device=case.device, name=name),
                      _("{hint} model.parameters() is a generator: it can be gone through only "
                        "once.").format(hint=hint),
                      device=case.device)
    for i, (got, t) in enumerate(zip(obs["list"], tensors, strict=True)):
        if t.grad is None:
            continue
        expect_tensor(got, t.detach(),
                      _("sgd_step_(list_of_tensors, lr={lr:.4f}) on {device}: tensor {i} of "
                        "shape {shape} after the step").format(lr=lr, device=case.device, i=i, shape=tuple(t.shape)),
                      hint, device=case.device)


@EXERCISE.check(points=1, needs=("sgd_step_",))
def sgd_step_skips_params_without_grad(ex, case):
    """sgd_step_ leaves a parameter whose .grad is None unchanged (and its .grad None)."""
    model, tensors, lr = _sgd_setup(case)
    ex.sgd_step_(model.parameters(), lr)
    ex.sgd_step_(tensors, lr)
    return {"model": model.unused.detach(), "model_grad": model.unused.grad,
            "list": tensors[-1].detach(), "list_grad": tensors[-1].grad}


@sgd_step_skips_params_without_grad.judge
def _judge(obs, case):
    model, tensors, _unused = _sgd_setup(case)
    hint = _("Skip p when p.grad is None (`if p.grad is None: continue`); do not give it a "
             "gradient.")
    for key, expected, where in (("model", model.unused, "model.parameters()"),
                                 ("list", tensors[-1], _("a list of tensors"))):
        checked = _("sgd_step_ on {where}, for a parameter whose .grad is None").format(where=where)
        expect_tensor(obs[key], expected.detach(), _("{checked}: its values after the step").format(checked=checked), hint)
        if obs[key + "_grad"] is not None:
            fail(_("{checked}: its .grad after the step").format(checked=checked), "None", describe(obs[key + "_grad"]), hint, tag=Tag.STALE_GRAD)


@EXERCISE.check(points=2, needs=("sgd_step_",), per_device=True)
def sgd_step_updates_in_place_without_autograd(ex, case):
    """sgd_step_ updates in place (same objects, same storage) and parameters stay leaves requiring grad."""
    found = {}
    for where in ("grad_enabled", "inside_no_grad"):
        model, tensors, lr = _sgd_setup(case, case.device)
        before = list(model.parameters()) + tensors
        pointers = [p.data_ptr() for p in before]
        attributes = [model.hidden.weight, model.hidden.bias, model.out.weight, model.out.bias]
        if where == "inside_no_grad":
            with torch.no_grad():
                ex.sgd_step_(model.parameters(), lr)
                ex.sgd_step_(tensors, lr)
                grad_enabled = torch.is_grad_enabled()
        else:
            ex.sgd_step_(model.parameters(), lr)
            ex.sgd_step_(tensors, lr)
            grad_enabled = torch.is_grad_enabled()
        after = list(model.parameters()) + tensors
        found[where] = {
            "grad_enabled": grad_enabled,
            "same_objects": len(after) == len(before) and all(p is q for p, q in zip(before, after))
            and all(p is q for p, q in zip(attributes, [model.hidden.weight, model.hidden.bias,
                                                         model.out.weight, model.out.bias])),
            "same_storage": [p.data_ptr() == ptr for p, ptr in zip(after, pointers)],
            "flags": [_flags(p) for p in after],
            "updated": [p.detach() for p in after],
        }
    return found


@sgd_step_updates_in_place_without_autograd.judge
def _judge(obs, case):
    model, tensors, lr = _sgd_setup(case)
    torch.optim.SGD(list(model.parameters()) + tensors, lr=lr).step()
    expected = [p.detach() for p in list(model.parameters()) + tensors]
    for where, got in ((where, obs[where]) for where in ("grad_enabled", "inside_no_grad")):
        situation = _("called with grad enabled") if where == "grad_enabled" else _("called inside `with torch.no_grad():`")
        checked = _("sgd_step_ {situation}, on {device}").format(situation=situation, device=case.device)
        expect_true(got["same_objects"], _("{checked}: the parameter objects after the step").format(checked=checked),
                    _("the same parameter objects as before"), _("new objects"),
                    _("Update each parameter in place (p.sub_(...) or p -= ...), do not assign "
                      "new tensors."),
                    tag=Tag.NOT_IN_PLACE)
        for i, same in enumerate(got["same_storage"]):
            expect_true(same, _("{checked}: the storage of parameter {i}").format(checked=checked, i=i), _("the same memory (data_ptr unchanged)"),
                        _("new memory"), _("p.data = p.data - lr * p.grad allocates a new tensor; "
                                        "use an in-place op under torch.no_grad()."), tag=Tag.NOT_IN_PLACE)
        for i, flags in enumerate(got["flags"]):
            expect_equal(flags, {"is_leaf": True, "requires_grad": True, "has_grad_fn": False},
                         _("{checked}: is_leaf / requires_grad / grad_fn of parameter {i} after "
                           "the step").format(checked=checked, i=i),
                         _("Do the update inside `with torch.no_grad():` so autograd does not "
                           "record it, and never call requires_grad_(False)."), tag=Tag.GRAPH_BUILT)
        for i, (value, exp) in enumerate(zip(got["updated"], expected, strict=True)):
            expect_tensor(value, exp, _("{checked}: the values of parameter {i} after the step").format(checked=checked, i=i),
                          _("p <- p - lr * p.grad for every parameter that has a grad."), device=case.device)
        expect_equal(got["grad_enabled"], where == "grad_enabled", _("{checked}: grad mode after the call").format(checked=checked),
                     _("Use `with torch.no_grad():` (it restores the mode on exit), not "
                       "torch.set_grad_enabled(False)."),
                     tag=Tag.GRAD_MODE_LEAKED)


@EXERCISE.check(points=1, needs=("sgd_step_",))
def sgd_step_leaves_grads_alone(ex, case):
    """sgd_step_ leaves every .grad as it was (no zeroing, no scaling)."""
    model, tensors, lr = _sgd_setup(case)
    ex.sgd_step_(model.parameters(), lr)
    ex.sgd_step_(tensors, lr)
    return {"model": {name: p.grad for name, p in model.named_parameters()}, "list": [t.grad for t in tensors]}


@sgd_step_leaves_grads_alone.judge
def _judge(obs, case):
    model, tensors, _unused = _sgd_setup(case)
    hint = _("Gradients are left as they are: zeroing them is the caller's job "
             "(optimizer.zero_grad()).")
    for name, p in model.named_parameters():
        if p.grad is not None:
            expect_tensor(obs["model"][name], p.grad, _("sgd_step_(model.parameters(), lr): the "
                                                        ".grad of '{name}' after the step").format(name=name), hint)
    for i, t in enumerate(tensors):
        if t.grad is not None:
            expect_tensor(obs["list"][i], t.grad, _("sgd_step_(list_of_tensors, lr): the .grad "
                                                    "of tensor {i} after the step").format(i=i), hint)


# ---- LinearModel -----------------------------------------------------------------


@EXERCISE.check(points=2, needs=("LinearModel",))
def linear_model_has_two_scalar_parameters(ex, case):
    """LinearModel() has exactly two registered nn.Parameter, weight and bias, each of shape (1,)."""
    model = ex.LinearModel()
    found = {"is_module": isinstance(model, nn.Module)}
    if not found["is_module"]:
        return found
    found["names"] = sorted(name for name, _unused in model.named_parameters())
    for name in ("weight", "bias"):
        value = getattr(model, name, None)
        found[name] = {
            "type": type(value).__name__ if hasattr(model, name) else _("model without a .{name} attribute").format(name=name),
            "is_parameter": isinstance(value, nn.Parameter),
            "shape": list(value.shape) if isinstance(value, torch.Tensor) else None,
            "requires_grad": bool(value.requires_grad) if isinstance(value, torch.Tensor) else None,
            "floating": bool(value.is_floating_point()) if isinstance(value, torch.Tensor) else None,
        }
    return found


@linear_model_has_two_scalar_parameters.judge
def _judge(obs, case):
    expect_true(obs["is_module"], _("LinearModel() is an nn.Module"), _("an nn.Module instance"), _("something else"),
                _("Write `class LinearModel(nn.Module):` and call super().__init__() first in "
                  "__init__."),
                tag=Tag.WRONG_TYPE)
    for name in ("weight", "bias"):
        got = obs[name]
        checked = f"LinearModel().{name}"
        hint = tuple(h.format(name=name) for h in ladder(
            N_("self.{name} must be a trainable parameter of shape (1,), registered by assigning it to "
               "self.{name} in __init__."),
            N_("Wrap a random float tensor of shape (1,) in nn.Parameter (torch.randn gives one): nn.Parameter "
               "sets requires_grad=True for you.")))
        expect_true(got["is_parameter"], checked, _("an nn.Parameter"), _("a {type}").format(type=got['type']), hint)
        expect_equal(got["shape"], [1], checked + ": shape", hint, tag=Tag.WRONG_SHAPE)
        expect_equal(got["floating"], True, _("{checked}: a floating-point dtype").format(checked=checked), hint)
        expect_equal(got["requires_grad"], True, checked + ": requires_grad", hint, tag=Tag.WRONG_TRAINABLE)
    expect_equal(obs["names"], ["bias", "weight"], _("the names in "
                                                     "LinearModel().named_parameters()"),
                 _("Exactly two parameters, self.weight and self.bias, and no other (no "
                   "nn.Linear inside)."),
                 tag=Tag.WRONG_ARCHITECTURE)


def _forward_inputs(case: Case):
    g = case.generator(71)
    weight, bias = (float(torch.randn(1, generator=g)) * 2 for _unused in range(2))
    shapes = [(_size(g, 3, 9),), (_size(g), 1), (_size(g), _size(g), _size(g))]
    return weight, bias, [torch.randn(s, generator=g) * 5 for s in shapes]


@EXERCISE.check(points=2, needs=("LinearModel",), per_device=True)
def linear_model_forward(ex, case):
    """LinearModel.forward returns x * weight + bias for x of any shape, differentiable in weight and bias."""
    weight, bias, xs = _forward_inputs(case)
    model = ex.LinearModel()
    with torch.no_grad():
        model.weight.fill_(weight)
        model.bias.fill_(bias)
    model.to(case.device)
    outs = [model(x.to(case.device)) for x in xs]
    model.zero_grad()
    out = model(xs[-1].to(case.device))
    if isinstance(out, torch.Tensor) and out.requires_grad:  # else the judge reports the missing gradients
        out.sum().backward()
    grads = [p.grad.reshape(-1) if isinstance(p.grad, torch.Tensor) else p.grad for p in (model.weight, model.bias)]
    return {"outs": outs, "weight_grad": grads[0], "bias_grad": grads[1]}


@linear_model_forward.judge
def _judge(obs, case):
    weight, bias, xs = _forward_inputs(case)
    for got, x in zip(obs["outs"], xs, strict=True):
        expect_tensor(got, x * weight + bias,
                      _("LinearModel with weight={weight:.4f}, bias={bias:.4f}: model(x) for x "
                        "of shape {shape}, on {device}").format(weight=weight, bias=bias, shape=tuple(x.shape), device=case.device),
                      _("forward returns x * self.weight + self.bias; broadcasting keeps x's "
                        "shape."),
                      rtol=1e-5, atol=1e-5, device=case.device)
    x = xs[-1]
    hint = _("Use the parameters themselves in forward (no .item(), no torch.no_grad()), so "
             "loss.backward() reaches them.")
    for name, expected in (("weight", x.sum().reshape(1)), ("bias", torch.tensor([float(x.numel())]))):
        got = obs[f"{name}_grad"]
        checked = _("model(x).sum().backward() for x of shape {shape}: model.{name}.grad").format(shape=tuple(x.shape), name=name)
        if got is None:
            fail(checked, _("a gradient ({expected:.4g})").format(expected=expected.item()), "None", hint, tag=Tag.GRAPH_BROKEN)
        expect_tensor(got, expected, checked, hint, rtol=1e-4, atol=1e-3, dtype=False)


# ---- fit_linear ------------------------------------------------------------------

TOLERANCE = 0.1  # the contract's "within 0.1 of a and b"
# "small noise". Calibrated over 60 seeds x 3 data sets: the least-squares line, the reference, plain SGD
# with lr=0.01 and Adam(lr=0.1) are all at most 0.035 from (a, b): a margin of almost 3x below TOLERANCE
# (the bias's standard error is about 0.1 / sqrt(n) <= 0.019, so 0.1 is more than 5 standard errors).
NOISE = 0.1


def _datasets(case: Case) -> list[tuple[float, float, torch.Tensor, torch.Tensor]]:
    """Three data sets y = a*x + b + noise, x uniform in [-10, 10], 30-200 points, a and b in [-3, 3]."""
    found = []
    for k in range(3):
        g = case.generator(100 + k)
        n = int(torch.randint(30, 201, (1,), generator=g))
        a, b = (float(torch.empty(1).uniform_(-3, 3, generator=g)) for _unused in range(2))
        x = torch.rand(n, generator=g) * 20 - 10
        y = a * x + b + NOISE * torch.randn(n, generator=g)
        found.append((a, b, x, y))
    return found


def _parameter_value(model, name: str):
    value = getattr(model, name, None)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(()))
    return _("{name} (not a one-element tensor)").format(name=type(value).__name__)


@EXERCISE.check(points=3, needs=("fit_linear",), timeout=30)
def fit_linear_recovers_line(ex, case):
    """fit_linear finds weight and bias within 0.1 of a and b on noisy lines y = a*x + b."""
    found = []
    for _unused, _unused, x, y in _datasets(case):
        model = ex.fit_linear(x, y)
        found.append({"weight": _parameter_value(model, "weight"), "bias": _parameter_value(model, "bias")})
    return {"fits": found}


@fit_linear_recovers_line.judge
def _judge(obs, case):
    for got, (a, b, x, _unused) in zip(obs["fits"], _datasets(case), strict=True):
        checked = _("fit_linear on {x} points of y = {a:.3f}*x + {b:.3f} + noise").format(x=x.numel(), a=a, b=b)
        hint = (_("If the values are huge or NaN, lower the learning rate (below 2 / "
                  "(2*mean(x**2))); if bias is still far off, raise it or rescale x. Zero the "
                  "gradients every epoch."))
        for name, target in (("weight", a), ("bias", b)):
            if not isinstance(got[name], float):
                fail(checked + f": model.{name}", _("a one-element tensor parameter"), describe(got[name]), hint,
                     tag=Tag.WRONG_TYPE)
            expect_close(got[name], target, checked + f": model.{name}", hint, rtol=0.0, atol=TOLERANCE,
                         tag=Tag.THRESHOLD_NOT_REACHED)


@EXERCISE.check(points=1, needs=("fit_linear",), timeout=30)
def fit_linear_returns_model_and_leaves_data(ex, case):
    """fit_linear returns a LinearModel in train mode, and leaves x, y, grad mode and default dtype as they were."""
    _unused, _unused, x, y = _datasets(case)[0]
    model = ex.fit_linear(x, y)
    return {
        "is_module": isinstance(model, nn.Module), "type": type(model).__name__,
        "training": getattr(model, "training", None),
        "weight": _parameter_value(model, "weight"), "bias": _parameter_value(model, "bias"),
        "x": x, "y": y, "grad_enabled": torch.is_grad_enabled(), "default_dtype": torch.get_default_dtype(),
    }


@fit_linear_returns_model_and_leaves_data.judge
def _judge(obs, case):
    _unused, _unused, x, y = _datasets(case)[0]
    checked = "fit_linear(x, y)"
    expect_true(obs["is_module"], _("{checked}: what it returns").format(checked=checked), _("the trained LinearModel (an nn.Module)"),
                _("a {type}").format(type=obs['type']), _("Return the model you trained."), tag=Tag.WRONG_TYPE)
    for name in ("weight", "bias"):
        expect_true(isinstance(obs[name], float), _("{checked}: the returned model's .{name}").format(checked=checked, name=name),
                    _("a one-element tensor parameter"), describe(obs[name]), _("Return the LinearModel you trained."),
                    tag=Tag.WRONG_TYPE)
    expect_equal(obs["training"], True, _("{checked}: the returned model's mode (model.training)").format(checked=checked),
                 _("A training function leaves the model in train mode: do not call model.eval() "
                   "at the end."),
                 tag=Tag.MODE_NOT_RESTORED)
    hint = _("Do not change the caller's data: x = x * scale makes a new tensor, x *= scale "
             "overwrites the caller's.")
    for key, expected in (("x", x), ("y", y)):
        got = obs[key]
        expect_tensor(got, expected, _("{checked}: the caller's {key} afterwards").format(checked=checked, key=key), hint, tag=Tag.INPUT_MODIFIED)
        expect_true(isinstance(got, TensorObs) and got.requires_grad is False,
                    _("{checked}: {key}.requires_grad afterwards").format(checked=checked, key=key), "False", "True",
                    _("Do not call requires_grad_ on the data; only the model's parameters need "
                      "gradients."),
                    tag=Tag.INPUT_MODIFIED)
    expect_equal(obs["grad_enabled"], True, _("{checked}: grad mode after the call").format(checked=checked),
                 _("Use `with torch.no_grad():` blocks rather than torch.set_grad_enabled(False) "
                   "without restoring."),
                 tag=Tag.GRAD_MODE_LEAKED)
    expect_equal(obs["default_dtype"], "torch.float32", _("{checked}: torch.get_default_dtype() "
                                                          "after the call").format(checked=checked),
                 _("Do not call torch.set_default_dtype; convert your own tensors with .double() "
                   "if you need to."),
                 tag=Tag.GLOBAL_STATE_LEAKED)
