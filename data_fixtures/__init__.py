"""Small real datasets shipped with the kit; nothing is downloaded at run time.

Sources, licences, counts and the build command are in ``data_fixtures/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from torchvision.datasets import MNIST, FashionMNIST, ImageFolder

__all__ = ["ROOT", "mnist", "fashion_mnist", "cifar10", "cats_dogs_root", "gpu_checkpoint_dir"]

ROOT: Path = Path(__file__).resolve().parent


def mnist(train: bool, transform: Optional[Callable] = None) -> MNIST:
    """MNIST subset: 300 train / 100 test images per digit, ``download=False``."""
    from torchvision.datasets import MNIST

    return MNIST(root=ROOT / "mnist", train=train, transform=transform, download=False)


def fashion_mnist(train: bool, transform: Optional[Callable] = None) -> FashionMNIST:
    """Fashion-MNIST subset: 300 train / 100 test images per class, ``download=False``."""
    from torchvision.datasets import FashionMNIST

    return FashionMNIST(root=ROOT / "fashion_mnist", train=train, transform=transform, download=False)


def cifar10(train: bool, transform: Optional[Callable] = None) -> ImageFolder:
    """CIFAR-10 subset as JPEG files; ``class_to_idx`` follows CIFAR-10's label order."""
    from torchvision.datasets import ImageFolder

    return ImageFolder(ROOT / "cifar10" / ("train" if train else "test"), transform=transform)


def cats_dogs_root(train: bool) -> Path:
    """Folder with ``cat/`` and ``dog/`` photo subfolders, ready for ``ImageFolder``."""
    return ROOT / "cats_dogs" / ("train" if train else "test")


def gpu_checkpoint_dir() -> Path:
    """Folder with the checkpoints saved on a CUDA device and their ``expected.json``."""
    return ROOT / "gpu_checkpoint"
