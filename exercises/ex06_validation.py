"""Exercise 06 - evaluating and training a model.

Training alternates two passes. The training pass runs the model in train
mode, computes the loss, back-propagates and updates the weights. The
validation pass measures loss and accuracy on data the model never trained
on: in eval mode (dropout off) and under ``torch.no_grad()`` (no graph, less
memory). You write both, averaging correctly over a whole loader even when
the last batch is smaller, and a loop that records a history per epoch.

How it is graded: the grader trains its own ``Network(784, 10, [128, 64])``
with your ``train`` for 2 epochs on the bundled MNIST fixture
(``nn.NLLLoss()``, ``Adam(lr=1e-3)``, ``device="cpu"``) and needs a test
accuracy of at least 0.60 on the fixture's 1,000 test images.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn


def validation(
    model: nn.Module,
    loader: Iterable[tuple[Tensor, Tensor]],
    criterion: nn.Module,
    device: str | torch.device | None = None,
) -> tuple[float, float]:
    """Return ``(mean_loss, accuracy)`` of a fully connected ``model`` over ``loader``.

    ``loader`` yields ``(images, labels)``; flatten each batch of images to
    ``(N, -1)`` (e.g. ``(N, 1, 28, 28) -> (N, 784)``) and move images and
    labels to ``device`` (None: the device of the model's first parameter).
    ``criterion(output, labels)`` returns the *mean* loss of a batch.

    - ``mean_loss``: the loss averaged per sample over the whole loader
      (sum over batches of ``batch_mean * batch_size``, divided by the number
      of samples), so a smaller last batch counts with its true weight.
    - ``accuracy``: the fraction of samples whose arg-max output equals the
      label.

    Build no autograd graph, run the model in eval mode, and put it back in
    the mode it was in (train or eval) before returning.
    """
    raise NotImplementedError("write ex06_validation.validation")


def evaluate_accuracy(
    data_iter: Iterable[tuple[Tensor, Tensor]],
    net: nn.Module,
    device: str | torch.device | None = None,
) -> float:
    """Return the fraction of correct arg-max predictions of ``net`` over ``data_iter``.

    ``data_iter`` yields ``(inputs, labels)``; pass the inputs to ``net`` as
    they come (no flattening), after moving them and the labels to ``device``
    (None: the device of the net's first parameter). Count correct samples
    over all batches and divide by the total number of samples. Same rules as
    ``validation``: no autograd graph, eval mode during, previous mode after.
    """
    raise NotImplementedError("write ex06_validation.evaluate_accuracy")


def train(
    model: nn.Module,
    trainloader: Iterable[tuple[Tensor, Tensor]],
    testloader: Iterable[tuple[Tensor, Tensor]],
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: str | torch.device | None = None,
) -> list[dict]:
    """Train ``model`` for ``epochs`` epochs and return the history.

    Move the model to ``device`` (None: the device of its first parameter).
    Each epoch: in train mode, for every batch of ``trainloader`` flatten the
    images to ``(N, -1)``, move images and labels to the device, zero the
    gradients, compute ``criterion(model(images), labels)``, back-propagate
    and step the optimizer. Then call ``validation`` on ``testloader`` and
    append to the history the dict
    ``{"epoch": k, "train_loss": ..., "test_loss": ..., "test_accuracy": ...}``:
    ``epoch`` is an int, 1 for the first epoch; ``train_loss`` is a float, the
    per-sample mean training loss of the epoch; ``test_loss`` and
    ``test_accuracy`` are the floats ``validation`` returns.

    Return the list of dicts, one per epoch; leave the model in train mode.
    """
    raise NotImplementedError("write ex06_validation.train")
