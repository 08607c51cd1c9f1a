"""Exercise 11 - transfer learning: reusing a network by replacing its head.

A network trained on ImageNet has learnt general visual features. To solve a
new task with few images, keep those features fixed (freeze the parameters:
``requires_grad=False``) and replace only the final classifier with a new,
trainable one sized for the new classes. You freeze a model, swap the heads
of DenseNet and AlexNet, build an optimiser that only sees the new head, and
write one training step in which only the head changes.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor, nn


def freeze_(model: nn.Module) -> nn.Module:
    """Set ``requires_grad=False`` on every parameter of ``model``, in place; return ``model``."""
    raise NotImplementedError("write ex11_transfer.freeze_")


def replace_densenet_classifier(model: nn.Module, num_classes: int = 2, hidden: int = 500) -> nn.Module:
    """Freeze ``model`` and give it a new trainable classifier; return ``model``.

    ``model`` is a DenseNet (e.g. ``torchvision.models.densenet121``) whose
    ``classifier`` is an ``nn.Linear``. Read its number of input features
    ``in_features`` (1024 for densenet121; do not hard-code it), freeze the
    model, then set::

        model.classifier = nn.Sequential(OrderedDict(
            fc1=Linear(in_features, hidden), relu=ReLU(),
            fc2=Linear(hidden, num_classes), output=LogSoftmax(dim=1)))

    The new layers are created after freezing, so they are trainable.
    """
    raise NotImplementedError("write ex11_transfer.replace_densenet_classifier")


def replace_alexnet_head(model: nn.Module, num_classes: int = 10) -> nn.Module:
    """Replace AlexNet's last layer ``model.classifier[6]`` by ``Linear(in_features, num_classes)``.

    ``in_features`` is read from the old layer (4096 in torchvision's
    AlexNet). Nothing else changes (no freezing). Return ``model``.
    """
    raise NotImplementedError("write ex11_transfer.replace_alexnet_head")


def head_optimizer(model: nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    """Return ``torch.optim.Adam`` over the trainable parameters of ``model.classifier`` only.

    "Trainable" means ``requires_grad`` is True. Parameters outside
    ``model.classifier`` are not handed to the optimiser at all.
    """
    raise NotImplementedError("write ex11_transfer.head_optimizer")


def train_step(
    model: nn.Module,
    inputs: Tensor,
    labels: Tensor,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: str | torch.device | None = None,
) -> float:
    """Run one optimisation step on one batch and return its loss as a float.

    ``device=None`` means the device of the model's first parameter. Move the
    model, ``inputs`` and ``labels`` to ``device``, put the model in train
    mode, zero the gradients, compute ``criterion(model(inputs), labels)``,
    back-propagate and step the optimiser. Frozen parameters must not change;
    the trainable head does. The model stays in train mode.
    """
    raise NotImplementedError("write ex11_transfer.train_step")
