"""Exercise 03 - a hand-written SGD step and a first trainable model.

Training a model means repeating: compute a loss, call ``backward()`` to get
the gradient of the loss with respect to every parameter, and move each
parameter a small step against its gradient. You first write that update
yourself (what ``torch.optim.SGD`` does), then wrap two parameters in an
``nn.Module`` and fit a straight line ``y = weight * x + bias`` to noisy data
by gradient descent on the mean squared error.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn


def sgd_step_(params: Iterable[Tensor], lr: float) -> None:
    """Apply one plain gradient-descent step to every parameter, in place.

    ``params`` is any iterable of tensors, possibly a generator such as
    ``model.parameters()`` (so you can go through it only once). For each
    parameter ``p`` whose ``p.grad`` is not None:

        p <- p - lr * p.grad

    Parameters whose ``.grad`` is None are skipped; gradients are left as
    they are (no zeroing). The update must not be recorded by autograd: after
    the step every parameter is still a leaf with ``requires_grad=True``.
    The result equals one step of ``torch.optim.SGD(params, lr)``.
    """
    raise NotImplementedError("write ex03_sgd.sgd_step_")


class LinearModel(nn.Module):
    """The model ``y = x * weight + bias`` with two scalar parameters.

    Attributes ``weight`` and ``bias`` are each an ``nn.Parameter`` of shape
    ``(1,)``. ``forward(x)`` works for ``x`` of any shape (broadcasting) and
    returns a tensor of the same shape.
    """

    def __init__(self) -> None:
        """Create ``weight`` (random start) and ``bias`` (e.g. 0), both shape ``(1,)``."""
        super().__init__()
        raise NotImplementedError("write ex03_sgd.LinearModel.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x * weight + bias`` (same shape as ``x``)."""
        raise NotImplementedError("write ex03_sgd.LinearModel.forward")


def fit_linear(x: Tensor, y: Tensor, epochs: int = 1000) -> LinearModel:
    """Fit a ``LinearModel`` to 1-D data by gradient descent on the MSE.

    ``x`` and ``y`` have shape ``(N,)``. Repeat ``epochs`` times, on the whole
    data set at once (full-batch gradient descent): compute
    ``loss = ((model(x) - y) ** 2).mean()``, zero the gradients, call
    ``loss.backward()`` and take one gradient step (with your ``sgd_step_``
    or with ``torch.optim.SGD``).

    Choose a learning rate (and optionally rescale ``x``) so that, on data
    ``y = a*x + b + small noise`` with ``x`` in [-10, 10] and 30-200 points,
    the returned model's ``weight`` and ``bias`` end within 0.1 of ``a`` and
    ``b``. Hint: the MSE's curvature along ``weight`` is ``2 * mean(x**2)``
    (about 67 here) and along ``bias`` it is 2; a step size above ``2 /
    curvature`` diverges, a much smaller one leaves ``bias`` far from its
    target after 1000 steps. Return the model (in train mode).
    """
    raise NotImplementedError("write ex03_sgd.fit_linear")
