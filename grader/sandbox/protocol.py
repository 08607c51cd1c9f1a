"""What the process running a student's code may tell the grader: observations, never verdicts.

A probe ends in one :class:`ProbeEvent`: its observations, or why there are
none (a stub not started, a missing name, an exception, a failed probe, an
exit, memory exhausted). The child writes it as a frame
``{"kind": "case", "index": N, "event": KIND, **fields}``; the parent reads it
back with :func:`decode_case`, which accepts exactly the fields of that kind
with the types they must have, and raises :class:`ProtocolError` for anything
else: an ``outcome``, a score or ``passed`` field, an unknown kind, a wrong or
repeated index. The parent alone turns an event into an outcome
(:func:`grader.sandbox.runner.verdict`), and only an ``observed`` event, judged
by the check's judge in the parent, can earn points.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.engine.api import Message
from grader.engine.model import Tag

# The tags an exception that escaped the student's code may carry (see loading.exception_tag).
RAISED_TAGS = frozenset({Tag.EXCEPTION, Tag.REFUSED, Tag.HARD_CODED_DEVICE})
# The tags of a file that could not be imported (loading.LoadError).
LOAD_TAGS = RAISED_TAGS | {Tag.MISSING_FILE, Tag.SYNTAX_ERROR, Tag.NOT_STARTED, Tag.TIMEOUT, Tag.CRASHED}
MAX_TEXT = 20_000
MAX_NAMES = 64


class ProtocolError(Exception):
    """A frame from the child that is not an observation of the case the grader waits for."""


@dataclass(frozen=True)
class ProbeEvent:
    """How one probe ended, as the child saw it. ``fields`` per ``kind``: see :data:`EVENT_FIELDS`."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_FIELDS or set(self.fields) != set(EVENT_FIELDS[self.kind]):
            raise ProtocolError(f"not an event: {self.kind!r} with fields {sorted(self.fields)}")

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


def observed(observations: Any, duration: float) -> ProbeEvent:
    return ProbeEvent("observed", {"observations": observations, "duration": float(duration)})


def not_started(todo: str) -> ProbeEvent:
    return ProbeEvent("not_started", {"todo": todo})


def missing(names: list[str]) -> ProbeEvent:
    return ProbeEvent("missing", {"names": list(names)})


def raised(message: Message, tag: Tag) -> ProbeEvent:
    return ProbeEvent("raised", {"message": dataclasses.asdict(message), "tag": tag.value})


def load_failed(text: str, tag: Tag, message: Message | None = None) -> ProbeEvent:
    fields = dataclasses.asdict(message) if message is not None else None
    return ProbeEvent("load_failed", {"text": text, "tag": tag.value, "message": fields})


def withheld(reason: str) -> ProbeEvent:
    """Only in the student bundle, in-process: a check that needs a model the bundle does not ship.

    Never accepted from a child (:data:`WIRE_EVENTS`): a skipped case counts no points either way.
    """
    return ProbeEvent("withheld", {"reason": reason})


def probe_failed(message: Message, tag: Tag) -> ProbeEvent:
    return ProbeEvent("probe_failed", {"message": dataclasses.asdict(message), "tag": tag.value})


def exited(code: Any) -> ProbeEvent:
    return ProbeEvent("exited", {"code": repr(code)[:200]})


def out_of_memory() -> ProbeEvent:
    return ProbeEvent("out_of_memory", {})


def crashed(error: str) -> ProbeEvent:
    return ProbeEvent("crashed", {"error": error[:200]})


def encode_case(index: int, event: ProbeEvent) -> dict[str, Any]:
    """The frame the child sends for case ``index``."""
    return {"kind": "case", "index": index, "event": event.kind, **event.fields}


def decode_case(frame: dict[str, Any], index: int) -> ProbeEvent:
    """The event of case ``index`` in ``frame``; :class:`ProtocolError` for any other frame."""
    if frame.get("kind") != "case":
        raise ProtocolError(f"expected the report of case {index}, got a frame of kind {frame.get('kind')!r}")
    got = frame.get("index")
    if type(got) is not int or got != index:
        raise ProtocolError(f"expected the report of case {index}, got one for case {got!r}")
    kind = frame.get("event")
    if kind not in WIRE_EVENTS:
        raise ProtocolError(f"unknown event {kind!r}")
    names = set(frame) - {"kind", "index", "event"}
    if names != set(EVENT_FIELDS[kind]):
        raise ProtocolError(f"event {kind!r} with fields {sorted(names)}, expected {sorted(EVENT_FIELDS[kind])}")
    fields = {name: frame[name] for name in names}
    for name, valid in EVENT_FIELDS[kind].items():
        if not valid(fields[name]):
            raise ProtocolError(f"event {kind!r}: field {name!r} is not valid")
    return ProbeEvent(kind, fields)


def decode_control(frame: dict[str, Any]) -> tuple[str, list[str]]:
    """``("imported", [])`` or ``("tampered", names)``: the two frames that are not about one case."""
    if frame == {"kind": "imported"}:
        return "imported", []
    if set(frame) == {"kind", "names"} and frame["kind"] == "tampered" and _names(frame["names"]):
        return "tampered", list(frame["names"])
    raise ProtocolError(f"unexpected frame of kind {frame.get('kind')!r} with fields {sorted(frame)}")


def _text(value: Any) -> bool:
    return type(value) is str and len(value) <= MAX_TEXT


def _names(value: Any) -> bool:
    return type(value) is list and len(value) <= MAX_NAMES and all(_text(v) for v in value)


def _duration(value: Any) -> bool:
    return type(value) is float and math.isfinite(value) and value >= 0


def _tag_in(allowed: frozenset[Tag] | None) -> Callable[[Any], bool]:
    def valid(value: Any) -> bool:
        if type(value) is not str or value not in Tag._value2member_map_:
            return False
        return allowed is None or Tag(value) in allowed

    return valid


def _message(value: Any) -> bool:
    """The fields of a :class:`Message` (whatever they are today): texts, or lists of texts (its hints)."""
    if type(value) is not dict or not all(type(k) is str and (_text(v) or _texts(v)) for k, v in value.items()):
        return False
    try:
        Message(**value)
    except TypeError:
        return False
    return True


def _texts(value: Any) -> bool:
    return type(value) in (list, tuple) and len(value) <= MAX_NAMES and all(_text(v) for v in value)


def _message_or_none(value: Any) -> bool:
    return value is None or _message(value)


def _anything(value: Any) -> bool:
    return True  # observations are judged, whatever they are


EVENT_FIELDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "observed": {"observations": _anything, "duration": _duration},
    "not_started": {"todo": _text},
    "missing": {"names": _names},
    "raised": {"message": _message, "tag": _tag_in(RAISED_TAGS)},
    "load_failed": {"text": _text, "tag": _tag_in(LOAD_TAGS), "message": _message_or_none},
    "withheld": {"reason": _text},
    "probe_failed": {"message": _message, "tag": _tag_in(None)},
    "exited": {"code": _text},
    "out_of_memory": {},
    "crashed": {"error": _text},
}
# What a child may send: every event but "withheld", which only the student bundle's in-process runner makes.
WIRE_EVENTS = frozenset(EVENT_FIELDS) - {"withheld"}
