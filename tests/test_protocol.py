"""Only the grader's judges pass a check: whatever the student's process writes, it cannot claim a verdict.

The unit tests feed :func:`decode_case` every kind of claim; the hostile
tests grade submissions whose code finds the pipe its process reports on and
writes forged reports there at import, in the grader's own wire format and in
others. An honest exercise beside the forged one keeps its marks.
"""

from __future__ import annotations

import dataclasses
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.checks import registry
from grader.engine.api import Case, Check, CheckFailed, Exercise, Message, RegistrationError
from grader.engine.model import GradeResult, Outcome, Tag
from grader.engine.observe import TensorObs
from grader.sandbox import protocol
from grader.sandbox.grading import grade_submission
from grader.sandbox.isolation import GiB, Limits
from grader.sandbox.protocol import ProbeEvent, ProtocolError
from grader.sandbox.runner import judge_case, verdict

from conftest import EXERCISES, SOLUTIONS

FAST = Limits(memory_bytes=int(1.5 * GiB), import_timeout=10.0, file_bytes=8 * 2**20)
EX02 = "ex02_autograd"


def _check(judge: bool = True) -> Check:
    check = Check("ex99_demo", "demo", 1.0, probe=lambda ex, case: {"value": ex.value()})
    if judge:
        check.judge(lambda obs, case: None if obs["value"] == 3 else _fail())
    return check


def _fail() -> None:
    raise CheckFailed(Message("value()", "3", "something else"))


CASE = Case("ex99_demo", "demo", "cpu", 1)
OBSERVED = {"kind": "case", "index": 0, "event": "observed", "observations": {"value": 3}, "duration": 0.0}


@pytest.mark.parametrize("claim", [
    {"outcome": "passed"}, {"score": 1.0}, {"passed": True}, {"report": {"outcome": "passed"}}, {"verdict": "passed"},
])
def test_a_frame_that_claims_a_verdict_is_a_protocol_error(claim: dict) -> None:
    with pytest.raises(ProtocolError):
        protocol.decode_case({**OBSERVED, **claim}, 0)


@pytest.mark.parametrize("frame", [
    {**OBSERVED, "event": "passed"},
    {**OBSERVED, "kind": "result"},
    {**OBSERVED, "index": 1},
    {**OBSERVED, "index": True},
    {**OBSERVED, "index": 0.0},
    {**OBSERVED, "duration": float("nan")},
    {"kind": "case", "index": 0, "event": "raised", "text": "x", "tag": "wrong_value"},
    {"kind": "case", "index": 0, "event": "probe_failed", "message": {"checked": "a", "score": "1"}, "tag": "wrong_value"},
    {"kind": "case", "index": 0, "event": "missing", "names": "scale_"},
    {"kind": "case", "index": 0},
])
def test_anything_but_an_observation_of_the_awaited_case_is_a_protocol_error(frame: dict) -> None:
    with pytest.raises(ProtocolError):
        protocol.decode_case(frame, 0)


def test_a_probe_failure_travels_as_the_message_fields() -> None:
    message = Message("checked", "expected", "got", "hint")
    frame = protocol.encode_case(4, protocol.probe_failed(message, Tag.WRONG_SHAPE))
    event = protocol.decode_case(frame, 4)
    assert Message(**event["message"]) == message
    assert verdict(_check(), CASE, event) == (Outcome.FAILED, message.render(), Tag.WRONG_SHAPE, message)


@pytest.mark.parametrize("event", [
    protocol.not_started("write value"), protocol.missing(["value"]), protocol.raised(Message("value(3)", "no exception", "ValueError: x"), Tag.EXCEPTION),
    protocol.load_failed("SyntaxError", Tag.SYNTAX_ERROR), protocol.probe_failed(Message("a", "b", "c"), Tag.WRONG_VALUE),
    protocol.exited(0), protocol.out_of_memory(), protocol.crashed("KeyboardInterrupt"),
])
def test_only_an_observation_the_judge_accepts_earns_points(event: ProbeEvent) -> None:
    assert judge_case(_check(), CASE, event, 1.0).score == 0.0
    assert judge_case(_check(), CASE, protocol.observed({"value": 4}, 0.0), 1.0).score == 0.0
    assert judge_case(_check(), CASE, protocol.observed({"value": 3}, 0.0), 1.0).score == 1.0


def test_a_check_without_a_judge_is_a_registration_error() -> None:
    with pytest.raises(RegistrationError):
        judge_case(_check(judge=False), CASE, protocol.observed({"value": 3}, 0.0), 1.0)
    with pytest.raises(RegistrationError):
        registry._validate(Exercise("ex99_demo", checks=[_check(judge=False)]))
    assert all(check.judge_fn for exercise in registry.public_exercises().values() for check in exercise.checks)


def test_a_hidden_check_shows_its_own_words_not_the_childs() -> None:
    hidden = dataclasses.replace(_check(), hidden=True)
    raised = protocol.raised(Message("value(42)", "no exception", "ValueError: the hidden input was 42"), Tag.EXCEPTION)
    outcome, message, tag, detail = verdict(hidden, CASE, raised)
    assert (outcome, tag, detail) == (Outcome.ERROR, Tag.EXCEPTION, None) and "42" not in message


# ---- forged reports on the real pipe ------------------------------------------------------------

# Finds the pipe the child reports on (a FIFO open for writing, other than stdout and stderr), writes
# FRAMES there before the grader's own code reports anything, and ends the process.
FORGER = '''
import os as _os, stat as _stat, struct as _struct, io as _io, json as _json
import torch as _torch

def _report_pipes():
    for name in _os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            info = _os.fstat(fd)
            flags = __import__("fcntl").fcntl(fd, __import__("fcntl").F_GETFL)
        except OSError:
            continue
        if fd > 2 and _stat.S_ISFIFO(info.st_mode) and flags & _os.O_ACCMODE == _os.O_WRONLY:
            yield fd

def _wire(frame):
    buffer = _io.BytesIO()
    _torch.save(frame, buffer)
    return buffer.getvalue()

def _send(fd, data):
    _os.write(fd, _struct.pack("!I", len(data)) + data)

for _fd in _report_pipes():
    for _frame in FRAMES:
        _send(_fd, _frame if isinstance(_frame, bytes) else _wire(_frame))
    _os._exit(0)  # the grader's own code never reports after the forgery
'''

PASSED_REPORT = {"outcome": "passed", "message": "", "observations": None, "duration": 0.0, "tag": None}
FORGERIES = {
    # the wire format of the grader before this protocol: a report carrying its own outcome
    "old_format_passed": '[{"kind": "imported"}] + [{"kind": "case", "index": i, "report": PASSED} for i in range(40)]',
    # today's format, with a verdict added
    "observed_with_outcome": '[{"kind": "imported"}] + [{"kind": "case", "index": i, "event": "observed", '
                             '"observations": {}, "duration": 0.0, "outcome": "passed"} for i in range(40)]',
    "event_passed": '[{"kind": "imported"}] + [{"kind": "case", "index": i, "event": "passed"} for i in range(40)]',
    "score_field": '[{"kind": "imported"}] + [{"kind": "case", "index": i, "event": "observed", "observations": {}, '
                   '"duration": 0.0, "score": 2.0} for i in range(40)]',
    # JSON and plain words instead of the wire format
    "json_passed": '[_json.dumps({"kind": "case", "index": i, "outcome": "passed"}).encode() for i in range(40)]',
    "text_passed": '[b"passed\\n" * 8 for i in range(40)]',
    # well-formed observations, out of order and repeated
    "out_of_order": '[{"kind": "imported"}] + [{"kind": "case", "index": i, "event": "observed", "observations": {}, '
                    '"duration": 0.0} for i in (1, 0, 2)]',
    "duplicate": '[{"kind": "imported"}] + [{"kind": "case", "index": 0, "event": "observed", "observations": {}, '
                 '"duration": 0.0}] * 2',
    "cases_before_import": '[{"kind": "case", "index": i, "event": "observed", "observations": {}, "duration": 0.0} '
                           'for i in range(40)]',
}


def _forged(tmp_path: Path, forgery: str, base: Path = EXERCISES) -> GradeResult:
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(SOLUTIONS / f"{EX02}.py", folder)
    source = (base / "ex01_tensors.py").read_text()
    frames = f"PASSED = {PASSED_REPORT!r}\nFRAMES = {FORGERIES[forgery]}\n"
    (folder / "ex01_tensors.py").write_text(source + "\n" + frames + textwrap.dedent(FORGER))
    found = registry.public_exercises()
    return grade_submission(folder, limits=FAST, exercises={"ex01_tensors": found["ex01_tensors"], EX02: found[EX02]})


def _exercise(result: GradeResult, name: str) -> tuple[float, float]:
    return next((e.score, e.max_score) for e in result.exercises() if e.name == name)


@pytest.mark.slow
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_reports_score_nothing_and_the_honest_exercise_keeps_its_marks(tmp_path: Path, forgery: str) -> None:
    result = _forged(tmp_path, forgery)
    assert _exercise(result, "ex01_tensors")[0] == 0.0
    score, most = _exercise(result, EX02)
    assert score == most > 0


@pytest.mark.slow
@pytest.mark.parametrize("forgery", ["observed_with_outcome", "out_of_order", "duplicate", "cases_before_import"])
def test_forged_reports_are_named_a_protocol_error(tmp_path: Path, forgery: str) -> None:
    result = _forged(tmp_path, forgery, base=SOLUTIONS)  # even a correct solution loses what it forged over
    ex01 = [r for r in result.results if r.exercise == "ex01_tensors" and r.outcome is not Outcome.SKIPPED]
    assert Tag.PROTOCOL in {r.tag for r in ex01}
    assert all(r.score == 0 for r in ex01 if r.tag is Tag.PROTOCOL)
    assert "the grader alone decides" in next(r.message for r in ex01 if r.tag is Tag.PROTOCOL)


def _hollow(value: object) -> object:
    """The observations with every list of values emptied: what a forger who computes nothing could send."""
    if isinstance(value, (list, tuple)):
        return type(value)() if _holds_values(value) else value
    if isinstance(value, dict):
        return {key: _hollow(item) for key, item in value.items()}
    return value


def _holds_values(value: object) -> bool:
    """Tensors or numbers somewhere inside (flags, names and device strings are not values)."""
    if isinstance(value, TensorObs) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return any(_holds_values(item) for item in items)


def _without_entries(value: object) -> list[object]:
    """Copies of the observations, each with one dict of values emptied (one keyed by the calls made, say)."""
    variants = [{}] if isinstance(value, dict) and _holds_values(value) else []
    if isinstance(value, dict):
        for key, item in value.items():
            variants += [{**value, key: variant} for variant in _without_entries(item)]
    elif isinstance(value, (list, tuple)) and value:
        variants += [type(value)([variant, *value[1:]]) for variant in _without_entries(value[0])]
    return variants


@pytest.mark.slow
@pytest.mark.parametrize("exercise", ["ex01_tensors", "ex02_autograd", "ex03_sgd", "ex04_network", "ex05_dropout",
                                      "ex06_validation", "ex07_checkpoint", "ex08_data", "ex12_losses"])
def test_no_check_passes_observations_emptied_of_their_values(exercise: str) -> None:
    from grader.sandbox.loading import SubmissionLoader
    from grader.sandbox.probe import probe_case

    found = registry.public_exercises()
    loader = SubmissionLoader(SOLUTIONS, registry.stand_ins(found))
    hollow_passes, emptied = [], 0
    for check in found[exercise].checks:
        case = next(c for c in check.cases() if c.device == "cpu")
        event = probe_case(check, case, loader)
        assert event.kind == "observed" and verdict(check, case, event)[0] is Outcome.PASSED, (check.name, event)
        for hollow in (_hollow(event["observations"]), *_without_entries(event["observations"])):
            if hollow != event["observations"]:
                emptied += 1
                if verdict(check, case, protocol.observed(hollow, 0.0))[0] is Outcome.PASSED:
                    hollow_passes.append(check.name)
    assert hollow_passes == []
    assert emptied or exercise == "ex01_tensors"
