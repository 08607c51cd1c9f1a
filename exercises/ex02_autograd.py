"""Exercise 02 - computing gradients with autograd.

When a tensor has ``requires_grad=True``, PyTorch records every operation done
with it in a graph. Calling ``backward()`` on a result walks that graph back
and stores d(result)/d(leaf) in each leaf's ``.grad``. You use it to
differentiate scalar functions, to compute a vector-Jacobian product of a
vector-valued function, and learn how ``torch.no_grad()`` switches recording
off when you only want predictions.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn


def grad_of_mean_square(x: Tensor) -> Tensor:
    """Return d/dx of ``mean(x ** 2)`` computed with autograd.

    ``x`` is a floating-point tensor of any shape; the result has the same
    shape (analytically it is ``2 * x / x.numel()``, but compute it with
    ``backward()``, not with this formula).

    The caller's ``x`` must come back untouched: same ``requires_grad``, no
    ``.grad`` attached to it. Work on a fresh leaf tensor holding a copy of
    ``x``'s values.
    """
    raise NotImplementedError("write ex02_autograd.grad_of_mean_square")


def seed_chain_grad(x: Tensor) -> Tensor:
    """Return d out / dx for the chain ``y = x + 2``, ``z = y * y * 3``, ``out = z.mean()``.

    By the chain rule, ``d out / dx = 6 * (x + 2) / x.numel()``, so for a 2x2
    tensor of ones every entry is 4.5. Compute it with ``backward()``.
    As in ``grad_of_mean_square``, the caller's ``x`` must come back untouched.
    """
    raise NotImplementedError("write ex02_autograd.seed_chain_grad")


def vector_jacobian_product(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor) -> Tensor:
    """Return ``v^T J``, where ``J`` is the Jacobian of ``fn`` at ``x``.

    ``fn`` maps a tensor to a tensor ``y`` of ``v``'s shape. For a non-scalar
    ``y``, ``y.backward(v)`` computes ``sum_i v_i * dy_i/dx`` and stores it
    in the input's ``.grad``: that is exactly ``v^T J`` (shape of ``x``).
    Use ``backward`` this way; leave the caller's ``x`` and ``v`` untouched.
    """
    raise NotImplementedError("write ex02_autograd.vector_jacobian_product")


def predict_no_grad(model: nn.Module, x: Tensor) -> Tensor:
    """Return ``model``'s output for ``x`` without building an autograd graph.

    Run the model with grad mode disabled (``torch.no_grad()`` or
    ``torch.inference_mode()``), so the output has ``requires_grad`` False and
    no ``grad_fn``. Run the model in the train/eval mode it is already in, and
    leave its parameters and their ``.grad`` alone.
    """
    raise NotImplementedError("write ex02_autograd.predict_no_grad")
