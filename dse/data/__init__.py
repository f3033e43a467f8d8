"""dse.data: datasets by name, decoded once into uint8 tensors, batched on the device.

Public API: :func:`load_dataset` and :func:`get_info` by name, :func:`list_datasets`,
:func:`split_train_val` and :func:`evaluation_data` (validation split, test set kept apart),
:class:`BatchLoader` with batched :class:`Augment` on the device, :func:`to_device`
(memoised), :func:`make_synthetic` (for tests), the cache counters, and the error classes.

Names: ``fashion-mnist``, ``mnist``, ``cifar10``, ``cifar100``, ``svhn``,
``fashion-mnist-mini`` (10,000/2,000 images shipped in ``dse/data/bundled/``, works
offline) and ``imagefolder:<path>`` (a user's images, resized and centre-cropped to
``image_size``, default 32).

Finding files: ``data_dir`` (the CLI's ``--data-dir``; it must exist), then
``$DSE_DATA_DIR``, then system copies (Debian's ``/usr/share/datasets/fashion-mnist``),
then the download cache ``<cache>/data``, then a torchvision download there if
``download`` is true. torchvision's dataset classes read the files. ``<cache>`` is
``cache_dir``, ``$DSE_CACHE_DIR`` or ``~/.cache/dse``. Decoded tensors are cached in
``<cache>/tensors`` and in process memory.

Typical use in a trial::

    data = to_device(load_dataset("fashion-mnist-mini"), device)
    split = split_train_val(data, 0.1, seed=0)
    info = data.info
    train = BatchLoader(data.train_images, data.train_labels, 128, device=device,
                        mean=info.mean, std=info.std, shuffle=True, drop_last=True,
                        augment=Augment.from_info(info), seed=seed, indices=split.train)
    val = BatchLoader(data.train_images, data.train_labels, 512, device=device,
                      mean=info.mean, std=info.std, indices=split.val)
"""

from __future__ import annotations

from dse.data.cache import CacheStats, cache_info, clear_memory_cache, to_device
from dse.data.container import TensorDataset, make_synthetic
from dse.data.errors import DataError, DataFormatError, DataNotFoundError
from dse.data.info import DatasetInfo
from dse.data.load import get_info, load_dataset
from dse.data.loader import Augment, BatchLoader
from dse.data.sources import list_datasets
from dse.data.split import TrainValSplit, evaluation_data, split_train_val

__all__ = [
    "Augment",
    "BatchLoader",
    "CacheStats",
    "DataError",
    "DataFormatError",
    "DataNotFoundError",
    "DatasetInfo",
    "TensorDataset",
    "TrainValSplit",
    "cache_info",
    "clear_memory_cache",
    "evaluation_data",
    "get_info",
    "list_datasets",
    "load_dataset",
    "make_synthetic",
    "split_train_val",
    "to_device",
]
