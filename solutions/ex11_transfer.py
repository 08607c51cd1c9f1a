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
    # BEGIN SOLUTION
    for param in model.parameters():
        param.requires_grad_(False)  # autograd will compute no gradient for it
    return model
    # END SOLUTION


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
    # BEGIN SOLUTION
    # modules() yields the classifier itself first, so this finds the Linear
    # whether the old classifier is a Linear or a Sequential starting with one.
    old_linear = next(m for m in model.classifier.modules() if isinstance(m, nn.Linear))
    in_features = old_linear.in_features
    freeze_(model)  # freeze first: the head created below must stay trainable
    head = nn.Sequential(
        OrderedDict(
            fc1=nn.Linear(in_features, hidden),
            relu=nn.ReLU(),
            fc2=nn.Linear(hidden, num_classes),
            output=nn.LogSoftmax(dim=1),  # log-probabilities, to pair with nn.NLLLoss
        )
    )
    # New layers are created on the CPU; put them where the old head lived.
    model.classifier = head.to(old_linear.weight.device)
    return model
    # END SOLUTION


def replace_alexnet_head(model: nn.Module, num_classes: int = 10) -> nn.Module:
    """Replace AlexNet's last layer ``model.classifier[6]`` by ``Linear(in_features, num_classes)``.

    ``in_features`` is read from the old layer (4096 in torchvision's
    AlexNet). Nothing else changes (no freezing). Return ``model``.
    """
    # BEGIN SOLUTION
    old = model.classifier[6]
    model.classifier[6] = nn.Linear(old.in_features, num_classes).to(old.weight.device)
    return model
    # END SOLUTION


def head_optimizer(model: nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    """Return ``torch.optim.Adam`` over the trainable parameters of ``model.classifier`` only.

    "Trainable" means ``requires_grad`` is True. Parameters outside
    ``model.classifier`` are not handed to the optimiser at all.
    """
    # BEGIN SOLUTION
    # Giving the optimiser only the head's parameters guarantees the frozen
    # body is never touched, whatever the optimiser does (e.g. weight decay).
    trainable = [p for p in model.classifier.parameters() if p.requires_grad]
    return torch.optim.Adam(trainable, lr=lr)
    # END SOLUTION


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
    # BEGIN SOLUTION
    if device is None:
        device = next(model.parameters()).device
    model.to(device)  # in place: the optimiser's parameter references stay valid
    model.train()
    inputs, labels = inputs.to(device), labels.to(device)
    optimizer.zero_grad()
    loss = criterion(model(inputs), labels)
    loss.backward()  # frozen parameters get no .grad, so no optimiser can move them
    optimizer.step()
    return loss.item()
    # END SOLUTION
