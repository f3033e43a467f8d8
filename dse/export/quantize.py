"""int8: static quantization of the ONNX model with onnxruntime, and accuracy of ONNX models.

Calibration uses ``CALIBRATION_IMAGES`` training images (a seeded random choice), preprocessed as
in training: pixel / 255, per-channel mean and std, resized to the network's input size when the
dataset's differs. Weights are quantized per channel to int8 and activations to uint8, in QDQ
format (onnxruntime's default; it fuses the pairs into integer kernels on the CPU).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dse.export.errors import ExportError
from dse.export.onnx_export import INPUT_NAME, OUTPUT_NAME, cpu_session
from dse.export.runtime import require_onnxruntime

CALIBRATION_IMAGES = 256
CALIBRATION_BATCH = 32
EVAL_BATCH = 256


def preprocess(images: torch.Tensor, mean: Sequence[float], std: Sequence[float], size: int) -> np.ndarray:
    """uint8 (N, C, H, W) images -> the network's float32 input (normalised, resized to ``size``)."""
    x = images.float().div_(255.0)
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    x = (x - m) / s
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x.contiguous().numpy()


def calibration_batches(images: torch.Tensor, mean: Sequence[float], std: Sequence[float], size: int,
                        count: int = CALIBRATION_IMAGES, seed: int = 0) -> list[np.ndarray]:
    """``count`` training images chosen with ``seed``, preprocessed, in batches of CALIBRATION_BATCH."""
    if len(images) < count:
        raise ExportError(f"int8 calibration needs {count} training images; the dataset has {len(images)}")
    chosen = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:count]
    x = preprocess(images[chosen.sort().values], mean, std, size)
    return [x[i : i + CALIBRATION_BATCH] for i in range(0, count, CALIBRATION_BATCH)]


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """onnxruntime.quantization writes advice through the root logger; keep the CLI output clean."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def quantize_int8(fp32_path: str | Path, int8_path: str | Path, batches: list[np.ndarray]) -> None:
    """Statically quantize the ONNX model at ``fp32_path`` into ``int8_path``, calibrated on ``batches``."""
    require_onnxruntime()
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._it, None)
            return None if batch is None else {INPUT_NAME: batch}

    with tempfile.TemporaryDirectory(prefix="dse-int8-") as tmp, _quiet_root_logger():
        prepared = Path(tmp) / "prepared.onnx"
        try:
            quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
            quantize_static(str(prepared), str(int8_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            raise ExportError(f"int8 quantization failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc


def onnx_accuracy(model_path: str | Path | bytes, images: torch.Tensor, labels: torch.Tensor,
                  mean: Sequence[float], std: Sequence[float], size: int) -> float:
    """Top-1 accuracy of an ONNX classifier on uint8 ``images`` (run by onnxruntime on the CPU)."""
    session = cpu_session(model_path)
    correct = 0
    for start in range(0, len(images), EVAL_BATCH):
        x = preprocess(images[start : start + EVAL_BATCH], mean, std, size)
        logits = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        correct += int((logits.argmax(axis=1) == labels[start : start + EVAL_BATCH].numpy()).sum())
    return correct / max(1, len(images))
