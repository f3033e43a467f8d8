"""Channel and spatial arithmetic shared by the spec, the cost model and the builder."""

from __future__ import annotations

import math

LAYERS: tuple[str, ...] = ("stem",) + tuple(f"fire{i}" for i in range(2, 10))
"""Layers after which a stride-2 reduction (3x3 max pool, stride 2, ceil mode) may happen."""

FIRE_NAMES: tuple[str, ...] = LAYERS[1:]


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (Python's ``round`` is banker's rounding)."""
    return int(math.floor(x + 0.5))


def scale_channels(channels: int, alpha: float, divisor: int = 1) -> int:
    """Apply a width multiplier to a channel count.

    ``channels * alpha`` is rounded half-up to the nearest multiple of ``divisor``, is never
    below ``divisor`` and never more than 10% below ``channels * alpha`` (the MobileNet /
    torchvision ``_make_divisible`` rule). With ``alpha=1`` and ``divisor=1`` counts are unchanged.
    """
    value = channels * alpha
    scaled = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if scaled < 0.9 * value:
        scaled += divisor
    return scaled


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    """Spatial output size of a convolution (floor mode, as PyTorch)."""
    return (size + 2 * padding - kernel) // stride + 1


def pool_out(size: int) -> int:
    """Spatial output size of ``MaxPool2d(3, stride=2, ceil_mode=True)`` as PyTorch computes it.

    Returns 0 when the input is too small to pool (size 1).
    """
    out = -(-(size - 3) // 2) + 1
    if out > 0 and (out - 1) * 2 >= size:
        out -= 1
    return max(out, 0)
