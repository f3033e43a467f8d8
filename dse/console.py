"""Rich rendering helpers for the CLI (tables and number formatting)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dse.arch import ArchSpec, Cost
from dse.study._sweep import describe_points

console = Console()
err_console = Console(stderr=True)


def warn(text: str) -> None:
    """One warning line on stderr; ``text`` is printed as is (no Rich markup)."""
    from rich.markup import escape

    err_console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True)


def human(n: float, unit: str = "") -> str:
    """1234567 -> '1.23M'; bytes with unit='B' -> '4.76 MiB'."""
    if unit == "B":
        for suffix in ("B", "KiB", "MiB", "GiB"):
            if abs(n) < 1024 or suffix == "GiB":
                return f"{n:.0f} {suffix}" if suffix == "B" else f"{n:.2f} {suffix}"
            n /= 1024
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{suffix}"
    return f"{n:.0f}"


def arch_table(spec: ArchSpec, c: Cost) -> Table:
    """Per-layer table (layer, output shape, params, MACs, shares) with totals, like torchinfo."""
    table = Table(title=escape(spec.label()), show_footer=True, header_style="bold")
    table.add_column("layer", footer="total")
    table.add_column("output shape", footer=f"{tuple(c.output_shape)}")
    table.add_column("params", justify="right", footer=f"{c.params:,}")
    table.add_column("% params", justify="right", footer="100.0")
    table.add_column("MACs", justify="right", footer=f"{c.macs:,}")
    table.add_column("% MACs", justify="right", footer="100.0")
    for layer in c.layers:
        table.add_row(
            layer.name,
            "x".join(str(d) for d in layer.out_shape),
            f"{layer.params:,}",
            f"{100 * layer.params / max(1, c.params):.1f}",
            f"{layer.macs:,}",
            f"{100 * layer.macs / max(1, c.macs):.1f}",
        )
    return table


def cost_summary(c: Cost) -> str:
    return (
        f"params {c.params:,} | MACs {human(c.macs)} (FLOPs = 2 x MACs = {human(c.flops)}) | "
        f"size fp32 {human(c.size_bytes('fp32'), 'B')}, fp16 {human(c.size_bytes('fp16'), 'B')}, "
        f"int8 {human(c.size_bytes('int8'), 'B')} | peak activations {human(c.peak_activation_bytes, 'B')}"
        f" (fp32, one image)"
    )


def _fmt(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def pareto_table(name: str, records: list, directions: list[str]) -> Table:
    """The Pareto set (label, params, size, MACs, accuracy) of ``records``, sorted by size."""
    from dse.study._progress import pareto_records

    table = Table(title=f"Pareto set of {escape(name)}", header_style="bold")
    for col in ("trial", "label", "params", "size", "MACs", "val acc"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for r in pareto_records(records, directions):
        dup = f" (= #{r.duplicate_of})" if r.duplicate_of is not None else ""
        acc = f"{100 * r.val_acc:.2f}%" if r.val_acc is not None else ", ".join(f"{v:.4g}" for v in r.values or ())
        table.add_row(
            f"{r.number}{dup}", escape(r.label), _fmt(r.params_count, ","),
            "-" if r.size_bytes is None else human(r.size_bytes, "B"), "-" if r.macs is None else human(r.macs), acc,
        )
    return table


def print_pareto(study) -> None:
    from dse.study._records import records_of

    console.print(pareto_table(study.study_name, records_of(study), [d.name.lower() for d in study.directions]))


def print_studies(storage: str) -> None:
    from dse.study._records import list_study_summaries, load_trials

    table = Table(title=f"studies in {escape(storage)}", header_style="bold")
    for col in ("study", "dataset", "objectives", "completed", "pruned", "infeasible", "failed", "running"):
        table.add_column(col)
    for summary in list_study_summaries(storage):
        counts = Counter(r.status for r in load_trials(storage, summary.name, with_arch=False))
        failed = sum(counts[k] for k in ("failed", "diverged", "oom", "invalid"))
        table.add_row(
            escape(summary.name), escape(summary.dataset or "?"), escape(", ".join(o.name for o in summary.objectives)),
            str(counts["completed"] + counts["duplicate"]), str(counts["pruned"]), str(counts["infeasible"]),
            str(failed), str(counts["running"]),
        )
    console.print(table)


def print_show(name: str, storage: str, csv_path: str | None) -> None:
    from pathlib import Path

    from dse.errors import DseError
    from dse.study._records import load_study_info, load_trials

    if csv_path and not Path(csv_path).parent.is_dir():
        raise DseError(f"--csv {csv_path}: no folder {Path(csv_path).parent}; give a path in an existing folder")
    info = load_study_info(storage, name)
    records = load_trials(storage, name)
    console.print(pareto_table(name, records, [o.direction for o in info.objectives]))
    counts = Counter(r.status for r in records)
    console.print("trial states: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), highlight=False)
    missing = _missing_grid_points(info, records)
    if missing:
        console.print(f"grid points without a completed trial ({len(missing)}): {describe_points(missing)}",
                      highlight=False, markup=False)
    saved = training_time_saved(records)
    if saved:
        console.print(saved, highlight=False)
    if csv_path:
        write_trials_csv(records, csv_path)
        console.print(f"wrote {len(records)} trials to {csv_path}", highlight=False, markup=False)


def _missing_grid_points(info, records: list) -> list[dict]:
    from dse.study._records import COUNTED
    from dse.study._sweep import missing_grid_points

    measured = [r.params for r in records if r.status in COUNTED]
    return missing_grid_points(dict(info.config), dict(info.space) or None, measured)


def print_spaces() -> None:
    from dse.space import list_spaces, load_space

    for name in list_spaces():
        space = load_space(name)
        table = Table(title=escape(f"{name}: {space.description}"), header_style="bold", title_justify="left")
        for col in ("parameter", "kind", "range / choices", "target", "condition"):
            table.add_column(col)
        for pname, p in space.parameters.items():
            rng = p.describe()
            cond = getattr(p, "condition", None)
            table.add_row(*(escape(str(v)) for v in (pname, p.kind, rng, p.target, cond or "")))
        console.print(table)


def write_trials_csv(records: list, path: str) -> None:
    """Every trial as one CSV row: number, state, dse status, metrics, reason and sampled parameters."""
    import csv

    from dse.errors import DseError

    param_names = sorted({k for r in records for k in r.params})
    metrics = {"label": "label", "arch_hash": "arch_hash", "params": "params_count", "macs": "macs",
               "size_bytes": "size_bytes", "val_acc": "val_acc", "train_seconds": "train_seconds",
               "duplicate_of": "duplicate_of"}
    try:
        fh = open(path, "w", newline="")
    except OSError as exc:
        raise DseError(f"--csv {path}: cannot write the file ({exc.strerror}); give a path in an existing "
                       "folder") from None
    with fh:
        writer = csv.writer(fh)
        writer.writerow(["number", "state", "status", *metrics, "reason", *[f"param:{p}" for p in param_names]])
        for r in records:
            row = [getattr(r, f) for f in metrics.values()]
            writer.writerow([r.number, r.state, r.status, *["" if v is None else v for v in row], r.reason or "",
                             *[r.params.get(p, "") for p in param_names]])


def training_time_saved(records: list) -> str:
    """What cost filters, pruning and duplicate reuse saved, estimated from the mean full trial."""
    full = [r.train_seconds for r in records if r.status == "completed" and r.train_seconds is not None]
    if not full:
        return ""
    mean = sum(full) / len(full)
    infeasible = sum(r.status == "infeasible" for r in records)
    duplicates = sum(r.status == "duplicate" for r in records)
    pruned = [r.train_seconds or 0.0 for r in records if r.status == "pruned"]
    pruned_saved = sum(max(0.0, mean - spent) for spent in pruned)
    return (
        f"training time saved (vs {mean:.1f} s per full trial): cost filters {infeasible} x = {infeasible * mean:.0f} s, "
        f"duplicate reuse {duplicates} x = {duplicates * mean:.0f} s, pruning {len(pruned)} trials = {pruned_saved:.0f} s"
    )
