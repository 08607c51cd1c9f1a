"""What every training function of the contract leaves as it found it, judged one way for ex06, ex09 and ex10.

Not an exercise (the registry only loads ``exNN_*`` modules): judges for the
facts a training probe records after the call — the model's mode, torch's
global settings (:func:`torch_settings`, read on the probe's side) and the
caller's batches.
"""

from __future__ import annotations

from typing import Any

import torch

from grader.engine.expect import expect_equal, expect_true
from grader.engine.i18n import N_, _
from grader.engine.model import Tag

SETTINGS = {"grad_enabled": True, "default_dtype": "torch.float32"}  # as a training function must leave them
# The hints of a training step that went wrong, for every loop of the contract (translate with ladder()).
STEP_HINTS = (
    N_("Each batch is one training step: clear the old gradients, compute the loss on that batch, back-propagate "
       "it and step the optimizer, for every batch of every epoch."),
    N_("Order matters: optimizer.zero_grad() before loss.backward(), and optimizer.step() after it, once per "
       "batch."),
)


def torch_settings() -> dict[str, Any]:
    """Probe side: the global settings a training function must leave as :data:`SETTINGS`."""
    return {"grad_enabled": torch.is_grad_enabled(), "default_dtype": str(torch.get_default_dtype())}


def expect_train_mode_after(training: Any, checked: str, *, epochs_zero: bool = False) -> None:
    """The model comes back in train mode, also when ``epochs=0`` means the loop never ran."""
    hint = (_("Call model.train() after the epoch loop: with epochs=0 the loop never runs, and a training "
              "function still leaves the model in train mode.") if epochs_zero else
            _("End with model.train(): a training function leaves the model in train mode."))
    expect_equal(training, True, _("{checked}: model.training after it returned").format(checked=checked), hint,
                 tag=Tag.MODE_NOT_RESTORED)


def expect_settings_kept(settings: Any, checked: str) -> None:
    """Grad mode on and the default dtype float32 after the call, as they were before it."""
    expect_equal(settings, SETTINGS, _("{checked}: torch.is_grad_enabled() and torch.get_default_dtype() after "
                                       "it returned").format(checked=checked),
                 _("Use `with torch.no_grad():` for evaluation (not torch.set_grad_enabled(False)) and do not "
                   "change the default dtype."), tag=Tag.GLOBAL_STATE_LEAKED)


def expect_batches_unchanged(unchanged: Any, checked: str) -> None:
    """The images and labels of the batches the loaders gave are the same after the call."""
    expect_true(unchanged, _("{checked}: the images and labels of the batches").format(checked=checked),
                _("unchanged after the call"), _("they were modified"),
                _("Do not change the batches in place (no images.sub_(...) or similar): make new tensors."),
                tag=Tag.INPUT_MODIFIED)
