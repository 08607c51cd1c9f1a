"""Exercise 08 - transforms and data loaders.

Models eat batches of tensors, data sets hold images and labels. A
*transform* turns one image into a tensor (and, for training, randomly
rotates, crops and flips it so the model sees a slightly different picture
every epoch: data augmentation). A ``Dataset`` returns one ``(sample,
label)`` pair, a ``DataLoader`` groups them into shuffled batches. You build
both pipelines and two loaders: one over a folder of images, one over tensors.
"""

from __future__ import annotations

import os
from typing import Callable

from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets, transforms

# Per-channel mean and standard deviation of the ImageNet training images:
# pretrained torchvision models expect inputs normalised with them.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def build_transforms(train: bool, image_size: int = 224) -> transforms.Compose:
    """Return the image pipeline for training (``train=True``) or testing.

    Training (random augmentation), in this order:
    ``RandomRotation(30)``, ``RandomResizedCrop(image_size)``,
    ``RandomHorizontalFlip()``, ``ToTensor()``,
    ``Normalize(IMAGENET_MEAN, IMAGENET_STD)``.

    Testing (deterministic): ``Resize(image_size * 256 // 224)`` (shorter side;
    256 for the default 224), ``CenterCrop(image_size)``, ``ToTensor()``,
    ``Normalize(IMAGENET_MEAN, IMAGENET_STD)``.

    Both map an RGB PIL image to a float tensor ``(3, image_size, image_size)``.
    """
    raise NotImplementedError("write ex08_data.build_transforms")


def image_folder_loader(
    root: str | os.PathLike[str],
    transform: Callable | None,
    batch_size: int = 32,
    shuffle: bool = False,
) -> DataLoader:
    """Return a ``DataLoader`` over ``torchvision.datasets.ImageFolder(root, transform=...)``.

    ``root`` has one sub-folder per class (``root/cat/*.jpg``,
    ``root/dog/*.jpg``, ...); ``ImageFolder`` labels the classes 0, 1, ... in
    sorted folder order. Batches have ``batch_size`` samples and are shuffled
    only if ``shuffle`` is True.
    """
    raise NotImplementedError("write ex08_data.image_folder_loader")


def tensor_loader(x: Tensor, y: Tensor, batch_size: int, shuffle: bool = True) -> DataLoader:
    """Return a ``DataLoader`` over the pairs ``(x[i], y[i])``.

    Wrap ``x`` and ``y`` (same first dimension ``N``) in a ``TensorDataset``
    and that in a ``DataLoader`` with ``batch_size`` and ``shuffle``. Each
    epoch yields every sample exactly once, in batches ``(xb, yb)``.
    """
    raise NotImplementedError("write ex08_data.tensor_loader")
