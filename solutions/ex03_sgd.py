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
    # BEGIN SOLUTION
    # no_grad: the update is bookkeeping, not part of the model's maths. Under
    # autograd, an in-place change of a leaf that requires grad is an error,
    # and recording it would turn the parameter into a non-leaf.
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue  # e.g. a parameter that took no part in the loss
            p.sub_(lr * p.grad)
    # END SOLUTION


class LinearModel(nn.Module):
    """The model ``y = x * weight + bias`` with two scalar parameters.

    Attributes ``weight`` and ``bias`` are each an ``nn.Parameter`` of shape
    ``(1,)``. ``forward(x)`` works for ``x`` of any shape (broadcasting) and
    returns a tensor of the same shape.
    """

    def __init__(self) -> None:
        """Create ``weight`` (random start) and ``bias`` (e.g. 0), both shape ``(1,)``."""
        super().__init__()
        # BEGIN SOLUTION
        # nn.Parameter registers the tensor with the module, so it shows up in
        # model.parameters() and requires grad.
        self.weight = nn.Parameter(torch.randn(1))
        self.bias = nn.Parameter(torch.zeros(1))
        # END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x * weight + bias`` (same shape as ``x``)."""
        # BEGIN SOLUTION
        return x * self.weight + self.bias
        # END SOLUTION


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
    # BEGIN SOLUTION
    x = x.reshape(-1)  # (N,) or (N, 1) -> (N,)
    y = y.reshape(-1)  # same shape as x, so the subtraction below cannot broadcast to (N, N)
    model = LinearModel().to(x.device)
    # Gradient descent is stable while lr < 2 / (largest curvature); the
    # largest curvature of this MSE is below 2 * (mean(x**2) + 1). Half of the
    # stable limit converges fast along both weight and bias, whatever the
    # scale of x.
    lr = 0.5 / (x.pow(2).mean().item() + 1.0)
    for _ in range(epochs):
        loss = ((model(x) - y) ** 2).mean()
        model.zero_grad()  # backward() adds to .grad, so clear the last step's gradients
        loss.backward()
        sgd_step_(model.parameters(), lr)  # the same update as torch.optim.SGD
    return model
    # END SOLUTION
