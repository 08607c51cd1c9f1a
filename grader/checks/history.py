"""The training history shared by ex06 ``train`` and ex09 ``fit_lenet``: one dict per epoch.

Not an exercise (the registry only loads ``exNN_*`` modules): a probe helper
that records a history as plain data, and the judge that checks its form.
"""

from __future__ import annotations

from typing import Any

from grader.engine.expect import expect_equal, fail
from grader.engine.i18n import _
from grader.engine.model import Tag

HISTORY_KEYS = ["epoch", "test_accuracy", "test_loss", "train_loss"]


def history_facts(history: Any) -> dict[str, Any]:
    """Probe side: the history's type and, per row, its keys, value types and numbers."""
    facts: dict[str, Any] = {"history_type": type(history).__name__}
    if isinstance(history, list):
        facts["rows"] = [
            {"keys": sorted(str(k) for k in row),
             "types": {str(k): type(v).__name__ for k, v in row.items()},
             "values": {str(k): v for k, v in row.items() if type(v) in (int, float)}}
            if isinstance(row, dict) else {"not_a_dict": type(row).__name__}
            for row in history
        ]
    return facts


def expect_history(obs: Any, checked: str, epochs: int) -> list[dict]:
    """Judge side: a list of ``epochs`` dicts with exactly the contract's keys; returns their numbers."""
    expect_equal(obs["history_type"], "list", _("{checked}: the type of the history returned").format(checked=checked),
                 _("Start with history = [] and history.append({...}) once per epoch; return "
                   "history."),
                 tag=Tag.WRONG_TYPE)
    rows = obs["rows"]
    expect_equal(len(rows), epochs, _("{checked}: the number of entries in the history").format(checked=checked),
                 _("Append exactly one dict per epoch."))
    for k, row in enumerate(rows, start=1):
        where = f"{checked}: history[{k - 1}]"
        if "not_a_dict" in row:
            fail(where, _("a dict"), _("a {not_a_dict}").format(not_a_dict=row['not_a_dict']), _('Append a dict: {"epoch": ..., '
                                                              '"train_loss": ...}.'))
        expect_equal(row["keys"], HISTORY_KEYS, _("{where}: its keys").format(where=where),
                     _('Use exactly the keys "epoch", "train_loss", "test_loss", "test_accuracy".'))
        expect_equal(row["types"]["epoch"], "int", _('{where}["epoch"]: its type').format(where=where), _("Use the loop's Python int."),
                     tag=Tag.WRONG_TYPE)
        expect_equal(row["values"]["epoch"], k, where + "[\"epoch\"]",
                     _("Count epochs from 1: for epoch in range(1, epochs + 1)."))
        for key in ("train_loss", "test_loss", "test_accuracy"):
            expect_equal(row["types"][key], "float", _('{where}["{key}"]: its type').format(where=where, key=key),
                         _("Store Python floats: use .item() on tensors."), tag=Tag.WRONG_TYPE)
    return [row["values"] for row in rows]
