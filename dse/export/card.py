"""The model card (``model_card.json``): what a deployment needs to know about an exported model."""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import Any

from dse.arch import Cost
from dse.data import DatasetInfo
from dse.export.latency import Latency
from dse.export.onnx_export import BATCH_AXIS, INPUT_NAME, OUTPUT_NAME
from dse.export.source import TrialSource, Weights

CARD_VERSION = 1
CARD_NAME = "model_card.json"


def file_entry(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def input_section(source: TrialSource, info: DatasetInfo) -> dict[str, Any]:
    spec = source.spec
    size = spec.input_size
    section: dict[str, Any] = {
        "name": INPUT_NAME, "shape": [BATCH_AXIS, spec.in_channels, size, size], "dtype": "float32",
        "layout": "NCHW", "preprocess": "x = (pixel / 255 - mean) / std, per channel",
        "mean": list(info.mean), "std": list(info.std), "dataset_image_size": info.image_size,
    }
    if size != info.image_size:
        section["resize"] = (f"resize the normalised {info.image_size}x{info.image_size} images to {size}x{size} "
                             "(bilinear, antialiased), as in training")
    return section


def model_card(*, source: TrialSource, weights: Weights, info: DatasetInfo, cost: Cost, latency: Latency,
               files: dict[str, dict[str, Any]], checks: dict[str, float], int8: dict[str, Any] | None,
               versions: dict[str, str | None]) -> dict[str, Any]:
    """Every field of the card, as plain JSON data."""
    spec = source.spec
    confirmed = None
    if weights.kind == "retrained":
        confirmed = {"val_acc": weights.val_acc, "test_acc": weights.test_acc, "seed": weights.seed,
                     "retrain_study": f"{source.study}.retrain", "retrain_trial": weights.retrain_trial}
    return {
        "card_version": CARD_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "study": source.study,
        "trial": source.number,
        "label": spec.label(),
        "arch_hash": spec.arch_hash(),
        "dataset": {"name": info.name, "num_classes": info.num_classes, "in_channels": info.in_channels,
                    "image_size": info.image_size},
        "input": input_section(source, info),
        "output": {"name": OUTPUT_NAME, "shape": [BATCH_AXIS, spec.num_classes], "meaning": "class logits (no softmax)"},
        "class_names": list(info.classes) or [str(i) for i in range(info.num_classes)],
        "params": cost.params,
        "macs": cost.macs,
        "flops": cost.flops,
        "bytes": {dtype: cost.size_bytes(dtype) for dtype in ("fp32", "fp16", "int8")},
        "weights": weights.kind,
        "weights_note": weights.note(),
        "seed": weights.seed,
        "accuracy": {
            "brief_val_acc": source.brief_val_acc,
            "search_objectives": source.objectives,
            "confirmed": confirmed,
        },
        "latency": latency.to_dict(),
        "int8": int8,
        "files": files,
        "checks": checks,
        "versions": versions,
    }
