"""``dse export``: one trial (or the whole front) to model.onnx / model.pt + arch.yaml + model_card.json.

Everything that can be refused is refused before a file is written (unknown trial, a trial that
was not trained to the end, missing retrained weights, an output folder in the way, onnxruntime
missing); everything is then written into a hidden folder beside the target and renamed into
place only when every check passed, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dse.arch import cost
from dse.data import DatasetInfo, get_info, load_dataset
from dse.export.card import CARD_NAME, file_entry, model_card
from dse.errors import DseError
from dse.export.errors import ExportError
from dse.export.latency import Latency, measure_model, spec_input
from dse.export.onnx_export import check_onnx, export_onnx
from dse.export.quantize import CALIBRATION_IMAGES, calibration_batches, onnx_accuracy, quantize_int8
from dse.export.runtime import require_export_stack, versions
from dse.export.source import (
    TrialSource,
    Weights,
    front_numbers,
    make_model,
    open_study,
    resolve_weights,
    trial_source,
)
from dse.export.staging import check_target, staged_folder
from dse.export.torchscript import export_torchscript

FORMATS = {"onnx": ("onnx",), "torchscript": ("torchscript",), "both": ("onnx", "torchscript")}
ONNX_FILE, INT8_FILE, TORCHSCRIPT_FILE, ARCH_FILE = "model.onnx", "model.int8.onnx", "model.pt", "arch.yaml"


@dataclass(frozen=True)
class ExportOptions:
    format: str = "both"  # onnx | torchscript | both
    weights: str = "retrained"  # retrained | none
    seed: int | None = None  # retrain seed to take (default: the best run); initial-weight seed for none
    int8: bool = False
    device: str = "auto"  # where latency is measured: cpu (onnxruntime) or a GPU (PyTorch eager)
    artifacts_dir: str | None = None
    data_dir: str | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ExportError(f"--format must be one of {', '.join(FORMATS)}; got {self.format!r}")
        if self.weights not in ("retrained", "none"):
            raise ExportError(f"--weights must be retrained or none; got {self.weights!r}")
        if self.int8 and "onnx" not in FORMATS[self.format]:
            raise ExportError("--int8 quantizes the ONNX model; use --format onnx or --format both")

    @property
    def formats(self) -> tuple[str, ...]:
        return FORMATS[self.format]


@dataclass(frozen=True)
class ExportResult:
    folder: Path  # where the trial's files are (inside the front's folder for --pareto)
    card: dict[str, Any] = field(repr=False)


def dataset_info(source: TrialSource, data_dir: str | None) -> DatasetInfo:
    name = source.dataset.get("name")
    if not name:
        raise ExportError(f"study {source.study!r} records no dataset, so the card cannot name its normalisation")
    return get_info(str(name), data_dir or source.data_dir, image_size=source.image_size, download=False)


def _int8(folder: Path, source: TrialSource, info: DatasetInfo, data_dir: str | None, model) -> dict[str, Any]:
    data = load_dataset(info.name, data_dir or source.data_dir, image_size=source.image_size)
    size = source.spec.input_size
    batches = calibration_batches(data.train_images, info.mean, info.std, size)
    quantize_int8(folder / ONNX_FILE, folder / INT8_FILE, batches)
    args = (data.test_images, data.test_labels, info.mean, info.std, size)
    fp32_acc, int8_acc = onnx_accuracy(folder / ONNX_FILE, *args), onnx_accuracy(folder / INT8_FILE, *args)
    chw = spec_input(source.spec)
    cpu = {name: measure_model(model, chw, "cpu", onnx_model=(folder / name).read_bytes())
           for name in (ONNX_FILE, INT8_FILE)}
    return {
        "file": INT8_FILE, "bytes": (folder / INT8_FILE).stat().st_size, "test_acc": int8_acc,
        "fp32_file": ONNX_FILE, "fp32_bytes": (folder / ONNX_FILE).stat().st_size, "fp32_test_acc": fp32_acc,
        "test_images": len(data.test_labels), "calibration_images": CALIBRATION_IMAGES,
        "cpu_latency_ms": {"int8": cpu[INT8_FILE].median_ms, "fp32": cpu[ONNX_FILE].median_ms,
                           "threads": cpu[ONNX_FILE].threads, "device_name": cpu[ONNX_FILE].device_name},
        "method": "onnxruntime static quantization, QDQ, per-channel int8 weights, uint8 activations",
        "runtime": f"onnxruntime {versions()['onnxruntime']} (CPUExecutionProvider)",
    }


def write_export(folder: Path, source: TrialSource, weights: Weights, info: DatasetInfo,
                 options: ExportOptions) -> dict[str, Any]:
    """Write one trial's files into the (empty, staged) ``folder``; returns the model card."""
    model = make_model(source, weights)
    chw = spec_input(source.spec)
    checks: dict[str, float] = {}
    onnx_model = None
    if "onnx" in options.formats:
        onnx_model = export_onnx(model, chw, folder / ONNX_FILE)
        checks["onnx_max_abs_diff"] = check_onnx(folder / ONNX_FILE, model, chw)
    if "torchscript" in options.formats:
        checks["torchscript_max_abs_diff"] = export_torchscript(model, chw, folder / TORCHSCRIPT_FILE)
    latency: Latency = measure_model(model, chw, options.device, onnx_model=onnx_model)
    int8 = _int8(folder, source, info, options.data_dir, model) if options.int8 else None
    header = (f"# {source.spec.label()}\n# canonical ArchSpec of trial {source.number} of study {source.study} "
              f"(arch hash {source.spec.arch_hash()}); `dse arch {ARCH_FILE}` reads it\n")
    (folder / ARCH_FILE).write_text(header + yaml.safe_dump(source.spec.to_dict(), sort_keys=False))
    files = {p.name: file_entry(p) for p in sorted(folder.iterdir()) if p.is_file()}
    card = model_card(source=source, weights=weights, info=info, cost=cost(source.spec), latency=latency,
                      files=files, checks=checks, int8=int8, versions=versions())
    (folder / CARD_NAME).write_text(json.dumps(card, indent=2) + "\n")
    return card


def _prepare(storage: str, name: str, numbers: list[int] | None, options: ExportOptions):
    require_export_stack()
    study = open_study(storage, name)
    numbers = front_numbers(study) if numbers is None else numbers
    sources = [trial_source(study, storage, n) for n in numbers]
    weights, missing = [], []
    for source in sources:
        try:
            weights.append(resolve_weights(source, options.weights, options.seed, options.artifacts_dir))
        except DseError as exc:
            if len(sources) == 1 or "`dse retrain" not in str(exc):
                raise
            missing.append(str(source.number))
    if missing:
        raise ExportError(f"trials {', '.join(missing)} of the front of {name!r} have no retrained weights"
                          f"{f' with seed {options.seed}' if options.seed is not None else ''}; run `dse retrain "
                          f"{name} --trials {','.join(missing)}`, or export the architectures with --weights none")
    return sources, weights, dataset_info(sources[0], options.data_dir)


def default_out(name: str, trial: int | None) -> Path:
    return Path("exports") / (f"{name}-trial{trial}" if trial is not None else f"{name}-front")


def export_trial(storage: str, name: str, trial: int, out: str | Path | None = None,
                 options: ExportOptions | None = None, force: bool = False) -> ExportResult:
    """Export trial ``trial`` of study ``name`` into ``out`` (default ``exports/NAME-trialN``)."""
    options = options or ExportOptions()
    target = Path(out) if out is not None else default_out(name, trial)
    check_target(target, force)
    (source,), (weights,), info = _prepare(storage, name, [trial], options)
    with staged_folder(target, force) as tmp:
        card = write_export(tmp, source, weights, info, options)
    return ExportResult(target, card)


def export_front(storage: str, name: str, out: str | Path | None = None, options: ExportOptions | None = None,
                 force: bool = False) -> list[ExportResult]:
    """Export every trial of the Pareto set into ``out/trial_N`` (default ``exports/NAME-front``),
    with ``front.json`` listing them; all of them or none."""
    options = options or ExportOptions()
    target = Path(out) if out is not None else default_out(name, None)
    check_target(target, force)
    sources, weights, info = _prepare(storage, name, None, options)
    results, index = [], []
    with staged_folder(target, force) as tmp:
        for source, w in zip(sources, weights):
            sub = f"trial_{source.number}"
            (tmp / sub).mkdir()
            card = write_export(tmp / sub, source, w, info, options)
            results.append(ExportResult(target / sub, card))
            index.append({"trial": source.number, "folder": sub, "label": card["label"], "params": card["params"],
                          "macs": card["macs"], "latency_ms": card["latency"]["median_ms"],
                          "objectives": source.objectives, "confirmed": card["accuracy"]["confirmed"]})
        (tmp / "front.json").write_text(json.dumps({"study": name, "trials": index}, indent=2) + "\n")
    return results
