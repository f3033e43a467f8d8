"""What a trainer needs to know about a dataset: :class:`DatasetInfo`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dse.data.errors import DataError

__all__ = ["DatasetInfo"]


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
