"""The result model: plain data, no I/O. Every reporter reads these classes."""

from __future__ import annotations

import enum
from dataclasses import InitVar, dataclass, field, replace
from typing import Iterable

from grader.engine.i18n import N_, _


class Outcome(str, enum.Enum):
    """What happened to one check case, as a learner or instructor sees it."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not_started"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        """The outcome in words, in the language in use (``value`` is the machine-readable name)."""
        return _(_LABELS[self])


_LABELS = {
    Outcome.PASSED: N_("passed"),
    Outcome.FAILED: N_("failed"),
    Outcome.NOT_STARTED: N_("not started"),
    Outcome.ERROR: N_("error"),
    Outcome.TIMEOUT: N_("timeout"),
    Outcome.CRASHED: N_("crashed"),
    Outcome.SKIPPED: N_("skipped"),
}


class Tag(str, enum.Enum):
    """Why a check case did not pass: one tag per failure, set where the verdict is reached.

    The runner sets the first group (the student's code could not be judged);
    the judges set the rest (what was wrong with what came back). Reports
    count them to show which misconceptions a class has. ``Tag("wrong_shape")``
    finds a tag by its value; ``tag.meaning`` says what it means (in English, marked
    with ``N_``: show it as ``_(tag.meaning)``).
    """

    meaning: str

    def __new__(cls, value: str, meaning: str) -> "Tag":
        tag = str.__new__(cls, value)
        tag._value_ = value
        tag.meaning = meaning
        return tag

    # set by the runner and the isolated child
    NOT_STARTED = "not_started", N_("the code still raises NotImplementedError (an untouched stub)")
    MISSING_FILE = "missing_file", N_("the exercise's file is not in the submission")
    UNREADABLE_FILE = "unreadable_file", (
        N_("the exercise's file is in the submission but could not be graded (too large or unreadable)")
    )
    SYNTAX_ERROR = "syntax_error", N_("the file cannot be parsed")
    MISSING_NAME = "missing_name", N_("a function or class the check needs is not defined")
    EXCEPTION = "exception", N_("the student's code raised an exception")
    TIMEOUT = "timeout", N_("ran past the check's (or the import's) time limit")
    CRASHED = "crashed", N_("the process running the code died or exited (os._exit, signal, sys.exit)")
    OUT_OF_MEMORY = "out_of_memory", N_("used more memory than the grader allows")
    REFUSED = "refused", (
        N_("the sandbox refused an action (writing outside the work folder, reading the solutions, starting programs)")
    )
    TAMPERING = "tampering", N_("replaced functions of torch or the grader that judging relies on")
    PROTOCOL = "protocol", (
        N_("the process running the code sent the grader something other than observations (a forged verdict)")
    )
    # set by the judges
    WRONG_TYPE = "wrong_type", N_("a value of the wrong kind (not a tensor, number, module…) or unreadable")
    WRONG_SHAPE = "wrong_shape", N_("a tensor (or sequence) of the wrong shape or length")
    WRONG_DTYPE = "wrong_dtype", N_("a tensor of the wrong dtype")
    WRONG_DEVICE = "wrong_device", N_("a tensor, batch or model on a device other than the one asked for")
    HARD_CODED_DEVICE = "hard_coded_device", (
        N_("CUDA asked for on a machine without it: a fixed 'cuda', or a CUDA checkpoint loaded without map_location")
    )
    WRONG_DEVICE_RULE = "wrong_device_rule", (
        N_("a device picked by the wrong rule (CUDA assumed, the given one ignored)")
    )
    NOT_FINITE = "not_finite", N_("NaN or infinite values where the reference has finite ones (diverged training)")
    WRONG_VALUE = "wrong_value", N_("a value differs from the reference (the default for a failed comparison)")
    WRONG_ERROR = "wrong_error", N_("the error asked for was not raised, or another one was")
    WRONG_ARCHITECTURE = "wrong_architecture", N_("a model's layers (kinds, sizes, names, order) differ from the spec")
    WRONG_TRAINABLE = "wrong_trainable", N_("the wrong parameters are frozen or trainable (requires_grad)")
    NOT_IN_PLACE = "not_in_place", N_("asked to change a tensor or model in place, made a new one instead")
    INPUT_MODIFIED = "input_modified", N_("changed an argument the caller owns (its values, list or requires_grad)")
    STALE_GRAD = "stale_grad", N_("a .grad left on the caller's tensors, or not cleared between steps")
    GRAPH_BUILT = "graph_built", N_("autograd recorded a graph where none belongs (no torch.no_grad(), not detached)")
    GRAPH_BROKEN = "graph_broken", N_("no gradient path where one is needed (detached, .item(), a new tensor)")
    GRAD_MODE_LEAKED = "grad_mode_leaked", (
        N_("grad mode wrong during or after the call (set_grad_enabled not restored)")
    )
    GLOBAL_STATE_LEAKED = "global_state_leaked", N_("another torch global setting (the default dtype) left changed")
    MODE_NOT_RESTORED = "mode_not_restored", N_("a model in the wrong train/eval mode, during or after the call")
    FORBIDDEN_API = "forbidden_api", N_("called the PyTorch function the exercise asks you to write yourself")
    UNSAFE_LOAD = "unsafe_load", N_("a checkpoint saved or loaded in a way that runs pickled code (weights_only)")
    THRESHOLD_NOT_REACHED = "threshold_not_reached", (
        N_("accuracy or loss after training misses the calibrated threshold")
    )


# One hint, or a ladder of them from the gentlest to the most revealing (what a judge passes as ``hint``).
Hints = str | tuple[str, ...]

# Continuation lines of a rendered message line up under the text after "Got:      ".
_INDENT = " " * 10


@dataclass(frozen=True)
class Message:
    """A learner-facing explanation as data: what was checked, expected, got, hints, where.

    ``hints`` go from the gentlest to the most revealing; the rendered message shows the first,
    ``python -m grader hint`` the others. ``hint=`` (one hint, the first) keeps the older calls
    ``Message(checked, expected, got, hint)`` working. ``location``: where in the learner's code it
    happened (``at ex05_dropout.py, line 12, in forward``), or empty.
    """

    checked: str
    expected: str
    got: str
    hint: InitVar[str] = ""
    hints: tuple[str, ...] = ()
    location: str = ""

    def __post_init__(self, hint: str) -> None:
        object.__setattr__(self, "hints", tuple(h for h in (hint, *self.hints) if h))

    def render(self) -> str:
        lines = []
        if self.checked:
            lines.append(_("Checked:  {checked}").format(checked=self.checked))
        if self.expected:
            lines.append(_("Expected: {expected}").format(expected=self.expected))
        got = self.got.splitlines() or [""]
        lines.append(_("Got:      {got}").format(got=got[0]))
        lines += [_INDENT + line for line in got[1:]]
        if self.location:
            lines.append(_INDENT + self.location)
        if self.hints:
            lines.append(_("Hint:     {hint}").format(hint=self.hints[0]))
        return "\n".join(lines)

    def key(self) -> tuple[str, ...]:
        """What makes two failures the same cause: the same expected, got and place (not the same check)."""
        return (self.expected, self.got, self.location, *self.hints)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one case (one check on one device) of one exercise."""

    exercise: str
    check: str
    device: str | None
    outcome: Outcome
    score: float
    max_score: float
    message: str = ""
    output: str = ""
    hidden: bool = False
    duration: float = 0.0
    tag: Tag | None = None  # why it did not pass; None when passed or skipped
    detail: Message | None = None  # the message as data (``message`` is its rendering, or a plain text)
    same_as: str | None = None  # the case whose message this one repeats (its ``name``); ``message`` then says so

    @property
    def full_message(self) -> str:
        """The message in full even where ``same_as`` shortened it (for instructors' counts of messages)."""
        return self.detail.render() if self.same_as is not None and self.detail is not None else self.message

    @property
    def name(self) -> str:
        suffix = f"[{self.device}]" if self.device else ""
        return f"{self.exercise}::{self.check}{suffix}"

    @property
    def task_id(self) -> int:
        return exercise_number(self.exercise)


_REPEATABLE = (Outcome.FAILED, Outcome.ERROR, Outcome.TIMEOUT, Outcome.CRASHED)


def collapse_repeats(results: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """One cause, one message: a case failing for the same reason as an earlier one says so in one line."""
    collapsed: list[CheckResult] = []
    for result in results:
        collapsed.append(repeat_of(result, collapsed))
    return tuple(collapsed)


def repeat_of(result: CheckResult, earlier: Iterable[CheckResult]) -> CheckResult:
    """``result``, or its one-line form when one of ``earlier`` (same exercise) failed for the same reason."""
    if result.same_as is not None or result.outcome not in _REPEATABLE or not result.message:
        return result
    key = _cause(result)
    for first in earlier:
        if first.same_as is None and first.exercise == result.exercise and first.outcome is result.outcome \
                and _cause(first) == key:
            message = _("Same error as {name} (see there).").format(name=first.name)
            return replace(result, message=message, same_as=first.name)
    return result


def expand_repeats(results: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """The inverse of :func:`collapse_repeats`: each repeat with the message of the case it repeats."""
    results = tuple(results)
    first = {r.name: r.message for r in results if r.same_as is None}
    return tuple(replace(r, message=first[r.same_as]) if r.same_as in first else r for r in results)


def _cause(result: CheckResult) -> tuple[object, ...]:
    return (result.tag, *(result.detail.key() if result.detail else (result.message,)))


@dataclass(frozen=True)
class ExerciseScore:
    name: str
    score: float
    max_score: float
    outcomes: tuple[Outcome, ...]

    @property
    def status(self) -> str:
        """``done``, ``in progress`` or ``not started``: machine-readable, always English."""
        counted = [o for o in self.outcomes if o is not Outcome.SKIPPED]
        if counted and all(o is Outcome.NOT_STARTED for o in counted):
            return "not started"
        if all(o in (Outcome.PASSED, Outcome.SKIPPED) for o in self.outcomes):
            return "done"
        return "in progress"

    @property
    def status_label(self) -> str:
        """:attr:`status` in the language in use."""
        return status_label(self.status)


_STATUS_LABELS = {"done": N_("done"), "in progress": N_("in progress"), "not started": N_("not started")}


def status_label(status: str) -> str:
    """An exercise status (``done``, ``in progress``, ``not started``) in the language in use."""
    return _(_STATUS_LABELS[status])


@dataclass(frozen=True)
class GradeResult:
    """Everything one grading run found about one submission."""

    submission: str
    results: tuple[CheckResult, ...] = ()
    error: str | None = None
    duration: float = 0.0
    notes: dict[str, str] = field(default_factory=dict)  # per exercise: which file was graded, what was not run
    sandbox: tuple[str, ...] = ()  # the layers around the student's code (``landlock-abi7``, ``seccomp``...); () in-process
    graded_files: dict[str, str] = field(default_factory=dict)  # per exercise: the path graded, in the submission
    notices: tuple[str, ...] = ()  # about the submission as a whole: files ignored, refused, too large
    student_id: str = ""  # in a batch: the submission's id (its folder OUT/students/<id>/)
    student_name: str = ""  # in a batch: the submission's name in the class folder, as it was

    def __post_init__(self) -> None:
        # Every front end shows a repeated cause once: later cases point at the first.
        object.__setattr__(self, "results", collapse_repeats(self.results))

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.results), 6)

    def exercises(self) -> list[ExerciseScore]:
        names = sorted({r.exercise for r in self.results}, key=exercise_number)
        return [self._exercise(name) for name in names]

    def _exercise(self, name: str) -> ExerciseScore:
        mine = [r for r in self.results if r.exercise == name]
        return ExerciseScore(
            name=name,
            score=round(sum(r.score for r in mine), 6),
            max_score=round(sum(r.max_score for r in mine), 6),
            outcomes=tuple(r.outcome for r in mine),
        )


def exercise_number(name: str) -> int:
    """`ex05_dropout` -> 5; names that do not follow the pattern sort last."""
    digits = name[2:4]
    return int(digits) if name.startswith("ex") and digits.isdigit() else 99
