"""Checks for ex07_checkpoint: saving a network with its architecture and loading it back.

The network saved and loaded is always the grader's own ``Network``
(``grader.checks.collaborators``): ``EXERCISE.stand_ins`` puts it in
``sys.modules["ex05_dropout"]`` while the student's ``ex07_checkpoint.py`` is
imported, so ``from ex05_dropout import Network`` there gets the grader's
class and a mistake in ex05 never costs points here. Checkpoints that
``load_checkpoint`` reads are written by the probe itself (never by the
student's ``save_checkpoint``), in a temporary folder that is removed after.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pathlib
import re
import tempfile
import warnings
from typing import Any, Iterator, Mapping

import torch
from torch import nn

from grader.engine.api import Case, Exercise
from grader.checks.collaborators import Network, dropout_network_module, fill_parameters_
from grader.checks.devices import (asked_for_cuda, expect_cuda_rule, expect_explicit_device, offer_cuda,
                                   offered_situation)
from grader.engine.expect import expect_count, expect_close, expect_equal, expect_tensor, expect_true, fail, same_device
from grader.engine.i18n import N_, _, ladder
from grader.engine.model import Tag
from grader.engine.observe import describe

EXERCISE = Exercise("ex07_checkpoint", stand_ins={"ex05_dropout": dropout_network_module})

REQUIRED_KEYS = ("input_size", "output_size", "hidden_layers", "state_dict")
ALL_KEYS = ("input_size", "output_size", "hidden_layers", "drop_p", "state_dict")
NO_ARGUMENT = N_("no device argument (the default)")
LOADS_ON_DEVICE = N_("load_checkpoint returns the network on device")

# ---- the grader's networks and checkpoints ------------------------------------------------------


def _randint(g: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=g))


def _architecture(case: Case, offset: int = 0) -> tuple[int, int, list[int], float]:
    """(input_size, output_size, hidden_layers, drop_p), varying with the seed."""
    g = case.generator(200 + offset)
    input_size = _randint(g, 5, 12)
    output_size = _randint(g, 2, 5)
    hidden = [_randint(g, 3, 10) for _unused in range(_randint(g, 1, 3))]
    drop_p = round(0.1 + 0.8 * float(torch.rand(1, generator=g)), 2)
    if drop_p == 0.5:  # 0.5 is the default: a loader that ignores drop_p must not match by chance
        drop_p = 0.35
    return input_size, output_size, hidden, drop_p


def _network(case: Case, offset: int = 0) -> Network:
    """The grader's Network with seeded sizes, drop_p and weights, on the CPU."""
    with torch.random.fork_rng(devices=[]):  # construction must not touch the global RNG
        net = Network(*_architecture(case, offset))
    return fill_parameters_(net, case.generator(300 + offset))


def _inputs(case: Case, offset: int = 0) -> torch.Tensor:
    return torch.randn(6, _architecture(case, offset)[0], generator=case.generator(400 + offset))


def _checkpoint(net: Network, *, drop_p: bool = True, without: str | None = None) -> dict:
    """A checkpoint in the contract's format (or the older one without drop_p), written by the grader."""
    checkpoint = {
        "input_size": net.input_size,
        "output_size": net.output_size,
        "hidden_layers": [layer.out_features for layer in net.hidden_layers],
        "drop_p": net.drop_p,
        "state_dict": net.state_dict(),
    }
    if not drop_p:
        del checkpoint["drop_p"]
    if without is not None:
        del checkpoint[without]
    return checkpoint


def _state_dict(value: Any) -> Any:
    """A state_dict (an OrderedDict) as a plain dict an observation can carry."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return value


def _look_at(model: Any, x: torch.Tensor | None) -> dict:
    """What a judge needs to know about a model returned by load_checkpoint."""
    if not isinstance(model, nn.Module):
        return {"type": type(model).__name__}
    tensors = [*model.parameters(), *model.buffers()]
    dropout = getattr(model, "dropout", None)
    found = {
        "type": "Module",
        "training": bool(model.training),
        "submodules_training": sorted(name or _("(the model)") for name, m in model.named_modules() if m.training),
        "devices": sorted({str(t.device) for t in tensors}),
        "state_dict": _state_dict(model.state_dict()),
        "drop_p": getattr(model, "drop_p", None),
        "dropout_p": getattr(dropout, "p", None),
    }
    if x is not None and tensors:
        with torch.no_grad():
            found["output"] = model(x.to(tensors[0].device))
    return found


def _expect_model(got: Any, checked: str) -> None:
    if not isinstance(got, dict) or got.get("type") != "Module":
        kind = got.get("type") if isinstance(got, dict) else describe(got)
        fail(checked, _("a Network (an nn.Module)"), _("a {kind}").format(kind=kind),
             _("Return the network you built: `return model`."))


def _expect_weights(got: Any, net: Network, checked: str, hint: str) -> None:
    expected = net.state_dict()
    if not isinstance(got, dict):
        fail(checked, _("a state_dict (a dict of tensors)"), describe(got), hint, tag=Tag.WRONG_ARCHITECTURE)
    expect_equal(sorted(got), sorted(expected), _("{checked}: the names in the state_dict").format(checked=checked),
                 hint,
                 tag=Tag.WRONG_ARCHITECTURE)
    for name, tensor in expected.items():
        expect_tensor(got[name], tensor, _("{checked}: {name}").format(checked=checked, name=name), hint, rtol=0,
                      atol=0)


def _expect_drop_p(model: dict, drop_p: float, checked: str, hint: str) -> None:
    for attribute, key in (("drop_p", "drop_p"), ("dropout.p", "dropout_p")):
        got = model[key]
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            fail(_("{checked}: {name}").format(checked=checked, name=f"model.{attribute}"), f"{drop_p}", describe(got),
                 hint, tag=Tag.WRONG_TYPE)
        expect_close(got, drop_p, _("{checked}: {name}").format(checked=checked, name=f"model.{attribute}"), hint,
                     rtol=0, atol=1e-9)


def _expect_eval(model: dict, checked: str) -> None:
    expect_true(not model["training"] and not model["submodules_training"],
                _("{checked}: {name}").format(checked=checked, name="model.training"),
                _("False (eval mode)"), _("train mode in {modules}").format(modules=model["submodules_training"]),
                _("Call model.eval() before returning it: a loaded model is used for predictions "
                  "(dropout off)."),
                tag=Tag.MODE_NOT_RESTORED)


NONE_HINT = N_("device=None means CUDA when torch.cuda.is_available() says there is one, else the CPU; any "
               "other device is used as given.")
DEVICE_HINT = N_("The network must end up on the device asked for: load the tensors there (torch.load's "
                 "map_location) and move the model there too.")


def _expect_device(model: dict, device: str, checked: str, hint: str | None = None) -> None:
    wrong = [d for d in model["devices"] if not same_device(d, device)]
    expect_true(bool(model["devices"]) and not wrong, _("{checked}: the device of the parameters").format(checked=checked),
                _("all on {device}").format(device=device),
                _("parameters on {devices}").format(devices=model["devices"]), hint or _(DEVICE_HINT),
                tag=Tag.WRONG_DEVICE)


def _none_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


# ---- save_checkpoint ----------------------------------------------------------------------------


def _read_back(path: pathlib.Path) -> dict:
    """Load what the student saved the safe way, and describe it."""
    try:
        saved = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # the grader's own load of the student's file: a failure is an observation
        return {"load_error": _load_error(exc)}
    if not isinstance(saved, Mapping):
        return {"load_error": None, "type": type(saved).__name__}
    hidden = saved.get("hidden_layers")
    return {
        "load_error": None,
        "type": "dict",
        "keys": sorted(str(k) for k in saved),
        "types": {str(k): type(v).__name__ for k, v in saved.items()},
        "input_size": saved.get("input_size") if type(saved.get("input_size")) is int else None,
        "output_size": saved.get("output_size") if type(saved.get("output_size")) is int else None,
        "hidden_layers": list(hidden) if isinstance(hidden, (list, tuple)) else None,
        "hidden_item_types": [type(h).__name__ for h in hidden] if isinstance(hidden, (list, tuple)) else None,
        "drop_p": saved.get("drop_p") if type(saved.get("drop_p")) in (int, float) else None,
        "state_dict": _state_dict(saved.get("state_dict")),
    }


def _load_error(exc: Exception) -> str:
    """A short account of why torch.load(weights_only=True) refused a file (its messages are long)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if refused:
        return _("{error}: the file holds a {name} object, which weights_only=True refuses").format(
            error=type(exc).__name__, name=refused.group(1))
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first[:200]}"


@EXERCISE.check(points=3, needs=("save_checkpoint",), per_device=True)
def save_checkpoint_contents(ex, case):
    """save_checkpoint writes a dict: input_size, output_size, hidden_layers (list of ints), drop_p, state_dict."""
    net = _network(case).to(case.device)
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "checkpoint.pth"
        ex.save_checkpoint(net, path)
        if not path.is_file():
            return {"written": False}
        return {"written": True, **_read_back(path)}


@save_checkpoint_contents.judge
def _judge(obs, case):
    input_size, output_size, hidden, drop_p = _architecture(case)
    checked = (_("save_checkpoint(Network({input_size}, {output_size}, {hidden}, "
                 "drop_p={drop_p}) on {device}, path), then torch.load(path, weights_only=True)").format(
        input_size=input_size, output_size=output_size, hidden=hidden, drop_p=drop_p, device=case.device))
    expect_true(obs["written"], checked, _("a file at path"), _("no file was written"),
                _("Call torch.save(checkpoint, path) with the path you were given."))
    if obs["load_error"] is not None:
        fail(checked, _("a file that loads with weights_only=True"), obs["load_error"],
             _("Save only plain data: ints, a list of ints, a float and model.state_dict() — not "
               "the model or its layers."), tag=Tag.UNSAFE_LOAD)
    expect_equal(obs["type"], "dict", _("{checked}: the type of the saved object").format(checked=checked),
                 _('Save one dict: torch.save({"input_size": ..., ...}, path).'), tag=Tag.WRONG_TYPE)
    missing = [k for k in ALL_KEYS if k not in obs["keys"]]
    expect_true(not missing, _("{checked}: the keys of the saved dict").format(checked=checked), f"{list(ALL_KEYS)}",
                _("{keys} (missing {missing})").format(keys=obs["keys"],
                                                       missing=missing), _("Use exactly these key names."))
    hint_sizes = _("Store the constructor's numbers: model.input_size, model.output_size.")
    expect_equal(obs["types"]["input_size"], "int", _('{checked}: the type of "input_size"').format(checked=checked),
                 hint_sizes,
                 tag=Tag.WRONG_TYPE)
    expect_equal(obs["input_size"], input_size, _("{checked}: {name}").format(checked=checked, name='"input_size"'),
                 hint_sizes)
    expect_equal(obs["types"]["output_size"], "int", _('{checked}: the type of "output_size"').format(checked=checked),
                 hint_sizes,
                 tag=Tag.WRONG_TYPE)
    expect_equal(obs["output_size"], output_size, _("{checked}: {name}").format(checked=checked, name='"output_size"'),
                 hint_sizes)
    hint_hidden = _("Read the sizes from the layers: [layer.out_features for layer in "
                    "model.hidden_layers].")
    expect_equal(obs["types"]["hidden_layers"], "list",
                 _('{checked}: the type of "hidden_layers"').format(checked=checked), hint_hidden,
                 tag=Tag.WRONG_TYPE)
    expect_equal(obs["hidden_item_types"], ["int"] * len(hidden),
                 _('{checked}: the types of the items of "hidden_layers"').format(checked=checked), hint_hidden)
    expect_equal(obs["hidden_layers"], hidden, _("{checked}: {name}").format(checked=checked, name='"hidden_layers"'),
                 hint_hidden)
    hint_p = _("Store model.drop_p (the dropout probability the network was built with).")
    if obs["drop_p"] is None:
        fail(_("{checked}: {name}").format(checked=checked, name='"drop_p"'), f"{drop_p}",
             _("a {type}").format(type=obs["types"]["drop_p"]), hint_p)
    expect_close(obs["drop_p"], drop_p, _("{checked}: {name}").format(checked=checked, name='"drop_p"'), hint_p,
                 rtol=0, atol=1e-9)
    _expect_weights(obs["state_dict"], _network(case),
                    _("{checked}: {name}").format(checked=checked, name='"state_dict"'),
                    _("Store model.state_dict() (the weights, named like hidden_layers.0.weight)."))


@EXERCISE.check(points=1, needs=("save_checkpoint",))
def save_checkpoint_leaves_model_alone(ex, case):
    """save_checkpoint leaves the model's train/eval mode, device and weights as they were."""
    found = []
    with tempfile.TemporaryDirectory() as folder:
        for train_before in (True, False):
            net = _network(case).train(train_before)
            ex.save_checkpoint(net, str(pathlib.Path(folder) / f"net_{train_before}.pth"))
            found.append({"train_before": train_before, "train_after": net.training,
                          "devices": sorted({str(p.device) for p in net.parameters()}),
                          "weights": _state_dict(net.state_dict())})
    return {"calls": found}


@save_checkpoint_leaves_model_alone.judge
def _judge(obs, case):
    for call in expect_count(obs["calls"], 2, "save_checkpoint(...)"):
        if call["train_before"]:
            checked = _("save_checkpoint(model, path) with the model in train mode")
        else:
            checked = _("save_checkpoint(model, path) with the model in eval mode")
        expect_equal(call["train_after"], call["train_before"],
                     _("{checked}: model.training afterwards").format(checked=checked),
                     _("Saving only reads the model: do not call model.eval() or model.train() "
                       "in save_checkpoint."),
                     tag=Tag.MODE_NOT_RESTORED)
        expect_equal(call["devices"], ["cpu"],
                     _("{checked}: the device of the model afterwards").format(checked=checked),
                     _("Do not move the caller's model; model.state_dict() can be saved from any "
                       "device."),
                     tag=Tag.INPUT_MODIFIED)
        _expect_weights(call["weights"], _network(case), _("{checked}: the model's weights "
                                                           "afterwards").format(checked=checked),
                        _("Saving must not change the weights."))


# ---- load_checkpoint ----------------------------------------------------------------------------


@EXERCISE.check(points=3, needs=("load_checkpoint",), per_device=True)
def load_checkpoint_restores_network(ex, case):
    """load_checkpoint rebuilds the network: same sizes, weights, drop_p and outputs."""
    net = _network(case)
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "checkpoint.pth"
        torch.save(_checkpoint(net), path)
        model = ex.load_checkpoint(path, case.device)
    return _look_at(model, _inputs(case))


@load_checkpoint_restores_network.judge
def _judge(obs, case):
    net = _network(case)
    input_size, output_size, hidden, drop_p = _architecture(case)
    checked = (_('load_checkpoint(path, "{device}") of a checkpoint of Network({input_size}, '
                 "{output_size}, {hidden}, drop_p={drop_p})").format(
        device=case.device, input_size=input_size, output_size=output_size, hidden=hidden, drop_p=drop_p))
    _expect_model(obs, checked)
    hint = ladder(N_("Rebuild the network from the sizes and the dropout probability the checkpoint holds, then "
                     "put the saved weights into it."),
                  N_("Network takes the checkpoint's input_size, output_size, hidden_layers and drop_p; the "
                     "weights go in with load_state_dict."))
    _expect_weights(obs["state_dict"], net, _("{checked}: the weights").format(checked=checked), hint)
    _expect_drop_p(obs, drop_p, checked, _('Pass checkpoint["drop_p"] to Network(...) as drop_p.'))
    _expect_eval(obs, checked)
    with torch.no_grad():
        expected = net.eval()(_inputs(case))
    tol = dict(rtol=1e-5, atol=1e-6) if case.device == "cpu" else dict(rtol=1e-4, atol=1e-5)
    expect_tensor(obs.get("output"), expected, _("{checked}: the loaded model's output on a "
                                                 "random batch").format(checked=checked), hint,
                  **tol)


def _device_calls(case: Case) -> list[tuple[str, Any, str]]:
    """(label, device argument or NO_ARGUMENT, expected device ('None' = CUDA if available))."""
    calls = [
        (f'device="{case.device}"', case.device, case.device),
        (f'device=torch.device("{case.device}")', torch.device(case.device), case.device),
        (NO_ARGUMENT, NO_ARGUMENT, "cpu"),
        ("device=None", None, "None"),
    ]
    if case.device != "cpu":
        calls.append(('device="cpu"', "cpu", "cpu"))
    return calls


@EXERCISE.check(points=2, needs=("load_checkpoint",), per_device=True)
def load_checkpoint_device_and_eval_mode(ex, case):
    """load_checkpoint returns the model in eval mode on the device (default "cpu"; None: CUDA if available)."""
    net = _network(case, offset=1).to(case.device)  # on the GPU case, the file holds CUDA tensors
    found = []
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "checkpoint.pth"
        torch.save(_checkpoint(net), path)
        for label, device, _unused in _device_calls(case):
            model = ex.load_checkpoint(str(path)) if device is NO_ARGUMENT else ex.load_checkpoint(str(path), device)
            found.append({"label": label, **_look_at(model, None)})
            found[-1].pop("state_dict", None)  # the weights are load_checkpoint_restores_network's to judge
        offered = {}
        if case.device == "cpu":  # last: with CUDA offered (grader.checks.devices), a call stops where it asks
            for label, arguments in ((NO_ARGUMENT, ()), ("device=None", (None,))):
                run = offer_cuda(lambda: _look_at(ex.load_checkpoint(str(path), *arguments), None))
                devices = run.result.get("devices", []) if isinstance(run.result, dict) else []
                offered[label] = {"devices": devices, **run.facts()}
        explicit = _explicit_loads(ex, path) if case.device == "cpu" else []
    return {"calls": found, "offered": offered, "explicit": explicit}


def _explicit_loads(ex, path: pathlib.Path) -> list[dict]:
    """load_checkpoint(path, device) for explicit devices with CUDA offered, following its moves (see devices)."""
    found = []
    for device in ("cpu", "cuda", torch.device("cuda")):
        run = offer_cuda(lambda: ex.load_checkpoint(str(path), device), follow=True)
        label = f'device=torch.device("{device}")' if isinstance(device, torch.device) else f'device="{device}"'
        found.append({"label": label, "device": str(device), "parameter_targets": run.parameter_targets(run.result),
                      "returned_module": isinstance(run.result, nn.Module), **run.facts()})
    return found


@load_checkpoint_device_and_eval_mode.judge
def _judge(obs, case):
    expected_devices = {label: want for label, _unused, want in _device_calls(case)}
    for call in expect_count(obs["calls"], len(expected_devices), "load_checkpoint(...)"):
        want = expected_devices[call["label"]]
        want = _none_device() if want == "None" else want
        saved = _("CUDA tensors") if case.device != "cpu" else _("CPU tensors")
        checked = _("load_checkpoint(path, {label}) of a checkpoint holding {saved}").format(
            label=_(call["label"]) if call["label"] == NO_ARGUMENT else call["label"], saved=saved)
        _expect_model(call, checked)
        if call["label"] == NO_ARGUMENT:
            _expect_device(call, "cpu", checked,
                           _("Keep the default of the stub: def load_checkpoint(path, "
                             'device="cpu").'))
        elif call["label"] == "device=None":
            _expect_device(call, want, _("{checked} (None: CUDA when available, else the CPU)").format(checked=checked),
                           _(NONE_HINT))
        else:
            _expect_device(call, want, checked)
        _expect_eval(call, checked)
    _judge_offered(obs.get("offered"))
    for call in obs.get("explicit", []):
        checked = _("load_checkpoint(path, {label}) of a checkpoint holding CPU tensors").format(label=call["label"])
        if not call["stopped"]:
            expect_true(call["returned_module"], checked, _("a Network (an nn.Module)"), _("something else"),
                        _("Return the network you built: `return model`."))
        expect_explicit_device(call, call["device"], checked,
                               _('Use the device you are given: only device=None means "CUDA when available"; '
                                 'load with map_location=device and call model.to(device).'),
                               model=_("network returned"), what=_(LOADS_ON_DEVICE))


def _judge_offered(offered: dict | None) -> None:
    """The default and the None rule, with CUDA available (pretended on a machine without it)."""
    if not offered:
        return
    default = offered[NO_ARGUMENT]
    went = asked_for_cuda(default, default["devices"])
    if went is not None:
        fail(_("load_checkpoint(path) (no device argument), {default}").format(default=offered_situation(default)),
             _("the model on the CPU, because load_checkpoint's default is device=\"cpu\" (not "
               "None)"), went,
             _('Keep the default of the stub: def load_checkpoint(path, device="cpu"); only an '
               "explicit device=None means CUDA when available."), tag=Tag.WRONG_DEVICE_RULE)
    expect_cuda_rule(offered["device=None"], offered["device=None"]["devices"], "load_checkpoint(path, device=None)",
                     _(NONE_HINT))


@EXERCISE.check(points=1, needs=("load_checkpoint",))
def load_checkpoint_old_format(ex, case):
    """load_checkpoint reads the older format without drop_p, with drop_p 0.5."""
    net = _network(case, offset=2)
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "old_checkpoint.pth"
        torch.save(_checkpoint(net, drop_p=False), path)
        model = ex.load_checkpoint(path, "cpu")
    return _look_at(model, None)


@load_checkpoint_old_format.judge
def _judge(obs, case):
    checked = _('load_checkpoint(path, "cpu") of an older checkpoint with no "drop_p" key')
    _expect_model(obs, checked)
    _expect_drop_p(obs, 0.5, checked, _('Use checkpoint.get("drop_p", 0.5).'))
    _expect_weights(obs["state_dict"], _network(case, offset=2), _("{checked}: the weights").format(checked=checked),
                    _('Load the weights with model.load_state_dict(checkpoint["state_dict"]).'))


def _attempt(load, path: pathlib.Path) -> dict:
    """Call load_checkpoint where raising is the behaviour under test."""
    try:
        model = load(path, "cpu")
    except NotImplementedError:
        raise
    except Exception as exc:
        return {"raised": type(exc).__name__, "text": str(exc)[:300]}
    return {"raised": None, "text": type(model).__name__}


@EXERCISE.check(points=2, needs=("load_checkpoint",))
def load_checkpoint_missing_key(ex, case):
    """load_checkpoint raises KeyError naming the key when a key other than drop_p is missing."""
    net = _network(case, offset=3)
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        complete = pathlib.Path(folder) / "complete.pth"
        torch.save(_checkpoint(net), complete)
        found["(none)"] = _attempt(ex.load_checkpoint, complete)
        for key in REQUIRED_KEYS:
            path = pathlib.Path(folder) / f"without_{key}.pth"
            torch.save(_checkpoint(net, without=key), path)
            found[key] = _attempt(ex.load_checkpoint, path)
    return found


@load_checkpoint_missing_key.judge
def _judge(obs, case):
    control = obs["(none)"]
    expect_true(control["raised"] is None, _('load_checkpoint(path, "cpu") of a complete '
                                             "checkpoint"),
                _("a Network"), f"{control['raised']}: {control['text']}",
                _("Only a missing key is an error; a complete checkpoint must load."), tag=Tag.WRONG_ERROR)
    for key in REQUIRED_KEYS:
        got = obs[key]
        checked = _('load_checkpoint(path, "cpu") of a checkpoint without "{key}"').format(key=key)
        hint = (_("Read it as checkpoint[\"{key}\"] (a missing key raises KeyError('{key}') by "
                  "itself) — not with .get(), which hides the problem.").format(key=key))
        if got["raised"] is None:
            fail(checked, _("KeyError naming '{key}'").format(key=key),
                 _("no exception (it returned a {type})").format(type=got["text"]), hint,
                 tag=Tag.WRONG_ERROR)
        expect_equal(got["raised"], "KeyError", _("{checked}: the exception type").format(checked=checked), hint,
                     tag=Tag.WRONG_ERROR)
        expect_true(key in got["text"], _("{checked}: the error message").format(checked=checked),
                    _("a message naming '{key}'").format(key=key),
                    repr(got["text"]), hint)


class _WritesMarker:
    """Unpickling this object calls open(path, "w"): it creates a file. A safe loader never does."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@EXERCISE.check(points=2, needs=("load_checkpoint",))
def load_checkpoint_refuses_pickled_code(ex, case):
    """load_checkpoint refuses a checkpoint whose pickle would run code, and the code never runs."""
    net = _network(case, offset=4)
    with tempfile.TemporaryDirectory() as folder:
        marker = pathlib.Path(folder) / "the_payload_ran.txt"
        hostile = pathlib.Path(folder) / "hostile.pth"
        torch.save({**_checkpoint(net), "notes": _WritesMarker(str(marker))}, hostile)
        benign = pathlib.Path(folder) / "benign.pth"
        torch.save(_checkpoint(net), benign)
        control = _attempt(ex.load_checkpoint, benign)
        loads: list[str] = []
        with _weights_only_as_passed(loads):
            attempt = _attempt(ex.load_checkpoint, hostile)
        ran = marker.exists()
    return {"control": control, "attempt": attempt, "payload_ran": ran, "loads": loads}


_FORCE_NO = "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"
_FORCE_YES = "TORCH_FORCE_WEIGHTS_ONLY_LOAD"


@contextlib.contextmanager
def _weights_only_as_passed(loads: list[str]) -> Iterator[None]:
    """torch.load is safe only where the caller passes weights_only=True; ``loads`` records what each call passed.

    torch 2.6 made weights_only=True the default, but torch 2.4 and 2.5 (which the kit supports) load with
    weights_only=False unless told otherwise, and so does any torch with TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 set.
    Setting that variable for the call makes every torch behave like the oldest: code that leaves weights_only
    out runs the payload on every version, while an explicit weights_only=True still wins.
    """
    saved = {name: os.environ.get(name) for name in (_FORCE_NO, _FORCE_YES)}
    real = torch.load

    @functools.wraps(real)
    def load(*args, **kwargs):
        loads.append(f"weights_only={kwargs['weights_only']!r}" if "weights_only" in kwargs else _("no weights_only"))
        return real(*args, **kwargs)

    os.environ.pop(_FORCE_YES, None)
    os.environ[_FORCE_NO] = "1"
    torch.load = torch.serialization.load = load
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=f".*{_FORCE_NO}")
            yield
    finally:
        torch.load = torch.serialization.load = real
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@load_checkpoint_refuses_pickled_code.judge
def _judge(obs, case):
    checked = _('load_checkpoint(path, "cpu") of a checkpoint whose pickle calls open(marker, '
                '"w") when loaded')
    hint = (_("Load with torch.load(path, weights_only=True, map_location=device): it only "
              "unpickles tensors and plain containers, and refuses anything else before it runs."))
    loads = _(" (torch.load called with {loads})").format(loads=", ".join(obs["loads"])) if obs["loads"] else ""
    expect_true(not obs["payload_ran"], checked,
                _("the code in the file never runs (no marker file), because load_checkpoint "
                  "loads with torch.load(..., weights_only=True)"),
                _("the marker file was created: the pickle ran code on your machine{loads}").format(loads=loads),
                _("Pass weights_only=True to torch.load yourself: only torch 2.6 and later "
                  "default to it, and {variable}=1 turns that default off.").format(variable=_FORCE_NO), tag=Tag.UNSAFE_LOAD)
    expect_true(obs["attempt"]["raised"] is not None, checked, _("an exception (the file is refused)"),
                _("no exception (it returned a {type})").format(type=obs["attempt"]["text"]), hint, tag=Tag.WRONG_ERROR)
    control = obs["control"]
    expect_true(control["raised"] is None, _('load_checkpoint(path, "cpu") of the same '
                                             "checkpoint without the payload"),
                _("a Network"), f"{control['raised']}: {control['text']}",
                _("Refuse only files that smuggle code; a normal checkpoint must load."), tag=Tag.WRONG_ERROR)


# ---- the checkpoint saved on a GPU --------------------------------------------------------------

GPU_FILES = {"mnist_network_cuda.pth": 0.2, "mnist_network_cuda_old_format.pth": 0.5}  # file -> drop_p it loads with


def _gpu_dir() -> pathlib.Path:
    import data_fixtures

    return data_fixtures.gpu_checkpoint_dir()


def _first_test_images() -> torch.Tensor:
    """The first four MNIST fixture test images: ToTensor, Normalize((0.5,), (0.5,)), flattened to 784."""
    import data_fixtures
    from torchvision import transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    data = data_fixtures.mnist(train=False, transform=transform)
    return torch.stack([data[i][0] for i in range(4)]).reshape(4, -1)


@functools.lru_cache(maxsize=1)
def _expected_gpu() -> dict:
    return json.loads((_gpu_dir() / "expected.json").read_text())


@EXERCISE.check(points=3, needs=("load_checkpoint",), per_device=True, timeout=60)
def load_checkpoint_cuda_saved_file(ex, case):
    """A checkpoint saved on a GPU (new and old format) loads on the device and reproduces its log-probabilities."""
    x = _first_test_images()
    found = []
    for name in GPU_FILES:
        path = _gpu_dir() / name
        for label, device in ((f'device="{case.device}"', case.device),
                              (f'device=torch.device("{case.device}")', torch.device(case.device)),
                              ("device=None", None)):
            found.append({"file": name, "label": label, **_look_at(ex.load_checkpoint(path, device), x)})
    return {"calls": found}


@load_checkpoint_cuda_saved_file.judge
def _judge(obs, case):
    expected = _expected_gpu()
    log_probs = torch.tensor(expected["log_probs_of_first_4_t10k_images_eval_mode"])
    for call in expect_count(obs["calls"], 3 * len(GPU_FILES), "load_checkpoint(...)"):
        checked = (_("load_checkpoint(data_fixtures/gpu_checkpoint/{file}, {label}) (a file "
                     "saved on a CUDA GPU)").format(file=call["file"], label=call["label"]))
        _expect_model(call, checked)
        if call["label"] == "device=None":
            _expect_device(call, _none_device(), _("{checked} (None: CUDA when available, else "
                                                   "the CPU)").format(checked=checked), _(NONE_HINT))
        else:
            _expect_device(call, case.device, checked)
        _expect_eval(call, checked)
        saved = torch.load(_gpu_dir() / call["file"], weights_only=True, map_location="cpu")
        got = call["state_dict"]
        hint = _("Load with map_location=device, then "
                 'model.load_state_dict(checkpoint["state_dict"]).')
        if not isinstance(got, dict) or sorted(got) != sorted(saved["state_dict"]):
            fail(_("{checked}: the names in the state_dict").format(checked=checked), f"{sorted(saved['state_dict'])}",
                 describe(got), hint,
                 tag=Tag.WRONG_ARCHITECTURE)
        for name, tensor in saved["state_dict"].items():
            expect_tensor(got[name], tensor, _("{checked}: {name}").format(checked=checked, name=name), hint, rtol=0,
                          atol=0)
        drop_p = GPU_FILES[call["file"]]
        _expect_drop_p(call, drop_p, checked, _('Pass checkpoint.get("drop_p", 0.5) to '
                                                "Network(...)."))
        expect_tensor(call.get("output"), log_probs, _("{checked}: log-probabilities of the "
                                                       "first 4 MNIST test images").format(checked=checked),
                      _("The loaded model must reproduce the saved network exactly (weights, "
                        "eval mode)."),
                      rtol=0, atol=1e-4)
