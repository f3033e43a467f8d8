"""Round tick values for axes whose ticks Plotly would place badly (issue 16, finding 6).

A secondary y-axis overlaying another one gets its ticks aligned to the first axis's grid, so
they land on values like 116k/253k/390k; whole-number parameters get ticks at 1.5, 2.5. The
figure builders therefore give such axes explicit ``tickvals`` from these functions: linear
steps of 1, 2, 2.5 or 5 times a power of ten, log ticks at 1, 2 and 5 times a power of ten.
"""

from __future__ import annotations

import math

MANTISSAS = (1.0, 2.0, 2.5, 5.0, 10.0)


def _round(value: float) -> float:
    return float(f"{value:.12g}")  # drop float noise such as 0.30000000000000004


def linear_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """About ``target`` round ticks covering [lo, hi] (a single value gets one tick)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        return [_round(lo)]
    raw = (hi - lo) / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in MANTISSAS if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    out, v = [], first
    while v <= hi + step * 1e-9 + step:  # one tick at or beyond each end
        out.append(_round(v))
        if v >= hi - step * 1e-9:
            break
        v += step
    return out


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks at 1, 2 and 5 times powers of ten covering [lo, hi] (lo > 0); only powers of ten
    when the range spans more than three decades."""
    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi < lo:
        lo, hi = hi, lo
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    mantissas = (1.0,) if last - first > 3 else (1.0, 2.0, 5.0)
    candidates = [_round(m * 10.0 ** e) for e in range(first, last + 1) for m in mantissas]
    below = [c for c in candidates if c <= lo]
    above = [c for c in candidates if c >= hi]
    start = below[-1] if below else candidates[0]
    stop = above[0] if above else candidates[-1]
    return [c for c in candidates if start <= c <= stop]


def si(value: float) -> str:
    """Short text of a tick value: 2k, 250k, 1.5M, 0.25."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"
