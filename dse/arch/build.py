"""Building an ArchSpec into a PyTorch module. Pure: no device, dtype, global state or printing."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from dse.arch.channels import FIRE_NAMES
from dse.arch.spec import ArchSpec


def _conv(cin: int, cout: int, k: int, *, stride: int = 1, padding: int = 0, groups: int = 1, bn: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers)


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class Fire(nn.Module):
    """Squeeze 1x1 -> ReLU -> [expand 1x1 | expand 3x3] -> ReLU -> concat (+ bypass)."""

    def __init__(self, cin: int, s: int, e1: int, e3: int, *, separable: bool, bn: bool, bypass: str) -> None:
        super().__init__()
        self.squeeze = _conv(cin, s, 1, bn=bn)
        self.expand1x1 = _conv(s, e1, 1, bn=bn)
        if separable:
            self.expand3x3 = nn.Sequential(
                _conv(s, s, 3, padding=1, groups=s, bn=bn), nn.ReLU(inplace=True), _conv(s, e3, 1, bn=bn)
            )
        else:
            self.expand3x3 = _conv(s, e3, 3, padding=1, bn=bn)
        self.bypass: nn.Module | None = None
        if bypass == "identity":
            self.bypass = nn.Identity()
        elif bypass == "projection":
            self.bypass = _conv(cin, e1 + e3, 1, bn=bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.relu(self.squeeze(x))
        out = torch.cat([F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s))], dim=1)
        if self.bypass is not None:
            out = out + self.bypass(x)
        return out


class Resize(nn.Module):
    """Resizes the input to the spec's effective size (MobileNet's resolution multiplier)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)


class SqueezeNetFamily(nn.Module):
    """conv1 (stem), fire2..fire9 with max pools where the spec says, conv10 + global average pool."""

    def __init__(self, spec: ArchSpec) -> None:
        super().__init__()
        self.spec = spec
        bn = spec.batchnorm
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if spec.resolution_multiplier != 1.0:
            layers["resize"] = Resize(spec.effective_input_size)
        st = spec.stem
        cin = spec.stem_filters
        layers["stem"] = nn.Sequential(
            _conv(spec.in_channels, cin, st.kernel, stride=st.stride, padding=st.padding, bn=bn), nn.ReLU(inplace=True)
        )
        if "stem" in spec.downsample:
            layers["stem_pool"] = _pool()
        for name, f in zip(FIRE_NAMES, spec.resolved_fires()):
            cout = f.e1x1 + f.e3x3
            kind = "none"
            if spec.bypass == "complex" or (spec.bypass == "simple" and cin == cout):
                kind = "identity" if cin == cout else "projection"
            layers[name] = Fire(cin, f.s1x1, f.e1x1, f.e3x3, separable=spec.expand3x3 == "separable", bn=bn, bypass=kind)
            if name in spec.downsample:
                layers[f"{name}_pool"] = _pool()
            cin = cout
        self.features = nn.Sequential(layers)
        self.final_conv = nn.Conv2d(cin, spec.num_classes, kernel_size=1)
        head: list[nn.Module] = [nn.Dropout(p=spec.dropout), self.final_conv]
        if spec.head_relu:
            head.append(nn.ReLU(inplace=True))
        head += [nn.AdaptiveAvgPool2d(1), nn.Flatten(1)]
        self.classifier = nn.Sequential(*head)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is self.final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)  # as the paper's conv10
                else:
                    nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")  # He initialisation
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build(spec: ArchSpec) -> SqueezeNetFamily:
    """Build ``spec`` as an ``nn.Module`` on the CPU in fp32, He-initialised."""
    return SqueezeNetFamily(spec)
