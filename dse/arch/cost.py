"""Analytic cost of an ArchSpec, computed without building the network.

Conventions:

- ``params`` counts trainable parameters exactly as ``sum(p.numel())`` of ``build(spec)``
  (BatchNorm contributes its weight and bias; running statistics are buffers, not parameters).
- ``macs`` counts multiply-accumulates of the convolutions at the spec's effective input size,
  batch 1. Bias additions, BatchNorm, ReLU, pooling, the bypass add and the input resize are not
  counted. ``flops = 2 * macs``, which is what ``torch.utils.flop_counter.FlopCounterMode``
  reports for the same forward pass.
- ``peak_activation_elements`` models an eager fp32 forward of one image: for each layer, the
  tensors alive together (its input, intermediate results and output; for a Fire module
  input + squeeze + expand1x1 + expand3x3 + their concatenation, plus the sum when it has a
  bypass); the peak is the largest such total over layers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dse.arch.channels import FIRE_NAMES, conv_out, pool_out
from dse.arch.spec import ArchSpec

BYTES_PER_PARAM: dict[str, int] = {"fp32": 4, "fp16": 2, "int8": 1}


@dataclass(frozen=True)
class LayerCost:
    """One row of the per-layer breakdown; ``group`` is stem, fire2..fire9 or classifier."""

    name: str
    group: str
    out_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass(frozen=True)
class Cost:
    params: int
    macs: int
    peak_activation_elements: int
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, ...]
    layers: tuple[LayerCost, ...]

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def size_bytes(self, dtype: str = "fp32") -> int:
        """Model size: parameters x bytes per parameter (fp32, fp16 or int8)."""
        return self.params * BYTES_PER_PARAM[dtype]

    @property
    def peak_activation_bytes(self) -> int:
        """Peak activation memory of one image's fp32 forward pass, in bytes."""
        return 4 * self.peak_activation_elements

    def by_group(self) -> dict[str, tuple[int, int]]:
        """(params, macs) summed per group, in network order."""
        out: dict[str, tuple[int, int]] = {}
        for layer in self.layers:
            p, m = out.get(layer.group, (0, 0))
            out[layer.group] = (p + layer.params, m + layer.macs)
        return out

    def to_dict(self) -> dict:
        return {
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
            "size_bytes": {k: self.size_bytes(k) for k in BYTES_PER_PARAM},
            "peak_activation_bytes": self.peak_activation_bytes,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "layers": [asdict(layer) | {"out_shape": list(layer.out_shape)} for layer in self.layers],
        }


def _conv_params(cin: int, cout: int, k: int, groups: int, bn: bool) -> int:
    return cin // groups * cout * k * k + (2 * cout if bn else cout)


def cost(spec: ArchSpec) -> Cost:
    """Parameters, MACs, model size, peak activation memory and per-layer breakdown of ``spec``."""
    bn = spec.batchnorm
    rows: list[LayerCost] = []
    size = spec.effective_input_size
    cin = spec.in_channels
    peak = cin * size * size
    if spec.resolution_multiplier != 1.0:
        peak = cin * (spec.input_size**2 + size * size)

    st = spec.stem
    cout = spec.stem_filters
    out = conv_out(size, st.kernel, st.stride, st.padding)
    rows.append(LayerCost("stem", "stem", (cout, out, out), _conv_params(cin, cout, st.kernel, 1, bn), out * out * cin * cout * st.kernel**2))
    peak = max(peak, cin * size * size + cout * out * out)
    size, cin = out, cout
    if "stem" in spec.downsample:
        out = pool_out(size)
        rows.append(LayerCost("stem.pool", "stem", (cin, out, out), 0, 0))
        peak = max(peak, cin * (size * size + out * out))
        size = out

    separable = spec.expand3x3 == "separable"
    for name, fire in zip(FIRE_NAMES, spec.resolved_fires()):
        hw = size * size
        s, e1, e3 = fire.s1x1, fire.e1x1, fire.e3x3
        cout = e1 + e3
        rows.append(LayerCost(f"{name}.squeeze", name, (s, size, size), _conv_params(cin, s, 1, 1, bn), hw * cin * s))
        rows.append(LayerCost(f"{name}.expand1x1", name, (e1, size, size), _conv_params(s, e1, 1, 1, bn), hw * s * e1))
        if separable:
            p3 = _conv_params(s, s, 3, s, bn) + _conv_params(s, e3, 1, 1, bn)
            m3 = hw * s * 9 + hw * s * e3
        else:
            p3 = _conv_params(s, e3, 3, 1, bn)
            m3 = hw * s * e3 * 9
        rows.append(LayerCost(f"{name}.expand3x3", name, (e3, size, size), p3, m3))
        live = cin + s + (s if separable else 0) + 2 * cout
        if spec.bypass == "complex" or (spec.bypass == "simple" and cin == cout):
            if cin == cout:
                rows.append(LayerCost(f"{name}.bypass", name, (cout, size, size), 0, 0))
            else:
                rows.append(LayerCost(f"{name}.bypass", name, (cout, size, size), _conv_params(cin, cout, 1, 1, bn), hw * cin * cout))
                live += cout
            live += cout
        peak = max(peak, live * hw)
        cin = cout
        if name in spec.downsample:
            out = pool_out(size)
            rows.append(LayerCost(f"{name}.pool", name, (cin, out, out), 0, 0))
            peak = max(peak, cin * (size * size + out * out))
            size = out

    k = spec.num_classes
    rows.append(LayerCost("classifier", "classifier", (k,), cin * k + k, size * size * cin * k))
    peak = max(peak, (cin + k) * size * size)
    return Cost(
        params=sum(r.params for r in rows),
        macs=sum(r.macs for r in rows),
        peak_activation_elements=peak,
        input_shape=(spec.in_channels, spec.input_size, spec.input_size),
        output_shape=(k,),
        layers=tuple(rows),
    )
