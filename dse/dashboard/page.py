"""The data of one study page, computed once per change of the study and cached.

``compute_study_page`` is what the study page needs before drawing its Pareto plot (and what
``benchmarks/dashboard_speed.py`` times): trial records without their ArchSpecs and the Pareto data
of the default cost axis. The hypervolume history, the shape data, the 3-objective data and the
parameter importance are computed on first use, by the callbacks that run after the plot is drawn.
``StudyPageCache`` keeps the latest page of each study and recomputes it only when
``dse.study._records.study_fingerprint`` (one cheap GROUP BY query) changes, checked at most
every ``check_every`` seconds, so the 5 s live refresh of a 10,000-trial study costs one query.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from dse.dashboard.data import (
    HypervolumeHistory,
    ParetoData,
    ThreeObjectiveData,
    cost_metrics,
    hypervolume_history,
    pareto_data,
    status_counts,
    three_objective_data,
)
from dse.dashboard.design import ShapeSeries, searched_parameters, shape_data
from dse.dashboard.importance import Importance, importance_data
from dse.dashboard.table import parameter_kinds, table_columns
from dse.study import _records as rec
from dse.study._records import StudyInfo, TrialRecord


@dataclass
class StudyPage:
    info: StudyInfo
    records: list[TrialRecord]
    costs: list[str]
    fingerprint: tuple[Any, ...]
    parameters: list[str] = field(default_factory=list)  # searched parameters (table columns, importance)
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, key: str, make: Any) -> Any:
        """``make()`` computed once per page; one lock per key, so a slow part never blocks another."""
        with self._lock:
            if key in self._lazy:
                return self._lazy[key]
            lock = self._lazy.setdefault("lock:" + key, threading.Lock())
        with lock:
            if key not in self._lazy:
                self._lazy[key] = make()
            return self._lazy[key]

    @property
    def hypervolume(self) -> HypervolumeHistory:
        """Hypervolume history of the study's objectives (computed on first use)."""
        return self.once("hypervolume", lambda: hypervolume_history(self.records, self.info))  # type: ignore[no-any-return]

    @property
    def shapes(self) -> list[ShapeSeries]:
        """Design-space shape data, one series per searched parameter (computed on first use)."""
        return self.once("shapes", lambda: shape_data(self.records, self.info))  # type: ignore[no-any-return]

    @property
    def three(self) -> ThreeObjectiveData | None:
        """The 3-objective view's data, None below three objectives (computed on first use)."""
        return self.once("three", lambda: three_objective_data(self.records, self.info))  # type: ignore[no-any-return]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def default_cost(self) -> str:
        return self.costs[0] if self.costs else (self.info.objective_names[-1] if self.info.objectives else "params")

    def pareto(self, cost: str | None = None) -> ParetoData:
        """Pareto data for ``cost`` (default: the first cost axis), computed once per page."""
        cost = cost if cost in self.costs else self.default_cost
        return self.once("pareto:" + cost, lambda: pareto_data(self.records, self.info, cost))  # type: ignore[no-any-return]

    def counts(self) -> dict[str, int]:
        """Trials by dse outcome (completed, infeasible, pruned, failed, running)."""
        return status_counts(self.records)

    @property
    def parameter_kinds(self) -> dict[str, bool]:
        return parameter_kinds(self.records, self.parameters)

    @property
    def table_columns(self) -> list[dict[str, Any]]:
        return table_columns(self.costs, self.parameters, self.parameter_kinds)

    def importance(self) -> Importance:
        """Parameter importance for accuracy and the default cost, computed once per page."""
        return self.once("importance", lambda: importance_data(  # type: ignore[no-any-return]
            self.records, self.info, self.costs[0] if self.costs else None, self.parameters))


def compute_study_page(storage_url: str, study_name: str, fingerprint: tuple[Any, ...] | None = None) -> StudyPage:
    """Load the study and compute everything its page draws first (see the module docstring)."""
    if fingerprint is None:
        fingerprint = rec.study_fingerprint(storage_url, study_name)
    info = rec.load_study_info(storage_url, study_name)
    records = rec.load_trials(storage_url, study_name, with_arch=False)
    enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: the cyclic GC would only rescan the 10k records
    try:
        page = StudyPage(
            info=info, records=records, costs=cost_metrics(info, records), fingerprint=fingerprint,
            parameters=searched_parameters(info, records),
        )
        page.pareto()
    finally:
        if enabled:
            gc.enable()
    return page


class StudyPageCache:
    """The latest StudyPage of up to ``size`` studies, refreshed when the study changes."""

    def __init__(self, storage_url: str, *, size: int = 8, check_every: float = 1.0) -> None:
        self.storage_url = storage_url
        self.size = size
        self.check_every = check_every
        self._pages: OrderedDict[str, tuple[float, StudyPage]] = OrderedDict()
        self._lock = threading.Lock()
        self._study_locks: dict[str, threading.Lock] = {}
        self._counts: dict[str, tuple[tuple[Any, ...], dict[str, int]]] = {}

    def status_counts(self, study_name: str) -> dict[str, int]:
        """Trials of a study by dse outcome, for the studies page: from the cached page when there is
        one, otherwise from a records-only read, kept until the study's fingerprint changes."""
        cached = self._pages.get(study_name)
        fingerprint = rec.study_fingerprint(self.storage_url, study_name)
        if cached is not None and cached[1].fingerprint == fingerprint:
            return cached[1].counts()
        known = self._counts.get(study_name)
        if known is None or known[0] != fingerprint:
            known = (fingerprint, status_counts(rec.load_trials(self.storage_url, study_name, with_arch=False)))
            self._counts[study_name] = known
        return known[1]

    def prefetch(self, study_name: str, then: Any = None) -> None:
        """``get`` (and ``then(page)``) in a background thread: the study page's HTML request starts
        reading the study, so its data is ready (or on its way) when the page's layout asks for it.
        A study that cannot be read is left to that request, which shows the error."""
        def run() -> None:
            try:
                page = self.get(study_name)
                if then is not None:
                    then(page)
            except Exception:  # noqa: BLE001 - reported by the page's own request
                pass

        threading.Thread(target=run, name=f"prefetch-{study_name}", daemon=True).start()

    def get(self, study_name: str) -> StudyPage:
        with self._lock:
            lock = self._study_locks.setdefault(study_name, threading.Lock())
        with lock:  # one computation per study at a time; other callbacks wait for it
            now = time.monotonic()
            cached = self._pages.get(study_name)
            if cached is not None and now - cached[0] < self.check_every:
                return cached[1]
            fingerprint = rec.study_fingerprint(self.storage_url, study_name)
            if cached is not None and cached[1].fingerprint == fingerprint:
                page = cached[1]
            else:
                page = compute_study_page(self.storage_url, study_name, fingerprint)
            with self._lock:
                self._pages[study_name] = (now, page)
                self._pages.move_to_end(study_name)
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
            return page
