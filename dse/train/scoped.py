"""Context managers that change process-wide state only for the duration of a call.

Lightning's Trainer sets torch flags (cudnn.benchmark, deterministic algorithms,
CUBLAS_WORKSPACE_CONFIG) and logs banners; `torch_state` and `quiet_lightning`
put everything back afterwards so a trial leaves no trace on the caller.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["quiet_lightning", "torch_state"]

_LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning", "pytorch_lightning")
_NOISY_MESSAGES = (
    r".*does not have many workers.*",
    r".*number of training batches .* is smaller than the logging interval.*",
    r".*Total length of .* across ranks is zero.*",
    r".*Trainer\.fit. stopped.*",
    r".*LeafSpec.*",
    r".*torch\.set_float32_matmul_precision.*",
    r".*max_epochs. was not set.*",
    r".*sampler has shuffling enabled.*",
)


@contextmanager
def quiet_lightning(enabled: bool = True) -> Iterator[None]:
    """Silence Lightning's info banners and its advisory warnings inside the block.

    Logger levels are restored and the warnings filters are scoped with
    `warnings.catch_warnings`, so nothing leaks out of the block.
    """
    if not enabled:
        yield
        return
    from lightning.fabric.utilities.warnings import PossibleUserWarning

    saved = {name: logging.getLogger(name).level for name in _LIGHTNING_LOGGERS}
    try:
        for name in _LIGHTNING_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=PossibleUserWarning)
            for pattern in _NOISY_MESSAGES:
                warnings.filterwarnings("ignore", message=pattern)
            warnings.filterwarnings("ignore", module=r"lightning(\.|$)")
            warnings.filterwarnings("ignore", module=r"pytorch_lightning(\.|$)")
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@contextmanager
def torch_state(
    *, device: torch.device, num_threads: int | None = None, cudnn_benchmark: bool | None = None
) -> Iterator[None]:
    """Save and restore torch global flags that training touches.

    Inside the block: `num_threads` (when given) sets torch's CPU threads;
    `cudnn_benchmark` (when given) sets `torch.backends.cudnn.benchmark`; on CUDA,
    float32 matmuls may use TF32 ("high"). Restored on exit, as are the
    deterministic-algorithms switch and CUBLAS_WORKSPACE_CONFIG that Lightning's
    `deterministic=` option sets.
    """
    saved_threads = torch.get_num_threads()
    saved_benchmark = torch.backends.cudnn.benchmark
    saved_det = torch.are_deterministic_algorithms_enabled()
    saved_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    saved_matmul = torch.get_float32_matmul_precision()
    saved_cublas = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    try:
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        if cudnn_benchmark is not None:
            torch.backends.cudnn.benchmark = cudnn_benchmark
        if device.type == "cuda":
            torch.set_float32_matmul_precision("high")
        yield
    finally:
        if torch.get_num_threads() != saved_threads:
            torch.set_num_threads(saved_threads)
        torch.backends.cudnn.benchmark = saved_benchmark
        torch.use_deterministic_algorithms(saved_det, warn_only=saved_warn_only)
        torch.set_float32_matmul_precision(saved_matmul)
        if saved_cublas is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = saved_cublas
