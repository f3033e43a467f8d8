"""Samplers by name (a registry, as timm registers models): study configs name one, ``make_sampler``
builds it.

A factory is called as ``factory(config, space, fixed, seed, **config.sampler.options)`` and returns
an Optuna sampler; ``fixed`` holds the dataset's ArchSpec values (in_channels, input_size,
num_classes) and ``seed`` the study's seed moved on by the trials already run. Register one with::

    @register_sampler("mine")
    def _mine(config, space, fixed, seed, **options):
        return MySampler(seed=seed, **options)

and import its module before a config names it (see docs/configs.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import optuna

from dse.errors import ConfigError

if TYPE_CHECKING:
    from dse.space import SearchSpace
    from dse.study._config import StudyConfig

SamplerFactory = Callable[..., optuna.samplers.BaseSampler]
_SAMPLERS: dict[str, SamplerFactory] = {}


def register_sampler(name: str) -> Callable[[SamplerFactory], SamplerFactory]:
    """Register the decorated factory under ``name`` (a later registration replaces it)."""

    def register(factory: SamplerFactory) -> SamplerFactory:
        _SAMPLERS[name] = factory
        return factory

    return register


def sampler_names() -> list[str]:
    """The registered sampler names, in registration order."""
    return list(_SAMPLERS)


def make_sampler(config: StudyConfig, space: SearchSpace, seed_offset: int = 0,
                 fixed: dict[str, Any] | None = None) -> optuna.samplers.BaseSampler:
    """The configured sampler; the seed moves with the trials already run so a resumed study does
    not re-propose its first candidates."""
    name = config.sampler.name
    if name not in _SAMPLERS:
        raise ConfigError(f"sampler.name: got {name!r}; allowed: {', '.join(_SAMPLERS)}")
    try:
        return _SAMPLERS[name](config, space, fixed or {}, config.seed + seed_offset, **config.sampler.options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"sampler.options: not accepted by the {name} sampler: {exc}") from None


def _optuna(cls: type[optuna.samplers.BaseSampler]) -> SamplerFactory:
    return lambda config, space, fixed, seed, **options: cls(seed=seed, **options)


register_sampler("nsga2")(_optuna(optuna.samplers.NSGAIISampler))
register_sampler("tpe")(_optuna(optuna.samplers.TPESampler))
register_sampler("gp")(_optuna(optuna.samplers.GPSampler))
register_sampler("random")(_optuna(optuna.samplers.RandomSampler))


@register_sampler("grid")
def _grid(config: StudyConfig, space: SearchSpace, fixed: dict[str, Any], seed: int,
          **options: Any) -> optuna.samplers.BaseSampler:
    # the grid's order must not move with the seed offset: Optuna's GridSampler maps trial numbers
    # to points of its seeded shuffle, so a resumed run or a second worker with another seed would
    # re-measure some points and never reach others
    return optuna.samplers.GridSampler(space.grid(), seed=config.seed, **options)


from dse.study import _cost_aware as cost_aware  # noqa: E402, F401 - registers "cost_aware"
