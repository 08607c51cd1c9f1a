"""Exercise 10 - a first convolutional classifier on CIFAR-10.

CIFAR-10 has small colour photos in 10 classes. You write the pieces of a
training set-up and keep them separate so each can be reused: a tiny network
(one convolution, then a fully connected layer over the flattened feature
maps), the input transform, the loss (cross-entropy), the optimiser (SGD with
momentum) and one training epoch that returns the mean loss per sample.

How it is graded: the grader trains its own copy of ``MyCNN(32)`` for 3
epochs of your ``train_epoch`` (batches of 64 images of the bundled CIFAR-10
fixture), with your ``make_loss()`` and ``make_optimizer(model)``, and needs
a test accuracy of at least 0.25 on the fixture's 1,000 test images (chance
is 0.10). SGD with ``lr=1e-3`` and ``momentum=0.9`` reaches it.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn
from torchvision import transforms

# Same constants as ex08_data (ImageNet channel statistics), repeated here so
# this exercise does not depend on another one.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class MyCNN(nn.Module):
    """One convolution and one linear layer for ``(N, 3, image_size, image_size)`` images.

    ``conv1 = Conv2d(3, 16, kernel_size=3)`` (no padding, so each side loses
    2 pixels: ``(N, 16, image_size-2, image_size-2)``) and
    ``fc = Linear(16 * (image_size - 2) ** 2, 10)``. ``forward`` applies
    ``conv1``, flattens each sample, applies ``fc``, returns logits ``(N, 10)``.
    """

    def __init__(self, image_size: int = 224) -> None:
        """Create ``conv1`` and ``fc`` for square images of side ``image_size``."""
        super().__init__()
        # BEGIN SOLUTION
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3)
        side = image_size - 2  # a 3x3 kernel without padding trims one pixel per border
        self.fc = nn.Linear(16 * side**2, 10)
        # END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """``(N, 3, S, S) -> (N, 10)``: ``conv1``, flatten per sample, ``fc``."""
        # BEGIN SOLUTION
        x = self.conv1(x)  # (N, 16, S-2, S-2)
        x = x.reshape(x.shape[0], -1)  # (N, 16, S-2, S-2) -> (N, 16*(S-2)**2)
        return self.fc(x)  # (N, 10)
        # END SOLUTION


def cifar10_transform(image_size: int = 224) -> transforms.Compose:
    """Return ``Compose([Resize(image_size), ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)])``.

    It maps a square RGB PIL image to a float tensor ``(3, image_size, image_size)``.
    """
    # BEGIN SOLUTION
    return transforms.Compose(
        [
            transforms.Resize(image_size),  # shorter side -> image_size (CIFAR images are square)
            transforms.ToTensor(),  # (H, W, C) in [0, 255] -> (C, H, W) in [0, 1]
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    # END SOLUTION


def make_loss() -> nn.Module:
    """Return the cross-entropy loss for logits and integer labels (mean over the batch)."""
    # BEGIN SOLUTION
    return nn.CrossEntropyLoss()
    # END SOLUTION


def make_optimizer(model: nn.Module) -> torch.optim.SGD:
    """Return ``torch.optim.SGD`` with momentum over all of ``model``'s parameters.

    Pick a learning rate and a momentum (e.g. 0.9) with which a few epochs of
    ``train_epoch`` learn CIFAR-10 well above the 10 % of chance.
    """
    # BEGIN SOLUTION
    # Momentum keeps a running average of past gradients, which smooths the
    # noisy mini-batch directions. The network is large (fc has 14,400 inputs
    # at image_size=32), so a modest learning rate keeps training stable.
    return torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    # END SOLUTION


def train_epoch(
    model: nn.Module,
    loader: Iterable[tuple[Tensor, Tensor]],
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: str | torch.device | None = None,
) -> float:
    """Train ``model`` for one pass over ``loader`` and return the mean loss per sample.

    ``device=None`` means the device of the model's first parameter. Put the
    model in train mode; for each ``(images, labels)`` batch, moved to
    ``device``: zero the gradients, compute ``criterion(model(images),
    labels)``, back-propagate, step. Return the sum over batches of
    ``batch_mean_loss * batch_size`` divided by the number of samples (a
    Python float). The model stays in train mode.
    """
    # BEGIN SOLUTION
    if device is None:
        device = next(model.parameters()).device
    model.to(device)  # parameters move in place, so the optimizer still holds them
    model.train()
    total_loss, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        # criterion gives the batch mean; scale by the batch size so a short
        # last batch does not count as much as a full one.
        total_loss += loss.item() * labels.shape[0]
        count += labels.shape[0]
    return total_loss / max(count, 1)
    # END SOLUTION
