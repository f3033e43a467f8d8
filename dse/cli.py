"""The ``dse`` command. Thin: parses arguments, calls library functions, prints with Rich.
``dse.cli_run`` registers ``launch``, ``worker`` and ``resume`` on ``app``; ``dse.cli_front``
``retrain`` and ``export``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from dse.errors import DseError

app = typer.Typer(
    help="Design-space exploration for small CNNs: search SqueezeNet-family architectures for the "
    "size/accuracy trade-off with Optuna, train them briefly with Lightning, browse the Pareto front.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False) -> None:
    _state["debug"] = debug


def fail(exc: BaseException) -> None:
    """Print one line naming what went wrong and exit non-zero (traceback only with --debug)."""
    if _state["debug"]:
        raise exc
    from rich.text import Text

    from dse.console import err_console

    # a Text is never read as markup: "[data]" in a path or "dse[postgres]" in a hint print intact
    err_console.print(Text.assemble(("error:", "bold red"), " ", " ".join(str(exc).split())),
                      highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def fruitless(study, name: str) -> DseError:
    """The stop after many trials without a completed one, naming their most common reason."""
    from collections import Counter

    from dse.study import attrs
    from dse.study._runner import MAX_FRUITLESS

    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()][-MAX_FRUITLESS:]
    reasons = Counter(str(t.user_attrs.get(attrs.FAIL_REASON) or t.user_attrs.get(attrs.INFEASIBLE_REASON) or "")
                      for t in finished)
    reasons.pop("", None)
    common = ""
    if reasons:
        reason, count = reasons.most_common(1)[0]
        common = f" (most often, {count} of {len(finished)}: {reason[:300]})"
    return DseError(f"stopped: the last trials were all infeasible or failed{common}; fix that, or loosen the "
                    f"constraints of {name}")


@app.command()
def arch(
    name_or_yaml: Annotated[str, typer.Argument(help="A preset name (squeezenet1_0, squeezenet1_1, squeezenet_cifar) or a YAML file of ArchSpec fields, optionally with `preset: NAME`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")] = False,
    latency: Annotated[bool, typer.Option("--latency", help="Also measure latency: median of 50 batch-1 passes "
                                          "(onnxruntime on the CPU, PyTorch eager on a GPU).")] = False,
    device: Annotated[str, typer.Option("--device", help="Where --latency measures: auto, cpu, cuda or cuda:N.")] = "auto",
) -> None:
    """Show one architecture: per-layer output shape, params and MACs, and totals (no training)."""
    from dse.arch import cost, load_arch
    from dse.console import arch_table, console, cost_summary

    try:
        spec = load_arch(name_or_yaml)
        measured = None
        if latency:
            from dse.export.latency import measure_spec

            measured = measure_spec(spec, device)
    except DseError as exc:
        fail(exc)
        return
    c = cost(spec)
    if as_json:
        payload = {"label": spec.label(), "arch_hash": spec.arch_hash(), "spec": spec.to_dict(), "cost": c.to_dict()}
        if measured is not None:
            payload["latency"] = measured.to_dict()
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    console.print(arch_table(spec, c))
    console.print(cost_summary(c), highlight=False)
    if measured is not None:
        console.print(measured.summary(), highlight=False, markup=False)
    console.print(f"arch hash {spec.arch_hash()}", style="dim")


StorageOpt = Annotated[
    str | None,
    typer.Option("--storage", help="Study database URL (default: the config's, i.e. sqlite:///studies/NAME.db)."),
]
TrialsOpt = Annotated[
    int | None, typer.Option("--trials", min=1, help="Target TOTAL of completed trials (not N more).")
]
TimeoutOpt = Annotated[float | None, typer.Option("--timeout", min=1, help="Stop starting new trials after S seconds.")]
DataDirOpt = Annotated[str | None, typer.Option("--data-dir", help="Folder holding the dataset.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show per-trial training output.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Run the trials in N local worker processes (one per GPU when "
                 "there are several; CPU threads split between them) with one combined progress bar."),
]


from dse import cli_run  # noqa: E402, F401 - registers `launch`, `worker` and `resume` on app (in this order)


@app.command()
def studies(storage: Annotated[str, typer.Option("--storage", help="Database URL.")] = "sqlite:///studies/quickstart.db") -> None:
    """List the studies in a storage with trial counts by state, dataset and objectives."""
    from dse.console import print_studies

    try:
        print_studies(storage)
    except DseError as exc:
        fail(exc)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Study name.")],
    storage: StorageOpt = None,
    csv: Annotated[str | None, typer.Option("--csv", help="Also write every trial to this CSV file.")] = None,
) -> None:
    """Print a study's Pareto set (label, params, size, MACs, accuracy) and its trial states."""
    from dse.console import print_show

    from dse.console import console
    from dse.study._retrain_view import print_confirmed_if_any

    try:
        print_show(name, storage or f"sqlite:///studies/{name}.db", csv)
        print_confirmed_if_any(name, storage or f"sqlite:///studies/{name}.db", console)
    except DseError as exc:
        fail(exc)


@app.command()
def spaces() -> None:
    """List the shipped search spaces and their parameters."""
    from dse.console import print_spaces

    try:
        print_spaces()
    except DseError as exc:
        fail(exc)


@app.command()
def dashboard(
    storage: Annotated[str, typer.Option("--storage", help="Database URL to browse (read-only).")] = "sqlite:///studies/quickstart.db",
    host: Annotated[str, typer.Option("--host", help="Interface to bind; 127.0.0.1 keeps it local.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to serve on.")] = 8050,
) -> None:
    """Serve the Pareto-front dashboard for every study in a storage (read-only, live refresh)."""
    from dse.dashboard.app import serve

    try:
        serve(storage, host=host, port=port)
    except DseError as exc:
        fail(exc)


@app.command()
def report(
    name: Annotated[str, typer.Argument(help="Study name.")],
    out: Annotated[str, typer.Option("--out", help="HTML file to write.")] = "report.html",
    storage: StorageOpt = None,
) -> None:
    """Write one self-contained HTML report (Pareto, hypervolume and shape figures) that opens offline."""
    from pathlib import Path

    from rich.markup import escape

    from dse.dashboard.report import write_report
    from dse.console import console

    target = Path(out).expanduser()
    if target.is_dir() or not target.parent.is_dir():
        why = "is a folder" if target.is_dir() else f"its folder {target.parent} does not exist"
        fail(DseError(f"--out {out}: {why}; give an HTML file path in an existing folder, e.g. --out report.html"))
        return
    try:
        path = write_report(storage or f"sqlite:///studies/{name}.db", name, out)
    except DseError as exc:
        fail(exc)
        return
    console.print(f"wrote {escape(str(path))}", highlight=False)


from dse import cli_front  # noqa: E402, F401 - registers `retrain` and `export` on app


def main() -> None:  # pragma: no cover - console entry
    app()
