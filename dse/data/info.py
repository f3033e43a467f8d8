"""Dataset descriptions (:class:`DatasetInfo`) and the decorator-based registry of sources.

Every built-in dataset is a :class:`DatasetSource` subclass registered with
:func:`register_dataset` (in the style of timm's model registry), so tests and
the CLI can enumerate them with :func:`list_datasets`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from dse.data.errors import DataError, DataNotFoundError

__all__ = [
    "IMAGEFOLDER_PREFIX",
    "DatasetInfo",
    "DatasetSource",
    "Found",
    "RawData",
    "get_source",
    "list_datasets",
    "register_dataset",
]

IMAGEFOLDER_PREFIX = "imagefolder:"


@dataclass(frozen=True)
class DatasetInfo:
    """What a trainer needs to know about a dataset, independent of where it lives.

    ``mean`` and ``std`` are per channel, on the 0..1 scale (pixel / 255).
    ``hflip`` says whether horizontal flips preserve the label (never for digits,
    garments' asymmetric details or house numbers; yes for CIFAR's natural images).
    ``crop_padding`` is the padding, in pixels, of the random-crop augmentation.
    """

    name: str
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    hflip: bool
    crop_padding: int
    source: str
    classes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.num_classes < 1 or self.in_channels < 1 or self.image_size < 1:
            raise DataError(
                f"dataset {self.name!r}: num_classes, in_channels and image_size must be >= 1"
            )
        if len(self.mean) != self.in_channels or len(self.std) != self.in_channels:
            raise DataError(
                f"dataset {self.name!r}: mean and std need one value per channel "
                f"({self.in_channels}), got {len(self.mean)} and {len(self.std)}"
            )
        if any(s <= 0 for s in self.std):
            raise DataError(f"dataset {self.name!r}: std must be > 0, got {self.std}")
        if self.crop_padding < 0:
            raise DataError(f"dataset {self.name!r}: crop_padding must be >= 0")
        if self.classes and len(self.classes) != self.num_classes:
            raise DataError(
                f"dataset {self.name!r}: {len(self.classes)} class names for "
                f"{self.num_classes} classes"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (lists instead of tuples), e.g. for study attributes."""
        out = asdict(self)
        for key in ("mean", "std", "classes"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetInfo:
        """Inverse of :meth:`to_dict`."""
        fields = dict(data)
        for key in ("mean", "std", "classes"):
            fields[key] = tuple(fields.get(key, ()))
        return cls(**fields)


@dataclass(frozen=True)
class Found:
    """A complete copy of a dataset on disk: its folder and the files that will be read."""

    path: Path
    files: tuple[Path, ...]


@dataclass(frozen=True)
class RawData:
    """Decoded arrays as read from disk: uint8 images (N, C, H, W) and integer labels (N,)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...] = ()


class DatasetSource(ABC):
    """How to find, read and download one named dataset.

    Subclasses set :attr:`info`, :attr:`layouts` (folders, relative to a search root,
    that may hold the files; ``"."`` is the root itself), :attr:`expected` and
    :attr:`how_to_get` (used in the not-found message), and implement :meth:`files_in`
    and :meth:`read`; :meth:`download` is optional.
    """

    info: ClassVar[DatasetInfo]
    layouts: ClassVar[tuple[str, ...]] = (".",)
    system_dirs: ClassVar[tuple[Path, ...]] = ()
    expected: ClassVar[str] = ""
    how_to_get: ClassVar[str] = ""
    disk_cache: ClassVar[bool] = True
    downloadable: ClassVar[bool] = False

    @abstractmethod
    def files_in(self, folder: Path) -> tuple[Path, ...] | None:
        """The files to read if ``folder`` holds a complete copy, else None."""

    @abstractmethod
    def read(self, found: Found) -> RawData:
        """Decode the files of ``found``; raise DataFormatError on malformed files."""

    def download(self, root: Path) -> None:
        """Download into ``root`` (torchvision's layout); network errors propagate."""
        raise DataNotFoundError(f"dataset {self.info.name!r} cannot be downloaded")

    def find(self, root: Path) -> Found | None:
        """The first complete copy among :attr:`layouts` under ``root``, or None.

        A root whose own trailing folders equal a layout (``.../fashion-mnist``) is
        itself a candidate, so a data dir may point at the dataset folder directly.
        """
        for layout in self.layouts:
            parts = Path(layout).parts
            at_root = layout == "." or root.parts[-len(parts) :] == parts
            folder = root if at_root else root / layout
            if folder.is_dir():
                files = self.files_in(folder)
                if files is not None:
                    return Found(folder.resolve(), tuple(f.resolve() for f in files))
        return None


_S = TypeVar("_S", bound=type[DatasetSource])
_REGISTRY: dict[str, type[DatasetSource]] = {}


def register_dataset(cls: _S) -> _S:
    """Class decorator: register a :class:`DatasetSource` under ``cls.info.name``."""
    name = cls.info.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise DataError(f"dataset name {name!r} is already registered")
    _REGISTRY[name] = cls
    return cls


def list_datasets() -> list[str]:
    """Sorted names of the registered datasets (``imagefolder:<path>`` is accepted too)."""
    return sorted(_REGISTRY)


def get_source(name: str) -> DatasetSource:
    """A fresh source object for a registered dataset name."""
    try:
        return _REGISTRY[name]()
    except KeyError:
        allowed = ", ".join(list_datasets() + [f"{IMAGEFOLDER_PREFIX}<path>"])
        raise DataNotFoundError(f"unknown dataset {name!r}; choose one of: {allowed}") from None
