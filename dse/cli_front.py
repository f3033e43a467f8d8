"""The CLI's commands that take a front out of the search: ``dse retrain`` (confirm it with proper
training and several seeds) and ``dse export`` (ship a trained trial). Registered on ``dse.cli.app``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from dse.cli import DataDirOpt, StorageOpt, TimeoutOpt, VerboseOpt, WorkersOpt, app, fail
from dse.errors import DseError


@app.command()
def retrain(
    name: Annotated[str, typer.Argument(help="Study name whose candidates to retrain.")],
    storage: StorageOpt = None,
    top: Annotated[int | None, typer.Option("--top", help="Retrain at most K members of the Pareto set, cheapest first.")] = None,
    trials: Annotated[str | None, typer.Option("--trials", help="Retrain these trials instead of the Pareto set, e.g. 3,7,9.")] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds (independent runs) per candidate.")] = 3,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs of each run.")] = 10,
    train_subset: Annotated[str, typer.Option("--train-subset", help="Training images per epoch, or `all` (the whole training split).")] = "all",
    workers: WorkersOpt = None,
    artifacts: Annotated[str | None, typer.Option("--artifacts", help="Folder for the weights (default: NAME.artifacts beside a SQLite file; required for other databases).")] = None,
    data_dir: DataDirOpt = None,
    timeout: TimeoutOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON (the progress bar goes to stderr).")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Confirm the front: retrain candidates from scratch, longer and with several seeds.

    Measures test accuracy and stores every run (and its weights) in the companion study NAME.retrain."""
    from dse.console import console, err_console
    from dse.study._confirm import confirmation
    from dse.study._progress import StudyProgress
    from dse.study._retrain import companion_name
    from dse.study._retrain_plan import RetrainRequest, parse_subset, parse_trials, plan_retrain
    from dse.study._retrain_run import start_retrain
    from dse.study._retrain_view import print_confirmation

    url = storage or f"sqlite:///studies/{name}.db"
    out = err_console if as_json else console
    try:
        request = RetrainRequest(name, url, top=top, trials=parse_trials(trials), seeds=seeds, epochs=epochs,
                                 train_subset=parse_subset(train_subset), artifacts=artifacts, data_dir=data_dir)
        plan = plan_retrain(request)
        session, target = start_retrain(plan, quiet=not verbose)
    except DseError as exc:
        fail(exc)
        return
    companion = companion_name(name)
    try:
        if workers:
            from rich.markup import escape

            from dse.study._workers import LocalWorkers, supervise

            pool = LocalWorkers(companion, url, workers, timeout, data_dir, verbose,
                                echo=lambda i, line: out.print(f"[dim]worker {i}:[/] {escape(line)}", highlight=False))
            with StudyProgress(companion, target, timeout, console=out, follow_target=True) as bar:
                supervise(session, pool, target, on_poll=bar.update)
        else:
            with StudyProgress(companion, target, timeout, console=out) as bar:
                session.run(target, timeout, on_trial=bar.update)
    except KeyboardInterrupt:
        out.print(f"[yellow]interrupted[/]: finished runs are saved in {companion}; rerun the same command to do the rest")
        raise typer.Exit(code=130) from None
    except DseError as exc:
        fail(exc)
        return
    conf = confirmation(url, name, trials=[t.number for t in plan.candidates])
    if conf is None:
        return
    if as_json:
        sys.stdout.write(json.dumps([c.to_json() for c in conf.candidates], indent=2) + "\n")
    else:
        print_confirmation(conf, console)
    missing = sum(len(c.seeds) < seeds for c in conf.candidates)
    if missing:
        out.print(f"[yellow]{missing} candidate(s) lack some seeds[/] (failed or unfinished runs: `dse show {companion}`)")


@app.command("export")
def export_(
    name: Annotated[str, typer.Argument(help="Study name.")],
    trial: Annotated[int | None, typer.Option("--trial", min=0, help="Trial number to export (see `dse show NAME`).")] = None,
    storage: StorageOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="onnx, torchscript or both.")] = "both",
    out: Annotated[str | None, typer.Option("--out", help="Folder to write (default exports/NAME-trialN, "
                                            "exports/NAME-front with --pareto).")] = None,
    weights: Annotated[str, typer.Option("--weights", help="retrained (from `dse retrain`) or none (initial "
                                         "weights, for latency work).")] = "retrained",
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Take the retrain run with this seed "
                                             "(default: the best one).")] = None,
    pareto: Annotated[bool, typer.Option("--pareto", help="Export every trial of the Pareto set, one folder each.")] = False,
    int8: Annotated[bool, typer.Option("--int8", help="Add a statically quantized int8 ONNX model with its test accuracy.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an output folder that is not empty.")] = False,
    device: Annotated[str, typer.Option("--device", help="Where latency is measured: auto, cpu or cuda[:N].")] = "auto",
    artifacts: Annotated[str | None, typer.Option("--artifacts", help="Folder of the retrained weights "
                                                  "(default: the one the retrain study names).")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Ship a trained trial: model.onnx / model.pt, arch.yaml and model_card.json (checked, latency measured)."""
    from rich.markup import escape

    from dse.console import console, human
    from dse.export import ExportOptions, export_front, export_trial

    url = storage or f"sqlite:///studies/{name}.db"
    try:
        if pareto == (trial is not None):
            raise DseError("give either --trial N or --pareto (the whole front)")
        options = ExportOptions(format=fmt, weights=weights, seed=seed, int8=int8, device=device,
                                artifacts_dir=artifacts, data_dir=data_dir)
        if pareto:
            results = export_front(url, name, out, options, force=force)
        else:
            results = [export_trial(url, name, trial, out, options, force=force)]
    except DseError as exc:
        fail(exc)
        return
    for result in results:
        card = result.card
        files = ", ".join(f"{n} ({human(f['bytes'], 'B')})" for n, f in card["files"].items())
        console.print(f"[bold]trial {card['trial']}[/] -> {escape(str(result.folder))}: {escape(files)}, model_card.json",
                      highlight=False)
        lat = card["latency"]
        line = f"  {lat['median_ms']:.3f} ms (IQR {lat['iqr_ms']:.3f}) on {lat['device_name']}, {lat['runtime']}"
        if card["int8"]:
            q = card["int8"]
            line += f"; int8 test acc {100 * q['test_acc']:.2f}% vs fp32 {100 * q['fp32_test_acc']:.2f}%"
        if card["weights"] == "none":
            line += "; initial weights (--weights none)"
        console.print(line, highlight=False, markup=False)
