"""dse: design-space exploration for small CNNs built from SqueezeNet Fire modules."""

from __future__ import annotations

__version__ = "0.1.0"
