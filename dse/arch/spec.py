"""ArchSpec: a frozen, validated, serialisable description of one SqueezeNet-family network.

Channel counts come either from the paper's metaparameters (``FireMeta``; SqueezeNet section 5.1)
or from an explicit list of eight ``FireSpec`` (fire2..fire9). The width multiplier ``alpha``
scales every channel count (stem filters, s1x1, e1x1, e3x3) with ``scale_channels``: round
half-up to a multiple of ``channel_divisor``, at least ``channel_divisor``, never more than 10%
below the exact product. The resolution multiplier ``rho`` scales the input size
(round half-up); a network built from a spec with ``rho != 1`` resizes its input first.

``canonical()`` resolves all of that into explicit numbers, so two specs that build the same
network have the same ``arch_hash()``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import field, replace
from typing import Annotated, Any, Literal, TypeVar

from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from dse.arch.channels import FIRE_NAMES, LAYERS, conv_out, pool_out, round_half_up, scale_channels
from dse.arch.errors import ArchSpecError, arch_error, invalid

Bypass = Literal["none", "simple", "complex"]
Expand3x3 = Literal["standard", "separable"]
BYPASS_CHOICES: tuple[str, ...] = ("none", "simple", "complex")
EXPAND3X3_CHOICES: tuple[str, ...] = ("standard", "separable")
_T = TypeVar("_T")


_CONFIG = ConfigDict(strict=True, allow_inf_nan=False)
_Pos = Annotated[int, Field(ge=1)]
_Unit = Annotated[float, Field(gt=0.0, le=1.0)]
_Multiplier = Annotated[float, Field(gt=0.0, le=16.0)]


def _arch_errors(prefix: str) -> Callable[[type[_T]], type[_T]]:
    """Make ``cls`` a frozen strict pydantic dataclass whose validation errors are one ArchSpecError
    line (field path under ``prefix``, the value, what is allowed)."""

    def wrap(cls: type[_T]) -> type[_T]:
        cls = pydantic_dataclass(frozen=True, config=_CONFIG)(cls)
        init = cls.__init__
        names = [f.name for f in dataclasses.fields(cls)]

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if args and len(args) <= len(names):  # so an error names the field, not its position
                kwargs.update(zip(names, args))
                args = ()
            try:
                init(self, *args, **kwargs)
            except ValidationError as exc:
                raise arch_error(exc, prefix) from None

        __init__.__doc__ = init.__doc__
        cls.__init__ = __init__  # type: ignore[method-assign]
        return cls

    return wrap


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _fields_of(obj: Any) -> dict[str, Any]:
    """A spec dataclass's fields by name, one level deep (the values are immutable)."""
    return {name: getattr(obj, name) for name in _field_names(type(obj))}


def _fire(s1x1: int, e1x1: int, e3x3: int) -> FireSpec:
    """A FireSpec from numbers derived from an already validated spec (each >= 1 by construction),
    without re-running validation: ``cost()`` builds 8-16 of these per spec."""
    fire = object.__new__(FireSpec)
    fire.__dict__.update(s1x1=s1x1, e1x1=e1x1, e3x3=e3x3)
    return fire


@_arch_errors("stem")
class StemSpec:
    """The first convolution (conv1): ``filters`` k x k convs with ``stride`` and ``padding``."""

    filters: _Pos = 96
    kernel: _Pos = 7
    stride: _Pos = 2
    padding: Annotated[int, Field(ge=0)] = 0


@_arch_errors("meta")
class FireMeta:
    """SqueezeNet metaparameters: ``e_i = base_e + incr_e * floor(i / freq)`` for fire i = 0..7,
    ``e3x3 = round(e_i * pct3x3)``, ``e1x1 = e_i - e3x3``, ``s1x1 = round(sr * e_i)``."""

    base_e: _Pos = 128
    incr_e: Annotated[int, Field(ge=0)] = 128
    freq: _Pos = 2
    pct3x3: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    sr: _Unit = 0.125

    def fires(self) -> tuple[FireSpec, ...]:
        out = []
        for i in range(len(FIRE_NAMES)):
            e = self.base_e + self.incr_e * (i // self.freq)
            e3 = round_half_up(e * self.pct3x3)
            s = round_half_up(e * self.sr)
            if e3 < 1 or e - e3 < 1:
                raise ArchSpecError(
                    "meta.pct3x3",
                    f"{self.pct3x3} leaves {FIRE_NAMES[i]} (e={e}) with e1x1={e - e3}, e3x3={e3};"
                    " both must be >= 1",
                )
            if s < 1:
                raise ArchSpecError("meta.sr", f"{self.sr} gives {FIRE_NAMES[i]} (e={e}) s1x1=0; raise sr")
            out.append(_fire(s, e - e3, e3))
        return tuple(out)


@_arch_errors("")
class FireSpec:
    """One Fire module: squeeze ``s1x1`` 1x1 filters, expand ``e1x1`` 1x1 and ``e3x3`` 3x3 filters."""

    s1x1: _Pos
    e1x1: _Pos
    e3x3: _Pos

    @property
    def out_channels(self) -> int:
        return self.e1x1 + self.e3x3


@_arch_errors("")
class ArchSpec:
    """One network of the SqueezeNet family. Defaults are SqueezeNet v1.0 (224x224, 1000 classes)."""

    in_channels: _Pos = 3
    input_size: _Pos = 224
    num_classes: Annotated[int, Field(ge=2)] = 1000
    resolution_multiplier: _Multiplier = 1.0
    width_multiplier: _Multiplier = 1.0
    channel_divisor: _Pos = 1
    stem: StemSpec = field(default_factory=StemSpec)
    meta: FireMeta | None = field(default_factory=FireMeta)
    fires: tuple[FireSpec, ...] | None = None
    downsample: tuple[str, ...] = ("stem", "fire4", "fire8")
    bypass: Bypass = "none"
    expand3x3: Expand3x3 = "standard"
    batchnorm: bool = False
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.5
    head_relu: bool = True

    def __post_init__(self) -> None:
        try:
            self._check()
        except ArchSpecError as exc:  # pydantic wraps a ValueError; keep the field path
            raise invalid(exc.field, str(exc)[len(exc.field) + 2:]) from None

    def _check(self) -> None:
        """Cross-field rules (the per-field ranges are the annotations above)."""
        if (self.meta is None) == (self.fires is None):
            raise ArchSpecError("fires", "give exactly one of meta (metaparameters) or fires (explicit list)")
        if self.fires is not None:
            if len(self.fires) != len(FIRE_NAMES):
                raise ArchSpecError("fires", f"needs exactly {len(FIRE_NAMES)} entries (fire2..fire9), got {len(self.fires)}")
        for layer in self.downsample:
            if layer not in LAYERS:
                raise ArchSpecError("downsample", f"unknown layer {layer!r}; choose from {', '.join(LAYERS)}")
        if len(set(self.downsample)) != len(self.downsample):
            raise ArchSpecError("downsample", f"lists a layer twice: {list(self.downsample)}")
        if self.meta is not None:
            self.meta.fires()  # raises naming the metaparameter when a module gets 0 channels
        self._check_spatial()

    # ----------------------------------------------------------------- resolved numbers
    @property
    def effective_input_size(self) -> int:
        """Input size after the resolution multiplier (round half-up)."""
        return round_half_up(self.input_size * self.resolution_multiplier)

    @property
    def stem_filters(self) -> int:
        return scale_channels(self.stem.filters, self.width_multiplier, self.channel_divisor)

    def resolved_fires(self) -> tuple[FireSpec, ...]:
        """The eight Fire modules' channel counts after metaparameters and width multiplier."""
        base = self.fires if self.fires is not None else self.meta.fires()  # type: ignore[union-attr]
        a, d = self.width_multiplier, self.channel_divisor
        if a == 1.0 and d == 1:
            return tuple(base)
        return tuple(
            _fire(scale_channels(f.s1x1, a, d), scale_channels(f.e1x1, a, d), scale_channels(f.e3x3, a, d))
            for f in base
        )

    def _check_spatial(self) -> None:
        size = self.effective_input_size
        if size < 1:
            raise ArchSpecError(
                "resolution_multiplier",
                f"input_size {self.input_size} x {self.resolution_multiplier} rounds to {size} px",
            )
        st = self.stem
        size = conv_out(size, st.kernel, st.stride, st.padding)
        if size < 1:
            raise ArchSpecError(
                "stem.kernel",
                f"a {st.kernel}x{st.kernel} stride-{st.stride} conv with padding {st.padding} does not fit"
                f" a {self.effective_input_size} px input",
            )
        for layer in LAYERS:
            if layer in self.downsample:
                before, size = size, pool_out(size)
                if size < 1:
                    raise ArchSpecError(
                        "downsample",
                        f"the spatial size drops below 1 at the reduction after {layer} ({before} px);"
                        " remove a reduction or raise input_size",
                    )

    # ------------------------------------------------------------ identity and display
    def canonical(self) -> ArchSpec:
        """The same network with every derived number resolved (explicit fires, multipliers 1)."""
        order = [layer for layer in LAYERS if layer in self.downsample]
        return replace(
            self,
            input_size=self.effective_input_size,
            resolution_multiplier=1.0,
            width_multiplier=1.0,
            channel_divisor=1,
            stem=replace(self.stem, filters=self.stem_filters),
            meta=None,
            fires=self.resolved_fires(),
            downsample=tuple(order),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what ``dataclasses.asdict`` gives, with lists for ``downsample`` and
        ``fires``), built field by field: ``arch_hash`` serializes a spec per priced candidate,
        and ``asdict``'s generic recursion was most of the cost-aware sampler's CPU time."""
        data = _fields_of(self)
        data["stem"] = _fields_of(self.stem)
        data["meta"] = None if self.meta is None else _fields_of(self.meta)
        data["fires"] = None if self.fires is None else [_fields_of(f) for f in self.fires]
        data["downsample"] = list(self.downsample)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchSpec:
        from dse.arch.serialize import spec_from_dict

        return spec_from_dict(data)

    def arch_hash(self) -> str:
        """A stable 12-hex-digit hash of the canonical spec (equal for equal networks)."""
        blob = json.dumps(self.canonical().to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def label(self) -> str:
        """A readable one-line description, e.g. ``c96k7s2 fire s16-64 e128-512 3x3=50% pool@stem,f4,f8``."""
        c = self.canonical()
        fires = c.fires or ()
        e = [f.out_channels for f in fires]
        pct = round(100 * sum(f.e3x3 for f in fires) / max(1, sum(e)))
        pools = ",".join("stem" if p == "stem" else "f" + p[4:] for p in c.downsample) or "none"
        parts = [
            f"c{c.stem.filters}k{c.stem.kernel}s{c.stem.stride}",
            f"fire s{fires[0].s1x1}-{fires[-1].s1x1} e{e[0]}-{e[-1]} 3x3={pct}%",
            f"pool@{pools}",
        ]
        if self.bypass != "none":
            parts.append(f"{self.bypass}-bypass")
        if self.expand3x3 == "separable":
            parts.append("dw3x3")
        if self.batchnorm:
            parts.append("bn")
        parts.append(f"{c.input_size}px")
        return " ".join(parts)
