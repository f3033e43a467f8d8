"""``load_dataset``: find, decode once, cache (disk + process), return a TensorDataset."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dse.data import cache
from dse.data.container import TensorDataset
from dse.data.errors import DataFormatError, DataNotFoundError
from dse.data.imagefolder import (
    DEFAULT_IMAGE_SIZE,
    IMAGEFOLDER_PREFIX,
    image_folder_info,
    open_image_folder,
    read_image_folder,
)
from dse.data.info import DatasetInfo
from dse.data.locate import locate
from dse.data.sources import Found, RawData, get_source

__all__ = ["get_info", "load_dataset"]

_RESIZE_CHUNK = 4096


def _content_key(name: str, found: Found, size: int) -> tuple[str, str]:
    """(key, short digest) from the dataset name, folder, size and the files' size/mtime."""
    files = []
    for path in found.files:
        stat = path.stat()
        files.append([str(path), stat.st_size, stat.st_mtime_ns])
    text = json.dumps([name, str(found.path), size, files])
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    return f"{name}|{found.path}|{size}px|{digest}", digest


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Antialiased bilinear resize of uint8 (N, C, H, W) images to size x size, in chunks."""
    out = torch.empty((len(images), images.shape[1], size, size), dtype=torch.uint8)
    for start in range(0, len(images), _RESIZE_CHUNK):
        chunk = images[start : start + _RESIZE_CHUNK].float()
        resized = F.interpolate(chunk, size=(size, size), mode="bilinear", antialias=True)
        out[start : start + _RESIZE_CHUNK] = resized.round().clamp(0, 255).to(torch.uint8)
    return out


def _resized_info(info: DatasetInfo, size: int) -> DatasetInfo:
    if size == info.image_size:
        return info
    padding = max(1, round(info.crop_padding * size / info.image_size))
    return replace(info, image_size=size, crop_padding=padding)


def _to_dataset(raw: RawData, info: DatasetInfo, size: int, source: str, key: str) -> TensorDataset:
    def images(array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.array(array, dtype=np.uint8, order="C"))
        if tensor.dim() == 4 and tensor.shape[-1] != size and len(tensor):
            tensor = _resize(tensor, size)
        elif tensor.dim() == 4 and tensor.shape[-1] != size:
            tensor = tensor.new_empty((0, tensor.shape[1], size, size))
        return tensor

    def labels(array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.array(array, dtype=np.int64))
        if len(tensor) and (int(tensor.min()) < 0 or int(tensor.max()) >= info.num_classes):
            raise DataFormatError(
                f"dataset {info.name!r} from {source}: labels must be in 0..{info.num_classes - 1}"
            )
        return tensor

    classes = raw.classes if len(raw.classes) == info.num_classes else info.classes
    info = replace(_resized_info(info, size), classes=tuple(classes))
    return TensorDataset(
        images(raw.train_images),
        labels(raw.train_labels),
        images(raw.test_images),
        labels(raw.test_labels),
        info,
        source=source,
        key=key,
    )


def _image_folder_root(spec: str, data_dir: str | os.PathLike[str] | None) -> Path:
    path = Path(spec).expanduser()
    if not path.is_absolute() and data_dir is not None:
        candidate = Path(data_dir).expanduser() / path
        if candidate.is_dir():
            return candidate
    return path


def load_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    image_size: int | None = None,
) -> TensorDataset:
    """Load a dataset by name as uint8 tensors on the CPU, decoding at most once.

    ``name`` is one of :func:`list_datasets` or ``imagefolder:<path>`` (a relative path
    is tried under ``data_dir`` first). Files are looked for in ``data_dir``, then
    ``$DSE_DATA_DIR``, then known system copies, then the download cache
    (``<cache_dir>/data``); only then, if ``download`` is true, downloaded there.
    ``image_size`` resizes (default: the dataset's native size; 32 for image folders).
    A ``data_dir`` that does not exist is refused. Raises DataNotFoundError (listing every
    place looked) or DataFormatError.
    """
    if image_size is not None and image_size < 1:
        raise DataFormatError(f"image_size must be >= 1, got {image_size}")
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise DataNotFoundError(
            f"data dir {data_dir} does not exist or is not a folder; --data-dir (or the study's "
            "dataset.data_dir) must name an existing folder holding the dataset's files"
        )
    cache_root = cache.resolve_cache_dir(cache_dir)
    with cache.LOCK:
        if name.startswith(IMAGEFOLDER_PREFIX):
            root = _image_folder_root(name[len(IMAGEFOLDER_PREFIX) :], data_dir)
            folders = open_image_folder(root)
            files = (Path(path) for folder in folders for path, _ in folder.samples)
            found = Found(root.resolve(), tuple(files))
            size, disk_cache = image_size or DEFAULT_IMAGE_SIZE, True
        else:
            src = get_source(name)
            found = locate(src, data_dir, cache_root / "data", download=download)
            size, disk_cache = image_size or src.info.image_size, src.disk_cache
        key, digest = _content_key(name, found, size)
        data = cache.memory_get(key)
        if data is not None:
            return data
        path = cache.disk_path(cache_root, name, size, digest)
        data = cache.disk_get(path, key) if disk_cache else None
        if data is None:
            if name.startswith(IMAGEFOLDER_PREFIX):
                raw = read_image_folder(folders, size)
                info = image_folder_info(found.path, raw, size)
            else:
                raw, info = src.decode(found), src.info
            data = _to_dataset(raw, info, size, str(found.path), key)
            cache.STATS.decodes += 1
            if disk_cache:
                cache.disk_put(path, data)
        cache.memory_put(data)
        return data


def get_info(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    image_size: int | None = None,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> DatasetInfo:
    """The :class:`DatasetInfo` of a dataset without loading it (image folders are loaded,
    since their statistics are computed from the images)."""
    if name.startswith(IMAGEFOLDER_PREFIX):
        return load_dataset(
            name, data_dir, download=download, cache_dir=cache_dir, image_size=image_size
        ).info
    info = get_source(name).info
    return _resized_info(info, image_size) if image_size else info
