"""Rich rendering helpers for the CLI (tables and number formatting)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dse.arch import ArchSpec, Cost
from dse.study.sweep import describe_points

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


def pareto_table(study) -> Table:
    from dse.study.progress import summary_rows

    table = Table(title=f"Pareto set of {escape(study.study_name)}", header_style="bold")
    for col in ("trial", "label", "params", "size", "MACs", "val acc"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for r in summary_rows(study):
        dup = f" (= #{r['duplicate_of']})" if r["duplicate_of"] is not None else ""
        table.add_row(
            f"{r['trial']}{dup}", escape(str(r["label"])), f"{r['params']:,}", human(r["size_bytes"], "B"), human(r["macs"]),
            f"{100 * r['val_acc']:.2f}%",
        )
    return table


def print_pareto(study) -> None:
    console.print(pareto_table(study))


def print_studies(storage: str) -> None:
    import optuna

    from dse.study import attrs
    from dse.study.runner import status_counts
    from dse.study.storage import open_storage

    opened = open_storage(storage, heartbeat=False, create=False)
    table = Table(title=f"studies in {escape(storage)}", header_style="bold")
    for col in ("study", "dataset", "objectives", "completed", "pruned", "infeasible", "failed", "running"):
        table.add_column(col)
    for summary in optuna.get_all_study_summaries(opened, include_best_trial=False):
        study = optuna.load_study(study_name=summary.study_name, storage=opened)
        counts = status_counts(study)
        objectives = study.user_attrs.get(attrs.STUDY_OBJECTIVES) or [{"name": d.name.lower()} for d in study.directions]
        failed = sum(counts[k] for k in ("failed", "diverged", "oom", "invalid", "interrupted"))
        table.add_row(
            escape(summary.study_name), escape(str((study.user_attrs.get(attrs.STUDY_DATASET) or {}).get("name", "?"))),
            escape(", ".join(str(o["name"]) for o in objectives)), str(counts["completed"] + counts["duplicate"]),
            str(counts["pruned"]), str(counts["infeasible"]), str(failed), str(counts["running"]),
        )
    console.print(table)


def print_show(name: str, storage: str, csv_path: str | None) -> None:
    import optuna

    from dse.study.runner import status_counts
    from dse.study.storage import StorageError, open_storage

    opened = open_storage(storage, heartbeat=False, create=False)
    try:
        study = optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        raise StorageError(f"no study named {name!r} in {storage}") from None
    console.print(pareto_table(study))
    counts = status_counts(study)
    console.print("trial states: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), highlight=False)
    missing = _missing_grid_points(study)
    if missing:
        console.print(f"grid points without a completed trial ({len(missing)}): {describe_points(missing)}",
                      highlight=False, markup=False)
    saved = training_time_saved(study)
    if saved:
        console.print(saved, highlight=False)
    if csv_path:
        write_trials_csv(study, csv_path)
        console.print(f"wrote {len(study.trials)} trials to {escape(csv_path)}", highlight=False)


def _missing_grid_points(study) -> list[dict]:
    from dse.study import attrs
    from dse.study.runner import COUNTED, trial_status
    from dse.study.sweep import missing_grid_points

    measured = [t.params for t in study.get_trials(deepcopy=False) if trial_status(t) in COUNTED]
    return missing_grid_points(study.user_attrs.get(attrs.STUDY_CONFIG) or {},
                               study.user_attrs.get(attrs.STUDY_SPACE), measured)


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


def write_trials_csv(study, path: str) -> None:
    """Every trial as one CSV row: number, state, dse status, metrics, reason and sampled parameters."""
    import csv

    from dse.study import attrs
    from dse.study.runner import trial_status

    trials = study.get_trials(deepcopy=False)
    param_names = sorted({k for t in trials for k in t.params})
    metrics = {"label": attrs.ARCH_LABEL, "arch_hash": attrs.ARCH_HASH, "params": attrs.PARAMS, "macs": attrs.MACS,
               "size_bytes": attrs.SIZE_BYTES, "val_acc": attrs.VAL_ACC, "train_seconds": attrs.TRAIN_SECONDS,
               "duplicate_of": attrs.DUPLICATE_OF}
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["number", "state", "status", *metrics, "reason", *[f"param:{p}" for p in param_names]])
        for t in trials:
            ua = t.user_attrs
            reason = ua.get(attrs.FAIL_REASON) or ua.get(attrs.PRUNE_REASON) or ua.get(attrs.INFEASIBLE_REASON) or ""
            writer.writerow([t.number, t.state.name, trial_status(t), *[ua.get(a, "") for a in metrics.values()],
                             reason, *[t.params.get(p, "") for p in param_names]])


def training_time_saved(study) -> str:
    """What cost filters, pruning and duplicate reuse saved, estimated from the mean full trial."""
    from dse.study import attrs
    from dse.study.runner import trial_status

    trials = study.get_trials(deepcopy=False)
    full = [t.user_attrs[attrs.TRAIN_SECONDS] for t in trials
            if trial_status(t) == "completed" and attrs.TRAIN_SECONDS in t.user_attrs]
    if not full:
        return ""
    mean = sum(full) / len(full)
    infeasible = sum(trial_status(t) == "infeasible" for t in trials)
    duplicates = sum(trial_status(t) == "duplicate" for t in trials)
    pruned = [t.user_attrs.get(attrs.TRAIN_SECONDS, 0.0) for t in trials if trial_status(t) == "pruned"]
    pruned_saved = sum(max(0.0, mean - spent) for spent in pruned)
    return (
        f"training time saved (vs {mean:.1f} s per full trial): cost filters {infeasible} x = {infeasible * mean:.0f} s, "
        f"duplicate reuse {duplicates} x = {duplicates * mean:.0f} s, pruning {len(pruned)} trials = {pruned_saved:.0f} s"
    )
