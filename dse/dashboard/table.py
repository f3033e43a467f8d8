"""Rows and columns of the study page's trial table (a ``dash_table.DataTable`` with native sorting
and filtering): one row per trial with its outcome, accuracy, cost metrics and searched parameters.

The table shows the Pareto set by default and every trial on a toggle; a box or lasso selection
on the Pareto plot narrows it to the selected trials (``selected_numbers``). Row ids are trial
numbers, so a clicked cell names its trial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dse.dashboard.data import title
from dse.dashboard.design import category_text, is_number
from dse.study._records import TrialRecord

ACC_COLUMN = "accuracy"
FIXED = ("trial", "architecture", "status", ACC_COLUMN)


def param_column(name: str, taken: Iterable[str]) -> str:
    """The column id of a searched parameter (prefixed only where it would clash with a fixed column)."""
    return f"param:{name}" if name in set(taken) else name


def table_columns(costs: Sequence[str], parameters: Sequence[str], numeric: Mapping[str, bool]) -> list[dict[str, Any]]:
    """DataTable column specs: trial, architecture, status, accuracy, each cost, each parameter."""
    fmt3 = {"specifier": ".4f"}
    fmt_int = {"specifier": ",.0f"}
    cols: list[dict[str, Any]] = [
        {"id": "trial", "name": "trial", "type": "numeric"},
        {"id": "architecture", "name": "architecture", "type": "text"},
        {"id": "status", "name": "status", "type": "text"},
        {"id": ACC_COLUMN, "name": "accuracy", "type": "numeric", "format": fmt3},
    ]
    taken = [*FIXED, *costs]
    for c in costs:
        cols.append({"id": c, "name": title(c), "type": "numeric",
                     "format": fmt_int if c in ("params", "macs", "size_bytes") else {"specifier": ".4g"}})
    for p in parameters:
        cols.append({"id": param_column(p, taken), "name": p, "type": "numeric" if numeric.get(p) else "text"})
    return cols


def parameter_kinds(records: Sequence[TrialRecord], parameters: Sequence[str]) -> dict[str, bool]:
    """Whether each parameter is numeric in every trial that has it (sorted and filtered as numbers)."""
    out = {}
    for p in parameters:
        values = [r.params[p] for r in records if p in r.params]
        out[p] = bool(values) and all(is_number(v) for v in values)
    return out


def table_rows(records: Sequence[TrialRecord], numbers: Iterable[int] | None, costs: Sequence[str],
               parameters: Sequence[str], numeric: Mapping[str, bool]) -> list[dict[str, Any]]:
    """One row per record whose number is in ``numbers`` (all when None), in ``numbers`` order.

    Accuracy is left empty for trials never trained (infeasible, failed, running)."""
    by_number = {r.number: r for r in records}
    chosen = [by_number[n] for n in numbers if n in by_number] if numbers is not None else list(records)
    taken = [*FIXED, *costs]
    rows = []
    for r in chosen:
        trained = r.feasible and r.state in ("COMPLETE", "PRUNED")
        row: dict[str, Any] = {"id": r.number, "trial": r.number, "architecture": r.label, "status": r.status,
                               ACC_COLUMN: round(r.val_acc, 5) if trained and r.val_acc is not None else None}
        for c in costs:
            row[c] = r.metric(c)
        for p in parameters:
            value = r.params.get(p)
            row[param_column(p, taken)] = value if numeric.get(p) or value is None else category_text(value)
        rows.append(row)
    return rows


def selected_numbers(selected: Mapping[str, Any] | None) -> list[int] | None:
    """Trial numbers of a Plotly ``selectedData`` (box or lasso on the Pareto plot); None: no selection."""
    if not selected or not selected.get("points"):
        return None if not selected or "range" not in selected and "lassoPoints" not in selected else []
    out = []
    for point in selected["points"]:
        custom = point.get("customdata")
        if custom is not None:
            out.append(int(custom[0] if isinstance(custom, list) else custom))
    return sorted(set(out))
