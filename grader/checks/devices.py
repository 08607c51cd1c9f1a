"""Offering CUDA to the code under test, also on a machine that has none.

The contract has two rules for ``device=None``: a function given a model uses
the device of the model's first parameter; a function that builds its own
model (``fit_lenet``, ``load_checkpoint``) uses CUDA when available, else the
CPU. Without CUDA both rules give the CPU, so code that confuses them would
pass every check on the machines most grading runs on (CI, laptops,
Gradescope's containers). :func:`offer_cuda` makes the difference visible:

- On a machine without CUDA it calls the submission while torch tells the
  submission's own code (not torch's internals) that one CUDA device exists,
  and stops the call the moment the code asks for a CUDA device — creating or
  moving a tensor, a module or a storage there, ``torch.load`` with a CUDA
  ``map_location`` — recording where it asked, before any real CUDA call could
  fail. Everything it patches is put back when the call ends, however it ends,
  so the probe leaves torch exactly as the integrity fingerprint took it.
- On a machine with CUDA it just makes the call: the devices the code really
  used are the observation.

With ``follow=True`` the call is not stopped at a move: a model, parameter,
tensor or storage asked to go to CUDA (``.to`` in all its forms, ``.cuda``,
``to_empty``, ``torch.load``'s ``map_location`` as a str, device, dict or
callable) is recorded and left on the CPU, and a tensor so moved (and every
tensor computed from it) is marked, so :func:`device_of` tells the grader's
models which batches reached "CUDA". The call then runs to its end, and
:meth:`Offered.parameter_targets` says where each parameter of a model was
last asked to go: code that moves the inputs but leaves the model behind is
seen on a machine without CUDA. Only a request that cannot be followed
(a tensor created on CUDA, ``torch.cuda.synchronize()``…) still stops it.

Judges then use :func:`expect_model_rule`, :func:`expect_cuda_rule` or
:func:`expect_explicit_device`.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Callable, Iterator

import torch

from grader.engine.expect import fail, same_device
from grader.engine.i18n import N_, _
from grader.engine.model import Tag

EXPLICIT_RULE = N_("code never puts a fixed device in place of the device argument (only the None rule chooses between "
                   "CUDA and the CPU)")
MODEL_RULE = N_("device=None means 'where the model is' for a function given a model")
CUDA_RULE = N_("device=None means 'CUDA when available, else the CPU' for a function that builds its own model")

# torch's own modules see the truth (an optimizer or DataLoader asking torch.cuda.is_available() must not take
# a CUDA path), except the loader and its helper, which ask only to validate the map_location the submission
# passed.
_ON_BEHALF_OF_CALLER = ("torch.serialization", "torch._utils")


class _CudaRequested(BaseException):
    """Stops the submission's call where it asked for CUDA (a BaseException: `except Exception` lets it pass)."""


class OnPretendedCuda(torch.Tensor):
    """A CPU tensor that the code asked to move to CUDA while CUDA was pretended (see ``follow``).

    Results of torch operations on it are of this class too (torch's default ``__torch_function__``), so a batch
    moved and then flattened is still known to have been moved.
    """


@dataclass(frozen=True)
class Move:
    """One request to move a module, parameter, tensor or storage, seen while CUDA was pretended."""

    device: str  # where it was asked to go: "cuda", "cuda:0", "cpu"
    where: str  # the submission's line that asked
    pointers: frozenset[int]  # data_ptr() of the tensors concerned (every parameter and buffer of a module)


@dataclass
class Offered:
    """What a call made while CUDA was offered: its result, where it asked for CUDA, where it moved things."""

    result: Any = None  # None when the call was stopped
    requests: list[str] = field(default_factory=list)  # "ex06_validation.py, line 12", one per line that asked
    pretended: bool = False  # True: this machine has no CUDA, torch only said it had
    stopped: bool = False  # True: stopped where it asked for CUDA (see offer_cuda's follow)
    moves: list[Move] = field(default_factory=list)  # with follow: every move asked for, in order

    def facts(self) -> dict:
        return {"cuda_requests": list(self.requests), "pretended": self.pretended, "stopped": self.stopped}

    def parameter_targets(self, model: Any) -> list[str]:
        """Where each parameter of ``model`` was last asked to go (its own device if never asked), sorted, unique.

        On a machine with CUDA (nothing pretended), the devices the parameters are really on.
        """
        if not isinstance(model, torch.nn.Module):
            return []
        targets = set()
        for parameter in model.parameters():
            target = str(parameter.device)
            for move in self.moves:
                if parameter.data_ptr() in move.pointers:
                    target = move.device
            targets.add(target)
        return sorted(targets)


def offer_cuda(call: Callable[[], Any], follow: bool = False) -> Offered:
    """Run ``call`` with CUDA available: pretended on a machine without it, real otherwise.

    ``follow``: moves to CUDA are recorded and pretended instead of stopping the call (see the module's docstring).
    """
    if torch.cuda.is_available():
        return Offered(result=call())
    offered = Offered(pretended=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_pretended_cuda(offered.requests))
        if follow:
            stack.enter_context(_followed_moves(offered))
        try:
            offered.result = call()
        except _CudaRequested:
            offered.result, offered.stopped = None, True
    return offered


def device_of(tensor: Any) -> str:
    """The device of ``tensor`` as the code under test meant it: "cuda" for a tensor moved to a pretended CUDA."""
    if isinstance(tensor, OnPretendedCuda):
        return "cuda"
    return str(tensor.device) if isinstance(tensor, torch.Tensor) else "cpu"


def offered_situation(facts: dict) -> str:
    """How a check describes the machine it offered CUDA on, for the learner."""
    if facts.get("pretended"):
        return _("with torch.cuda.is_available() returning True (the grader pretends a GPU is present)")
    return _("on a machine with CUDA")


def asked_for_cuda(facts: dict, devices_seen: list[str]) -> str | None:
    """A description of how the code went for CUDA, or None if it stayed on the CPU."""
    requests = facts.get("cuda_requests") or []
    if requests:
        return _("your code asked for a CUDA device (at {where})").format(where=requests[0])
    on_cuda = sorted({d for d in devices_seen if not same_device(d, "cpu")})
    if on_cuda:
        return _("your code used {devices}").format(devices=on_cuda)
    return None


def expect_model_rule(facts: dict, devices_seen: list[str], checked: str, model: str = "model") -> None:
    """Rule A: the model is on the CPU and device=None, so the code must stay on the CPU."""
    went = asked_for_cuda(facts, devices_seen)
    if went is not None:
        fail(_("{checked}, {situation}").format(checked=checked, situation=offered_situation(facts)),
             _("the device of the {model}'s first parameter (cpu), because {rule}").format(model=model,
                                                                                           rule=_(MODEL_RULE)),
             went,
             _("When device is None, follow the {model}: the device its first parameter is on. \"CUDA when "
               "available\" is the rule only for fit_lenet and load_checkpoint, which build their own "
               "model.").format(model=model),
             tag=Tag.WRONG_DEVICE_RULE)


def expect_cuda_rule(facts: dict, devices_seen: list[str], checked: str, hint: str) -> None:
    """Rule B: device=None, CUDA available, so the code must ask for CUDA."""
    if asked_for_cuda(facts, devices_seen) is None:
        fail(_("{checked}, {situation}").format(checked=checked, situation=offered_situation(facts)),
             _("the model on CUDA, because {rule}").format(rule=_(CUDA_RULE)),
             _("everything stayed on {devices}: your code never asked for CUDA").format(
                 devices=sorted(set(devices_seen)) or ["cpu"]),
             hint, tag=Tag.WRONG_DEVICE_RULE)


def expect_explicit_device(facts: dict, device: str, checked: str, hint: str, model: str = "model",
                           moves_model: bool = True, inputs: list[str] | None = None, what: str = "") -> None:
    """An explicit device is where the code goes: "cpu" never reaches CUDA; "cuda": the model and the batches do.

    ``facts``: :meth:`Offered.facts` of a call made with ``follow=True``, plus ``parameter_targets`` (where the
    model's parameters were asked to go) when ``moves_model`` (False: a function that need not move its model).
    ``model``: what the function calls the model ("model", "net").
    ``inputs``: the devices of the batches the model was given (:func:`device_of`), if the check records them.
    ``what``: the contract's own sentence for this function (e.g. "train moves the model to device").
    """
    situation = _("{checked}, {situation}").format(checked=checked, situation=offered_situation(facts))
    if same_device(device, "cpu"):
        on_cuda = [d for d in [*facts.get("parameter_targets", []), *(inputs or [])] if not same_device(d, "cpu")]
        went = asked_for_cuda(facts, on_cuda)
        if went is not None:
            fail(situation, _("everything on the CPU, because {rule}: on a machine with CUDA, passing \"cpu\" must "
                              "still run on the CPU").format(rule=_(EXPLICIT_RULE)),
                 went, hint, tag=Tag.WRONG_DEVICE_RULE)
        return
    if facts.get("stopped"):
        return  # stopped before the model could move (a tensor created on CUDA): nothing more can be seen
    sentence = what or _(EXPLICIT_RULE)
    if moves_model:
        targets = facts.get("parameter_targets", [])
        left = sorted({t for t in targets if not same_device(t, device)})
        if left or not targets:
            fail(situation,
                 _("every parameter of the {model} asked to go to {device}, because {sentence}").format(
                     model=model, device=device, sentence=sentence),
                 _left_behind(model, targets, left, inputs or [], device),
                 _("Move the {model} itself to the device you are given: {model}.to(device) moves a module in place, "
                   "so it may come before or after building the optimizer; moving only the batches is not "
                   "enough.").format(model=model), tag=Tag.WRONG_DEVICE_RULE)
    if inputs is not None:
        wrong = sorted({d for d in inputs if not same_device(d, device)})
        if wrong or not inputs:
            fail(situation, _("every batch given to the {model} on {device}, because {sentence}").format(
                     model=model, device=device, sentence=sentence),
                 _("batches on {devices}").format(devices=wrong or ["cpu"]), hint, tag=Tag.WRONG_DEVICE_RULE)


def _left_behind(model: str, targets: list[str], left: list[str], inputs: list[str], device: str) -> str:
    """What the learner is told about a model that did not (all) go where it was asked to."""
    if any(same_device(t, device) for t in targets):
        return _("some of the {model}'s parameters were left on {devices}").format(model=model, devices=left)
    if any(same_device(d, device) for d in inputs):
        return _("the {model}'s parameters were left on {devices} (only the batches were moved)").format(
            model=model, devices=left or ["cpu"])
    return _("the {model}'s parameters were left on {devices}").format(model=model, devices=left or ["cpu"])


@contextlib.contextmanager
def _pretended_cuda(requests: list[str]) -> Iterator[None]:
    """torch.cuda (and torch.accelerator) say one CUDA device exists; asking for it records and stops."""
    cuda = torch.cuda
    accelerator = getattr(torch, "accelerator", None)

    def stop(*args: Any, **kwargs: Any) -> Any:
        _note(requests, _where(sys._getframe(1)))
        raise _CudaRequested()

    patches: list[tuple[ModuleType, str, Any]] = [
        (cuda, "is_available", _for_submission(cuda.is_available, lambda: True)),
        (cuda, "device_count", _for_submission(cuda.device_count, lambda: 1)),
        (cuda, "_lazy_init", stop),  # every CUDA tensor, module or storage is created through it
        (cuda, "_exchange_device", stop),  # storage.cuda() and torch.cuda.device(...) enter through it
    ]
    if accelerator is not None:
        for name, value in (("is_available", lambda *a, **k: True), ("device_count", lambda: 1),
                            ("current_accelerator", lambda *a, **k: torch.device("cuda"))):
            if hasattr(accelerator, name):
                patches.append((accelerator, name, _for_submission(getattr(accelerator, name), value)))
    originals = [(module, name, getattr(module, name)) for module, name, _value in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in originals:
            setattr(module, name, value)


def _note(requests: list[str], where: str) -> None:
    if where not in requests:
        requests.append(where)


@contextlib.contextmanager
def _followed_moves(offered: Offered) -> Iterator[None]:
    """Moves to CUDA are recorded in ``offered`` and done on the CPU (marked) instead of reaching CUDA."""
    tensor, module = torch.Tensor, torch.nn.Module
    tensor_to, tensor_cpu = tensor.to, tensor.cpu
    module_to, module_cpu, module_to_empty = module.to, module.cpu, module.to_empty
    restore_location, storage_to = torch.serialization.default_restore_location, torch.storage._to

    def record(device: torch.device | str, pointers: frozenset[int]) -> bool:
        """Record a move; True when it goes to CUDA (then it is pretended, not done)."""
        device = torch.device(device)
        caller = sys._getframe(2)
        if device.type != "cuda":  # torch's own moves to the CPU (inside an optimizer, a loader) are not the code's
            if not _is_torch(caller.f_globals.get("__name__", "")):
                offered.moves.append(Move(str(device), _where(caller), pointers))
            return False
        where = _where(caller)
        offered.moves.append(Move(str(device), where, pointers))
        _note(offered.requests, where)
        return True

    def to(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        copy = kwargs.pop("copy", False)
        device, dtype, non_blocking, memory_format = torch._C._nn._parse_to(*args, **kwargs)
        rest = {k: v for k, v in (("dtype", dtype), ("memory_format", memory_format)) if v is not None}
        if device is None or not record(device, _pointers(self)):
            plain = self.as_subclass(tensor) if isinstance(self, OnPretendedCuda) and device is not None else self
            return tensor_to(plain, *([device] if device is not None else []), non_blocking=non_blocking, copy=copy,
                             **rest)
        moved = tensor_to(self, non_blocking=non_blocking, copy=copy, **rest) if rest or copy else self
        return moved if isinstance(moved, OnPretendedCuda) else moved.as_subclass(OnPretendedCuda)

    def cuda(self: torch.Tensor, device: Any = None, *args: Any, **kwargs: Any) -> torch.Tensor:
        record(_cuda_device(device), _pointers(self))
        return self if isinstance(self, OnPretendedCuda) else self.as_subclass(OnPretendedCuda)

    def cpu(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.as_subclass(tensor) if isinstance(self, OnPretendedCuda) else tensor_cpu(self, *args, **kwargs)

    def module_to_(self: torch.nn.Module, *args: Any, **kwargs: Any) -> torch.nn.Module:
        device, dtype, non_blocking, memory_format = torch._C._nn._parse_to(*args, **kwargs)
        if device is None or not record(device, _module_pointers(self)):
            return module_to(self, *args, **kwargs)
        rest = {k: v for k, v in (("dtype", dtype), ("memory_format", memory_format)) if v is not None}
        return module_to(self, non_blocking=non_blocking, **rest) if rest else self

    def module_cuda_(self: torch.nn.Module, device: Any = None) -> torch.nn.Module:
        record(_cuda_device(device), _module_pointers(self))
        return self

    def module_cpu_(self: torch.nn.Module) -> torch.nn.Module:
        record("cpu", _module_pointers(self))
        return module_cpu(self)

    def module_to_empty_(self: torch.nn.Module, *, device: Any, recurse: bool = True) -> torch.nn.Module:
        if record(device if device is not None else "cpu", _module_pointers(self)):
            return self
        return module_to_empty(self, device=device, recurse=recurse)

    def restore(storage: Any, location: str) -> Any:
        if isinstance(location, str) and location.startswith("cuda"):
            _note(offered.requests, _where(sys._getframe(1)))
            return storage
        return restore_location(storage, location)

    def storage_to_(self: Any, device: Any, non_blocking: bool = False) -> Any:
        if torch.device(device).type == "cuda":
            _note(offered.requests, _where(sys._getframe(1)))
            return self
        return storage_to(self, device, non_blocking)

    added = [(tensor, "to", to), (tensor, "cuda", cuda), (tensor, "cpu", cpu)]  # inherited: added, then removed
    replaced = [(module, "to", module_to_), (module, "cuda", module_cuda_), (module, "cpu", module_cpu_),
                (module, "to_empty", module_to_empty_), (torch.serialization, "default_restore_location", restore),
                (torch.storage, "_to", storage_to_)]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _value in replaced]
    try:
        for owner, name, value in [*added, *replaced]:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, _value in added:
            if name in vars(owner):
                delattr(owner, name)
        for owner, name, value in originals:
            setattr(owner, name, value)


def _cuda_device(device: Any) -> torch.device:
    if device is None:
        return torch.device("cuda")
    if isinstance(device, int):
        return torch.device("cuda", device)
    return torch.device(device)


def _pointers(tensor: torch.Tensor) -> frozenset[int]:
    return frozenset({tensor.data_ptr()}) if tensor.numel() else frozenset()


def _module_pointers(module: torch.nn.Module) -> frozenset[int]:
    return frozenset(t.data_ptr() for t in [*module.parameters(), *module.buffers()] if t.numel())


def _for_submission(real: Callable[..., Any], pretended: Callable[..., Any]) -> Callable[..., Any]:
    """``pretended`` for a caller outside torch (or loading on its behalf), ``real`` for torch itself."""

    def answer(*args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if _is_torch(caller) and caller not in _ON_BEHALF_OF_CALLER:
            return real(*args, **kwargs)
        return pretended(*args, **kwargs)

    return answer


def _is_torch(module_name: str) -> bool:
    return module_name == "torch" or module_name.startswith("torch.")


def _where(frame: FrameType | None) -> str:
    """The innermost line outside torch and the grader: the submission's line that asked."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not (_is_torch(name) or name == "grader" or name.startswith("grader.")):
            return _("{file}, line {line}").format(file=Path(frame.f_code.co_filename).name, line=frame.f_lineno)
        frame = frame.f_back
    return _("a call inside torch")
