"""Exercise 12 - classification losses written from scratch.

Cross-entropy compares the predicted distribution ``softmax(logits)`` with the
true class: it is ``-log p_true``, averaged over the batch. Computed naively,
``exp`` of a large logit overflows; the log-sum-exp trick avoids that. You
write cross-entropy, its class-weighted version (for unbalanced classes) and
the focal loss, which down-weights easy, well-classified samples, and compare
them with PyTorch's own functions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Mean cross-entropy of raw ``logits`` ``(N, C)`` against class indices ``target`` ``(N,)``.

    For row ``i`` with true class ``y_i``::

        loss_i = -log softmax(logits_i)[y_i] = logsumexp(logits_i) - logits_i[y_i]

    Return the mean of ``loss_i`` (a 0-d tensor). It must equal
    ``F.cross_entropy`` in value and gradient and stay finite for logits of
    magnitude 1e4 (use ``torch.logsumexp``, which subtracts the row maximum
    before exponentiating). Do not call ``F.cross_entropy``, ``F.nll_loss``
    or their ``nn`` modules.
    """
    raise NotImplementedError("write ex12_losses.cross_entropy")


def weighted_cross_entropy(logits: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    """Class-weighted mean cross-entropy, equal to ``F.cross_entropy(logits, target, weight=weight)``.

    ``weight`` has shape ``(C,)``. With ``w_i = weight[y_i]`` and ``loss_i``
    as in ``cross_entropy``::

        result = sum_i(w_i * loss_i) / sum_i(w_i)

    (a weighted mean: divide by the sum of the weights used, not by N).
    Same restrictions as ``cross_entropy``.
    """
    raise NotImplementedError("write ex12_losses.weighted_cross_entropy")


def focal_loss(logits: Tensor, target: Tensor, gamma: float = 2.0) -> Tensor:
    """Mean focal loss of ``logits`` ``(N, C)`` against class indices ``target`` ``(N,)``.

    With ``p_t`` the softmax probability of the true class::

        loss_i = -(1 - p_t) ** gamma * log(p_t)

    Return the mean over the batch. ``gamma = 0`` gives cross-entropy. Take
    ``log(p_t)`` from ``F.log_softmax`` (stable) and ``p_t = exp(log p_t)``.
    """
    raise NotImplementedError("write ex12_losses.focal_loss")
