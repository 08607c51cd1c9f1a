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
        # BEGIN SOLUTION
        self.conv = nn.Sequential(
            nn.Conv2d(1, 6, 5),  # (N, 1, 28, 28) -> (N, 6, 24, 24)
            nn.ReLU(),
            nn.MaxPool2d(2, 2),  # -> (N, 6, 12, 12)
            nn.Conv2d(6, 16, 5),  # -> (N, 16, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2, 2),  # -> (N, 16, 4, 4)
        )
        self.fc = nn.Sequential(
            nn.Linear(16 * 4 * 4, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),  # raw scores (logits): CrossEntropyLoss applies log-softmax itself
        )
        # END SOLUTION

    def forward(self, img: Tensor) -> Tensor:
        """``(N, 1, 28, 28) -> (N, 10)``: ``conv``, flatten each sample, ``fc``."""
        # BEGIN SOLUTION
        features = self.conv(img)  # (N, 16, 4, 4)
        features = features.reshape(img.shape[0], -1)  # (N, 16, 4, 4) -> (N, 256)
        return self.fc(features)  # (N, 10)
        # END SOLUTION


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
    # BEGIN SOLUTION
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = LeNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    history: list[dict] = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_sum, train_count = 0.0, 0
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            # batch mean * batch size = batch sum: exact per-sample mean later
            train_sum += loss.item() * labels.shape[0]
            train_count += labels.shape[0]

        model.eval()
        test_sum, correct, test_count = 0.0, 0, 0
        with torch.no_grad():  # evaluation only: no graph
            for images, labels in testloader:
                images, labels = images.to(device), labels.to(device)
                logits = model(images)
                test_sum += criterion(logits, labels).item() * labels.shape[0]
                correct += (logits.argmax(dim=1) == labels).sum().item()
                test_count += labels.shape[0]

        history.append(
            {
                "epoch": epoch,
                "train_loss": train_sum / max(train_count, 1),
                "test_loss": test_sum / max(test_count, 1),
                "test_accuracy": correct / max(test_count, 1),
            }
        )
    model.train()  # training functions hand the model back in train mode
    return model, history
    # END SOLUTION
