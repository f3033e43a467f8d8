"""Rich tables of a confirmed front (``dse retrain``, ``dse show``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dse.study._confirm import Confirmation


def _pct(mean: float | None, std: float | None = None) -> str:
    if mean is None:
        return "-"
    return f"{100 * mean:.2f}%" + (f" ± {100 * std:.2f}" if std is not None else "")


def _num(n: float | None) -> str:
    from dse.console import human

    return "-" if n is None else human(n)


def confirmed_table(conf: Confirmation, title: str | None = None) -> Table:
    """One row per candidate: brief accuracy, retrained val and test accuracy (mean ± std over the
    seeds), seeds, seconds, costs, and the fronts it is on (B brief, C confirmed)."""
    table = Table(title=title or f"Confirmed front of {conf.study}", header_style="bold")
    for col in ("trial", "label", "params", "size", "MACs", "brief val", "val (mean ± std)", "test (mean ± std)",
                "seeds", "train s", "front"):
        table.add_column(col, justify="left" if col in ("label", "front") else "right")
    for c in conf.candidates:
        fronts = ("B" if c.on_brief_front else "") + ("C" if c.on_confirmed_front else "")
        secs = c.train_seconds_mean
        table.add_row(
            str(c.trial), c.label, "-" if c.params is None else f"{c.params:,}",
            "-" if c.size_bytes is None else f"{_num(c.size_bytes)}B", _num(c.macs), _pct(c.brief_val_acc),
            _pct(c.val_acc_mean, c.val_acc_std), _pct(c.test_acc_mean, c.test_acc_std),
            ",".join(str(s) for s in c.seeds) or "-", "-" if secs is None else f"{secs:.0f}", fronts or "-",
        )
    return table


def summary_lines(conf: Confirmation) -> list[str]:
    """Rank agreement of brief and retrained accuracy, and the brief-front members that drop off."""
    n = len(conf.retrained)
    rho = "n/a" if conf.spearman is None else f"{conf.spearman:+.2f}"
    tau = "n/a" if conf.kendall is None else f"{conf.kendall:+.2f}"
    lines = [f"brief vs retrained validation accuracy over {n} candidates: Spearman rho {rho}, Kendall tau {tau}"]
    if conf.dropped:
        lines.append("dropped off the confirmed front: trial " + ", ".join(str(n) for n in conf.dropped))
    elif n:
        lines.append("every retrained member of the brief front stays on the confirmed front")
    return lines


def print_confirmation(conf: Confirmation, console: Console) -> None:
    console.print(confirmed_table(conf))
    console.print("front: B = on the brief (search) front, C = on the confirmed (retrained) front", style="dim")
    for line in summary_lines(conf):
        console.print(line, highlight=False)


def print_confirmed_if_any(name: str, storage: str, console: Console) -> None:
    """``dse show NAME``: the confirmed front when NAME.retrain exists, else nothing."""
    from dse.study._confirm import confirmation

    conf = confirmation(storage, name)
    if conf is not None and conf.candidates:
        print_confirmation(conf, console)
