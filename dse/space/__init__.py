"""Search spaces declared in YAML: schema and validation, loading, and sampling into an ArchSpec.

Sampling never imports Optuna: :meth:`SearchSpace.sample` asks a :class:`Suggest` (the study
engine implements it with ``trial.suggest_*``) for each active parameter.
"""

from __future__ import annotations

from dse.space.errors import SpaceError
from dse.space.loading import (
    list_spaces,
    load_space,
    resolve_space_path,
    space_from_data,
)
from dse.space.parameters import Parameter
from dse.space.sampling import Candidate, RandomSuggest, ReplaySuggest, Suggest
from dse.space.schema import SearchSpace, build_base
from dse.space.targets import arch_targets

__all__ = [
    "Candidate",
    "Parameter",
    "RandomSuggest",
    "ReplaySuggest",
    "SearchSpace",
    "SpaceError",
    "Suggest",
    "arch_targets",
    "build_base",
    "list_spaces",
    "load_space",
    "resolve_space_path",
    "space_from_data",
]
