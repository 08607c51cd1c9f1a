"""Exercise 07 - saving a trained network and loading it back.

A ``state_dict`` holds a network's weights but not its architecture, so a
useful checkpoint also records the arguments that rebuild the model. You save
both in one dictionary with ``torch.save``, then rebuild the
``ex05_dropout.Network`` and load the weights, with ``weights_only=True`` (a
downloaded file must not run code on your machine) and ``map_location`` (a
file saved on a GPU must load on a computer without one).

How it is graded: the grader brings its own ``Network`` (the one exercise 05
asks for), so a mistake in ex05 costs no points here; ``from ex05_dropout
import Network`` gets the grader's copy while this file is graded.
"""

from __future__ import annotations

import os

import torch

from ex05_dropout import Network


def save_checkpoint(model: Network, path: str | os.PathLike[str]) -> None:
    """Save ``model`` and what is needed to rebuild it to ``path`` with ``torch.save``.

    The saved object is a dict with keys:

    - ``"input_size"``, ``"output_size"``: ints;
    - ``"hidden_layers"``: the hidden sizes as a list of ints, e.g.
      ``[128, 64]`` (read them from the layers: ``out_features``);
    - ``"drop_p"``: the dropout probability (float);
    - ``"state_dict"``: ``model.state_dict()``.
    """
    raise NotImplementedError("write ex07_checkpoint.save_checkpoint")


def load_checkpoint(path: str | os.PathLike[str], device: str | torch.device | None = "cpu") -> Network:
    """Rebuild the ``Network`` saved at ``path`` and return it on ``device`` in eval mode.

    - ``device=None`` means CUDA when available, else the CPU.
    - Load with ``torch.load(path, weights_only=True, map_location=device)``:
      ``weights_only`` refuses pickles that would run code, ``map_location``
      puts tensors saved on any device onto ``device``.
    - Older checkpoints have no ``"drop_p"``: use 0.5 then. If any other key
      (``input_size``, ``output_size``, ``hidden_layers``, ``state_dict``)
      is missing, raise ``KeyError`` naming that key.
    - Build ``Network(input_size, output_size, hidden_layers, drop_p)``, load
      the state dict, move it to ``device``, switch it to eval mode.
    """
    raise NotImplementedError("write ex07_checkpoint.load_checkpoint")
