"""The loaded-data container :class:`TensorDataset` and :func:`make_synthetic`."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from dse.data.errors import DataFormatError
from dse.data.info import DatasetInfo

__all__ = ["TensorDataset", "make_synthetic"]


def _check_pair(name: str, part: str, images: torch.Tensor, labels: torch.Tensor) -> None:
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise DataFormatError(
            f"dataset {name!r}: {part} images must be uint8 (N, C, H, W), "
            f"got {images.dtype} {tuple(images.shape)}"
        )
    if labels.dtype != torch.int64 or labels.dim() != 1 or len(labels) != len(images):
        raise DataFormatError(
            f"dataset {name!r}: {part} labels must be int64 (N,) matching {len(images)} images, "
            f"got {labels.dtype} {tuple(labels.shape)}"
        )


@dataclass(frozen=True, eq=False)
class TensorDataset:
    """A whole dataset decoded into compact tensors.

    Images are uint8 (N, C, H, W), labels int64 (N,). ``key`` identifies the content
    (dataset name, source and size); it keys the in-process and per-device caches.
    ``source`` says where the data came from (a folder, ``bundled`` or ``synthetic``).
    Not to be confused with ``torch.utils.data.TensorDataset``: this one holds a train
    and a test part plus the :class:`DatasetInfo`, and is never indexed per sample.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    info: DatasetInfo
    source: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        _check_pair(self.info.name, "train", self.train_images, self.train_labels)
        _check_pair(self.info.name, "test", self.test_images, self.test_labels)
        shape = (self.info.in_channels, self.info.image_size, self.info.image_size)
        for part, images in (("train", self.train_images), ("test", self.test_images)):
            if tuple(images.shape[1:]) != shape:
                raise DataFormatError(
                    f"dataset {self.info.name!r}: {part} images are {tuple(images.shape[1:])}, "
                    f"info says {shape}"
                )
        if not self.key:
            object.__setattr__(self, "key", f"{self.info.name}@{id(self):x}")

    @property
    def device(self) -> torch.device:
        return self.train_images.device

    @property
    def num_train(self) -> int:
        return len(self.train_labels)

    @property
    def num_test(self) -> int:
        return len(self.test_labels)

    def to(self, device: torch.device | str) -> TensorDataset:
        """A copy on ``device`` (not memoised; use :func:`dse.data.to_device` for that)."""
        return replace(
            self,
            train_images=self.train_images.to(device),
            train_labels=self.train_labels.to(device),
            test_images=self.test_images.to(device),
            test_labels=self.test_labels.to(device),
        )

    def __repr__(self) -> str:
        return (
            f"TensorDataset({self.info.name!r}, train={self.num_train}, test={self.num_test}, "
            f"shape={tuple(self.train_images.shape[1:])}, device={self.device}, "
            f"source={self.source!r})"
        )


def make_synthetic(
    num_classes: int = 10,
    n: int = 256,
    channels: int = 1,
    size: int = 28,
    seed: int = 0,
    *,
    n_test: int | None = None,
) -> TensorDataset:
    """A small random but learnable in-memory dataset for fast tests of other packages.

    Each class has its own random mean image; samples are that image plus noise, so a
    model can fit it quickly. ``n`` training images and ``n_test`` (default ``n // 4``,
    at least 1) test images, labels cycling through all classes.
    """
    if num_classes < 1 or n < 1 or channels < 1 or size < 1:
        raise DataFormatError("make_synthetic: num_classes, n, channels and size must be >= 1")
    n_test = max(1, n // 4) if n_test is None else n_test
    gen = torch.Generator().manual_seed(seed)
    prototypes = torch.rand(num_classes, channels, size, size, generator=gen) * 200 + 28

    def draw(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.arange(count) % num_classes
        labels = labels[torch.randperm(count, generator=gen)]
        noise = torch.randn(count, channels, size, size, generator=gen) * 24
        images = (prototypes[labels] + noise).round().clamp(0, 255).to(torch.uint8)
        return images, labels.to(torch.int64)

    train_x, train_y = draw(n)
    test_x, test_y = draw(n_test)
    mean = tuple(float(m) for m in train_x.float().div(255).mean(dim=(0, 2, 3)))
    std = tuple(max(float(s), 1e-3) for s in train_x.float().div(255).std(dim=(0, 2, 3)))
    info = DatasetInfo(
        name="synthetic",
        num_classes=num_classes,
        in_channels=channels,
        image_size=size,
        mean=mean,
        std=std,
        hflip=False,
        crop_padding=max(1, size // 8),
        source="random class prototypes plus noise (dse.data.make_synthetic)",
    )
    key = f"synthetic:{num_classes}:{n}:{n_test}:{channels}:{size}:{seed}"
    return TensorDataset(train_x, train_y, test_x, test_y, info, source="synthetic", key=key)
