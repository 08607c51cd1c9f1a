"""Checks for ex12_losses: cross-entropy, its class-weighted version and the focal loss, from scratch.

Every expected value is computed in the judge with PyTorch itself
(``F.cross_entropy``, with and without ``weight=``) or, for the focal loss,
with the grader's own formula on ``F.log_softmax``, from inputs rebuilt from
the case seed. Gradients are those of ``logits`` after ``loss.backward()`` on
a fresh leaf.

The ban on ``F.cross_entropy`` / ``F.nll_loss`` (and ``nn.CrossEntropyLoss`` /
``nn.NLLLoss``, which call them) is enforced while the probe runs: those
functions, and the C entry points they reach (``torch._C._nn.cross_entropy_loss``,
``nll_loss``, ``nll_loss_nd``, ``nll_loss2d``, so that an alias bound with
``from torch.nn.functional import cross_entropy`` is caught too), are
replaced by a function that records the call and raises, and are put back —
the very same objects — in a ``finally``.

Code can notice such a wrapper and call the original another way (a
reference saved at import, ``torch.ops.aten.nll_loss_forward``, the value
computed detached and re-attached to a graph of its own). So the probe also
records what it sees of the values, and the judge decides from all three:

- every ATen operator the call ran, seen by a ``TorchDispatchMode`` below
  Python and below autograd, whichever Python name reached it (a saved
  reference, ``torch._C._nn``, ``torch.ops``), with or without grad mode;
- the class names of the autograd graph behind the returned loss
  (``NllLossBackward0`` …), walked through ``grad_fn.next_functions``;
- whether the dispatch mode was still in place when the call returned.

``log_softmax`` (``_log_softmax``, ``LogSoftmaxBackward0``) is allowed: the
exercise's hint suggests it. Only the negative log-likelihood operators are
banned (``F.cross_entropy`` runs ``log_softmax`` then one of them). Out of
reach: code that removes the dispatch mode, runs a banned operator and puts
the mode back, then detaches the value and grafts a gradient of its own —
that code computes the gradient itself, and its values are judged by the
other checks all the same.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode, _get_current_dispatch_mode_stack, _pop_mode

from grader.engine.api import Case, Exercise
from grader.engine.expect import expect_equal, expect_tensor, expect_true, fail
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Hints, Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex12_losses")

LOGIT_SCALE = 3.0  # ordinary logits: randn * 3
LARGE_SCALE = 1e4  # the contract's "logits of magnitude 1e4"

# Tolerances. float32 round-off of different but equivalent formulas (log_softmax vs logits - logsumexp,
# mean vs sum / N) is a few units in the last place (ulp). Values: rtol 1e-5 (about 80 ulp).
# Gradients: an element is (p - onehot) * s, with s = 1/N (or w_i / sum(w) for the weighted loss), and
# p near 1 is only known to about ulp(1) = 1.2e-7, so the absolute tolerance is GRAD_ATOL * s with
# GRAD_ATOL = 4e-6 (about 30 ulp of 1). Logits of magnitude 1e4: a float32 number near 1e4 has a spacing
# (ulp) of 1e-3 to 4e-3, so logsumexp(logits) itself is rounded by half of that, which shifts every
# log-probability by as much — for correct code as much as for PyTorch (e.g. 1 - p = 0.0078 instead of
# 0.0087 for a near-tie). There the tolerances are 4 ulp(max |logit|) on the value and 4 ulp(max |logit|)
# * s on the gradient. Wrong code is far outside all of them (NaN/inf, a factor N or sum(w)/N, clamped
# probabilities giving a loss of 27.6 instead of thousands, zero gradients).
VALUE_TOL = dict(rtol=1e-5, atol=1e-6)
GRAD_RTOL = 1e-4
GRAD_ATOL = 4e-6


def _ulp(x: torch.Tensor) -> float:
    """The float32 spacing at the largest magnitude in ``x``."""
    m = x.abs().max().to(torch.float32)
    return float(torch.nextafter(m, torch.tensor(float("inf"))) - m)


def _grad_tol(scale: float, ulp: float = 0.0) -> dict:
    return dict(rtol=GRAD_RTOL, atol=max(GRAD_ATOL, 4 * ulp) * scale)


# ---- inputs -------------------------------------------------------------------------------------


def _sizes(g: torch.Generator) -> tuple[int, int]:
    n = int(torch.randint(3, 41, (1,), generator=g))
    c = int(torch.randint(2, 11, (1,), generator=g))
    return n, c


def _inputs(case: Case, k: int, scale: float = LOGIT_SCALE) -> tuple[torch.Tensor, torch.Tensor]:
    """Random logits (N, C) (float32) and int64 targets (N,), sizes varying with the seed and k."""
    g = case.generator(100 + k)
    n, c = _sizes(g)
    logits = torch.randn(n, c, generator=g) * scale
    target = torch.randint(0, c, (n,), generator=g)
    return logits, target


def _weight(case: Case, k: int, classes: int) -> torch.Tensor:
    """Very uneven class weights in [0.1, 100], so a weighted mean is far from sum(w * loss) / N."""
    g = case.generator(200 + k)
    return 10 ** (torch.rand(classes, generator=g) * 3 - 1)


def _gamma(case: Case) -> float:
    """A random focal gamma in [1, 4], at least 0.25 away from the default 2.

    Below 1, (1 - p)^gamma has an infinite slope at p = 1; near 2, a focal_loss that ignores gamma
    (always 2) would pass.
    """
    gamma = 1.0 + 3.0 * float(torch.rand(1, generator=case.generator(300)))
    return gamma + 0.5 if abs(gamma - 2.0) < 0.25 else gamma


SETS = 3  # random (N, C) problems per check


def _describe(logits: torch.Tensor) -> str:
    n, c = logits.shape
    return _("logits of shape ({n}, {c})").format(n=n, c=c)


# ---- probing a loss ---------------------------------------------------------------------------


def _value_and_grad(fn, logits: torch.Tensor, *args, **kwargs) -> dict:
    """Call ``fn`` on a fresh leaf copy of ``logits``; the loss and ``leaf.grad`` after ``backward``."""
    leaf = logits.clone().requires_grad_(True)
    loss = fn(leaf, *args, **kwargs)
    found = {"loss": loss, "grad": None, "backward": "not a tensor"}
    if isinstance(loss, torch.Tensor):
        if not loss.requires_grad:
            found["backward"] = "no graph"
        elif loss.numel() != 1:
            found["backward"] = _("{n} elements").format(n=loss.numel())
        else:
            loss.reshape(()).backward()
            found["backward"] = "ok"
            found["grad"] = leaf.grad
    return found


def _expect_loss(obs: dict, expected: torch.Tensor, checked: str, hint: Hints, tol: dict) -> None:
    """A 0-dim float32 tensor equal to ``expected``."""
    loss = obs["loss"]
    if not isinstance(loss, TensorObs):
        fail(checked, _("a 0-dim tensor (the mean loss)"), describe(loss),
             _("Return a tensor (for example `losses.mean()`), not a Python number: it must "
               "support backward()."),
             tag=Tag.WRONG_TYPE)
    expect_tensor(loss, expected, _("{checked} — the value").format(checked=checked), hint, **tol)


def _expect_grad(obs: dict, expected: torch.Tensor, checked: str, hint: Hints, tol: dict) -> None:
    if obs["backward"] == "no graph":
        fail(_("{checked} — the gradient w.r.t. logits").format(checked=checked), _("a loss connected to logits by autograd"),
             _("a tensor with requires_grad=False (no graph back to logits)"),
             _("Compute the loss with torch operations on logits; do not detach, call .item() or "
               "build a new tensor with torch.tensor(...)."), tag=Tag.GRAPH_BROKEN)
    if obs["backward"] != "ok":
        fail(_("{checked} — the gradient w.r.t. logits").format(checked=checked), _("a 0-dim loss that backward() can run on"),
             obs["backward"], _("Reduce with .mean() so the result is a single number."), tag=Tag.GRAPH_BROKEN)
    expect_tensor(obs["grad"], expected, _("{checked} — the gradient w.r.t. logits (logits.grad "
                                           "after backward)").format(checked=checked),
                  hint, **tol)


def _torch_value_and_grad(fn, logits: torch.Tensor, *args, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """The grader's expected loss and gradient, computed with ``fn`` (PyTorch's own, or the grader's)."""
    leaf = logits.clone().requires_grad_(True)
    loss = fn(leaf, *args, **kwargs)
    loss.backward()
    return loss.detach(), leaf.grad


# ---- cross_entropy ----------------------------------------------------------------------------

CE_HINTS = (
    N_("The cross-entropy of one sample is the log of the sum of exp over its logits, minus the logit of its "
       "true class; the loss is the mean of that over the batch."),
    N_("torch.logsumexp computes the first term for every row at once, and stays finite for large logits "
       "(dim=1 is the class dimension); gather, or indexing with the row numbers and target, picks each "
       "row's true-class logit."),
)
CE_GRAD_HINT = N_("The gradient of the mean cross-entropy w.r.t. the logits is (softmax(logits) - "
                  "one_hot(target)) / N: build the loss from torch operations on logits and autograd gives it.")


@EXERCISE.check(points=2, needs=("cross_entropy",))
def cross_entropy_value(ex, case):
    """cross_entropy returns a 0-dim tensor equal to F.cross_entropy on random (N, C) logits."""
    return {"runs": [_value_and_grad(ex.cross_entropy, *_inputs(case, k)) for k in range(SETS)]}


@cross_entropy_value.judge
def _judge(obs, case):
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, k)
        checked = _("cross_entropy({logits}, target) against F.cross_entropy").format(logits=_describe(logits))
        _expect_loss(run, F.cross_entropy(logits, target), checked, ladder(*CE_HINTS), VALUE_TOL)


@EXERCISE.check(points=2, needs=("cross_entropy",))
def cross_entropy_gradient(ex, case):
    """The gradient of cross_entropy w.r.t. the logits equals that of F.cross_entropy."""
    return {"runs": [_value_and_grad(ex.cross_entropy, *_inputs(case, k)) for k in range(SETS)]}


@cross_entropy_gradient.judge
def _judge(obs, case):
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, k)
        grad = _torch_value_and_grad(F.cross_entropy, logits, target)[1]
        checked = _("cross_entropy({logits}, target), then loss.backward()").format(logits=_describe(logits))
        _expect_grad(run, grad, checked, ladder(CE_GRAD_HINT, *CE_HINTS), _grad_tol(1 / logits.shape[0]))


@EXERCISE.check(points=2, needs=("cross_entropy",))
def cross_entropy_large_logits(ex, case):
    """cross_entropy stays finite, and equal to F.cross_entropy (value and gradient), for logits of magnitude 1e4."""
    return {"runs": [_value_and_grad(ex.cross_entropy, *_inputs(case, 10 + k, LARGE_SCALE)) for k in range(SETS)]}


@cross_entropy_large_logits.judge
def _judge(obs, case):
    hint = (_("exp(10000) overflows to inf in float32. Subtract each row's maximum before "
              "exponentiating — torch.logsumexp(logits, dim=1) and F.log_softmax do that for "
              "you; never compute log(softmax(logits)) or log(exp(...).sum()) directly."))
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, 10 + k, LARGE_SCALE)
        loss, grad = _torch_value_and_grad(F.cross_entropy, logits, target)
        checked = _("cross_entropy on {logits} with values up to {largest:.0f} (randn * 1e4)").format(
            logits=_describe(logits), largest=logits.abs().max().item())
        ulp = _ulp(logits)
        _expect_loss(run, loss, checked, hint, dict(rtol=1e-5, atol=4 * ulp))
        _expect_grad(run, grad, checked, hint, _grad_tol(1 / logits.shape[0], ulp))


# ---- the ban on PyTorch's own cross-entropy -----------------------------------------------------


class BannedCall(Exception):
    """Raised inside the probe when the student's code reaches a banned PyTorch loss."""


# (owner, attribute, what a learner calls it)
BANNED = (
    (F, "cross_entropy", "F.cross_entropy"),
    (F, "nll_loss", "F.nll_loss"),
    (torch._C._nn, "cross_entropy_loss", "F.cross_entropy / nn.CrossEntropyLoss"),
    (torch._C._nn, "nll_loss", "F.nll_loss / nn.NLLLoss"),
    (torch._C._nn, "nll_loss_nd", "F.nll_loss / nn.NLLLoss"),
    (torch._C._nn, "nll_loss2d", "F.nll_loss / nn.NLLLoss"),
)


@contextlib.contextmanager
def _banned_losses(called: list[str]) -> Iterator[None]:
    """Make the banned losses record their name in ``called`` and raise; always put the originals back."""
    saved = [(owner, name, getattr(owner, name)) for owner, name, _unused in BANNED if hasattr(owner, name)]
    labels = {name: label for _unused, name, label in BANNED}

    def make(name: str):
        def banned(*args, **kwargs):
            called.append(labels[name])
            raise BannedCall(_("{label} may not be used in ex12_losses").format(label=labels[name]))

        return banned

    try:
        for owner, name, _unused in saved:
            setattr(owner, name, make(name))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


# ATen operators (overload packets) of the negative log-likelihood: every path to F.cross_entropy / F.nll_loss
# with class-index targets runs one of them. _log_softmax is allowed (the exercise's hint).
BANNED_OPERATORS = frozenset({"nll_loss_forward", "nll_loss2d_forward", "nll_loss_backward", "nll_loss2d_backward",
                              "nll_loss", "nll_loss_nd", "nll_loss2d", "cross_entropy_loss"})
BANNED_NODE_PREFIX = "NllLoss"  # NllLossBackward0, NllLoss2DBackward0


class _Operators(TorchDispatchMode):
    """Records the name of every ATen operator that runs while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        self.seen.add(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


def _graph_nodes(value: Any) -> list[str]:
    """The class names of the autograd nodes behind ``value`` (walked through grad_fn.next_functions)."""
    start = getattr(value, "grad_fn", None) if isinstance(value, torch.Tensor) else None
    seen, names, stack = set(), set(), [start]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack.extend(next_node for next_node, _index in getattr(node, "next_functions", ()))
    return sorted(names)


def _leave(operators: _Operators) -> bool:
    """Take the record off the dispatch stack; True if the call left it there, on top, as it found it."""
    stack = _get_current_dispatch_mode_stack()
    if stack and stack[-1] is operators:
        operators.__exit__(None, None, None)
        return True
    while any(mode is operators for mode in _get_current_dispatch_mode_stack()):
        _pop_mode()
    return False


def _calls_banned(fn, *args) -> dict:
    """Observations only: the banned names called, the operators run, the graph of the result."""
    called: list[str] = []
    raised, result = False, None
    operators = _Operators()
    with _banned_losses(called):
        operators.__enter__()
        try:
            result = fn(*args)
        except BannedCall:
            raised = True
        finally:
            watched = _leave(operators)
    return {"called": sorted(set(called)), "raised": raised, "operators": sorted(operators.seen),
            "graph": _graph_nodes(result), "watched": watched}


def _ban_inputs(case: Case) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    logits, target = _inputs(case, 20)
    return logits.requires_grad_(True), target, _weight(case, 20, logits.shape[1])


@EXERCISE.check(points=2, needs=("cross_entropy",))
def cross_entropy_from_scratch(ex, case):
    """cross_entropy does not call F.cross_entropy, F.nll_loss or their nn modules."""
    logits, target, _unused = _ban_inputs(case)
    return _calls_banned(ex.cross_entropy, logits, target)


@EXERCISE.check(points=1, needs=("weighted_cross_entropy",))
def weighted_cross_entropy_from_scratch(ex, case):
    """weighted_cross_entropy does not call F.cross_entropy, F.nll_loss or their nn modules."""
    logits, target, weight = _ban_inputs(case)
    return _calls_banned(ex.weighted_cross_entropy, logits, target, weight)


def _judge_ban(obs: dict, function: str) -> None:
    called = list(obs["called"])
    found = [*(op for op in obs.get("operators", []) if op in BANNED_OPERATORS),
             *(node for node in obs.get("graph", []) if node.startswith(BANNED_NODE_PREFIX))]
    if found and not called:
        called = [_("PyTorch's negative log-likelihood ({found})").format(found=", ".join(found))]
    if not obs.get("watched"):
        called.append(_("the grader's record of torch's operators, removed during the call"))
    expect_true(
        not called and not obs["raised"], _("{function} written from scratch (without PyTorch's "
                                            "own cross-entropy)").format(function=function),
        _("no call to F.cross_entropy, F.nll_loss, nn.CrossEntropyLoss or nn.NLLLoss"),
        _("a call to {called}").format(called=", ".join(called) or _("a banned loss")),
        _("Build the loss from torch.logsumexp (or F.log_softmax), gather/indexing and mean/sum; "
          "the point of the exercise is to write what F.cross_entropy does."), tag=Tag.FORBIDDEN_API,
    )


@cross_entropy_from_scratch.judge
def _judge(obs, case):
    _judge_ban(obs, "cross_entropy")


@weighted_cross_entropy_from_scratch.judge
def _judge(obs, case):
    _judge_ban(obs, "weighted_cross_entropy")


# ---- weighted_cross_entropy ---------------------------------------------------------------------


@EXERCISE.check(points=2, needs=("weighted_cross_entropy",))
def weighted_cross_entropy_matches_pytorch(ex, case):
    """weighted_cross_entropy equals F.cross_entropy(..., weight=weight) (a weighted mean), value and gradient."""
    runs = []
    for k in range(SETS):
        logits, target = _inputs(case, 30 + k)
        runs.append(_value_and_grad(ex.weighted_cross_entropy, logits, target, _weight(case, 30 + k, logits.shape[1])))
    return {"runs": runs}


@weighted_cross_entropy_matches_pytorch.judge
def _judge(obs, case):
    hint = (_("With w_i = weight[target_i]: return sum(w_i * loss_i) / sum(w_i) — divide by the "
              "sum of the weights of the samples' classes, not by N."))
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, 30 + k)
        weight = _weight(case, 30 + k, logits.shape[1])
        loss, grad = _torch_value_and_grad(F.cross_entropy, logits, target, weight=weight)
        checked = _("weighted_cross_entropy({logits}, target, weight) with weights from {low:.2f} to "
                    "{high:.2f}, against F.cross_entropy(weight=weight)").format(
            logits=_describe(logits), low=weight.min().item(), high=weight.max().item())
        sample_weights = weight[target]
        _expect_loss(run, loss, checked, hint, VALUE_TOL)
        _expect_grad(run, grad, checked, hint, _grad_tol(float(sample_weights.max() / sample_weights.sum())))


# ---- focal_loss ---------------------------------------------------------------------------------


def focal_reference(logits: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """The grader's focal loss: mean of -(1 - p_t)^gamma * log(p_t), log(p_t) from log_softmax."""
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1 - log_pt.exp()) ** gamma) * log_pt).mean()


FOCAL_HINTS = (
    N_("Focal loss weighs each sample's cross-entropy, -log(p_t), by (1 - p_t) ** gamma, where p_t is the "
       "predicted probability of the true class; the loss is the mean over the batch."),
    N_("Take log-probabilities with F.log_softmax over the class dimension and pick each sample's true class "
       "(gather); p_t is the exponential of that log-probability, which stays finite for large logits."),
)


@EXERCISE.check(points=2, needs=("focal_loss",))
def focal_loss_matches_formula(ex, case):
    """focal_loss equals the mean of -(1 - p_t)^gamma * log(p_t) for a random gamma, value and gradient."""
    gamma = _gamma(case)
    return {"runs": [_value_and_grad(ex.focal_loss, *_inputs(case, 40 + k), gamma=gamma) for k in range(SETS)]}


@focal_loss_matches_formula.judge
def _judge(obs, case):
    gamma = _gamma(case)
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, 40 + k)
        loss, grad = _torch_value_and_grad(focal_reference, logits, target, gamma)
        checked = f"focal_loss({_describe(logits)}, target, gamma={gamma:.4f})"
        hints = ladder(*FOCAL_HINTS)
        _expect_loss(run, loss, checked, hints, VALUE_TOL)
        _expect_grad(run, grad, checked, hints, _grad_tol(1 / logits.shape[0]))


@EXERCISE.check(points=1, needs=("focal_loss",))
def focal_loss_gamma_zero_is_cross_entropy(ex, case):
    """focal_loss with gamma=0 equals cross-entropy (value and gradient)."""
    return {"runs": [_value_and_grad(ex.focal_loss, *_inputs(case, 50 + k), gamma=0) for k in range(SETS)]}


@focal_loss_gamma_zero_is_cross_entropy.judge
def _judge(obs, case):
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, 50 + k)
        loss, grad = _torch_value_and_grad(F.cross_entropy, logits, target)
        checked = _("focal_loss({logits}, target, gamma=0) against F.cross_entropy").format(logits=_describe(logits))
        hint = _("With gamma = 0, (1 - p_t) ** 0 is 1 and the loss is the mean of -log(p_t): "
                 "cross-entropy.")
        _expect_loss(run, loss, checked, hint, VALUE_TOL)
        _expect_grad(run, grad, checked, hint, _grad_tol(1 / logits.shape[0]))


@EXERCISE.check(points=1, needs=("focal_loss",))
def focal_loss_default_gamma(ex, case):
    """focal_loss(logits, target) without gamma uses gamma=2.0."""
    return {"runs": [_value_and_grad(ex.focal_loss, *_inputs(case, 60 + k)) for k in range(SETS)]}


@focal_loss_default_gamma.judge
def _judge(obs, case):
    for k, run in zip(range(SETS), obs["runs"], strict=True):
        logits, target = _inputs(case, 60 + k)
        loss, grad = _torch_value_and_grad(focal_reference, logits, target, 2.0)
        checked = _("focal_loss({logits}, target) — gamma not given").format(logits=_describe(logits))
        hint = _("Keep the signature def focal_loss(logits, target, gamma=2.0) and use gamma in "
                 "the formula.")
        _expect_loss(run, loss, checked, hint, VALUE_TOL)
        _expect_grad(run, grad, checked, hint, _grad_tol(1 / logits.shape[0]))


# ---- inputs untouched ---------------------------------------------------------------------------


@EXERCISE.check(points=1, needs=("cross_entropy", "weighted_cross_entropy", "focal_loss"))
def losses_leave_inputs_untouched(ex, case):
    """The three losses leave logits (values, requires_grad, grad), target and weight as they were."""
    found = {}
    for name in ("cross_entropy", "weighted_cross_entropy", "focal_loss"):
        for requires_grad in (False, True):
            logits, target = _inputs(case, 70)
            weight = _weight(case, 70, logits.shape[1])
            logits.requires_grad_(requires_grad)
            args = (logits, target, weight) if name == "weighted_cross_entropy" else (logits, target)
            getattr(ex, name)(*args)
            found[f"{name}|{requires_grad}"] = {
                "logits": logits, "requires_grad": logits.requires_grad, "grad": logits.grad,
                "target": target, "weight": weight,
            }
    return found


@losses_leave_inputs_untouched.judge
def _judge(obs, case):
    logits, target = _inputs(case, 70)
    weight = _weight(case, 70, logits.shape[1])
    hint = (_("Work on new tensors: no in-place operations (add_, sub_, clamp_, [...] = ...) on "
              "the arguments, no requires_grad_ and no backward() inside the loss."))
    for key in (f"{name}|{flag}" for name in ("cross_entropy", "weighted_cross_entropy", "focal_loss")
                for flag in (False, True)):
        got = obs[key]
        name, requires_grad = key.split("|")
        call = _("{name} called on logits with requires_grad={requires_grad}").format(
            name=name, requires_grad=requires_grad)
        expect_tensor(got["logits"], logits, _("{call}: the caller's logits afterwards").format(call=call), hint,
                      rtol=0, atol=0, tag=Tag.INPUT_MODIFIED)
        expect_equal(got["requires_grad"], requires_grad == "True",
                     _("{call}: the caller's logits.requires_grad afterwards").format(call=call), hint,
                     tag=Tag.INPUT_MODIFIED)
        expect_equal(got["grad"], None, _("{call}: the caller's logits.grad afterwards").format(call=call), hint,
                     tag=Tag.STALE_GRAD)
        expect_tensor(got["target"], target, _("{call}: the caller's target afterwards").format(call=call), hint,
                      rtol=0, atol=0, tag=Tag.INPUT_MODIFIED)
        if name == "weighted_cross_entropy":
            expect_tensor(got["weight"], weight, _("{call}: the caller's weight afterwards").format(call=call), hint,
                          rtol=0, atol=0, tag=Tag.INPUT_MODIFIED)
