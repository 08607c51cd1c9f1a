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
    # BEGIN SOLUTION
    checkpoint = {
        # Plain Python numbers and lists: they load under weights_only=True.
        "input_size": int(model.input_size),
        "output_size": int(model.output_size),
        # model.hidden_layers is a ModuleList of Linear layers; the list of
        # sizes is the out_features of each.
        "hidden_layers": [int(layer.out_features) for layer in model.hidden_layers],
        "drop_p": float(model.drop_p),
        "state_dict": model.state_dict(),
    }
    torch.save(checkpoint, path)
    # END SOLUTION


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
    # BEGIN SOLUTION
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # map_location: tensors saved from a GPU are rebuilt directly on `device`,
    # so a CUDA checkpoint loads on a CPU-only machine.
    # weights_only=True: only tensors and plain containers are unpickled; a
    # file whose pickle would call arbitrary code is rejected before it runs.
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    for key in ("input_size", "output_size", "hidden_layers", "state_dict"):
        if key not in checkpoint:
            raise KeyError(f"the checkpoint has no {key!r} entry")
    model = Network(
        checkpoint["input_size"],
        checkpoint["output_size"],
        checkpoint["hidden_layers"],
        checkpoint.get("drop_p", 0.5),  # older checkpoints did not store drop_p
    )
    model.load_state_dict(checkpoint["state_dict"])
    model.to(device)
    model.eval()  # a loaded model is used for predictions: dropout off
    return model
    # END SOLUTION
