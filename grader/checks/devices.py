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

Judges then use :func:`expect_model_rule` or :func:`expect_cuda_rule`.
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

MODEL_RULE = N_("device=None means 'where the model is' for a function given a model")
CUDA_RULE = N_("device=None means 'CUDA when available, else the CPU' for a function that builds its own model")

# torch's own modules see the truth (an optimizer or DataLoader asking torch.cuda.is_available() must not take
# a CUDA path), except the loader and its helper, which ask only to validate the map_location the submission
# passed.
_ON_BEHALF_OF_CALLER = ("torch.serialization", "torch._utils")


class _CudaRequested(BaseException):
    """Stops the submission's call where it asked for CUDA (a BaseException: `except Exception` lets it pass)."""


@dataclass
class Offered:
    """What a call made while CUDA was offered: its result, and where it asked for CUDA."""

    result: Any = None  # None when the call was stopped
    requests: list[str] = field(default_factory=list)  # "ex06_validation.py, line 12", one per request
    pretended: bool = False  # True: this machine has no CUDA, torch only said it had

    def facts(self) -> dict:
        return {"cuda_requests": list(self.requests), "pretended": self.pretended}


def offer_cuda(call: Callable[[], Any]) -> Offered:
    """Run ``call`` with CUDA available: pretended on a machine without it, real otherwise."""
    if torch.cuda.is_available():
        return Offered(result=call())
    offered = Offered(pretended=True)
    with _pretended_cuda(offered.requests):
        try:
            offered.result = call()
        except _CudaRequested:
            offered.result = None
    return offered


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
             _("When device is None use device = next({model}.parameters()).device; \"cuda when available\" is "
               "the rule only for fit_lenet and load_checkpoint, which build their own model.").format(model=model),
             tag=Tag.WRONG_DEVICE_RULE)


def expect_cuda_rule(facts: dict, devices_seen: list[str], checked: str, hint: str) -> None:
    """Rule B: device=None, CUDA available, so the code must ask for CUDA."""
    if asked_for_cuda(facts, devices_seen) is None:
        fail(_("{checked}, {situation}").format(checked=checked, situation=offered_situation(facts)),
             _("the model on CUDA, because {rule}").format(rule=_(CUDA_RULE)),
             _("everything stayed on {devices}: your code never asked for CUDA").format(
                 devices=sorted(set(devices_seen)) or ["cpu"]),
             hint, tag=Tag.WRONG_DEVICE_RULE)


@contextlib.contextmanager
def _pretended_cuda(requests: list[str]) -> Iterator[None]:
    """torch.cuda (and torch.accelerator) say one CUDA device exists; asking for it records and stops."""
    cuda = torch.cuda
    accelerator = getattr(torch, "accelerator", None)

    def stop(*args: Any, **kwargs: Any) -> Any:
        requests.append(_where(sys._getframe(1)))
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
