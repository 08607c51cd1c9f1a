"""Exercise 13 - fitting curves and classes, and comparing optimisers.

A network with one hidden ReLU layer can bend a straight line into a curve.
You train the same small architecture twice: as a regressor (mean squared
error) that fits a parabola, and as a classifier (cross-entropy) that
separates two clouds of points. Then you train four copies of one network
with SGD, SGD with momentum, RMSprop and Adam on exactly the same batches, so
their loss curves can be compared fairly.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Net(nn.Module):
    """``Net(n_feature, n_hidden, n_output)``: ``hidden`` Linear, ReLU, ``predict`` Linear.

    ``hidden = Linear(n_feature, n_hidden)``, ``predict = Linear(n_hidden,
    n_output)``. ``forward``: ``(N, n_feature) -> (N, n_output)``, with a
    ReLU between the two layers and none after ``predict``.
    """

    def __init__(self, n_feature: int, n_hidden: int, n_output: int) -> None:
        """Create the ``hidden`` and ``predict`` layers."""
        super().__init__()
        # BEGIN SOLUTION
        self.hidden = nn.Linear(n_feature, n_hidden)
        self.predict = nn.Linear(n_hidden, n_output)
        # END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """``predict(relu(hidden(x)))``: ``(N, n_feature) -> (N, n_output)``."""
        # BEGIN SOLUTION
        x = F.relu(self.hidden(x))  # (N, n_hidden)
        return self.predict(x)  # (N, n_output): no activation, any real value
        # END SOLUTION


def fit_regression(x: Tensor, y: Tensor, epochs: int = 200) -> Net:
    """Fit a ``Net(1, n_hidden, 1)`` to ``y`` from ``x`` (both ``(N, 1)``) by minimising the MSE.

    Full batch: each of the ``epochs`` steps computes the MSE on all of ``x``,
    back-propagates and updates. Choose ``n_hidden``, the optimiser and the
    learning rate so that on ``y = x**2 + noise`` (100 points, ``x`` in
    [-1, 1], noise ``0.05 * randn``, whose own MSE is about 0.0025) the final
    MSE, computed by the grader, is at most 0.04. Return the net.
    """
    # BEGIN SOLUTION
    # (N,) or (N, k) -> (N, k): MSELoss between a (N, 1) output and a (N,)
    # target would silently broadcast to (N, N) and fit the wrong thing.
    target = y.reshape(y.shape[0], -1)
    net = Net(x.shape[1], 32, target.shape[1]).to(x.device)
    # Adam adapts each parameter's step size, so one learning rate works well
    # here without tuning; 200 full-batch steps are plenty for a parabola.
    optimizer = torch.optim.Adam(net.parameters(), lr=0.02)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        loss = loss_fn(net(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net
    # END SOLUTION


def fit_classifier(x: Tensor, y: Tensor, epochs: int = 100) -> Net:
    """Train a ``Net(2, n_hidden, 2)`` classifier on points ``x`` ``(N, 2)`` with labels ``y`` ``(N,)``.

    The net outputs two logits per point; the predicted class is the arg-max.
    Minimise ``nn.CrossEntropyLoss`` (labels as integer class indices) on the
    full batch for ``epochs`` steps. On two Gaussian clusters (means +2 and
    -2, std 1, 100 points each, labels 0 and 1) the training accuracy must
    reach at least 0.95. Return the net.
    """
    # BEGIN SOLUTION
    net = Net(x.shape[1], 10, 2).to(x.device)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.02)
    loss_fn = nn.CrossEntropyLoss()
    labels = y.long()  # CrossEntropyLoss wants int64 class indices
    for _ in range(epochs):
        loss = loss_fn(net(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net
    # END SOLUTION


def compare_optimizers(
    x: Tensor,
    y: Tensor,
    epochs: int = 12,
    batch_size: int = 32,
    lr: float = 0.01,
) -> dict[str, list[float]]:
    """Train four copies of one ``Net(1, 20, 1)`` with four optimisers; return their losses.

    Keys and optimisers (all with learning rate ``lr``):

    - ``"SGD"``: ``torch.optim.SGD``;
    - ``"Momentum"``: ``torch.optim.SGD`` with ``momentum=0.8``;
    - ``"RMSprop"``: ``torch.optim.RMSprop`` with ``alpha=0.9``;
    - ``"Adam"``: ``torch.optim.Adam`` with ``betas=(0.9, 0.99)``.

    For a fair comparison all four nets start from the same initial weights
    (build one net, copy it) and see the same mini-batches of ``batch_size``
    samples of ``(x, y)`` (``(N, 1)`` each) in the same order, for ``epochs``
    epochs. Each value is the list of the MSE training losses (Python floats),
    one per optimisation step, so every list has
    ``epochs * ceil(N / batch_size)`` entries.
    """
    # BEGIN SOLUTION
    n_samples = x.shape[0]
    # One initial network (drawn from the global RNG, like any nn.Module);
    # each optimiser trains its own deep copy, so all four start identical.
    base = Net(1, 20, 1).to(x.device)
    # Draw the shuffled order of every epoch once, from a private generator:
    # all four runs replay exactly the same batches, and shuffling does not
    # consume the global random state.
    generator = torch.Generator().manual_seed(0)
    orders = [torch.randperm(n_samples, generator=generator) for _ in range(epochs)]
    make_optimizer = {
        "SGD": lambda params: torch.optim.SGD(params, lr=lr),
        "Momentum": lambda params: torch.optim.SGD(params, lr=lr, momentum=0.8),
        "RMSprop": lambda params: torch.optim.RMSprop(params, lr=lr, alpha=0.9),
        "Adam": lambda params: torch.optim.Adam(params, lr=lr, betas=(0.9, 0.99)),
    }
    loss_fn = nn.MSELoss()
    losses: dict[str, list[float]] = {}
    for name, build in make_optimizer.items():
        net = copy.deepcopy(base)
        optimizer = build(net.parameters())
        history: list[float] = []
        for order in orders:
            for start in range(0, n_samples, batch_size):
                idx = order[start : start + batch_size].to(x.device)  # indices of this batch
                loss = loss_fn(net(x[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                history.append(loss.item())  # a float: keeps no graph alive
        losses[name] = history
    return losses
    # END SOLUTION
