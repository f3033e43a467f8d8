"""Shipping a model: ONNX and TorchScript export with a model card, measured latency, int8.

``export_trial`` / ``export_front`` back ``dse export``; ``measure_spec`` / ``measure_model`` back
``dse arch --latency`` and the ``latency_ms`` objective and constraint of a study (measured before
training, see ``dse.export.latency``). onnx and onnxruntime come with ``pip install 'dse[export]'``;
importing this package does not need them.
"""

from __future__ import annotations

from dse.export.errors import INSTALL_HINT, ExportError, LatencyDeviceError, RuntimeMissing
from dse.export.exporter import ExportOptions, ExportResult, export_front, export_trial
from dse.export.latency import Latency, measure_model, measure_spec

__all__ = [
    "INSTALL_HINT", "ExportError", "ExportOptions", "ExportResult", "Latency", "LatencyDeviceError",
    "RuntimeMissing", "export_front", "export_trial", "measure_model", "measure_spec",
]
