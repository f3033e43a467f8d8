"""Device choice and out-of-memory handling."""

from __future__ import annotations

import torch

__all__ = ["is_out_of_memory", "release_device_memory", "resolve_device"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """ "auto" -> the first CUDA GPU, else Apple MPS, else CPU; other values as given.

    A bare "cuda" means the current CUDA device.

    Matches Lightning's `accelerator="auto"` choice for a single device.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or not device:
        raise ValueError(f"device={device!r} is invalid: must be 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", 0)  # what Lightning's accelerator="auto", devices=1 picks
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device={device!r} is invalid: {exc}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} is invalid: CUDA is not available on this machine")
    if resolved.type == "cuda" and resolved.index is None:
        resolved = torch.device("cuda", torch.cuda.current_device())
    return resolved


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA/host out-of-memory errors (typed or by their message)."""
    if isinstance(exc, MemoryError):
        return True
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def release_device_memory(device: torch.device) -> None:
    """Return cached, unused accelerator memory to the driver."""
    if device.type == "cuda" and torch.cuda.is_available():
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()
