"""Fixtures for the dse.train tests: a tiny dataset and tiny models."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import dse.data


@pytest.fixture
def synthetic() -> Any:
    """A small, learnable 4-class dataset of 1x8x8 uint8 images (512 train, 128 test)."""
    return dse.data.make_synthetic(num_classes=4, n=512, channels=1, size=8, seed=0)


class TinyNet(nn.Module):
    """conv-BN-ReLU-pool-linear: enough to learn the synthetic task in a few epochs."""

    def __init__(self, in_channels: int = 1, num_classes: int = 4, width: int = 8) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(width * 4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@pytest.fixture
def tiny_net() -> type[TinyNet]:
    return TinyNet
