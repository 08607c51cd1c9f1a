"""Build the fixture datasets in ``data_fixtures/`` from the shared source files.

Usage::

    python -m data_fixtures.build --source /work/shared/data

The output is deterministic: every file is either a byte-for-byte copy of a
source file or an IDX file written from a fixed selection of source records.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import struct
from pathlib import Path

import numpy as np

from data_fixtures import ROOT

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IDX_TEST_PER_CLASS = 100
IDX_TRAIN_PER_CLASS = 300

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
CIFAR10_TRAIN_PER_CLASS = 200
CIFAR10_TEST_PER_CLASS = 100

CATS_DOGS_TRAIN_PER_CLASS = 10

GPU_CHECKPOINT_FILES = (
    "README.md", "expected.json", "mnist_network_cuda.pth", "mnist_network_cuda_old_format.pth",
)

MNIST_RAW_MD5 = {
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
FASHION_GZ_MD5 = {
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

GENERATED_DIRS = ("mnist", "fashion_mnist", "cifar10", "cats_dogs", "gpu_checkpoint")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def parse_idx_images(raw: bytes) -> np.ndarray:
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != IMAGES_MAGIC:
        raise ValueError(f"bad IDX image magic {magic}")
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)


def parse_idx_labels(raw: bytes) -> np.ndarray:
    magic, n = struct.unpack(">II", raw[:8])
    if magic != LABELS_MAGIC:
        raise ValueError(f"bad IDX label magic {magic}")
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if labels.shape != (n,):
        raise ValueError("IDX label count does not match its header")
    return labels


def write_idx_images(path: Path, images: np.ndarray) -> None:
    n, rows, cols = images.shape
    path.write_bytes(struct.pack(">IIII", IMAGES_MAGIC, n, rows, cols) + images.astype(np.uint8).tobytes())


def write_idx_labels(path: Path, labels: np.ndarray) -> None:
    path.write_bytes(struct.pack(">II", LABELS_MAGIC, len(labels)) + labels.astype(np.uint8).tobytes())


def split_by_class(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test: first 100 of each class in file order; train: the next 300. Both sorted by file position."""
    test, train = [], []
    for c in range(10):
        positions = np.flatnonzero(labels == c)
        if len(positions) < IDX_TEST_PER_CLASS + IDX_TRAIN_PER_CLASS:
            raise ValueError(f"class {c} has only {len(positions)} records")
        test.append(positions[:IDX_TEST_PER_CLASS])
        train.append(positions[IDX_TEST_PER_CLASS:IDX_TEST_PER_CLASS + IDX_TRAIN_PER_CLASS])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def build_idx_dataset(
    src: Path, raw_dir: Path, expected_md5: dict[str, str], md5_of_decompressed: bool
) -> None:
    """Read the t10k gzip IDX pair in ``src`` and write the kit's train/t10k IDX files to ``raw_dir``."""
    files = {}
    for name, want in expected_md5.items():
        gz = (src / name).read_bytes()
        data = gzip.decompress(gz)
        got = md5(data if md5_of_decompressed else gz)
        if got != want:
            raise ValueError(f"{src / name}: md5 {got}, expected {want}")
        files[name] = data
    images = parse_idx_images(files["t10k-images-idx3-ubyte.gz"])
    labels = parse_idx_labels(files["t10k-labels-idx1-ubyte.gz"])
    if len(images) != len(labels):
        raise ValueError(f"{src}: {len(images)} images but {len(labels)} labels")

    train, test = split_by_class(labels)
    raw_dir.mkdir(parents=True)
    for prefix, rows in (("train", train), ("t10k", test)):
        write_idx_images(raw_dir / f"{prefix}-images-idx3-ubyte", images[rows])
        write_idx_labels(raw_dir / f"{prefix}-labels-idx1-ubyte", labels[rows])


def copy_first(src_dir: Path, dst_dir: Path, count: int) -> None:
    """Copy the first ``count`` files of ``src_dir`` (sorted by name) unchanged into ``dst_dir``."""
    files = sorted(p for p in src_dir.iterdir() if p.is_file())
    if len(files) < count:
        raise ValueError(f"{src_dir} has {len(files)} files, need {count}")
    dst_dir.mkdir(parents=True)
    for path in files[:count]:
        shutil.copyfile(path, dst_dir / path.name)


def build_cifar10(src: Path, dst: Path) -> None:
    for split, count in (("train", CIFAR10_TRAIN_PER_CLASS), ("test", CIFAR10_TEST_PER_CLASS)):
        found = sorted(p.name for p in (src / split).iterdir() if p.is_dir())
        if found != sorted(CIFAR10_CLASSES):
            raise ValueError(f"{src / split}: unexpected classes {found}")
        for name in CIFAR10_CLASSES:
            copy_first(src / split / name, dst / split / name, count)


def build_cats_dogs(src: Path, dst: Path) -> None:
    for name in ("cat", "dog"):
        files = sorted(p for p in (src / name).iterdir() if p.is_file())
        for split, chosen in (
            ("train", files[:CATS_DOGS_TRAIN_PER_CLASS]),
            ("test", files[CATS_DOGS_TRAIN_PER_CLASS:]),
        ):
            out = dst / split / name
            out.mkdir(parents=True, exist_ok=True)
            for path in chosen:
                shutil.copyfile(path, out / path.name)


def build_gpu_checkpoint(src: Path, dst: Path) -> None:
    found = sorted(p.name for p in src.iterdir())
    if found != sorted(GPU_CHECKPOINT_FILES):
        raise ValueError(f"{src}: unexpected files {found}")
    dst.mkdir()
    for name in GPU_CHECKPOINT_FILES:
        shutil.copyfile(src / name, dst / name)


def verify(source: Path) -> None:
    """Load every fixture the way the kit does and check lengths and per-class counts."""
    import torch
    from torchvision.datasets import ImageFolder

    import data_fixtures

    t10k = parse_idx_images(gzip.decompress((source / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes()))
    for loader in (data_fixtures.mnist, data_fixtures.fashion_mnist):
        for train, per_class in ((True, IDX_TRAIN_PER_CLASS), (False, IDX_TEST_PER_CLASS)):
            ds = loader(train=train)
            assert len(ds) == 10 * per_class, (loader.__name__, train, len(ds))
            assert torch.bincount(ds.targets, minlength=10).tolist() == [per_class] * 10
    assert np.array_equal(data_fixtures.mnist(train=False).data[:4].numpy(), t10k[:4])

    for train, per_class in ((True, CIFAR10_TRAIN_PER_CLASS), (False, CIFAR10_TEST_PER_CLASS)):
        ds = data_fixtures.cifar10(train=train)
        assert ds.classes == list(CIFAR10_CLASSES), ds.classes
        assert np.bincount(ds.targets, minlength=10).tolist() == [per_class] * 10

    for train in (True, False):
        ds = ImageFolder(data_fixtures.cats_dogs_root(train))
        assert ds.class_to_idx == {"cat": 0, "dog": 1}, ds.class_to_idx


def build(source: Path) -> None:
    for name in GENERATED_DIRS:
        shutil.rmtree(ROOT / name, ignore_errors=True)
    build_idx_dataset(source / "mnist", ROOT / "mnist" / "MNIST" / "raw", MNIST_RAW_MD5, md5_of_decompressed=True)
    build_idx_dataset(
        source / "fashion_mnist", ROOT / "fashion_mnist" / "FashionMNIST" / "raw", FASHION_GZ_MD5,
        md5_of_decompressed=False,
    )
    shutil.copyfile(source / "fashion_mnist" / "LICENSE", ROOT / "fashion_mnist" / "LICENSE")
    build_cifar10(source / "cifar10", ROOT / "cifar10")
    build_cats_dogs(source / "cats_dogs", ROOT / "cats_dogs")
    build_gpu_checkpoint(source / "gpu_checkpoint", ROOT / "gpu_checkpoint")
    verify(source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder with the shared source data")
    args = parser.parse_args()
    build(args.source.resolve())
    print(f"built fixtures in {ROOT}")


if __name__ == "__main__":
    main()
