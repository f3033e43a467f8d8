"""The built-in named datasets, registered with :func:`dse.data.info.register_dataset`.

Files are read with our own readers (:mod:`dse.data.formats`); torchvision's dataset
classes are used to download, into the layout they define, which the readers accept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dse.data.errors import DataFormatError
from dse.data.formats import (
    find_idx,
    read_cifar_batches,
    read_cifar_names,
    read_idx_pair,
    read_svhn_mat,
)
from dse.data.info import DatasetInfo, DatasetSource, Found, RawData, register_dataset

__all__ = ["BUNDLED_DIR", "MINI_FILE"]

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
MINI_FILE = "fashion-mnist-mini.npz"
DEBIAN_DATASETS = Path("/usr/share/datasets")
_IDX_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_DIGITS = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
FASHION_NOTE = (
    "Fashion-MNIST by Zalando Research (Xiao, Rasul, Vollgraf 2017), MIT licence, "
    "https://github.com/zalandoresearch/fashion-mnist"
)


class _IdxSource(DatasetSource):
    """MNIST-style sets: four IDX files, plain or .gz."""

    expected = "the four IDX files train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz]"
    downloadable = True

    def files_in(self, folder: Path) -> tuple[Path, ...] | None:
        files = [find_idx(folder, stem) for stem in _IDX_STEMS]
        return None if None in files else tuple(f for f in files if f is not None)

    def read(self, found: Found) -> RawData:
        train_x, train_y = read_idx_pair(found.files[0], found.files[1])
        test_x, test_y = read_idx_pair(found.files[2], found.files[3])
        return RawData(train_x, train_y, test_x, test_y, self.info.classes)


@register_dataset
class FashionMNIST(_IdxSource):
    info = DatasetInfo(
        name="fashion-mnist",
        num_classes=10,
        in_channels=1,
        image_size=28,
        mean=(0.2860,),
        std=(0.3530,),
        hflip=False,
        crop_padding=2,
        source=FASHION_NOTE,
        classes=FASHION_CLASSES,
    )
    layouts = ("FashionMNIST/raw", "fashion-mnist")
    system_dirs = (DEBIAN_DATASETS / "fashion-mnist",)
    how_to_get = (
        "apt-get install dataset-fashion-mnist (Debian/Ubuntu), or pass --data-dir DIR "
        "containing fashion-mnist/ with the IDX files from "
        "https://github.com/zalandoresearch/fashion-mnist"
    )

    def download(self, root: Path) -> None:
        from torchvision.datasets import FashionMNIST as TV

        TV(str(root), train=True, download=True)


@register_dataset
class MNIST(_IdxSource):
    info = DatasetInfo(
        name="mnist",
        num_classes=10,
        in_channels=1,
        image_size=28,
        mean=(0.1307,),
        std=(0.3081,),
        hflip=False,
        crop_padding=2,
        source="MNIST by LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/",
        classes=_DIGITS,
    )
    layouts = ("MNIST/raw", "mnist")
    how_to_get = "pass --data-dir DIR containing mnist/ (or MNIST/raw/) with the IDX files"

    def download(self, root: Path) -> None:
        from torchvision.datasets import MNIST as TV

        TV(str(root), train=True, download=True)


@register_dataset
class CIFAR10(DatasetSource):
    info = DatasetInfo(
        name="cifar10",
        num_classes=10,
        in_channels=3,
        image_size=32,
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        hflip=True,
        crop_padding=4,
        source="CIFAR-10 by Alex Krizhevsky (2009), https://www.cs.toronto.edu/~kriz/cifar.html",
        classes=_CIFAR10_CLASSES,
    )
    layouts = ("cifar-10-batches-py", ".")
    expected = "cifar-10-batches-py/ with data_batch_1..5, test_batch, batches.meta"
    how_to_get = (
        "pass --data-dir DIR containing cifar-10-batches-py/ (unpack "
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz)"
    )
    downloadable = True
    _names = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")

    def files_in(self, folder: Path) -> tuple[Path, ...] | None:
        files = tuple(folder / n for n in self._names)
        return files if all(f.is_file() for f in files) else None

    def read(self, found: Found) -> RawData:
        train_x, train_y = read_cifar_batches(list(found.files[:5]), "labels")
        test_x, test_y = read_cifar_batches([found.files[5]], "labels")
        classes = read_cifar_names(found.files[6], "label_names")
        return RawData(train_x, train_y, test_x, test_y, classes)

    def download(self, root: Path) -> None:
        from torchvision.datasets import CIFAR10 as TV

        TV(str(root), train=True, download=True)


@register_dataset
class CIFAR100(DatasetSource):
    info = DatasetInfo(
        name="cifar100",
        num_classes=100,
        in_channels=3,
        image_size=32,
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        hflip=True,
        crop_padding=4,
        source="CIFAR-100 by Alex Krizhevsky (2009), https://www.cs.toronto.edu/~kriz/cifar.html",
    )
    layouts = ("cifar-100-python",)
    expected = "cifar-100-python/ with train, test, meta"
    how_to_get = (
        "pass --data-dir DIR containing cifar-100-python/ (unpack "
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz)"
    )
    downloadable = True

    def files_in(self, folder: Path) -> tuple[Path, ...] | None:
        files = (folder / "train", folder / "test", folder / "meta")
        return files if all(f.is_file() for f in files) else None

    def read(self, found: Found) -> RawData:
        train_x, train_y = read_cifar_batches([found.files[0]], "fine_labels")
        test_x, test_y = read_cifar_batches([found.files[1]], "fine_labels")
        classes = read_cifar_names(found.files[2], "fine_label_names")
        return RawData(train_x, train_y, test_x, test_y, classes)

    def download(self, root: Path) -> None:
        from torchvision.datasets import CIFAR100 as TV

        TV(str(root), train=True, download=True)


@register_dataset
class SVHN(DatasetSource):
    info = DatasetInfo(
        name="svhn",
        num_classes=10,
        in_channels=3,
        image_size=32,
        mean=(0.4377, 0.4438, 0.4728),
        std=(0.1980, 0.2010, 0.1970),
        hflip=False,
        crop_padding=4,
        source="SVHN cropped digits, Netzer et al. (2011), "
        "http://ufldl.stanford.edu/housenumbers/ (non-commercial use)",
        classes=_DIGITS,
    )
    layouts = ("svhn", "SVHN", ".")
    expected = "train_32x32.mat and test_32x32.mat"
    how_to_get = (
        "pass --data-dir DIR containing train_32x32.mat and test_32x32.mat from "
        "http://ufldl.stanford.edu/housenumbers/"
    )
    downloadable = True

    def files_in(self, folder: Path) -> tuple[Path, ...] | None:
        files = (folder / "train_32x32.mat", folder / "test_32x32.mat")
        return files if all(f.is_file() for f in files) else None

    def read(self, found: Found) -> RawData:
        train_x, train_y = read_svhn_mat(found.files[0])
        test_x, test_y = read_svhn_mat(found.files[1])
        return RawData(train_x, train_y, test_x, test_y, self.info.classes)

    def download(self, root: Path) -> None:
        from torchvision.datasets import SVHN as TV

        for split in ("train", "test"):
            TV(str(root / "svhn"), split=split, download=True)


@register_dataset
class FashionMNISTMini(DatasetSource):
    """A stratified 10,000/2,000 subset of Fashion-MNIST shipped inside the package."""

    info = DatasetInfo(
        name="fashion-mnist-mini",
        num_classes=10,
        in_channels=1,
        image_size=28,
        mean=(0.2840,),
        std=(0.3513,),
        hflip=False,
        crop_padding=2,
        source="stratified 10,000/2,000 subset (seed 0, dse.data.mini) of " + FASHION_NOTE,
        classes=FASHION_CLASSES,
    )
    system_dirs = (BUNDLED_DIR,)
    expected = MINI_FILE
    how_to_get = "reinstall dse (the file ships in dse/data/bundled/)"
    disk_cache = False

    def files_in(self, folder: Path) -> tuple[Path, ...] | None:
        path = folder / MINI_FILE
        return (path,) if path.is_file() else None

    def read(self, found: Found) -> RawData:
        path = found.files[0]
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
        except (OSError, KeyError, ValueError) as err:
            raise DataFormatError(f"cannot read {path}: {err}") from err
        return RawData(
            arrays["x_train"][:, None],
            arrays["y_train"].astype(np.int64),
            arrays["x_test"][:, None],
            arrays["y_test"].astype(np.int64),
            FASHION_CLASSES,
        )
