"""``imagefolder:<path>``: a user's own images, read by torchvision's ImageFolder.

``<path>/<class>/<image>`` is a training set with no test set; ``<path>/train/<class>/...``
with an optional ``<path>/test/`` (or ``<path>/val/``) gives both. Every image is decoded
once to RGB, resized (shorter side) and centre-cropped to a fixed square size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torchvision.datasets import ImageFolder
from torchvision.transforms import CenterCrop, Compose, PILToTensor, Resize

from dse.data.errors import DataFormatError, DataNotFoundError
from dse.data.info import DatasetInfo
from dse.data.sources import RawData

__all__ = ["DEFAULT_IMAGE_SIZE", "IMAGEFOLDER_PREFIX", "image_folder_info", "open_image_folder"]

IMAGEFOLDER_PREFIX = "imagefolder:"
DEFAULT_IMAGE_SIZE = 32
_NEEDS = (
    "imagefolder:DIR needs DIR/<class>/<image> (or DIR/train/<class>/<image>, with an optional "
    "DIR/test/) and at least 2 class folders"
)


def open_image_folder(root: Path) -> list[ImageFolder]:
    """torchvision's ImageFolder over the training part, then the test part if there is one.

    Only lists the files; raises one line when the folder cannot make a classification set.
    """
    if not root.is_dir():
        raise DataNotFoundError(f"image folder {root} does not exist; {_NEEDS}")
    parts = [root]
    if (root / "train").is_dir():
        parts = [root / "train", *[root / n for n in ("test", "val") if (root / n).is_dir()][:1]]
    try:
        folders = [ImageFolder(str(part)) for part in parts]
    except FileNotFoundError as err:  # no class folder, or a class folder without images
        msg = f"image folder {root} holds no images to use ({err}); {_NEEDS}"
        raise DataNotFoundError(msg) from err
    classes = folders[0].classes
    if len(classes) < 2:
        raise DataFormatError(
            f"image folder {parts[0]} has one class folder ({classes[0]}), so there is nothing to "
            f"classify; {_NEEDS}"
        )
    if len(folders) > 1 and folders[1].classes != classes:
        raise DataFormatError(
            f"image folder {parts[1]}: classes {', '.join(folders[1].classes)} differ from the "
            f"training classes {', '.join(classes)}"
        )
    return folders


def read_image_folder(folders: list[ImageFolder], size: int) -> RawData:
    """Decode every image of ``folders`` (train, optional test) to uint8 (N, 3, size, size)."""
    transform = Compose([Resize(size), CenterCrop(size), PILToTensor()])
    parts = []
    for folder in folders:
        folder.transform = transform
        images = np.empty((len(folder), 3, size, size), dtype=np.uint8)
        for i, (path, _) in enumerate(folder.samples):
            try:
                images[i] = folder[i][0].numpy()
            except OSError as err:
                raise DataFormatError(f"cannot decode image {path}: {err}") from err
        parts += [images, np.asarray(folder.targets, dtype=np.int64)]
    if len(folders) == 1:
        parts += [np.empty((0, 3, size, size), dtype=np.uint8), np.empty((0,), dtype=np.int64)]
    return RawData(*parts, classes=tuple(folders[0].classes))


def image_folder_info(root: Path, raw: RawData, size: int) -> DatasetInfo:
    """Describe decoded user images: per-channel mean/std computed from the training part."""
    mean, std = [], []
    for c in range(raw.train_images.shape[1]):  # one channel at a time bounds the memory
        channel = raw.train_images[:, c].astype(np.float64) / 255.0
        mean.append(round(float(channel.mean()), 4))
        std.append(max(round(float(channel.std()), 4), 1e-3))
    return DatasetInfo(
        name=f"{IMAGEFOLDER_PREFIX}{root}",
        num_classes=len(raw.classes),
        in_channels=raw.train_images.shape[1],
        image_size=size,
        mean=tuple(mean),
        std=tuple(std),
        hflip=True,
        crop_padding=max(1, round(size / 8)),
        source=f"user images in {root}, resized and centre-cropped to {size}x{size}",
        classes=raw.classes,
    )
