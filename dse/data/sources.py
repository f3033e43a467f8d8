"""The named datasets: the files of a copy, where they may lie, and torchvision to read them.

torchvision's dataset classes read the formats (IDX, CIFAR pickles, SVHN .mat) and
download into their own layout. What they lack is added here: a copy in any folder
(``--data-dir``, ``$DSE_DATA_DIR``, Debian's flat and gzipped
/usr/share/datasets/fashion-mnist), reading without the md5 sums of the official
files (so any copy in the format works, a test's small one too), and the bundled mini set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torchvision import datasets as tv
from torchvision.datasets.utils import extract_archive

from dse.data.errors import DataError, DataFormatError, DataNotFoundError, one_line
from dse.data.info import DatasetInfo

__all__ = ["BUNDLED_DIR", "MINI_FILE", "SOURCES", "Found", "RawData", "Source", "get_source"]

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
MINI_FILE = "fashion-mnist-mini.npz"
DEBIAN_DATASETS = Path("/usr/share/datasets")


@dataclass(frozen=True)
class Found:
    """A complete copy of a dataset on disk: its folder and the files that will be read."""

    path: Path
    files: tuple[Path, ...]


@dataclass(frozen=True)
class RawData:
    """Decoded arrays: uint8 images (N, C, H, W), integer labels (N,), class names if known."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """One named dataset: the ``files`` of a complete copy (each also as ``NAME+suffix``),
    the ``layouts`` under a search root that may hold them (``"."``: the root itself),
    a reader, how to get it, and a torchvision download into a root (None: none)."""

    info: DatasetInfo
    files: tuple[str, ...]
    layouts: tuple[str, ...]
    read: Callable[[Found], RawData]
    how_to_get: str
    download: Callable[[Path], object] | None = None
    system_dirs: tuple[Path, ...] = ()
    suffixes: tuple[str, ...] = ("",)
    disk_cache: bool = True

    @property
    def expected(self) -> str:
        alt = " (each plain or .gz)" if ".gz" in self.suffixes else ""
        return ", ".join(self.files) + alt

    def files_in(self, folder: Path) -> Found | None:
        """The copy in ``folder`` if it holds every file (the first suffix that exists)."""
        folder, chosen = folder.resolve(), []
        for name in self.files:  # files keep their names (readers look for them by name)
            paths = [p for p in (folder / f"{name}{s}" for s in self.suffixes) if p.is_file()]
            if not paths:
                return None
            chosen.append(paths[0])
        return Found(folder, tuple(chosen))

    def find(self, root: Path) -> Found | None:
        """The first complete copy among :attr:`layouts` under ``root`` (a root ending in a
        layout, such as ``.../fashion-mnist``, is itself a candidate)."""
        for layout in self.layouts:
            parts = Path(layout).parts
            folder = root if layout == "." or root.parts[-len(parts) :] == parts else root / layout
            found = self.files_in(folder)
            if found is not None:
                return found
        return None

    def decode(self, found: Found) -> RawData:
        """Read ``found``; any failure of the reader becomes one DataFormatError line."""
        try:
            return self.read(found)
        except DataError:
            raise
        except Exception as err:  # noqa: BLE001 - torchvision's readers raise assorted errors
            raise DataFormatError(
                f"dataset {self.info.name!r}: cannot read {found.path} ({one_line(err)}); "
                f"expected {self.expected}"
            ) from err


def _unchecked(cls: type, **attrs: object) -> type:
    """torchvision's ``cls`` with some class attributes replaced (files, md5 sums, folders)."""
    return type(cls.__name__, (cls,), attrs)


def _idx_reader(cls: type[tv.MNIST]) -> Callable[[Found], RawData]:
    """torchvision's ``cls`` reading from one folder; it reads plain files only, so gzipped
    ones (Debian's copy) are unpacked into a temporary folder first."""
    anywhere = _unchecked(cls, raw_folder=property(lambda self: self.root))

    def read(found: Found) -> RawData:
        with tempfile.TemporaryDirectory(prefix="dse-idx-") as tmp:
            for path in found.files:
                if path.suffix != ".gz":
                    os.symlink(path, Path(tmp, path.name))
                    continue
                try:
                    extract_archive(str(path), tmp)
                except Exception as err:  # noqa: BLE001 - gzip, zlib and OS errors
                    raise DataFormatError(f"cannot decompress {path}: {one_line(err)}") from err
            train, test = (anywhere(tmp, train=part) for part in (True, False))
        return RawData(
            train.data[:, None].numpy(),
            train.targets.numpy(),
            test.data[:, None].numpy(),
            test.targets.numpy(),
        )

    return read


def _cifar_reader(cls: type[tv.CIFAR10]) -> Callable[[Found], RawData]:
    """torchvision's ``cls`` reading the files in a folder, without their md5 sums."""
    anywhere = _unchecked(
        cls,
        base_folder="",
        train_list=[[name, None] for name, _ in cls.train_list],
        test_list=[[name, None] for name, _ in cls.test_list],
        meta={**cls.meta, "md5": None},
    )

    def read(found: Found) -> RawData:
        train, test = (anywhere(str(found.path), train=part) for part in (True, False))
        return RawData(  # torchvision holds NHWC; dse uses NCHW
            train.data.transpose(0, 3, 1, 2),
            np.asarray(train.targets),
            test.data.transpose(0, 3, 1, 2),
            np.asarray(test.targets),
            tuple(train.classes),
        )

    return read


def _cifar_files(cls: type[tv.CIFAR10]) -> tuple[str, ...]:
    return tuple(name for name, _ in cls.train_list + cls.test_list) + (cls.meta["filename"],)


def _read_svhn(found: Found) -> RawData:
    """torchvision's SVHN (label 10 becomes digit 0), without the md5 sums."""
    splits = {k: [url, name, None] for k, (url, name, _) in tv.SVHN.split_list.items()}
    anywhere = _unchecked(tv.SVHN, split_list=splits)
    train, test = (anywhere(str(found.path), split=part) for part in ("train", "test"))
    return RawData(train.data, train.labels, test.data, test.labels)


def _read_mini(found: Found) -> RawData:
    with np.load(found.files[0], allow_pickle=False) as npz:
        return RawData(
            npz["x_train"][:, None],
            npz["y_train"].astype(np.int64),
            npz["x_test"][:, None],
            npz["y_test"].astype(np.int64),
        )


_FASHION_NOTE = (
    "Fashion-MNIST by Zalando Research (Xiao, Rasul, Vollgraf 2017), MIT licence, "
    "https://github.com/zalandoresearch/fashion-mnist"
)
_KRIZ = "by Alex Krizhevsky (2009), https://www.cs.toronto.edu/~kriz/cifar.html"
_NOTES = {
    "fashion-mnist": _FASHION_NOTE,
    "mnist": "MNIST by LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/",
    "cifar10": f"CIFAR-10 {_KRIZ}",
    "cifar100": f"CIFAR-100 {_KRIZ}",
    "svhn": "SVHN cropped digits, Netzer et al. (2011), "
    "http://ufldl.stanford.edu/housenumbers/ (non-commercial use)",
    "fashion-mnist-mini": "stratified 10,000/2,000 subset (seed 0, dse.data.mini) of "
    + _FASHION_NOTE,
}


def _info(name: str, n: int, channels: int, mean, std, **kw) -> DatasetInfo:
    """Native size 28 (grey) or 32 (colour) with the matching crop padding; ``hflip`` only
    where a mirror image keeps its label (CIFAR; never digits, garments or house numbers)."""
    size = 28 if channels == 1 else 32
    hflip = name.startswith("cifar")
    padding = {28: 2, 32: 4}[size]
    return DatasetInfo(name, n, channels, size, mean, std, hflip, padding, _NOTES[name], **kw)


_IDX = tuple(name.removesuffix(".gz") for name, _ in tv.MNIST.resources)
_DIGITS = tuple(str(d) for d in range(10))
_FASHION = tuple(tv.FashionMNIST.classes)
_C10, _C100 = tv.CIFAR10, tv.CIFAR100

SOURCES: dict[str, Source] = {
    s.info.name: s
    for s in (
        Source(
            _info("fashion-mnist", 10, 1, (0.2860,), (0.3530,), classes=_FASHION),
            _IDX,
            ("FashionMNIST/raw", "fashion-mnist"),
            _idx_reader(tv.FashionMNIST),
            "apt-get install dataset-fashion-mnist (Debian/Ubuntu), or pass --data-dir DIR "
            "containing fashion-mnist/ with the IDX files from "
            "https://github.com/zalandoresearch/fashion-mnist",
            lambda root: tv.FashionMNIST(root, download=True),
            system_dirs=(DEBIAN_DATASETS / "fashion-mnist",),
            suffixes=("", ".gz"),
        ),
        Source(
            _info("mnist", 10, 1, (0.1307,), (0.3081,), classes=_DIGITS),
            _IDX,
            ("MNIST/raw", "mnist"),
            _idx_reader(tv.MNIST),
            "pass --data-dir DIR containing mnist/ (or MNIST/raw/) with the IDX files",
            lambda root: tv.MNIST(root, download=True),
            suffixes=("", ".gz"),
        ),
        Source(
            _info("cifar10", 10, 3, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
            _cifar_files(_C10),
            (_C10.base_folder, "."),
            _cifar_reader(_C10),
            f"pass --data-dir DIR containing {_C10.base_folder}/ (unpack {_C10.url})",
            lambda root: _C10(root, download=True),
        ),
        Source(
            _info("cifar100", 100, 3, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
            _cifar_files(_C100),
            (_C100.base_folder,),
            _cifar_reader(_C100),
            f"pass --data-dir DIR containing {_C100.base_folder}/ (unpack {_C100.url})",
            lambda root: _C100(root, download=True),
        ),
        Source(
            _info(
                "svhn", 10, 3, (0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970), classes=_DIGITS
            ),
            ("train_32x32.mat", "test_32x32.mat"),
            ("svhn", "SVHN", "."),
            _read_svhn,
            "pass --data-dir DIR containing train_32x32.mat and test_32x32.mat from "
            "http://ufldl.stanford.edu/housenumbers/",
            lambda root: [tv.SVHN(root / "svhn", s, download=True) for s in ("train", "test")],
        ),
        Source(
            _info("fashion-mnist-mini", 10, 1, (0.2840,), (0.3513,), classes=_FASHION),
            (MINI_FILE,),
            (".",),
            _read_mini,
            "reinstall dse (the file ships in dse/data/bundled/)",
            system_dirs=(BUNDLED_DIR,),
            disk_cache=False,
        ),
    )
}


def list_datasets() -> list[str]:
    """Sorted names of the built-in datasets (``imagefolder:<path>`` is accepted too)."""
    return sorted(SOURCES)


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        allowed = ", ".join([*list_datasets(), "imagefolder:<path>"])
        raise DataNotFoundError(f"unknown dataset {name!r}; choose one of: {allowed}") from None
