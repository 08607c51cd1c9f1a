"""Exercise 05 - a configurable classifier with dropout.

Instead of fixing the layer sizes in the code, this network takes a list of
hidden sizes and builds its layers in a loop, kept in an ``nn.ModuleList``.
Between layers it applies dropout: in training mode each activation is zeroed
with probability ``drop_p`` (and the others scaled up), which fights
overfitting; in evaluation mode dropout does nothing, so predictions are
deterministic. The output is ``log_softmax``, to be paired with ``nn.NLLLoss``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class Network(nn.Module):
    """Fully connected classifier with ReLU and dropout after each hidden layer.

    ``Network(input_size, output_size, hidden_layers, drop_p=0.5)``, e.g.
    ``Network(784, 10, [128, 64])``. Attributes:

    - ``hidden_layers``: ``nn.ModuleList`` of ``nn.Linear``:
      ``input_size -> h0``, ``h0 -> h1``, ... (one per entry of the list
      argument of the same name);
    - ``output``: ``nn.Linear(h_last, output_size)``;
    - ``dropout``: ``nn.Dropout(p=drop_p)``;
    - ``input_size``, ``output_size``, ``drop_p``: the constructor arguments.
    """

    def __init__(self, input_size: int, output_size: int, hidden_layers: list[int], drop_p: float = 0.5) -> None:
        """Store the arguments and create the layers listed in the class docstring."""
        super().__init__()
        raise NotImplementedError("write ex05_dropout.Network.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Map ``(N, input_size)`` to log-probabilities ``(N, output_size)``.

        For each hidden layer: linear, ReLU, dropout. Then ``output`` and
        ``log_softmax`` over dim 1 (``exp`` of each row sums to 1).
        """
        raise NotImplementedError("write ex05_dropout.Network.forward")
