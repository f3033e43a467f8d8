"""Writing a network as ONNX with a dynamic batch axis, and checking it against onnxruntime.

The graph comes from PyTorch's TorchScript-based ONNX exporter (``dynamo=False``): on this
family of plain convolutional networks it gives the same graph as the ``torch.export`` one in a
fraction of the time (about 1 s instead of 6-10 s per network), which matters because a study
with a latency objective exports every candidate before training it. After the export,
``Identity`` nodes that only alias an initializer (the exporter shares equal constants, e.g. the
zero biases of a fresh network, that way) are folded away so that quantization sees plain
initializers.
"""

from __future__ import annotations

import inspect
import io
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dse.export.errors import ExportError
from dse.export.runtime import require_onnx, require_onnxruntime

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
BATCH_AXIS = "batch"
OPSET = 17
TOLERANCE = 1e-4  # onnxruntime vs PyTorch: |ort - torch| <= TOLERANCE * (1 + |torch|) elementwise
CHECK_BATCHES = (1, 3)  # random inputs of these batch sizes (two sizes: the batch axis is dynamic)


def _torch_export(model: nn.Module, example: torch.Tensor, f: io.BytesIO) -> None:
    kwargs: dict = {
        "input_names": [INPUT_NAME],
        "output_names": [OUTPUT_NAME],
        "dynamic_axes": {INPUT_NAME: {0: BATCH_AXIS}, OUTPUT_NAME: {0: BATCH_AXIS}},
        "opset_version": OPSET,
        "do_constant_folding": True,
    }
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(model, (example,), f, **kwargs)


def _fold_initializer_identities(model) -> None:
    """Drop ``Identity`` nodes whose input is an initializer; their consumers read it directly."""
    inits = {init.name for init in model.graph.initializer}
    outputs = {o.name for o in model.graph.output}
    alias: dict[str, str] = {}
    kept = []
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits and node.output[0] not in outputs:
            alias[node.output[0]] = node.input[0]
        else:
            kept.append(node)
    if not alias:
        return
    for node in kept:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = alias[name]
    del model.graph.node[:]
    model.graph.node.extend(kept)


def onnx_bytes(model: nn.Module, chw: tuple[int, int, int]) -> bytes:
    """The serialized ONNX model of ``model`` (eval mode, CPU) for inputs (batch, C, H, W)."""
    onnx = require_onnx()
    model = model.eval()
    example = torch.randn(2, *chw, generator=torch.Generator().manual_seed(0))
    buf = io.BytesIO()
    try:
        _torch_export(model, example, buf)
    except Exception as exc:  # noqa: BLE001 - any exporter failure is one line for the user
        raise ExportError(f"ONNX export failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    proto = onnx.load_from_string(buf.getvalue())
    _fold_initializer_identities(proto)
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the exported ONNX graph is invalid: {str(exc).splitlines()[0]}") from None
    return proto.SerializeToString()


def export_onnx(model: nn.Module, chw: tuple[int, int, int], path: str | Path) -> bytes:
    """Write ``model`` to ``path`` as ONNX (dynamic batch axis); returns the bytes written."""
    data = onnx_bytes(model, chw)
    Path(path).write_bytes(data)
    return data


def cpu_session(model: bytes | str | Path, threads: int | None = None):
    """An onnxruntime CPU session (``threads`` intra-op threads; default: onnxruntime's choice)."""
    ort = require_onnxruntime()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])


def has_dynamic_batch(model: bytes | str | Path) -> bool:
    """True when the graph's input and output have a symbolic (named) first axis."""
    onnx = require_onnx()
    proto = onnx.load_from_string(model) if isinstance(model, bytes) else onnx.load(str(model))
    ends = list(proto.graph.input[:1]) + list(proto.graph.output[:1])
    return all(bool(v.type.tensor_type.shape.dim[0].dim_param) for v in ends)


def check_onnx(model_file: bytes | str | Path, model: nn.Module, chw: tuple[int, int, int]) -> float:
    """Run the ONNX model with onnxruntime and ``model`` with PyTorch on the same random inputs
    (batch sizes ``CHECK_BATCHES``); raise ExportError unless they agree within ``TOLERANCE``.
    Returns the largest absolute difference seen."""
    if not has_dynamic_batch(model_file):
        raise ExportError("ONNX check failed: the graph has no dynamic batch axis")
    session = cpu_session(model_file)
    gen = torch.Generator().manual_seed(1)
    worst = 0.0
    model = model.eval()
    for batch in CHECK_BATCHES:
        x = torch.randn(batch, *chw, generator=gen)
        with torch.no_grad():
            expected = model(x).numpy()
        got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        if got.shape != expected.shape:
            raise ExportError(f"ONNX check failed: onnxruntime gave shape {got.shape}, PyTorch {expected.shape}")
        diff = np.abs(got - expected)
        worst = max(worst, float(diff.max()))
        if not np.all(diff <= TOLERANCE * (1.0 + np.abs(expected))):
            raise ExportError(
                f"ONNX check failed: onnxruntime's output differs from PyTorch's by up to {worst:.3g} on random "
                f"input (batch {batch}; allowed {TOLERANCE:g} x (1 + |value|)); the export was not written"
            )
    return worst
