"""Checks for ex06_validation: a validation pass, an accuracy pass and a training loop.

Every model and loader here is the grader's own (``grader.checks.collaborators``):
a small classifier that records, inside ``forward``, the grad mode, its
train/eval flag and the shape and device of what it was given; and a
``DataLoader`` over a ``TensorDataset`` whose last batch is smaller than the
others. The judge rebuilds the same weights and data from
the case seed and computes every expected number with PyTorch itself.
"""

from __future__ import annotations

import functools
import types
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.engine.api import Calibration, Case, Exercise
from grader.checks.history import expect_history, history_facts
from grader.checks.collaborators import Network, RecordingClassifier, batches, fill_parameters_
from grader.checks.hygiene import STEP_HINTS, expect_train_mode_after
from grader.checks.devices import expect_explicit_device, expect_model_rule, offer_cuda
from grader.engine.expect import expect_count, expect_close, expect_equal, expect_tensor, expect_true, fail, same_device
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

EXERCISE = Exercise("ex06_validation")

IMAGE_SHAPE = (1, 4, 4)  # one sample: a tiny one-channel "image"
FEATURES = 16  # IMAGE_SHAPE flattened

# ---- the grader's data and model ----------------------------------------------------------------


@dataclass
class Setup:
    """A seeded model and data set split into batches with a smaller last batch."""

    model: RecordingClassifier
    x: torch.Tensor  # (n, 1, 4, 4)
    y: torch.Tensor  # (n,) int64
    batch_size: int
    classes: int

    def loader(self) -> DataLoader:
        """In order, the last batch smaller. A DataLoader (not a bare list), so that code which reads
        len(loader.dataset) — common, and correct for every DataLoader — works too."""
        return DataLoader(TensorDataset(self.x, self.y), batch_size=self.batch_size, shuffle=False)

    def batch_sizes(self) -> list[int]:
        return [len(b) for b, _unused in batches(self.x, self.y, self.batch_size)]


def _randint(g: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high] (both included)."""
    return int(torch.randint(low, high + 1, (1,), generator=g))


def _setup(case: Case, offset: int = 0, model: RecordingClassifier | None = None) -> Setup:
    """Model and data from the seed; sizes vary with it so nothing can be hard-coded.

    Labels are chosen so that the last (smaller) batch is predicted entirely
    right and the others only partly: averaging batch means instead of
    samples then always gives a different loss and accuracy. ``model``: label
    the data for this model (a test set for a training set's model).
    """
    g = case.generator(100 + offset)
    classes = _randint(g, 3, 6)
    batch_size = _randint(g, 5, 8)
    rest = _randint(g, 1, 3)  # the last batch: 1 to 3 samples
    n = _randint(g, 2, 4) * batch_size + rest
    if model is None:
        with torch.random.fork_rng(devices=[]):  # nn.Linear's own init must not touch the global RNG
            model = RecordingClassifier(FEATURES, classes)
        fill_parameters_(model, g)
    classes = model.second.out_features
    x = torch.randn(n, *IMAGE_SHAPE, generator=g)
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    model.clear_records()
    wrong = (predicted + torch.randint(1, classes, (n,), generator=g)) % classes
    right = torch.rand(n, generator=g) < 0.4
    y = torch.where(right, predicted, wrong)
    y[-rest:] = predicted[-rest:]
    return Setup(model, x, y, batch_size, classes)


def _expected(setup: Setup, model: nn.Module | None = None) -> tuple[float, float]:
    """Per-sample mean cross-entropy and accuracy over the whole data set, in float64."""
    model = model if model is not None else setup.model
    with torch.no_grad():
        logits = model(setup.x.reshape(setup.x.shape[0], -1)).double()
    loss = F.cross_entropy(logits, setup.y).item()
    accuracy = (logits.argmax(dim=1) == setup.y).double().mean().item()
    return loss, accuracy


def _one_sample(case: Case, offset: int) -> Setup:
    """A loader of exactly one sample (valid input: its loss and accuracy are those of that sample)."""
    setup = _setup(case, offset=offset)
    return Setup(setup.model, setup.x[:1], setup.y[:1], setup.batch_size, setup.classes)


def _device_variants(case: Case) -> list[tuple[str, str, object]]:
    """(label, device the model starts on, device argument) for a device-handling check."""
    variants = [
        (_('device="{device}" (a str)').format(device=case.device), case.device, case.device),
        (f'device=torch.device("{case.device}")', case.device, torch.device(case.device)),
        (_("device=None with the model on {device}").format(device=case.device), case.device, None),
    ]
    if case.device != "cpu":
        variants.append((_(OFFERED), "cpu", None))
    return variants


OFFERED = N_("device=None with the model on cpu")


def _offered_call(case: Case, offset: int, call) -> dict:
    """``call(setup)`` (model on the CPU, device=None) with CUDA available: see grader.checks.devices.

    Only in the CPU case (the CUDA case has the real thing); last in its probe, as the call may be stopped.
    """
    if case.device != "cpu":
        return {}
    setup = _setup(case, offset=offset)
    offered = offer_cuda(lambda: call(setup))
    return {"label": _(OFFERED), "model_device": "cpu", "result": offered.result, **setup.model.records(),
            **offered.facts()}


def _explicit_devices(moves_model: bool) -> list:
    """The explicit devices a function is called with while CUDA is offered (model on the CPU).

    ``"cpu"`` always; ``"cuda"`` where the call can run: on a machine without CUDA (pretended moves), or for a
    function that moves the model itself (on a real GPU, validation would get a CPU model and CUDA batches).
    """
    if moves_model or not torch.cuda.is_available():
        return ["cpu", "cuda", torch.device("cuda")]
    return ["cpu"]


def _explicit_label(device) -> str:
    return f'device=torch.device("{device}")' if isinstance(device, torch.device) else f'device="{device}"'


def _explicit_calls(case: Case, offset: int, moves_model: bool, call) -> list[dict]:
    """``call(setup, device)`` for each explicit device, model on the CPU, CUDA offered (the CPU case only).

    Calls follow the code's moves instead of stopping at them (grader.checks.devices), so the model's own move
    is seen: last in the probe all the same, as a call can still be stopped.
    """
    if case.device != "cpu":
        return []
    found = []
    for device in _explicit_devices(moves_model):
        setup = _setup(case, offset=offset)
        offered = offer_cuda(lambda: call(setup, device), follow=True)
        found.append({"label": _explicit_label(device), "device": str(device), "result": offered.result,
                      "parameter_targets": offered.parameter_targets(setup.model), **setup.model.records(),
                      **offered.facts()})
    return found


EXPLICIT_HINT = N_("Use the device you are given: only when device is None choose one yourself "
                   "(next(model.parameters()).device); never replace \"cpu\" or \"cuda\" by another.")
VALIDATION_MOVES = N_("validation moves each batch of images to device")
EVALUATE_MOVES = N_("evaluate_accuracy moves the inputs to device")
TRAIN_MOVES = N_("train moves the model (and each batch) to device")


def _judge_explicit(obs, checked_call: str, what: str, model: str = "model", moves_model: bool = False,
                    expected=None) -> None:
    """The explicit-device calls made with CUDA offered: see grader.checks.devices.expect_explicit_device."""
    for call in obs.get("explicit", []):
        checked = checked_call.format(label=call["label"])
        expect_explicit_device(call, call["device"], checked, _(EXPLICIT_HINT), model=model, moves_model=moves_model,
                               inputs=call["input_devices"], what=_(what))
        if expected is not None and not call["stopped"]:
            expected(call, checked)


def _with_offered(obs, case: Case) -> list:
    """The calls, and on the CPU case the call made with CUDA offered (the CUDA case has the real thing)."""
    return [*obs["calls"], obs["offered"]] if case.device == "cpu" else list(obs["calls"])


def _pair(result, checked: str) -> tuple:
    """The (mean_loss, accuracy) pair, or a learner-facing failure."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(checked, _("a tuple (mean_loss, accuracy)"), describe(result),
             _("End with `return total_loss / count, correct / count`."), tag=Tag.WRONG_TYPE)
    return tuple(result)


# ---- validation ---------------------------------------------------------------------------------


@EXERCISE.check(points=3, needs=("validation",), per_device=True)
def validation_mean_loss_and_accuracy(ex, case):
    """validation returns the per-sample mean loss and the accuracy, also with a smaller last batch."""
    setup = _setup(case)
    model = setup.model.to(case.device)
    result = ex.validation(model, setup.loader(), nn.CrossEntropyLoss(), case.device)
    single = _one_sample(case, 3)
    one = ex.validation(single.model.to(case.device), single.loader(), nn.CrossEntropyLoss(), case.device)
    return {"result": result, "one_sample": one}


@validation_mean_loss_and_accuracy.judge
def _judge(obs, case):
    setup = _setup(case)
    loss, accuracy = _expected(setup)
    sizes = setup.batch_sizes()
    checked = (_('validation(model, loader, nn.CrossEntropyLoss(), "{device}") over {count} '
                 "samples in batches of {sizes}").format(device=case.device, count=sum(sizes), sizes=sizes))
    got_loss, got_accuracy = _pair(obs["result"], checked)
    tol = dict(rtol=1e-5, atol=1e-6) if case.device == "cpu" else dict(rtol=1e-4, atol=1e-5)
    expect_close(got_accuracy, accuracy, _("{checked} — the accuracy (second value)").format(checked=checked),
                 _("Count correct samples over all batches (output.argmax(dim=1) == "
                   "labels).sum(), then divide by the number of samples — not the mean of "
                   "per-batch accuracies: the last batch is smaller."), **tol)
    expect_close(got_loss, loss, _("{checked} — the mean loss (first value)").format(checked=checked),
                 _("criterion(...) gives a batch *mean*: add loss.item() * batch_size per batch "
                   "and divide by the number of samples, so the smaller last batch gets its true "
                   "weight."), **tol)
    if "one_sample" in obs:
        single = _one_sample(case, 3)
        loss, accuracy = _expected(single)
        checked = _('validation(model, loader, nn.CrossEntropyLoss(), "{device}") with a loader of exactly one '
                    "sample").format(device=case.device)
        got_loss, got_accuracy = _pair(obs["one_sample"], checked)
        hint = _("One sample is a valid loader: its mean loss and accuracy are that sample's (no special case for "
                 "count == 1, no squeeze that drops the batch dimension).")
        expect_close(got_loss, loss, _("{checked} — the mean loss (first value)").format(checked=checked), hint, **tol)
        expect_close(got_accuracy, accuracy, _("{checked} — the accuracy (second value)").format(checked=checked),
                     hint, **tol)


@EXERCISE.check(points=2, needs=("validation",), per_device=True)
def validation_flattens_and_moves_inputs(ex, case):
    """validation flattens each batch of images to (N, -1) and moves it to the device (str, torch.device, None)."""
    found = []
    for label, model_device, device in _device_variants(case):
        setup = _setup(case)
        model = setup.model.to(model_device)
        result = ex.validation(model, setup.loader(), nn.CrossEntropyLoss(), device)
        found.append({"label": label, "model_device": model_device, "result": result, **model.records()})
    offered = _offered_call(case, 0, lambda s: ex.validation(s.model, s.loader(), nn.CrossEntropyLoss(), None))
    explicit = _explicit_calls(case, 0, False,
                               lambda s, device: ex.validation(s.model, s.loader(), nn.CrossEntropyLoss(), device))
    return {"calls": found, "offered": offered, "explicit": explicit}


@validation_flattens_and_moves_inputs.judge
def _judge(obs, case):
    setup = _setup(case)
    sizes = setup.batch_sizes()
    loss, accuracy = _expected(setup)
    for call in _with_offered(obs, case):
        checked = _("validation(..., {label}) with images of shape (N, 1, 4, 4)").format(label=call['label'])
        if "cuda_requests" in call:
            expect_model_rule(call, call["input_devices"], checked)
        want_device = call["model_device"] if call["label"].startswith("device=None") else case.device
        expect_equal(call["input_shapes"], [[n, FEATURES] for n in sizes],
                     _("{checked}: the shapes the model was called with, batch by batch").format(checked=checked),
                     _("Flatten each batch before calling the model: "
                       "images.reshape(images.shape[0], -1) (keep the batch dimension)."), tag=Tag.WRONG_SHAPE)
        wrong = [d for d in call["input_devices"] if not same_device(d, want_device)]
        expect_true(not wrong, _("{checked}: the device of the images given to the model").format(checked=checked),
                    _("every batch on {device}").format(device=want_device), _("batches on {wrong}").format(wrong=sorted(set(wrong))),
                    _("Move images and labels with .to(device); when device is None use the "
                      "device of the model's first parameter: next(model.parameters()).device."), tag=Tag.WRONG_DEVICE)
        _expect_pair_close(call["result"], loss, accuracy, checked)

    def values(call: dict, checked: str) -> None:
        _expect_pair_close(call["result"], loss, accuracy, checked)

    _judge_explicit(obs, _("validation(..., {label}) with the model on cpu"), VALIDATION_MOVES, expected=values)


def _expect_pair_close(result, loss: float, accuracy: float, checked: str) -> None:
    got_loss, got_accuracy = _pair(result, checked)
    tol = dict(rtol=1e-4, atol=1e-5)
    expect_close(got_loss, loss, _("{checked} — the mean loss").format(checked=checked), **tol)
    expect_close(got_accuracy, accuracy, _("{checked} — the accuracy").format(checked=checked), **tol)


@EXERCISE.check(points=2, needs=("validation",))
def validation_builds_no_graph(ex, case):
    """validation runs the model with grad mode off and puts the caller's grad mode back."""
    found = []
    for grad_before in (True, False):
        setup = _setup(case)
        with torch.set_grad_enabled(grad_before):
            result = ex.validation(setup.model, setup.loader(), nn.CrossEntropyLoss(), "cpu")
            grad_after = torch.is_grad_enabled()
        found.append({
            "grad_before": grad_before, "grad_after": grad_after, "result": result,
            "grads": [p.grad is not None for p in setup.model.parameters()], **setup.model.records(),
        })
    return {"calls": found}


@validation_builds_no_graph.judge
def _judge(obs, case):
    for call in expect_count(obs["calls"], 2, "validation(...)"):
        where = _("with grad mode on") if call["grad_before"] else _("inside torch.no_grad()")
        checked = _("validation(...) called {where}").format(where=where)
        expect_true(len(call["grad_enabled"]) > 0, checked, _("the model called on every batch"),
                    _("the model was never called"), _("Call model(images) for each batch of the "
                                                       "loader."))
        expect_true(not any(call["grad_enabled"]), _("{checked}: torch.is_grad_enabled() inside "
                                                     "the model's forward").format(checked=checked),
                    _("False for every batch (no autograd graph)"), f"{call['grad_enabled']}",
                    _("Wrap the loop in `with torch.no_grad():` — evaluation needs no graph."), tag=Tag.GRAPH_BUILT)
        expect_equal(call["grad_after"], call["grad_before"], _("{checked}: torch.is_grad_enabled() "
                                                                "after it returned").format(checked=checked),
                     _("Use the context manager `with torch.no_grad():` instead of "
                       "torch.set_grad_enabled(False), so the caller's grad mode comes back by "
                       "itself."), tag=Tag.GRAD_MODE_LEAKED)
        expect_true(not any(call["grads"]), _("{checked}: the parameters' .grad").format(checked=checked),
                    _("None (nothing back-propagated)"),
                    _("some parameters got a .grad"), _("Do not call loss.backward() in validation."), tag=Tag.STALE_GRAD)


@EXERCISE.check(points=2, needs=("validation",))
def validation_eval_mode_restored(ex, case):
    """validation runs the model in eval mode and leaves it in the mode it was in (train or eval)."""
    found = []
    for train_before in (True, False):
        setup = _setup(case)
        setup.model.train(train_before)
        result = ex.validation(setup.model, setup.loader(), nn.CrossEntropyLoss(), "cpu")
        found.append({"train_before": train_before, "train_after": setup.model.training, "result": result,
                      **setup.model.records()})
    return {"calls": found}


def _judge_mode(obs, function: str, model_word: str, calls: int) -> None:
    for call in expect_count(obs["calls"], calls, function):
        if call["train_before"]:
            checked = _("{function} on a {model_word} in train mode").format(function=function, model_word=model_word)
        else:
            checked = _("{function} on a {model_word} in eval mode").format(function=function, model_word=model_word)
        expect_true(len(call["training"]) > 0, checked,
                    _("the {model_word} called on every batch").format(model_word=model_word),
                    _("the {model_word} was never called").format(model_word=model_word))
        expect_true(not any(call["training"]),
                    _("{checked}: {model_word}.training inside forward").format(checked=checked, model_word=model_word),
                    _("False for every batch (eval mode: dropout off)"), f"{call['training']}",
                    _("Call {model_word}.eval() before the loop.").format(model_word=model_word), tag=Tag.MODE_NOT_RESTORED)
        expect_equal(call["train_after"], call["train_before"], _("{checked}: {model_word}.training after "
                                                                  "the call").format(checked=checked,
                                                                                     model_word=model_word),
                     _("Give {model_word} back in the mode it came in: note {model_word}.training before switching "
                       "to eval, and restore that mode at the end (not always train mode).").format(
                         model_word=model_word),
                     tag=Tag.MODE_NOT_RESTORED)


@validation_eval_mode_restored.judge
def _judge(obs, case):
    _judge_mode(obs, "validation(model, ...)", "model", 2)


@EXERCISE.check(points=1, needs=("validation", "evaluate_accuracy"))
def results_are_python_floats(ex, case):
    """validation returns a tuple of two Python floats and evaluate_accuracy a Python float."""
    setup = _setup(case)
    pair = ex.validation(setup.model, setup.loader(), nn.CrossEntropyLoss(), "cpu")
    accuracy = ex.evaluate_accuracy(setup.loader(), setup.model, "cpu")
    return {
        "pair_type": type(pair).__name__,
        "pair_len": len(pair) if isinstance(pair, (tuple, list)) else None,
        "types": [type(v).__name__ for v in pair] if isinstance(pair, (tuple, list)) else None,
        "accuracy_type": type(accuracy).__name__,
    }


@results_are_python_floats.judge
def _judge(obs, case):
    hint = _("Turn tensors into numbers with .item() (e.g. loss.item(), (pred == "
             "labels).sum().item()).")
    expect_true(obs["pair_type"] == "tuple" and obs["pair_len"] == 2, _("validation(...) return value"),
                _("a tuple of two floats"), _("a {type} of length {length}").format(type=obs["pair_type"],
                                                                                    length=obs["pair_len"]),
                _("Return `mean_loss, accuracy` (a tuple)."), tag=Tag.WRONG_TYPE)
    expect_equal(obs["types"], ["float", "float"], _("validation(...): the types of mean_loss "
                                                     "and accuracy"), hint,
                 tag=Tag.WRONG_TYPE)
    expect_equal(obs["accuracy_type"], "float", _("evaluate_accuracy(...): the type of the result"), hint,
                 tag=Tag.WRONG_TYPE)


# ---- evaluate_accuracy --------------------------------------------------------------------------


@EXERCISE.check(points=2, needs=("evaluate_accuracy",), per_device=True)
def evaluate_accuracy_over_all_samples(ex, case):
    """evaluate_accuracy is the fraction of correct predictions over all samples, also with a smaller last batch."""
    setup = _setup(case, offset=1)
    model = setup.model.to(case.device)
    result = ex.evaluate_accuracy(setup.loader(), model, torch.device(case.device))
    single = _one_sample(case, 4)
    one = ex.evaluate_accuracy(single.loader(), single.model.to(case.device), torch.device(case.device))
    return {"result": result, "one_sample": one}


@evaluate_accuracy_over_all_samples.judge
def _judge(obs, case):
    setup = _setup(case, offset=1)
    _unused, accuracy = _expected(setup)
    sizes = setup.batch_sizes()
    checked = (_('evaluate_accuracy(loader, net, torch.device("{device}")) over {count} samples '
                 "in batches of {sizes}").format(device=case.device, count=sum(sizes), sizes=sizes))
    expect_close(obs["result"], accuracy, checked,
                 _("Add up the correct predictions of every batch and divide by the total number "
                   "of samples (not the mean of per-batch accuracies: the last batch is smaller)."), rtol=1e-6, atol=1e-9)
    if "one_sample" in obs:
        _unused, accuracy = _expected(_one_sample(case, 4))
        expect_close(obs["one_sample"], accuracy,
                     _('evaluate_accuracy(loader, net, torch.device("{device}")) with a loader of exactly one '
                       "sample").format(device=case.device),
                     _("One sample is a valid loader: the accuracy is 1.0 or 0.0 for that sample (no special case "
                       "for count == 1)."), rtol=1e-6, atol=1e-9)


@EXERCISE.check(points=1, needs=("evaluate_accuracy",), per_device=True)
def evaluate_accuracy_inputs_as_they_come(ex, case):
    """evaluate_accuracy passes the inputs to net unflattened, on the device (str, torch.device, None)."""
    found = []
    for label, model_device, device in _device_variants(case):
        setup = _setup(case, offset=1)
        model = setup.model.to(model_device)
        result = ex.evaluate_accuracy(setup.loader(), model, device)
        found.append({"label": label, "model_device": model_device, "result": result, **model.records()})
    offered = _offered_call(case, 1, lambda s: ex.evaluate_accuracy(s.loader(), s.model, None))
    explicit = _explicit_calls(case, 1, False, lambda s, device: ex.evaluate_accuracy(s.loader(), s.model, device))
    return {"calls": found, "offered": offered, "explicit": explicit}


@evaluate_accuracy_inputs_as_they_come.judge
def _judge(obs, case):
    setup = _setup(case, offset=1)
    sizes = setup.batch_sizes()
    _unused, accuracy = _expected(setup)
    for call in _with_offered(obs, case):
        checked = _("evaluate_accuracy(data_iter, net, {label}) with inputs of shape (N, 1, 4, 4)").format(label=call['label'])
        if "cuda_requests" in call:
            expect_model_rule(call, call["input_devices"], checked, model="net")
        want_device = call["model_device"] if call["label"].startswith("device=None") else case.device
        expect_equal(call["input_shapes"], [[n, *IMAGE_SHAPE] for n in sizes],
                     _("{checked}: the shapes net was called with, batch by batch").format(checked=checked),
                     _("Pass the inputs to net as they come (no reshape): net decides what shape "
                       "it needs."),
                     tag=Tag.WRONG_SHAPE)
        wrong = [d for d in call["input_devices"] if not same_device(d, want_device)]
        expect_true(not wrong, _("{checked}: the device of the inputs given to net").format(checked=checked),
                    _("every batch on {device}").format(device=want_device), _("batches on {wrong}").format(wrong=sorted(set(wrong))),
                    _("Move inputs and labels with .to(device); when device is None use the "
                      "device of the net's first parameter: next(net.parameters()).device."), tag=Tag.WRONG_DEVICE)
        expect_close(call["result"], accuracy, _("{checked} — the accuracy").format(checked=checked), rtol=1e-6,
                     atol=1e-9)

    def value(call: dict, checked: str) -> None:
        expect_close(call["result"], accuracy, _("{checked} — the accuracy").format(checked=checked), rtol=1e-6,
                     atol=1e-9)

    _judge_explicit(obs, _("evaluate_accuracy(data_iter, net, {label}) with net on cpu"), EVALUATE_MOVES,
                    model="net", expected=value)


@EXERCISE.check(points=2, needs=("evaluate_accuracy",))
def evaluate_accuracy_no_graph_and_mode(ex, case):
    """evaluate_accuracy builds no graph, runs net in eval mode, and restores grad mode and train/eval mode."""
    found = []
    for grad_before, train_before in ((True, True), (False, False), (True, False)):
        setup = _setup(case, offset=2)
        setup.model.train(train_before)
        with torch.set_grad_enabled(grad_before):
            result = ex.evaluate_accuracy(setup.loader(), setup.model, "cpu")
            grad_after = torch.is_grad_enabled()
        found.append({"grad_before": grad_before, "grad_after": grad_after, "train_before": train_before,
                      "train_after": setup.model.training, "result": result, **setup.model.records()})
    return {"calls": found}


@evaluate_accuracy_no_graph_and_mode.judge
def _judge(obs, case):
    for call in expect_count(obs["calls"], 3, "evaluate_accuracy(...)"):
        where = _("with grad mode on") if call["grad_before"] else _("inside torch.no_grad()")
        checked = _("evaluate_accuracy(...) called {where}").format(where=where)
        expect_true(len(call["grad_enabled"]) > 0, checked, _("net called on every batch"), _("net was never called"))
        expect_true(not any(call["grad_enabled"]), _("{checked}: torch.is_grad_enabled() inside "
                                                     "net's forward").format(checked=checked),
                    _("False for every batch (no autograd graph)"), f"{call['grad_enabled']}",
                    _("Wrap the loop in `with torch.no_grad():`."), tag=Tag.GRAPH_BUILT)
        expect_equal(call["grad_after"], call["grad_before"], _("{checked}: torch.is_grad_enabled() "
                                                                "after it returned").format(checked=checked),
                     _("Use `with torch.no_grad():` so the caller's grad mode comes back by "
                       "itself."),
                     tag=Tag.GRAD_MODE_LEAKED)
    _judge_mode(obs, "evaluate_accuracy(data_iter, net, ...)", "net", 3)


# ---- train --------------------------------------------------------------------------------------



def _train_data(case: Case) -> tuple[Setup, Setup]:
    """A training set and a test set for the same model, both with a smaller last batch."""
    train_setup = _setup(case, offset=10)
    return train_setup, _setup(case, offset=11, model=train_setup.model)


def _epochs(case: Case) -> int:
    return 2 + case.seed % 2


def _sgd_on(model: nn.Module, lr: float) -> torch.optim.SGD:
    return torch.optim.SGD(model.parameters(), lr=lr)


@EXERCISE.check(points=2, needs=("train",))
def train_history_format(ex, case):
    """train returns one dict per epoch: exactly epoch (int from 1), train_loss, test_loss, test_accuracy (floats)."""
    train_setup, test_setup = _train_data(case)
    model = train_setup.model
    history = ex.train(model, train_setup.loader(), test_setup.loader(), nn.CrossEntropyLoss(),
                       _sgd_on(model, 0.05), _epochs(case), "cpu")
    return history_facts(history)


@train_history_format.judge
def _judge(obs, case):
    epochs = _epochs(case)
    checked = f"train(..., epochs={epochs}, device=\"cpu\")"
    expect_history(obs, checked, epochs)


@EXERCISE.check(points=2, needs=("train",))
def train_loss_is_per_sample_mean(ex, case):
    """With lr=0 (weights fixed), train_loss is the per-sample mean loss and the test values those of validation."""
    train_setup, test_setup = _train_data(case)
    model = train_setup.model
    history = ex.train(model, train_setup.loader(), test_setup.loader(), nn.CrossEntropyLoss(),
                       _sgd_on(model, 0.0), _epochs(case), torch.device("cpu"))
    train_one, test_one = _train_one_sample(case)
    one = ex.train(train_one.model, train_one.loader(), test_one.loader(), nn.CrossEntropyLoss(),
                   _sgd_on(train_one.model, 0.0), 1, torch.device("cpu"))
    return {"history": history, "one_sample": one}


def _train_one_sample(case: Case) -> tuple[Setup, Setup]:
    """A training loader and a test loader of exactly one sample each, for the same model."""
    train_setup, test_setup = _train_data(case)
    return (Setup(train_setup.model, train_setup.x[:1], train_setup.y[:1], train_setup.batch_size, train_setup.classes),
            Setup(train_setup.model, test_setup.x[:1], test_setup.y[:1], test_setup.batch_size, test_setup.classes))


@train_loss_is_per_sample_mean.judge
def _judge(obs, case):
    train_setup, test_setup = _train_data(case)
    epochs = _epochs(case)
    checked = (_("train(...) with SGD(lr=0) (the weights never change), {epochs} epochs, "
                 "training batches of {sizes}").format(epochs=epochs, sizes=train_setup.batch_sizes()))
    _expect_fixed_weight_history(obs["history"], train_setup, test_setup, epochs, checked)
    if "one_sample" in obs:
        train_one, test_one = _train_one_sample(case)
        _expect_fixed_weight_history(obs["one_sample"], train_one, test_one, 1,
                                     _("train(...) with SGD(lr=0), 1 epoch, a training loader and a test loader of "
                                       "exactly one sample each"))


def _expect_fixed_weight_history(history, train_setup: Setup, test_setup: Setup, epochs: int, checked: str) -> None:
    """Every epoch's train_loss is the per-sample mean loss of the fixed weights, the test values validation's."""
    train_loss, _unused = _expected(train_setup)
    test_loss, test_accuracy = _expected(test_setup, train_setup.model)
    if not isinstance(history, list) or len(history) != epochs or not all(isinstance(r, dict) for r in history):
        fail(checked, _("a list of {epochs} dicts").format(epochs=epochs), describe(history),
             _("Append one dict per epoch and return "
               "the list."),
             tag=Tag.WRONG_TYPE)
    for k, row in enumerate(history, start=1):
        where = _("{checked}: epoch {k}").format(checked=checked, k=k)
        for key in ("train_loss", "test_loss", "test_accuracy"):
            if key not in row:
                fail(where, _('a key "{key}"').format(key=key), _("keys {keys}").format(keys=sorted(row)),
                     _("Use the keys of the contract."))
        expect_close(row["train_loss"], train_loss, _("{where} — train_loss (the same every "
                                                      "epoch, as lr=0)").format(where=where),
                     _("Add loss.item() * batch_size for every batch and divide by the number of "
                       "samples of the epoch (not the number of batches, not the last batch's "
                       "loss)."), rtol=1e-5, atol=1e-6)
        expect_close(row["test_loss"], test_loss, _("{where} — test_loss").format(where=where),
                     _("Take test_loss and test_accuracy from validation(model, testloader, "
                       "criterion, device)."),
                     rtol=1e-5, atol=1e-6)
        expect_close(row["test_accuracy"], test_accuracy, _("{where} — test_accuracy").format(where=where),
                     _("Take test_loss and test_accuracy from validation(model, testloader, "
                       "criterion, device)."),
                     rtol=1e-6, atol=1e-9)


def _sgd_epochs(case: Case) -> int:
    return 2


@EXERCISE.check(points=2, needs=("train",))
def train_updates_weights(ex, case):
    """train makes one optimizer step per batch (zero_grad, loss, backward, step) over every epoch."""
    train_setup, test_setup = _train_data(case)
    model = train_setup.model
    ex.train(model, train_setup.loader(), test_setup.loader(), nn.CrossEntropyLoss(),
             _sgd_on(model, 0.1), _sgd_epochs(case), "cpu")
    return {"weights": {name: p for name, p in model.named_parameters()}}


@train_updates_weights.judge
def _judge(obs, case):
    train_setup, _unused = _train_data(case)
    model = train_setup.model
    optimizer = _sgd_on(model, 0.1)
    for _i in range(_sgd_epochs(case)):
        for images, labels in train_setup.loader():
            optimizer.zero_grad()
            F.cross_entropy(model(images.reshape(images.shape[0], -1)), labels).backward()
            optimizer.step()
    epochs = _sgd_epochs(case)
    checked = (_("the weights after train(..., SGD(lr=0.1), epochs={epochs}) on training batches "
                 "of {sizes}").format(epochs=epochs, sizes=train_setup.batch_sizes()))
    weights = obs["weights"]
    if not isinstance(weights, dict):
        fail(checked, _("the model's parameters"), describe(weights), tag=Tag.WRONG_TYPE)
    for name, parameter in model.named_parameters():
        expect_tensor(weights.get(name), parameter.detach(), _("{checked}: {name}").format(checked=checked, name=name),
                      ladder(*STEP_HINTS), rtol=1e-4, atol=1e-5)


@EXERCISE.check(points=2, needs=("train",), per_device=True)
def train_device_and_mode(ex, case):
    """train moves the model to the device, flattens images, trains in train mode and leaves the model in train mode."""
    found = []
    variants = [
        (_('device="{device}" (a str), model on cpu in eval mode').format(device=case.device), "cpu", case.device),
        (_('device=torch.device("{device}"), model on cpu in eval mode').format(device=case.device), "cpu",
         torch.device(case.device)),
        (_("device=None, model on {device} in eval mode").format(device=case.device), case.device, None),
    ]
    for label, model_device, device in variants:
        train_setup, test_setup = _train_data(case)
        model = train_setup.model.to(model_device).eval()
        ex.train(model, train_setup.loader(), test_setup.loader(), nn.CrossEntropyLoss(),
                 _sgd_on(model, 0.05), 1, device)
        found.append({
            "label": label, "training_after": model.training,
            "parameter_devices": sorted({str(p.device) for p in model.parameters()}),
            **model.records(),
        })
    if case.device == "cpu":  # last: a call may be stopped where it asks for CUDA (grader.checks.devices)
        train_setup, test_setup = _train_data(case)
        model = train_setup.model.eval()
        offered = offer_cuda(lambda: ex.train(model, train_setup.loader(), test_setup.loader(),
                                              nn.CrossEntropyLoss(), _sgd_on(model, 0.05), 1, None))
        found.append({
            "label": _("device=None, model on {device} in eval mode").format(device="cpu"), "training_after": model.training,
            "parameter_devices": sorted({str(p.device) for p in model.parameters()}),
            **model.records(), **offered.facts(),
        })
    return {"calls": found, "zero_epochs": _train_zero_epochs(ex, case), "explicit": _train_explicit(ex, case)}


def _train_zero_epochs(ex, case: Case) -> dict:
    """train(..., epochs=0) on a model in eval mode: no epoch, but the model still ends in train mode."""
    train_setup, test_setup = _train_data(case)
    model = train_setup.model.eval()
    history = ex.train(model, train_setup.loader(), test_setup.loader(), nn.CrossEntropyLoss(), _sgd_on(model, 0.05),
                       0, "cpu")
    return {"training_after": model.training, "history": history_facts(history)}


def _train_explicit(ex, case: Case) -> list[dict]:
    """train(..., epochs=1, device) for each explicit device, model on the CPU in eval mode, CUDA offered."""
    found = []
    for device in _explicit_devices(True) if case.device == "cpu" else []:
        train_setup, test_setup = _train_data(case)
        model = train_setup.model.eval()
        offered = offer_cuda(lambda: ex.train(model, train_setup.loader(), test_setup.loader(), nn.CrossEntropyLoss(),
                                              _sgd_on(model, 0.05), 1, device), follow=True)
        found.append({"label": _explicit_label(device), "device": str(device), "training_after": model.training,
                      "parameter_targets": offered.parameter_targets(model), **model.records(), **offered.facts()})
    return found


@train_device_and_mode.judge
def _judge(obs, case):
    for call in expect_count(obs["calls"], 3 + (case.device == "cpu"), "train(...)"):
        checked = f"train(..., epochs=1, {call['label']})"
        if "cuda_requests" in call:
            expect_model_rule(call, [*call["parameter_devices"], *call["input_devices"]], checked)
        wrong = [d for d in call["parameter_devices"] if not same_device(d, case.device)]
        expect_true(not wrong, _("{checked}: the device of the model's parameters afterwards").format(checked=checked),
                    _("all on {device}").format(device=case.device), _("parameters on {devices}").format(devices=call['parameter_devices']),
                    _("Call model.to(device) at the start (device None: "
                      "next(model.parameters()).device)."),
                    tag=Tag.WRONG_DEVICE)
        training_calls = [i for i, g in enumerate(call["grad_enabled"]) if g]
        expect_true(len(training_calls) > 0, checked, _("the model called with autograd on for "
                                                        "training"),
                    _("no forward pass with grad mode on"),
                    _("Train: loss = criterion(model(images), labels); loss.backward()."))
        in_eval = [i for i in training_calls if not call["training"][i]]
        expect_true(not in_eval, _("{checked}: model.training in the forward passes with "
                                   "autograd on").format(checked=checked),
                    _("True (train mode) for every training batch"),
                    _("eval mode in {count} of {total} passes with autograd on").format(count=len(in_eval),
                                                                                        total=len(training_calls)),
                    _("Call model.train() at the start of every epoch (the model may come in "
                      "eval mode), and run the test pass through validation, which works under "
                      "torch.no_grad()."), tag=Tag.MODE_NOT_RESTORED)
        eval_passes = [i for i, g in enumerate(call["grad_enabled"]) if not g]
        in_train = [i for i in eval_passes if call["training"][i]]
        expect_true(not in_train, _("{checked}: the test pass").format(checked=checked),
                    _("eval mode under torch.no_grad() (as in validation)"),
                    _("{count} passes without autograd ran in train mode").format(count=len(in_train)),
                    _("Use validation(model, testloader, criterion, device) for the test pass."),
                    tag=Tag.MODE_NOT_RESTORED)
        shapes = [call["input_shapes"][i] for i in training_calls]
        flat = all(len(s) == 2 and s[1] == FEATURES for s in shapes)
        expect_true(flat, _("{checked}: the shapes the model was trained on").format(checked=checked),
                    _("(N, {features}) for every batch").format(features=FEATURES),
                    f"{sorted({tuple(s) for s in shapes})}",
                    _("Flatten each training batch: images.reshape(images.shape[0], -1)."), tag=Tag.WRONG_SHAPE)
        wrong = sorted({d for d in call["input_devices"] if not same_device(d, case.device)})
        expect_true(not wrong, _("{checked}: the device of the batches given to the model").format(checked=checked),
                    _("every batch on {device}").format(device=case.device), _("batches on {wrong}").format(wrong=wrong), _("Move images and labels with .to(device)."),
                    tag=Tag.WRONG_DEVICE)
        expect_train_mode_after(call["training_after"], checked)
    _judge_explicit(obs, _("train(..., epochs=1, {label}) with the model on cpu"), TRAIN_MOVES, moves_model=True)
    zero = obs.get("zero_epochs")
    if zero is not None:
        checked = _('train(..., epochs=0, device="cpu") on a model in eval mode')
        expect_train_mode_after(zero["training_after"], checked, epochs_zero=True)
        expect_history(zero["history"], checked, 0)


# ---- the accuracy threshold on MNIST ------------------------------------------------------------

# Calibrated with `python -m grader calibrate ex06_validation --seeds 20` (records in grader/authoring/calibration.md):
# the judge's own test accuracy after the check's probe, seeds 1000..1019:
#   reference train (2 epochs, Adam lr 1e-3):              min 0.727  median 0.779  max 0.816
#   under-trained (the reference, 1 epoch, Adam lr 1e-6):  min 0.062  median 0.100  max 0.149
# A second run over seeds 0..19 and this check's seed 18360: reference min 0.701 / median 0.770 / max 0.812
# (sd 0.027), under-trained max 0.142. Threshold 0.60: 0.101 below the worst of all 41 reference runs and
# 0.451 above the best under-trained run. Never calling optimizer.zero_grad() reaches only 0.12-0.40.
MNIST_ACCURACY_THRESHOLD = 0.60
MNIST_HIDDEN = [128, 64]
MNIST_EPOCHS = 2
MNIST_BATCH = 64


def mnist_transform():
    from torchvision import transforms

    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def mnist_run(train_fn, seed: int) -> tuple[dict, object]:
    """Train the grader's Network(784, 10, [128, 64]) with ``train_fn`` (the student's ``train``).

    Returns the trained state_dict (a plain dict) and the history.
    """
    import data_fixtures

    torch.manual_seed(seed)
    trainloader = DataLoader(data_fixtures.mnist(train=True, transform=mnist_transform()),
                             batch_size=MNIST_BATCH, shuffle=True)
    testloader = DataLoader(data_fixtures.mnist(train=False, transform=mnist_transform()), batch_size=250)
    model = Network(784, 10, MNIST_HIDDEN)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = train_fn(model, trainloader, testloader, nn.NLLLoss(), optimizer, MNIST_EPOCHS, "cpu")
    return {name: t.detach().clone() for name, t in model.state_dict().items()}, history


@functools.lru_cache(maxsize=1)
def _mnist_test_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    import data_fixtures

    data = data_fixtures.mnist(train=False, transform=mnist_transform())
    images = torch.stack([data[i][0] for i in range(len(data))]).reshape(len(data), -1)
    labels = torch.as_tensor(data.targets)
    return images, labels


MNIST_CHECKED = N_("test accuracy (computed by the grader on the fixture's 1,000 test images) of "
                   "Network(784, 10, [128, 64]) after train(model, trainloader, testloader, "
                   'nn.NLLLoss(), Adam(lr=1e-3), epochs=2, device="cpu") on the MNIST fixture')


def mnist_metric(obs, case) -> float:
    """The grader's own test accuracy of the trained weights the probe returned (the calibrated metric)."""
    got = obs["state_dict"]
    with torch.random.fork_rng(devices=[]):
        model = Network(784, 10, MNIST_HIDDEN)
    expected = model.state_dict()
    if not isinstance(got, dict) or sorted(got) != sorted(expected):
        fail(_(MNIST_CHECKED), _("the model's weights"), describe(got), tag=Tag.WRONG_TYPE)
    model.load_state_dict({name: _weights(got[name], tensor) for name, tensor in expected.items()})
    model.eval()
    images, labels = _mnist_test_tensors()
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).double().mean().item()


def _weights(got, template: torch.Tensor) -> torch.Tensor:
    """The values of an observed tensor of the template's shape, finite."""
    if not isinstance(got, TensorObs) or got.values is None or tuple(got.shape) != tuple(template.shape):
        fail(_(MNIST_CHECKED), _("a weight tensor of shape {shape}").format(shape=tuple(template.shape)),
             describe(got), tag=Tag.WRONG_TYPE)
    values = got.values.to(template.dtype)
    if not torch.isfinite(values).all():
        fail(_(MNIST_CHECKED), _("finite weights"), _("NaN or infinite weights"),
             _("A learning rate too large or a wrong loss can diverge."), tag=Tag.NOT_FINITE)
    return values


@EXERCISE.check(points=3, needs=("train",), timeout=120)
def train_reaches_accuracy_on_mnist(ex, case):
    """train fits Network(784, 10, [128, 64]) with Adam(lr=1e-3), 2 epochs, to the MNIST accuracy threshold."""
    state_dict, history = mnist_run(ex.train, case.seed)
    return {"state_dict": state_dict, "history_length": len(history) if isinstance(history, list) else None}


@train_reaches_accuracy_on_mnist.judge
def _judge(obs, case):
    accuracy = mnist_metric(obs, case)
    if not accuracy >= MNIST_ACCURACY_THRESHOLD:
        fail(_(MNIST_CHECKED), _("at least {threshold:.2f}").format(threshold=MNIST_ACCURACY_THRESHOLD),
             f"{accuracy:.3f}",
             ladder(N_("Check the training loop: train mode, and for every batch the flattened images through the "
                       "model, the loss, its gradients and one optimizer step."), *STEP_HINTS),
             tag=Tag.THRESHOLD_NOT_REACHED)


def _undertrained(reference):
    """The reference train for 1 epoch with the optimizer's learning rate cut to 1e-6."""

    def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
        for group in optimizer.param_groups:
            group["lr"] = 1e-6
        return reference.train(model, trainloader, testloader, criterion, optimizer, 1, device)

    return types.SimpleNamespace(train=train)


EXERCISE.calibrated(Calibration(
    check="train_reaches_accuracy_on_mnist", metric=mnist_metric, threshold=MNIST_ACCURACY_THRESHOLD,
    undertrained=_undertrained, higher_is_better=True,
))
