"""The check-writing API, for instructors' hidden checks and for the kit's own checks.

A hidden-check module is an ``exNN_topic.py`` file that defines ``EXERCISE``
(see ``tests/hidden_checks/``) and imports everything it needs from here::

    from grader.api import Exercise, expect_tensor, expect_true

Learner-facing texts go through ``_()`` so they can be translated
(``_("Expected {n} rows").format(n=n)``); without a catalog entry they show in English.
"""

from grader.engine.api import Calibration, Case, Check, CheckFailed, Exercise, Message, StandIn
from grader.engine.expect import (
    expect_at_least,
    expect_at_most,
    expect_close,
    expect_equal,
    expect_number,
    expect_tensor,
    expect_true,
    expect_type,
    fail,
    same_device,
)
from grader.engine.i18n import N_, _, ngettext
from grader.engine.model import Tag
from grader.engine.observe import TensorObs, describe

__all__ = [
    "Calibration", "Case", "Check", "CheckFailed", "Exercise", "Message", "StandIn",
    "expect_at_least", "expect_at_most", "expect_close", "expect_equal", "expect_number",
    "expect_tensor", "expect_true", "expect_type", "fail", "same_device", "Tag", "TensorObs", "describe",
    "_", "N_", "ngettext",
]
