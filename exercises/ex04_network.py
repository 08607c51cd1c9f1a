"""Exercise 04 - building networks with ``nn.Module`` and ``nn.Sequential``.

A network is a class that creates its layers in ``__init__`` and says how data
flows through them in ``forward``. You build a fully connected classifier for
28x28 images flattened to 784 numbers, initialise its weights by hand, build
the same kind of network with ``nn.Sequential`` and named layers, and stack
small convolutional blocks with ``nn.ModuleList``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Network(nn.Module):
    """A 784 -> 128 -> 64 -> 10 classifier that outputs class probabilities.

    Layers: ``fc1 = Linear(784, 128)``, ``fc2 = Linear(128, 64)``,
    ``fc3 = Linear(64, 10)``.
    """

    def __init__(self) -> None:
        """Create the three ``nn.Linear`` layers ``fc1``, ``fc2``, ``fc3``."""
        super().__init__()
        raise NotImplementedError("write ex04_network.Network.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Map ``x`` of shape ``(N, 784)`` to probabilities of shape ``(N, 10)``.

        ``fc1`` then ReLU, ``fc2`` then ReLU, ``fc3``, then softmax over
        dim 1, so that every row is non-negative and sums to 1.
        """
        raise NotImplementedError("write ex04_network.Network.forward")


def init_weights_(model: nn.Module, std: float = 0.01) -> nn.Module:
    """Re-initialise every ``nn.Linear`` in ``model``, in place; return ``model``.

    Visit all sub-modules, nested ones included (``model.modules()``). For
    each ``nn.Linear``: fill the bias with 0 and draw the weight from a normal
    distribution with mean 0 and standard deviation ``std``. The writes must
    not be recorded by autograd.
    """
    raise NotImplementedError("write ex04_network.init_weights_")


def build_sequential(
    input_size: int = 784,
    hidden_sizes: Sequence[int] = (128, 64),
    output_size: int = 10,
) -> nn.Sequential:
    """Build a fully connected classifier as an ``nn.Sequential`` with named layers.

    Pass an ``OrderedDict`` to ``nn.Sequential`` so every layer has a name:
    ``fc1, relu1, fc2, relu2, ...`` (one ``fcK = Linear`` + ``reluK = ReLU``
    pair per entry of ``hidden_sizes``, K counting from 1), then
    ``output = Linear(last hidden size, output_size)`` and
    ``softmax = nn.Softmax(dim=1)``. ``hidden_sizes`` has at least one entry
    and may have any number. For the defaults:
    784 -> 128 -> ReLU -> 64 -> ReLU -> 10 -> softmax.
    """
    raise NotImplementedError("write ex04_network.build_sequential")


class CustomLayer(nn.Module):
    """Two convolutions in a row that keep the spatial size.

    ``conv1 = Conv2d(in_channels, 3, kernel_size=3, padding="same")`` and
    ``conv2 = Conv2d(3, out_channels, kernel_size=2, padding="same")``.
    Input ``(N, in_channels, H, W)``, output ``(N, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        """Create ``conv1`` and ``conv2`` as described in the class docstring."""
        super().__init__()
        raise NotImplementedError("write ex04_network.CustomLayer.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Apply ``conv1`` then ``conv2``: ``(N, in, H, W) -> (N, out, H, W)``."""
        raise NotImplementedError("write ex04_network.CustomLayer.forward")


class CustomModel(nn.Module):
    """``num_layers`` ``CustomLayer(channels, channels)`` blocks applied in order.

    ``layers`` is an ``nn.ModuleList`` (a plain Python list would hide the
    blocks' parameters from ``model.parameters()``). Shape is preserved:
    ``(N, channels, H, W) -> (N, channels, H, W)``.
    """

    def __init__(self, num_layers: int = 3, channels: int = 1) -> None:
        """Create ``layers``, an ``nn.ModuleList`` of ``num_layers`` blocks."""
        super().__init__()
        raise NotImplementedError("write ex04_network.CustomModel.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Pass ``x`` through every block of ``layers`` in order."""
        raise NotImplementedError("write ex04_network.CustomModel.forward")
