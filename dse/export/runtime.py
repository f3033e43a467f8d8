"""The optional ONNX stack (``dse[export]``): importing it with a one-line hint, and version strings."""

from __future__ import annotations

import importlib
import platform
from types import ModuleType

from dse.export.errors import INSTALL_HINT, RuntimeMissing


def _module(name: str, purpose: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise RuntimeMissing(f"{name} is not installed ({purpose}); install it with: {INSTALL_HINT}") from None


def require_onnx() -> ModuleType:
    """The ``onnx`` module, or RuntimeMissing naming ``pip install 'dse[export]'``."""
    return _module("onnx", "needed to write ONNX models")


def require_onnxruntime() -> ModuleType:
    """The ``onnxruntime`` module, or RuntimeMissing naming ``pip install 'dse[export]'``."""
    return _module("onnxruntime", "needed to check ONNX models and measure CPU latency")


def require_export_stack() -> tuple[ModuleType, ModuleType]:
    """Both ``onnx`` and ``onnxruntime`` (what ``dse export`` needs whatever the format)."""
    return require_onnx(), require_onnxruntime()


def versions() -> dict[str, str | None]:
    """Versions of dse, torch, onnx, onnxruntime and Python (None for a missing package)."""
    import torch

    import dse

    out: dict[str, str | None] = {"dse": dse.__version__, "torch": torch.__version__}
    for name in ("onnx", "onnxruntime"):
        try:
            out[name] = importlib.import_module(name).__version__
        except ImportError:
            out[name] = None
    out["python"] = platform.python_version()
    return out
