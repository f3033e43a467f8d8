"""Errors of ``dse export`` and of latency measurement (all ``DseError``: one line in the CLI)."""

from __future__ import annotations

from dse.errors import DseError

INSTALL_HINT = "pip install 'dse[export]'"


class ExportError(DseError):
    """An export that cannot be made, or whose check failed; nothing is left behind."""


class RuntimeMissing(ExportError):
    """onnx or onnxruntime is not installed."""


class LatencyDeviceError(DseError):
    """A worker on another kind of device than the study's tried to add latency results."""
