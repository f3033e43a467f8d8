"""Writing a network as TorchScript (``model.pt``) and checking that the saved file reloads and matches."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from dse.export.errors import ExportError

TOLERANCE = 1e-5  # the reloaded module runs the same kernels: differences are rounding only


def load_torchscript(path: str | Path) -> torch.jit.ScriptModule:
    """Load a ``model.pt`` written by :func:`export_torchscript` onto the CPU."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated in favour of torch.export
        return torch.jit.load(str(path), map_location="cpu")


def export_torchscript(model: nn.Module, chw: tuple[int, int, int], path: str | Path) -> float:
    """Script ``model`` (eval mode, CPU), save it to ``path``, reload it and compare both on random
    inputs of two batch sizes; returns the largest absolute difference (ExportError above TOLERANCE)."""
    model = model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            scripted = torch.jit.script(model)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            raise ExportError(f"TorchScript export failed: {type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
        torch.jit.save(scripted, str(path))
    reloaded = load_torchscript(path)
    gen = torch.Generator().manual_seed(2)
    worst = 0.0
    for batch in (1, 3):
        x = torch.randn(batch, *chw, generator=gen)
        with torch.no_grad():
            diff = float((reloaded(x) - model(x)).abs().max())
        worst = max(worst, diff)
        if not diff <= TOLERANCE:
            raise ExportError(
                f"TorchScript check failed: the reloaded model.pt differs from the PyTorch model by {diff:.3g} "
                f"(allowed {TOLERANCE:g})"
            )
    return worst
