"""``imagefolder:<path>``: a user's own images in torchvision's ImageFolder layout.

``<path>/<class>/<image>`` is a training set with no test set; ``<path>/train/<class>/...``
with an optional ``<path>/test/`` (or ``<path>/val/``) gives both. Every image is decoded
once to RGB, resized (shorter side) and centre-cropped to a fixed square size.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dse.data.errors import DataFormatError, DataNotFoundError
from dse.data.info import IMAGEFOLDER_PREFIX, DatasetInfo, Found, RawData

__all__ = ["DEFAULT_IMAGE_SIZE", "image_folder_info", "read_image_folder", "scan_image_folder"]

DEFAULT_IMAGE_SIZE = 32
_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _parts(root: Path) -> tuple[Path, Path | None]:
    if (root / "train").is_dir():
        for name in ("test", "val"):
            if (root / name).is_dir():
                return root / "train", root / name
        return root / "train", None
    return root, None


def scan_image_folder(root: Path) -> Found:
    """The image files under ``root`` (sorted); raises DataNotFoundError when there are none."""
    if not root.is_dir():
        raise DataNotFoundError(
            f"image folder {root} does not exist; pass imagefolder:DIR with DIR/<class>/<image> "
            "or DIR/train/<class>/<image>"
        )
    files = sorted(
        Path(dirpath) / name
        for dirpath, _, names in os.walk(root)
        for name in names
        if name.lower().endswith(_EXTENSIONS)
    )
    if not files:
        raise DataNotFoundError(
            f"image folder {root} holds no images ({', '.join(_EXTENSIONS)}) in class folders"
        )
    return Found(root.resolve(), tuple(files))


def _decode(
    folder: Path, size: int, classes: list[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from torchvision.datasets import ImageFolder
    from torchvision.transforms import CenterCrop, Compose, PILToTensor, Resize

    transform = Compose([Resize(size), CenterCrop(size), PILToTensor()])
    try:
        dataset = ImageFolder(str(folder), transform=transform)
    except (FileNotFoundError, OSError) as err:
        raise DataFormatError(f"image folder {folder}: {err}") from err
    if classes is not None and dataset.classes != classes:
        raise DataFormatError(
            f"image folder {folder}: classes {dataset.classes} differ from the training "
            f"classes {classes}"
        )
    images = np.empty((len(dataset), 3, size, size), dtype=np.uint8)
    labels = np.asarray(dataset.targets, dtype=np.int64)
    for i, (path, _) in enumerate(dataset.samples):
        try:
            images[i] = dataset[i][0].numpy()
        except OSError as err:
            raise DataFormatError(f"cannot decode image {path}: {err}") from err
    return images, labels, list(dataset.classes)


def read_image_folder(root: Path, size: int = DEFAULT_IMAGE_SIZE) -> RawData:
    """Decode every image under ``root`` to uint8 (N, 3, size, size)."""
    if size < 1:
        raise DataFormatError(f"image size must be >= 1, got {size}")
    train_dir, test_dir = _parts(root)
    train_x, train_y, classes = _decode(train_dir, size, None)
    if test_dir is not None:
        test_x, test_y, _ = _decode(test_dir, size, classes)
    else:
        test_x = np.empty((0, 3, size, size), dtype=np.uint8)
        test_y = np.empty((0,), dtype=np.int64)
    return RawData(train_x, train_y, test_x, test_y, tuple(classes))


def image_folder_info(root: Path, raw: RawData, size: int) -> DatasetInfo:
    """Describe decoded user images: per-channel mean/std computed from the training part."""
    pixels = raw.train_images
    mean, std = [], []
    for c in range(pixels.shape[1]):
        channel = pixels[:, c].astype(np.float64) / 255.0
        mean.append(round(float(channel.mean()), 4))
        std.append(max(round(float(channel.std()), 4), 1e-3))
    return DatasetInfo(
        name=f"{IMAGEFOLDER_PREFIX}{root}",
        num_classes=len(raw.classes),
        in_channels=pixels.shape[1],
        image_size=size,
        mean=tuple(mean),
        std=tuple(std),
        hflip=True,
        crop_padding=max(1, round(size / 8)),
        source=f"user images in {root}, resized and centre-cropped to {size}x{size}",
        classes=raw.classes,
    )
