"""The grader's own collaborators: models and loaders that checks need but do not test.

A check that needs a model or a loader around the code under test builds one
from here, never from the student's other exercises, so a mistake in one
exercise never costs points in another (no cascading failures). Nothing here
imports ``solutions``; it is written independently of the reference code.

- :class:`Network` — the grader's version of ``ex05_dropout.Network``
  (same public attributes, same function), and
  :func:`dropout_network_module`, a stand-in module ``ex05_dropout`` holding
  it (see ``Exercise.stand_ins``).
- :class:`RecordingClassifier` — a small classifier that records, inside its
  ``forward``, the grad mode, its train/eval flag and the shape and device of
  every input it was given: facts a probe can only see from inside the model.
- :func:`fill_parameters_` — overwrite a model's parameters from a private
  generator, so probe and judge build the very same weights from a seed.
- :func:`batches` — split tensors into a list of ``(x, y)`` batches whose last
  batch is smaller (any iterable of pairs is a loader for the contract).
"""

from __future__ import annotations

import types
from typing import Sequence

import torch
from torch import Tensor, nn

from grader.checks.devices import device_of


class Network(nn.Module):
    """``Network(input_size, output_size, hidden_layers, drop_p=0.5)``, per the contract of ex05.

    Attributes: ``hidden_layers`` (``nn.ModuleList`` of ``nn.Linear``),
    ``output`` (``nn.Linear``), ``dropout`` (``nn.Dropout``), and
    ``input_size``, ``output_size``, ``drop_p`` as given. ``forward``: per
    hidden layer ReLU then dropout, then ``output``, then ``log_softmax``
    over dim 1.
    """

    def __init__(self, input_size: int, output_size: int, hidden_layers: Sequence[int], drop_p: float = 0.5) -> None:
        super().__init__()
        self.input_size = input_size
        self.output_size = output_size
        self.drop_p = drop_p
        widths = [int(w) for w in hidden_layers]
        if not widths:
            raise ValueError("Network needs at least one hidden layer")
        self.hidden_layers = nn.ModuleList()
        fan_in = input_size
        for width in widths:
            self.hidden_layers.append(nn.Linear(fan_in, width))
            fan_in = width
        self.output = nn.Linear(fan_in, output_size)
        self.dropout = nn.Dropout(p=drop_p)

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for linear in self.hidden_layers:
            h = self.dropout(torch.relu(linear(h)))
        return torch.log_softmax(self.output(h), dim=1)


def dropout_network_module() -> types.ModuleType:
    """A fresh module named ``ex05_dropout`` whose ``Network`` is the grader's :class:`Network`."""
    module = types.ModuleType("ex05_dropout", "The grader's stand-in for ex05_dropout (its Network class).")
    module.Network = Network
    return module


class RecordingClassifier(nn.Module):
    """Flatten → Linear → ReLU → Linear (raw logits), recording what ``forward`` saw.

    The records are appended to plain lists, one entry per call:
    ``grad_enabled`` (``torch.is_grad_enabled()``), ``training``
    (``self.training``), ``input_shapes`` and ``input_devices`` of ``x``
    *before* the model flattens it itself (``grader.checks.devices.device_of``: a batch moved to a pretended
    CUDA counts as on CUDA) — so a check can tell whether the
    caller flattened the images or passed them as they came, while the model
    works either way.
    """

    def __init__(self, in_features: int, classes: int, hidden: int = 12) -> None:
        super().__init__()
        self.first = nn.Linear(in_features, hidden)
        self.second = nn.Linear(hidden, classes)
        self.grad_enabled: list[bool] = []
        self.training_flags: list[bool] = []
        self.input_shapes: list[tuple[int, ...]] = []
        self.input_devices: list[str] = []

    def forward(self, x: Tensor) -> Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        self.training_flags.append(bool(self.training))
        self.input_shapes.append(tuple(int(s) for s in x.shape))
        self.input_devices.append(device_of(x))
        return self.second(torch.relu(self.first(x.reshape(x.shape[0], -1))))

    def clear_records(self) -> None:
        self.grad_enabled.clear()
        self.training_flags.clear()
        self.input_shapes.clear()
        self.input_devices.clear()

    def records(self) -> dict:
        """The records as plain data for an observation."""
        return {
            "grad_enabled": list(self.grad_enabled),
            "training": list(self.training_flags),
            "input_shapes": [list(s) for s in self.input_shapes],
            "input_devices": list(self.input_devices),
        }


def fill_parameters_(model: nn.Module, generator: torch.Generator, scale: float = 0.5) -> nn.Module:
    """Overwrite every parameter with ``scale * N(0, 1)`` draws from ``generator`` (in place, no graph)."""
    with torch.no_grad():
        for parameter in model.parameters():
            values = torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * scale
            parameter.copy_(values.to(parameter.device))
    return model


def batches(x: Tensor, y: Tensor, batch_size: int) -> list[tuple[Tensor, Tensor]]:
    """``[(x[0:b], y[0:b]), (x[b:2b], y[b:2b]), ...]``; the last batch holds what is left."""
    return [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
