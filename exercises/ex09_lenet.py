"""Exercise 09 - LeNet, a small convolutional network, on Fashion-MNIST.

Convolutions look at small neighbourhoods of pixels and reuse the same
weights all over the image; pooling halves the resolution. LeNet stacks two
convolution + pooling stages (the feature extractor) and three fully
connected layers (the classifier). You build it with two ``nn.Sequential``
blocks, flatten between them, and train it with Adam and the cross-entropy
loss, measuring test loss and accuracy after every epoch.

How it is graded: on the bundled Fashion-MNIST fixture,
``fit_lenet(trainloader, testloader, epochs=2, device="cpu")`` must
return a LeNet whose test accuracy, computed by the grader on the
fixture's 1,000 test images, is at least 0.50.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn


class LeNet(nn.Module):
    """LeNet for ``(N, 1, 28, 28)`` images and 10 classes.

    - ``conv``: ``nn.Sequential`` of ``Conv2d(1, 6, 5)``, activation,
      ``MaxPool2d(2, 2)``, ``Conv2d(6, 16, 5)``, activation,
      ``MaxPool2d(2, 2)``. Shapes: 28 -> 24 (conv 5x5) -> 12 (pool) -> 8
      (conv 5x5) -> 4 (pool), so the output is ``(N, 16, 4, 4)``.
    - ``fc``: ``nn.Sequential`` of ``Linear(16*4*4, 120)``, activation,
      ``Linear(120, 84)``, activation, ``Linear(84, 10)``.

    Activation: ReLU, LeakyReLU or Sigmoid. ``forward`` returns logits ``(N, 10)``.
    """

    def __init__(self) -> None:
        """Create the ``conv`` and ``fc`` blocks."""
        super().__init__()
        raise NotImplementedError("write ex09_lenet.LeNet.__init__")

    def forward(self, img: Tensor) -> Tensor:
        """``(N, 1, 28, 28) -> (N, 10)``: ``conv``, flatten each sample, ``fc``."""
        raise NotImplementedError("write ex09_lenet.LeNet.forward")


def fit_lenet(
    trainloader: Iterable[tuple[Tensor, Tensor]],
    testloader: Iterable[tuple[Tensor, Tensor]],
    epochs: int = 2,
    device: str | torch.device | None = None,
) -> tuple[LeNet, list[dict]]:
    """Build a ``LeNet`` on ``device``, train it, return ``(model, history)``.

    ``device=None`` means CUDA when available, else the CPU. Train with
    ``torch.optim.Adam(lr=1e-3)`` and ``nn.CrossEntropyLoss()`` for
    ``epochs`` epochs over ``trainloader`` (batches ``(N, 1, 28, 28)`` images,
    ``(N,)`` labels, moved to ``device``). After each epoch, pass over
    ``testloader`` in eval mode without building a graph and append::

        {"epoch": k, "train_loss": ..., "test_loss": ..., "test_accuracy": ...}

    (``epoch`` an int from 1; losses are per-sample means over the epoch /
    the test set, accuracy the fraction of correct arg-max predictions; all
    floats). Return the model in train mode.
    """
    raise NotImplementedError("write ex09_lenet.fit_lenet")
