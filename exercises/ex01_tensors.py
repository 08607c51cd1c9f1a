"""Exercise 01 - tensors: shapes, in-place operations and the NumPy bridge.

A tensor is a block of memory (its *storage*) plus a description of how to
read it (shape, strides, dtype, device). Here you change the shape of a tensor
without copying its data, move data between NumPy and PyTorch without copying
it either, and use PyTorch's naming convention: a method whose name ends in an
underscore (``mul_``, ``resize_``) changes the tensor it is called on.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def flatten_images_(images: Tensor) -> Tensor:
    """Flatten a batch of images in place, one row per image.

    ``images`` is a contiguous tensor of shape ``(N, C, H, W)``. Turn it into
    shape ``(N, C*H*W)`` **in place** with ``Tensor.resize_`` and return the
    very same tensor object (same ``id``, same storage pointer). Because the
    data is contiguous and row-major, the values keep their order: row ``n``
    of the result holds image ``n`` read channel by channel, row by row.

    Do not use ``view``/``reshape`` (they return a new tensor object).
    """
    raise NotImplementedError("write ex01_tensors.flatten_images_")


def from_numpy_shared(array: np.ndarray) -> Tensor:
    """Return a tensor that shares memory with ``array``.

    Writing to the array must change the tensor and vice versa, so no copy
    may be made. Same shape and dtype as the array.
    """
    raise NotImplementedError("write ex01_tensors.from_numpy_shared")


def to_numpy_shared(tensor: Tensor) -> np.ndarray:
    """Return a NumPy array that shares memory with a CPU ``tensor``.

    - If the tensor requires grad, ``.numpy()`` refuses it: detach it first
      (``detach`` returns a tensor over the same memory, without the graph).
    - NumPy arrays only live in CPU memory. If the tensor is on any other
      device (CUDA, ``meta``, ...), raise ``ValueError`` with a message that
      says the tensor must be on the CPU.
    """
    raise NotImplementedError("write ex01_tensors.to_numpy_shared")


def scale_(tensor: Tensor, factor: float) -> Tensor:
    """Multiply ``tensor`` by ``factor`` in place and return the same object."""
    raise NotImplementedError("write ex01_tensors.scale_")
