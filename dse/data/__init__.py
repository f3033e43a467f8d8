"""dse.data: datasets by name, decoded once into uint8 tensors, batched on the device.

Public API (stable names)::

    load_dataset(name, data_dir=None, *, download=True, cache_dir=None,
                 image_size=None) -> TensorDataset
    get_info(name, data_dir=None, *, image_size=None, download=True,
             cache_dir=None) -> DatasetInfo
    list_datasets() -> list[str]
    split_train_val(data, val_fraction=0.1, seed=0, *, val_count=None,
                    stratified=True) -> TrainValSplit(train, val)   # index tensors
    evaluation_data(data, split, *, use_test=False) -> (images, labels)
    BatchLoader(images, labels, batch_size, *, device="cpu", mean=None, std=None,
                shuffle=False, drop_last=False, augment=None, seed=0,
                channels_last=True, indices=None, subset=None)
    Augment(crop_padding=0, hflip=False); Augment.from_info(info)
    to_device(data, device) -> TensorDataset        # memoised per device
    make_synthetic(num_classes=10, n=256, channels=1, size=28, seed=0, *, n_test=None)
    clear_memory_cache(); cache_info() -> CacheStats
    DatasetInfo, TensorDataset, DataError, DataNotFoundError, DataFormatError

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
