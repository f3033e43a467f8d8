"""Measured latency: median of timed batch-1 forward passes after warm-up, on the worker's device.

On the CPU the network runs as ONNX in onnxruntime (what a CPU deployment runs); on a GPU it runs
in PyTorch eager mode (fp32), synchronising after each pass. Each measurement records the median,
the quartiles (IQR), the thread count, the device name and the runtime.

A study with a latency objective or constraint records the kind of device its latencies come
from (``STUDY_LATENCY_DEVICE``: device type, its name, CPU threads, runtime); a worker on another
kind refuses, in one line, to add latencies to it, so that no front mixes devices.
"""

from __future__ import annotations

import copy
import platform
import time
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch import nn

from dse.arch import ArchSpec, build
from dse.export.errors import LatencyDeviceError

RUNS = 50  # timed passes (the issue asks for at least 50)
WARMUP = 10  # untimed passes first (allocations, kernel selection, caches)


@dataclass(frozen=True)
class Latency:
    """One latency measurement, in milliseconds per batch-1 forward pass."""

    median_ms: float
    q1_ms: float
    q3_ms: float
    runs: int
    warmup: int
    batch: int
    threads: int
    device: str  # cpu | cuda | mps
    device_name: str
    runtime: str  # e.g. "onnxruntime 1.32.0 (CPUExecutionProvider)" or "torch 2.4.0 eager"

    @property
    def iqr_ms(self) -> float:
        return self.q3_ms - self.q1_ms

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "iqr_ms": round(self.iqr_ms, 4)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Latency:
        return cls(**{f.name: data[f.name] for f in fields(cls)})

    def kind(self) -> dict[str, Any]:
        return device_kind(self.device, self.device_name, self.threads)

    def summary(self) -> str:
        return (f"latency {self.median_ms:.3f} ms (median of {self.runs}, IQR {self.iqr_ms:.3f} ms, batch {self.batch}) "
                f"on {self.device_name} [{self.device}, {self.threads} thread{'s' * (self.threads != 1)}], {self.runtime}")


def device_kind(device: str, device_name: str, threads: int) -> dict[str, Any]:
    """What must match for two latencies to be comparable: device type and name, CPU threads, runtime."""
    cpu = device == "cpu"
    return {"device": device, "device_name": device_name, "threads": threads if cpu else None,
            "runtime": "onnxruntime" if cpu else "torch eager"}


@lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU model name (from /proc/cpuinfo where it exists)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return f"Apple MPS ({platform.machine()})"
    return cpu_name()


def _resolve(device: str | torch.device) -> torch.device:
    from dse.train.devices import resolve_device

    try:
        return resolve_device(device)
    except ValueError as exc:
        from dse.export.errors import ExportError

        raise ExportError(str(exc)) from None


def _quartiles(samples_ns: list[int]) -> tuple[float, float, float]:
    q1, med, q3 = np.percentile(np.asarray(samples_ns, dtype=np.float64) / 1e6, [25, 50, 75])
    return float(q1), float(med), float(q3)


def _time_onnxruntime(model: nn.Module, chw: tuple[int, int, int], runs: int, warmup: int, threads: int,
                      onnx_model: bytes | None) -> tuple[list[int], str]:
    from dse.export.onnx_export import INPUT_NAME, cpu_session, onnx_bytes
    from dse.export.runtime import require_onnxruntime

    ort = require_onnxruntime()
    session = cpu_session(onnx_model or onnx_bytes(model, chw), threads=threads)
    feed = {INPUT_NAME: np.random.default_rng(0).standard_normal((1, *chw)).astype(np.float32)}
    for _ in range(warmup):
        session.run(None, feed)
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        session.run(None, feed)
        samples.append(time.perf_counter_ns() - start)
    return samples, f"onnxruntime {ort.__version__} (CPUExecutionProvider)"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _time_eager(model: nn.Module, chw: tuple[int, int, int], runs: int, warmup: int, device: torch.device) -> tuple[list[int], str]:
    model = copy.deepcopy(model).to(device).eval()  # the caller's model stays on the CPU
    x = torch.randn(1, *chw, generator=torch.Generator().manual_seed(0)).to(device)
    samples = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        _sync(device)
        for _ in range(runs):
            start = time.perf_counter_ns()
            model(x)
            _sync(device)
            samples.append(time.perf_counter_ns() - start)
    return samples, f"torch {torch.__version__} eager (fp32)"


def measure_model(model: nn.Module, chw: tuple[int, int, int], device: str | torch.device = "auto", *,
                  runs: int = RUNS, warmup: int = WARMUP, threads: int | None = None,
                  onnx_model: bytes | None = None) -> Latency:
    """Latency of ``model`` (CPU, fp32) for one input of shape ``chw``: onnxruntime on the CPU with
    ``threads`` intra-op threads (default: torch's thread count), PyTorch eager on a GPU.
    ``onnx_model``: the model's ONNX bytes when already exported (else exported here for the CPU)."""
    if runs < RUNS:
        raise ValueError(f"runs must be >= {RUNS} for a stable median, got {runs}")
    dev = _resolve(device)
    threads = threads or torch.get_num_threads()
    model = model.eval()
    if dev.type == "cpu":
        samples, runtime = _time_onnxruntime(model, chw, runs, warmup, threads, onnx_model)
    else:
        samples, runtime = _time_eager(model, chw, runs, warmup, dev)
    q1, med, q3 = _quartiles(samples)
    return Latency(median_ms=round(med, 4), q1_ms=round(q1, 4), q3_ms=round(q3, 4), runs=runs, warmup=warmup, batch=1, threads=threads,
                   device=dev.type, device_name=device_name(dev), runtime=runtime)


def spec_input(spec: ArchSpec) -> tuple[int, int, int]:
    """(C, H, W) of the canonical network's input (the resolution multiplier already applied)."""
    size = spec.effective_input_size
    return (spec.in_channels, size, size)


def build_canonical(spec: ArchSpec, seed: int = 0) -> nn.Module:
    """The canonical network of ``spec`` with initial weights from ``seed``, leaving the global RNG alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build(spec.canonical()).eval()


def measure_spec(spec: ArchSpec, device: str | torch.device = "auto", **kwargs: Any) -> Latency:
    """Latency of the canonical network of ``spec`` (initial weights: latency does not depend on them)."""
    return measure_model(build_canonical(spec), spec_input(spec), device, **kwargs)


# ------------------------------------------------------------------------------ studies
def describe_kind(kind: dict[str, Any]) -> str:
    threads = f", {kind['threads']} threads" if kind.get("threads") else ""
    return f"{kind.get('device')} {kind.get('device_name')!r}{threads} ({kind.get('runtime')})"


def check_study_device(study: Any, kind: dict[str, Any]) -> None:
    """Record ``kind`` as the study's latency device, or refuse when the study has another one."""
    from dse.study import attrs

    stored = study.user_attrs.get(attrs.STUDY_LATENCY_DEVICE)
    if stored is None:
        study.set_user_attr(attrs.STUDY_LATENCY_DEVICE, kind)
        return
    if {k: stored.get(k) for k in kind} != kind:
        hint = f" (start it with --threads {stored['threads']})" if stored.get("threads") and kind["device"] == "cpu" else ""
        raise LatencyDeviceError(
            f"study {study.study_name!r} measures latency on {describe_kind(stored)}, this worker on "
            f"{describe_kind(kind)}: latencies from different devices are never mixed in one front; run "
            f"this study's workers on the study's kind of device{hint}"
        )


def trial_latency(trial: Any, spec: ArchSpec, device: str | torch.device = "auto") -> float:
    """Measure ``spec`` for an Optuna trial before it is trained: check the study's latency device,
    store the measurement (``LATENCY_MS``, ``LATENCY``) and return the median in ms."""
    from dse.study import attrs

    dev = _resolve(device)
    threads = torch.get_num_threads()
    check_study_device(trial.study, device_kind(dev.type, device_name(dev), threads))
    latency = measure_spec(spec, dev, threads=threads)
    trial.set_user_attr(attrs.LATENCY_MS, latency.median_ms)
    trial.set_user_attr(attrs.LATENCY, latency.to_dict())
    return latency.median_ms
