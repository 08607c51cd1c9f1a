"""Checks for ex02_autograd: gradients with backward, vector-Jacobian products, no_grad.

Expected values come from PyTorch itself in the judge: ``torch.autograd.grad``
for the scalar functions, ``torch.autograd.functional.vjp`` for the
vector-Jacobian product, and the grader's own model (rebuilt from the case
seed) for ``predict_no_grad``.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from grader.engine.api import Case, Exercise, raised_by_stub
from grader.engine.expect import expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex02_autograd")


def _size(g: torch.Generator, low: int = 2, high: int = 6) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=g))


# ---- grad_of_mean_square / seed_chain_grad --------------------------------------


def _mean_square(t: torch.Tensor) -> torch.Tensor:
    return (t**2).mean()


def _seed_chain(t: torch.Tensor) -> torch.Tensor:
    y = t + 2
    z = y * y * 3
    return z.mean()


SCALAR_FUNCTIONS = {
    "grad_of_mean_square": (_mean_square, "mean(x ** 2)"),
    "seed_chain_grad": (_seed_chain, "mean(3 * (x + 2) ** 2)"),
}


def _scalar_inputs(case: Case, name: str) -> list[tuple[str, torch.Tensor, bool]]:
    """(label, x, requires_grad): tensors of several shapes (0-D to 3-D), random values."""
    g = case.generator(11)
    a, b, c = _size(g), _size(g), _size(g)
    shapes = [(), (_size(g, 3, 9),), (a, b), (a, b, c)]
    found = []
    if name == "seed_chain_grad":
        found.append((_("a 2x2 tensor of ones"), torch.ones(2, 2), False))
    for i, shape in enumerate(shapes):
        x = torch.randn(shape, generator=g) * 3
        found.append((_("a random x of shape {shape}").format(shape=shape), x, i % 2 == 1))
    return found


def _expected_grad(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(fn(leaf), leaf)
    return grad


def _values_probe(name: str):
    def probe(ex, case):
        found = []
        for _unused, x, requires_grad in _scalar_inputs(case, name):
            x = x.to(case.device).requires_grad_(requires_grad)
            found.append(getattr(ex, name)(x))
        return {"grads": found}

    return probe


def _values_judge(name: str):
    fn, formula = SCALAR_FUNCTIONS[name]

    def judge(obs, case):
        for got, (label, x, requires_grad) in zip(obs["grads"], _scalar_inputs(case, name), strict=True):
            if requires_grad:
                label = _("{label} with requires_grad=True").format(label=label)
            expect_tensor(
                got, _expected_grad(fn, x),
                _("{name}(x) for {label} on {device}: d/dx of {formula}").format(name=name, label=label, device=case.device, formula=formula),
                _("Make a fresh leaf (x.detach().clone().requires_grad_(True)), compute the "
                  "scalar from it, call .backward() on that scalar and return the leaf's .grad "
                  "(same shape as x)."),
                device=case.device,
            )

    return judge


def _untouched_inputs(case: Case) -> dict[str, torch.Tensor]:
    g = case.generator(21)
    n, m = _size(g), _size(g)
    return {"x": torch.randn(n, m, generator=g), "grad": torch.randn(n, m, generator=g)}


def _untouched_probe(name: str):
    """Call ``name`` on x without grad, x requiring grad, x with a .grad already, a non-leaf x, inside no_grad."""

    def probe(ex, case):
        data = _untouched_inputs(case)
        fn = getattr(ex, name)
        found = {}
        for variant in ("no_grad_needed", "requires_grad", "has_grad"):
            x = data["x"].clone().requires_grad_(variant != "no_grad_needed")
            if variant == "has_grad":
                x.grad = data["grad"].clone()
            fn(x)
            found[variant] = {
                "x": x.detach(), "requires_grad": x.requires_grad, "is_leaf": x.is_leaf,
                "grad": x.grad, "grad_enabled": torch.is_grad_enabled(),
            }
        # A non-leaf x: the caller's leaf it was computed from must get no .grad either.
        w = data["x"].clone().requires_grad_(True)
        x = w * 1.0
        fn(x)
        found["non_leaf"] = {"x": x.detach(), "requires_grad": x.requires_grad, "leaf_grad": w.grad,
                             "grad_enabled": torch.is_grad_enabled()}
        # Inside torch.no_grad(): the function need not work there, but must not switch grad mode on.
        x = data["x"].clone()
        with torch.no_grad():
            try:
                fn(x)
            except Exception as exc:  # computing a gradient under no_grad is not required by the contract
                if raised_by_stub(exc):
                    raise
            found["inside_no_grad"] = {"grad_enabled": torch.is_grad_enabled()}
        return found

    return probe


def _untouched_judge(name: str):
    def judge(obs, case):
        data = _untouched_inputs(case)
        hint = (_("Never call backward through the caller's x: work on "
                  "x.detach().clone().requires_grad_(True) and return that copy's .grad."))
        labels = {
            "no_grad_needed": _("an x with requires_grad=False"),
            "requires_grad": _("a leaf x with requires_grad=True and no .grad"),
            "has_grad": _("a leaf x with requires_grad=True that already has a .grad"),
        }
        for variant, label in labels.items():
            got = obs[variant]
            checked = _("{name}(x) for {label}: the caller's x afterwards").format(name=name, label=label)
            expect_tensor(got["x"], data["x"], _("{checked} (its values)").format(checked=checked), hint)
            expect_equal(got["requires_grad"], variant != "no_grad_needed", checked + " (x.requires_grad)",
                         _("Do not call requires_grad_ on the caller's x; set it on your own "
                           "copy."),
                         tag=Tag.INPUT_MODIFIED)
            expect_equal(got["is_leaf"], True, checked + " (x.is_leaf)", hint, tag=Tag.INPUT_MODIFIED)
            if variant == "has_grad":
                expect_tensor(got["grad"], data["grad"], _("{checked} (x.grad must keep the values "
                                                           "it had)").format(checked=checked), hint)
            elif got["grad"] is not None:
                fail(checked + " (x.grad)", _("None (no .grad attached)"), describe(got["grad"]), hint, tag=Tag.STALE_GRAD)
            expect_equal(got["grad_enabled"], True, _("{name}(x) for {label}: grad mode after "
                                                      "the call").format(name=name, label=label),
                         _("Use `with torch.enable_grad():` rather than "
                           "torch.set_grad_enabled(...) without restoring."),
                         tag=Tag.GRAD_MODE_LEAKED)
        got = obs["non_leaf"]
        checked = _("{name}(x) for a non-leaf x = w * 1.0 (w a leaf with requires_grad=True)").format(name=name)
        expect_tensor(got["x"], data["x"], _("{checked}: the values of x afterwards").format(checked=checked), hint, tag=Tag.INPUT_MODIFIED)
        if got["leaf_grad"] is not None:
            fail(_("{checked}: w.grad afterwards").format(checked=checked), _("None (the caller's graph is left alone)"),
                 describe(got["leaf_grad"]), hint, tag=Tag.STALE_GRAD)
        expect_equal(got["grad_enabled"], True, _("{checked}: grad mode after the call").format(checked=checked),
                     _("Use `with torch.enable_grad():` so the caller's grad mode comes back."), tag=Tag.GRAD_MODE_LEAKED)
        expect_equal(obs["inside_no_grad"]["grad_enabled"], False,
                     _("{name}(x) called inside `with torch.no_grad():`: grad mode after the call").format(name=name),
                     _("torch.set_grad_enabled(True) changes the caller's setting; `with "
                       "torch.enable_grad():` switches it back on exit."), tag=Tag.GRAD_MODE_LEAKED)

    return judge


@EXERCISE.check(points=2, needs=("grad_of_mean_square",), per_device=True)
def grad_of_mean_square_values(ex, case):
    """grad_of_mean_square returns d/dx mean(x**2) for x of any shape."""
    return _values_probe("grad_of_mean_square")(ex, case)


grad_of_mean_square_values.judge(_values_judge("grad_of_mean_square"))


@EXERCISE.check(points=2, needs=("grad_of_mean_square",))
def grad_of_mean_square_leaves_x_alone(ex, case):
    """grad_of_mean_square leaves the caller's x as it was: values, requires_grad, .grad, grad mode."""
    return _untouched_probe("grad_of_mean_square")(ex, case)


grad_of_mean_square_leaves_x_alone.judge(_untouched_judge("grad_of_mean_square"))


@EXERCISE.check(points=2, needs=("seed_chain_grad",), per_device=True)
def seed_chain_grad_values(ex, case):
    """seed_chain_grad returns d/dx mean(3(x+2)^2): 4.5 everywhere for 2x2 ones, right for random x."""
    return _values_probe("seed_chain_grad")(ex, case)


seed_chain_grad_values.judge(_values_judge("seed_chain_grad"))


@EXERCISE.check(points=2, needs=("seed_chain_grad",))
def seed_chain_grad_leaves_x_alone(ex, case):
    """seed_chain_grad leaves the caller's x as it was: values, requires_grad, .grad, grad mode."""
    return _untouched_probe("seed_chain_grad")(ex, case)


seed_chain_grad_leaves_x_alone.judge(_untouched_judge("seed_chain_grad"))


# ---- vector_jacobian_product -----------------------------------------------------


def _vjp_cases(case: Case, device: str | torch.device = "cpu"):
    """(description, fn, x, v): elementwise and non-elementwise functions, several shapes of x."""
    g = case.generator(31)
    n, m, k = _size(g), _size(g), _size(g)
    matrix = (torch.randn(k, n * m, generator=g) / 2).to(device)
    right = (torch.randn(m, k, generator=g) / 2).to(device)
    square = (torch.randn(m, m, generator=g) / 2).to(device)
    specs = [
        ("fn(t) = sin(t) * t (elementwise)", lambda t: torch.sin(t) * t, (n, m), (n, m)),
        ("fn(t) = t ** 3 - 2 * t (elementwise)", lambda t: t**3 - 2 * t, (k,), (k,)),
        (_("fn(t) = M @ t.reshape(-1) with a fixed random M of shape {shape}").format(shape=tuple(matrix.shape)),
         lambda t: matrix @ t.reshape(-1), (n, m), (k,)),
        (_("fn(t) = t @ M with a fixed random M of shape {shape}").format(shape=tuple(right.shape)), lambda t: t @ right, (n, m), (n, k)),
        (_("fn(t) = t @ M with a fixed random square M of shape {shape}").format(shape=tuple(square.shape)), lambda t: t @ square,
         (k, m), (k, m)),
        ("fn(t) = torch.cumsum(t, dim=0)", lambda t: torch.cumsum(t, dim=0), (n, k), (n, k)),
        (_("fn(t) = torch.softmax(t, dim=-1) (every output depends on a whole row)"),
         lambda t: torch.softmax(t, dim=-1), (k, n, m), (k, n, m)),
    ]
    found = []
    for text, fn, x_shape, v_shape in specs:
        x = torch.randn(x_shape, generator=g).to(device)
        v = torch.randn(v_shape, generator=g).to(device)
        found.append((_("{text}, x of shape {x_shape}, v of shape {v_shape}").format(text=text, x_shape=x_shape, v_shape=v_shape), fn, x, v))
    return found


@EXERCISE.check(points=3, needs=("vector_jacobian_product",), per_device=True)
def vector_jacobian_product_matches_vjp(ex, case):
    """vector_jacobian_product(fn, x, v) equals torch.autograd.functional.vjp for several fn and shapes."""
    return {"results": [ex.vector_jacobian_product(fn, x, v) for _unused, fn, x, v in _vjp_cases(case, case.device)]}


@vector_jacobian_product_matches_vjp.judge
def _judge(obs, case):
    for got, (text, fn, x, v) in zip(obs["results"], _vjp_cases(case), strict=True):
        _unused, expected = torch.autograd.functional.vjp(fn, x, v)
        expect_tensor(
            got, expected, _("vector_jacobian_product for {text}, on {device}").format(text=text, device=case.device),
            _("Call fn on a fresh leaf copy of x, then y.backward(v) (not y.sum().backward()), "
              "and return the leaf's .grad: it has x's shape."),
            rtol=1e-4, atol=1e-5, device=case.device,
        )


def _vjp_untouched_inputs(case: Case):
    g = case.generator(41)
    n, m = _size(g), _size(g)
    return {"x": torch.randn(n, m, generator=g), "grad": torch.randn(n, m, generator=g),
            "v": torch.randn(n, m, generator=g)}


def _vjp_fn(t: torch.Tensor) -> torch.Tensor:
    return torch.tanh(t) * 2


@EXERCISE.check(points=1, needs=("vector_jacobian_product",))
def vector_jacobian_product_leaves_inputs_alone(ex, case):
    """vector_jacobian_product leaves x and v as they were (values, requires_grad, .grad) and grad mode too."""
    data = _vjp_untouched_inputs(case)
    found = {}
    for variant in ("plain", "requires_grad", "has_grad"):
        x = data["x"].clone().requires_grad_(variant != "plain")
        if variant == "has_grad":
            x.grad = data["grad"].clone()
        v = data["v"].clone()
        ex.vector_jacobian_product(_vjp_fn, x, v)
        found[variant] = {"x": x.detach(), "x_requires_grad": x.requires_grad, "x_grad": x.grad,
                          "v": v.detach(), "v_requires_grad": v.requires_grad, "v_grad": v.grad,
                          "grad_enabled": torch.is_grad_enabled()}
    with torch.no_grad():
        try:
            ex.vector_jacobian_product(_vjp_fn, data["x"].clone(), data["v"].clone())
        except Exception as exc:  # working under no_grad is not required by the contract
            if raised_by_stub(exc):
                raise
        found["inside_no_grad"] = torch.is_grad_enabled()
    return found


@vector_jacobian_product_leaves_inputs_alone.judge
def _judge(obs, case):
    data = _vjp_untouched_inputs(case)
    hint = _("Differentiate a private leaf (x.detach().clone().requires_grad_(True)), never the "
             "caller's x or v.")
    labels = {"plain": _("an x with requires_grad=False"), "requires_grad": _("an x with requires_grad=True"),
              "has_grad": _("an x with requires_grad=True that already has a .grad")}
    for variant, label in labels.items():
        got = obs[variant]
        checked = _("vector_jacobian_product(fn, x, v) for {label}").format(label=label)
        expect_tensor(got["x"], data["x"], _("{checked}: the values of x afterwards").format(checked=checked), hint, tag=Tag.INPUT_MODIFIED)
        expect_tensor(got["v"], data["v"], _("{checked}: the values of v afterwards").format(checked=checked), hint)
        expect_equal(got["x_requires_grad"], variant != "plain", _("{checked}: x.requires_grad afterwards").format(checked=checked), hint,
                     tag=Tag.INPUT_MODIFIED)
        expect_equal(got["v_requires_grad"], False, _("{checked}: v.requires_grad afterwards").format(checked=checked), hint,
                     tag=Tag.INPUT_MODIFIED)
        if got["v_grad"] is not None:
            fail(_("{checked}: v.grad afterwards").format(checked=checked), "None", describe(got["v_grad"]), hint, tag=Tag.STALE_GRAD)
        if variant == "has_grad":
            expect_tensor(got["x_grad"], data["grad"], _("{checked}: x.grad must keep the values "
                                                         "it had").format(checked=checked), hint)
        elif got["x_grad"] is not None:
            fail(_("{checked}: x.grad afterwards").format(checked=checked), _("None (no .grad attached)"), describe(got["x_grad"]), hint,
                 tag=Tag.STALE_GRAD)
        expect_equal(got["grad_enabled"], True, _("{checked}: grad mode after the call").format(checked=checked),
                     _("Use `with torch.enable_grad():` rather than torch.set_grad_enabled(...) "
                       "without restoring."),
                     tag=Tag.GRAD_MODE_LEAKED)
    expect_equal(obs["inside_no_grad"], False,
                 _("vector_jacobian_product called inside `with torch.no_grad():`: grad mode "
                   "after the call"),
                 _("`with torch.enable_grad():` switches grad mode back to what the caller had "
                   "on exit."),
                 tag=Tag.GRAD_MODE_LEAKED)


# ---- predict_no_grad -------------------------------------------------------------


class RecordingNet(nn.Module):
    """The grader's model: Linear -> tanh -> Dropout; forward records grad mode and train/eval mode."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
        self.drop = nn.Dropout(0.5)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append((torch.is_grad_enabled(), self.training))
        return self.drop(torch.tanh(self.fc(x)))


def _predict_setup(case: Case, device: str | torch.device = "cpu", offset: int = 51):
    """The grader's model with seeded weights (eval mode) and a random batch x."""
    g = case.generator(offset)
    n, n_in, n_out = _size(g), _size(g, 2, 8), _size(g, 2, 5)
    model = RecordingNet(n_in, n_out)
    with torch.no_grad():
        model.fc.weight.copy_(torch.randn(n_out, n_in, generator=g))
        model.fc.bias.copy_(torch.randn(n_out, generator=g))
    x = torch.randn(n, n_in, generator=g)
    weight_grad = torch.randn(n_out, n_in, generator=g)
    return model.to(device).eval(), x.to(device), weight_grad.to(device)


def _expected_prediction(case: Case, offset: int = 51) -> torch.Tensor:
    model, x, _unused = _predict_setup(case, offset=offset)
    with torch.no_grad():
        return model(x)


@EXERCISE.check(points=3, needs=("predict_no_grad",), per_device=True)
def predict_no_grad_builds_no_graph(ex, case):
    """predict_no_grad runs the model with grad mode off: output equals model(x), no requires_grad, no grad_fn."""
    found = []
    for requires_grad in (False, True):
        model, x, _unused = _predict_setup(case, case.device)
        x.requires_grad_(requires_grad)
        out = ex.predict_no_grad(model, x)
        found.append({"out": out, "seen": list(model.seen)})
    return {"runs": found}


@predict_no_grad_builds_no_graph.judge
def _judge(obs, case):
    expected = _expected_prediction(case)
    for run, requires_grad in zip(obs["runs"], (False, True), strict=True):
        checked = _("predict_no_grad(model, x) with x.requires_grad={requires_grad}, on {device}").format(requires_grad=requires_grad, device=case.device)
        seen = run["seen"]
        expect_true(len(seen) >= 1, checked, _("the model's forward to run"), _("forward was never called"),
                    _("Call the model: model(x)."))
        expect_true(
            all(grad_enabled is False for grad_enabled, _unused in seen), _("{checked}: grad mode while forward ran").format(checked=checked),
            _("grad mode disabled during forward"), _("grad mode was enabled inside forward (a "
                                                   "graph was built)"),
            _("Run the model inside `with torch.no_grad():` (or torch.inference_mode()); "
              ".detach() afterwards is too late: the graph was already built."), tag=Tag.GRAPH_BUILT,
        )
        out = run["out"]
        expect_tensor(out, expected, _("{checked}: the output").format(checked=checked), _("Return model(x) itself."),
                      rtol=1e-4, atol=1e-5, device=case.device)  # loose enough for a GPU's matmul
        expect_true(out.requires_grad is False, checked + ": out.requires_grad", "False", "True",
                    _("Compute the output inside the no_grad block."), tag=Tag.GRAPH_BUILT)
        expect_true(out.has_grad_fn is False, checked + ": out.grad_fn", "None", _("a grad_fn"),
                    _("Compute the output inside the no_grad block."), tag=Tag.GRAPH_BUILT)


@EXERCISE.check(points=2, needs=("predict_no_grad",))
def predict_no_grad_keeps_train_eval_mode(ex, case):
    """predict_no_grad runs the model in the mode it is in (train or eval) and leaves it there."""
    found = {}
    for mode in ("train", "eval"):
        model, x, _unused = _predict_setup(case, "cpu")
        model.train(mode == "train")
        out = ex.predict_no_grad(model, x)
        found[mode] = {"seen": [training for _unused, training in model.seen], "after": model.training,
                       "dropout_after": model.drop.training, "out": out}
    return found


@predict_no_grad_keeps_train_eval_mode.judge
def _judge(obs, case):
    expected = _expected_prediction(case)
    hint = _("Do not call model.eval() or model.train() in predict_no_grad: torch.no_grad() does "
             "not need them.")
    for mode, got in ((mode, obs[mode]) for mode in ("train", "eval")):
        training = mode == "train"
        checked = _("predict_no_grad on a model in train mode") if training else _("predict_no_grad on a model in eval mode")
        expect_true(len(got["seen"]) >= 1, checked, _("the model's forward to run"), _("forward was never called"),
                    _("Call the model: model(x)."))
        expect_true(all(t is training for t in got["seen"]), _("{checked}: model.training while forward "
                                                               "ran").format(checked=checked),
                    _("{training} (the mode the model was given in)").format(training=training), f"{got['seen']}", hint, tag=Tag.MODE_NOT_RESTORED)
        expect_equal(got["after"], training, _("{checked}: model.training after the call").format(checked=checked), hint,
                     tag=Tag.MODE_NOT_RESTORED)
        expect_equal(got["dropout_after"], training, _("{checked}: the dropout layer's .training "
                                                       "after the call").format(checked=checked), hint,
                     tag=Tag.MODE_NOT_RESTORED)
        if not training:
            expect_tensor(got["out"], expected, _("{checked}: the output").format(checked=checked), _("Return model(x) itself."))
        elif isinstance(got["out"], TensorObs):
            expect_equal(got["out"].shape, tuple(expected.shape), _("{checked}: the output's shape").format(checked=checked),
                         _("Return model(x) itself."), tag=Tag.WRONG_SHAPE)


@EXERCISE.check(points=2, needs=("predict_no_grad",))
def predict_no_grad_leaves_model_alone(ex, case):
    """predict_no_grad leaves parameters, their .grad, x and grad mode as they were (also inside no_grad)."""
    found = {}
    for where in ("grad_enabled", "inside_no_grad"):
        model, x, weight_grad = _predict_setup(case, "cpu")
        x.requires_grad_(True)
        model.fc.weight.grad = weight_grad.clone()
        params = [model.fc.weight, model.fc.bias]
        if where == "inside_no_grad":
            with torch.no_grad():
                out = ex.predict_no_grad(model, x)
                grad_enabled = torch.is_grad_enabled()
        else:
            out = ex.predict_no_grad(model, x)
            grad_enabled = torch.is_grad_enabled()
        found[where] = {
            "out": out, "grad_enabled": grad_enabled,
            "same_parameters": [p is q for p, q in zip(params, [model.fc.weight, model.fc.bias])],
            "weight": model.fc.weight.detach(), "bias": model.fc.bias.detach(),
            "requires_grad": [p.requires_grad for p in model.parameters()],
            "weight_grad": model.fc.weight.grad, "bias_grad": model.fc.bias.grad,
            "x": x.detach(), "x_requires_grad": x.requires_grad, "x_grad": x.grad,
        }
    return found


@predict_no_grad_leaves_model_alone.judge
def _judge(obs, case):
    model, x, weight_grad = _predict_setup(case)
    expected = _expected_prediction(case)
    hint = ladder(N_("predict_no_grad only turns gradient tracking off around the model's call: it calls no "
                     "zero_grad and changes no requires_grad."),
                  N_("A `with torch.no_grad():` block around the call is all it needs, and it restores the grad "
                     "mode on exit."))
    for where, got in ((where, obs[where]) for where in ("grad_enabled", "inside_no_grad")):
        situation = _("called with grad enabled") if where == "grad_enabled" else _("called inside `with torch.no_grad():`")
        checked = _("predict_no_grad {situation}").format(situation=situation)
        expect_tensor(got["out"], expected, _("{checked}: the output").format(checked=checked), _("Return model(x) itself."))
        expect_equal(got["grad_enabled"], where == "grad_enabled", _("{checked}: grad mode after the call").format(checked=checked),
                     _("Use `with torch.no_grad():` (it restores the mode on exit), not "
                       "torch.set_grad_enabled(False)."),
                     tag=Tag.GRAD_MODE_LEAKED)
        expect_equal(got["same_parameters"], [True, True], _("{checked}: the model's parameter objects").format(checked=checked), hint,
                     tag=Tag.NOT_IN_PLACE)
        expect_tensor(got["weight"], model.fc.weight.detach(), _("{checked}: the weight's values").format(checked=checked), hint)
        expect_tensor(got["bias"], model.fc.bias.detach(), _("{checked}: the bias's values").format(checked=checked), hint)
        expect_equal(got["requires_grad"], [True, True], _("{checked}: requires_grad of the "
                                                           "parameters").format(checked=checked), hint,
                     tag=Tag.INPUT_MODIFIED)
        expect_tensor(got["weight_grad"], weight_grad, _("{checked}: the weight's .grad (it had "
                                                         "one before)").format(checked=checked), hint,
                      tag=Tag.STALE_GRAD)
        if got["bias_grad"] is not None:
            fail(_("{checked}: the bias's .grad").format(checked=checked), _("None (as before the call)"), describe(got["bias_grad"]), hint,
                 tag=Tag.STALE_GRAD)
        expect_tensor(got["x"], x, _("{checked}: the values of x").format(checked=checked), hint, tag=Tag.INPUT_MODIFIED)
        expect_equal(got["x_requires_grad"], True, checked + ": x.requires_grad", hint, tag=Tag.INPUT_MODIFIED)
        if got["x_grad"] is not None:
            fail(checked + ": x.grad", _("None (as before the call)"), describe(got["x_grad"]), hint, tag=Tag.STALE_GRAD)
