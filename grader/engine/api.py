"""The API check modules are written with.

A check is a *probe* and a *judge*. The probe runs next to the student's code
(possibly in a child process): it calls that code and returns observations —
tensors, numbers, booleans, short strings. The judge runs in the grader's own
process: it rebuilds the case's inputs from the seed, computes what is
expected with PyTorch or the grader's own collaborators, and compares. A
student's code can therefore never change how it is judged.

    EXERCISE = Exercise("ex01_tensors")

    @EXERCISE.check(points=2, needs=("scale_",))
    def scale_in_place(ex, case):
        '''scale_ multiplies in place and returns the same tensor.'''
        t = case.randn(3, 4)
        out = ex.scale_(t, 2.5)
        return {"same": out is t, "values": t}

    @scale_in_place.judge
    def _judge(obs, case):
        expect_true(obs["same"], "scale_(t, 2.5)", _("the same tensor object back"), ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

import torch

from grader.engine.i18n import _
from grader.engine.model import Message, Tag

Observations = Mapping[str, Any]
ProbeFn = Callable[[ModuleType, "Case"], Observations]
JudgeFn = Callable[[Observations, "Case"], None]
StandIn = Callable[[], ModuleType]

DEVICES = ("cpu", "cuda")
DEFAULT_TIMEOUT = 20.0


class CheckFailed(Exception):
    """Raised by a judge (or a probe) when the student's code is wrong."""

    def __init__(self, message: Message, tag: Tag = Tag.WRONG_VALUE) -> None:
        super().__init__(message.render())
        self.message = message
        self.tag = tag


def raised_by_stub(exc: BaseException) -> bool:
    """Whether ``exc`` is a stub's own ``raise NotImplementedError("...")``, not one from PyTorch or a library.

    The stub's raise is the innermost frame of the traceback, outside torch and the grader, and its
    message is a string written in that very function. PyTorch's own NotImplementedError ("Cannot copy
    out of meta tensor") fails this test: its message is not in the learner's code.
    """
    if not isinstance(exc, NotImplementedError) or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return False
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return exc.args[0] in code.co_consts and not _is_library(code.co_filename)


def _is_library(filename: str) -> bool:
    """A file of torch, of the grader or of an installed package."""
    path = Path(filename).resolve()
    roots = (Path(torch.__file__).resolve().parent, Path(__file__).resolve().parents[1])
    return any(path.is_relative_to(root) for root in roots) or "site-packages" in path.parts


class RegistrationError(Exception):
    """A check module that breaks the rules of this API (for example a check without a judge)."""

    def __init__(self, check: "Check") -> None:
        super().__init__(
            f"{check.exercise}::{check.name} has no judge: every check needs one (@{check.name}.judge), "
            "because only a judge in the grader's process may pass a check"
        )
        self.check = check


@dataclass(frozen=True)
class Case:
    """One run of one check: on which device, with which seed."""

    exercise: str
    check: str
    device: str
    seed: int

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.device)

    def generator(self, offset: int = 0) -> torch.Generator:
        """A private RNG, so the student's use of the global RNG changes nothing."""
        return torch.Generator().manual_seed(self.seed + offset)

    def randn(self, *shape: int, offset: int = 0) -> torch.Tensor:
        return torch.randn(*shape, generator=self.generator(offset))

    def rand(self, *shape: int, offset: int = 0) -> torch.Tensor:
        return torch.rand(*shape, generator=self.generator(offset))


@dataclass
class Check:
    """A registered check: metadata, a probe and its judge.

    ``needs``: the names of the student's module the probe uses, in the order it first calls them.
    While every one of them is still the stub's ``raise NotImplementedError("...")``, the runners
    report the check "not started" with the first one's message without running the probe.
    """

    exercise: str
    name: str
    points: float
    probe: ProbeFn
    judge_fn: JudgeFn | None = None
    needs: tuple[str, ...] = ()
    per_device: bool = False
    timeout: float = DEFAULT_TIMEOUT
    seed: int = 0
    hidden: bool = False

    @property
    def doc(self) -> str:
        """The first line of the probe's docstring, translated (``python -m grader catalogs`` extracts it)."""
        text = (self.probe.__doc__ or self.name).strip()
        return _(text.splitlines()[0])

    def judge(self, fn: JudgeFn) -> JudgeFn:
        """Decorator: attach the judge to this check."""
        self.judge_fn = fn
        return fn

    def devices(self) -> tuple[str, ...]:
        return DEVICES if self.per_device else ("cpu",)

    def cases(self) -> list[Case]:
        return [Case(self.exercise, self.name, d, self.seed) for d in self.devices()]

    def validate(self) -> None:
        """Raise :class:`RegistrationError` unless the check can be judged."""
        if self.judge_fn is None:
            raise RegistrationError(self)


@dataclass(frozen=True)
class Calibration:
    """How a training check's threshold was chosen, so it can be measured again.

    ``python -m grader calibrate EXERCISE --seeds N`` runs the check's own probe
    on the reference solution and on ``undertrained(reference_module)`` (a
    deliberately weak variant: too few steps, a tiny learning rate, no
    training) for N seeds, and prints ``metric`` for both. The threshold must
    sit between the two, with a margin.
    """

    check: str
    metric: Callable[[Observations, "Case"], float]
    threshold: float
    undertrained: Callable[[ModuleType], Any]
    higher_is_better: bool = True


@dataclass
class Exercise:
    """The checks of one exercise module, in the order they were declared.

    ``stand_ins`` maps a sibling module the student's file may import (for
    example ``ex05_dropout`` from ``ex07_checkpoint``) to a factory of the
    grader's own version, so a mistake in one exercise never costs points in
    another.
    """

    name: str
    stand_ins: Mapping[str, StandIn] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    hidden: bool = False
    calibrations: list[Calibration] = field(default_factory=list)

    def calibrated(self, calibration: Calibration) -> Calibration:
        """Register how one of this exercise's thresholds is calibrated."""
        self.calibrations.append(calibration)
        return calibration

    def check(
        self,
        points: float = 1.0,
        *,
        needs: tuple[str, ...] = (),
        per_device: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        seed: int = 0,
    ) -> Callable[[ProbeFn], Check]:
        """Decorator: register a probe as a check of this exercise."""

        def register(probe: ProbeFn) -> Check:
            check = Check(
                exercise=self.name,
                name=probe.__name__,
                points=points,
                probe=probe,
                needs=needs,
                per_device=per_device,
                timeout=timeout,
                seed=seed or _stable_seed(self.name, probe.__name__),
                hidden=self.hidden,
            )
            self.checks.append(check)
            return check

        return register


def _stable_seed(exercise: str, name: str) -> int:
    """A fixed seed per check that does not depend on Python's hash salt."""
    return sum((i + 1) * ord(c) for i, c in enumerate(f"{exercise}:{name}")) % 100_003
