"""Fidelity check: do short training budgets rank architectures like longer ones?

Samples architectures from a search space (default squeezenet_full), trains each with a short
budget and with a longer one on Fashion-MNIST data, and reports the Spearman rank correlation
of their validation accuracies; the longer run's per-epoch curve also gives the correlation of
each rung (accuracy after epoch k) with the final accuracy, which is what pruning rungs rely on.

Run: python benchmarks/fidelity.py [--archs 12] [--short-epochs 1] [--long-epochs 4]
     [--subset 4000] [--dataset fashion-mnist-mini] [--space squeezenet_full]
Writes benchmarks/results/fidelity.json.

With --retrain the comparison goes through dse itself: a study of --archs random feasible
candidates is searched at the brief budget (--short-epochs on --subset images, pruning off), then
`dse retrain` trains every completed candidate again with --seeds seeds at --long-epochs on
--retrain-subset images (default: the whole training split), and the Spearman rho and Kendall tau of
brief versus retrained (mean over seeds) validation accuracy are reported.
     python benchmarks/fidelity.py --retrain --archs 12 --seeds 2 --short-epochs 1 --subset 2000
            --long-epochs 2 --retrain-subset 4000 --max-macs 5e6 [--workers 3]
Writes benchmarks/results/fidelity_retrain.json (and the study in benchmarks/results/fidelity_retrain.db).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from scipy.stats import spearmanr

from dse.arch import ArchSpecError, build, cost
from dse.data import load_dataset
from dse.space import RandomSuggest, load_space
from dse.train import Budget, TrainConfig, train_candidate


def sample_candidates(space_name: str, n: int, fixed: dict, seed: int, max_macs: float) -> list:
    space = load_space(space_name)
    out, i = [], 0
    while len(out) < n:
        i += 1
        try:
            cand = space.sample(RandomSuggest(seed * 10_000 + i), fixed=fixed)
        except ArchSpecError:
            continue
        if cost(cand.spec).macs <= max_macs:  # keep the benchmark CPU-sized
            out.append(cand)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", type=int, default=12)
    parser.add_argument("--short-epochs", type=int, default=1)
    parser.add_argument("--long-epochs", type=int, default=4)
    parser.add_argument("--subset", type=int, default=4000, help="training images per epoch (both budgets)")
    parser.add_argument("--dataset", default="fashion-mnist-mini")
    parser.add_argument("--space", default="squeezenet_full")
    parser.add_argument("--max-macs", type=float, default=15e6, help="skip candidates above this many MACs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retrain", action="store_true", help="brief study, then `dse retrain` of every candidate")
    parser.add_argument("--seeds", type=int, default=2, help="--retrain: seeds per candidate")
    parser.add_argument("--retrain-subset", type=int, default=None, help="--retrain: images per epoch (default all)")
    parser.add_argument("--workers", type=int, default=1, help="--retrain: worker processes for the retrain runs")
    args = parser.parse_args()
    if args.retrain:
        retrain_check(args)
        return

    data = load_dataset(args.dataset)
    info = data.info
    fixed = {"in_channels": info.in_channels, "input_size": info.image_size, "num_classes": info.num_classes}
    candidates = sample_candidates(args.space, args.archs, fixed, args.seed, args.max_macs)
    rows = []
    start = time.perf_counter()
    for i, cand in enumerate(candidates):
        train = {k: v for k, v in cand.train.items()}
        cfg = TrainConfig(**{**train, "seed": args.seed})
        short = train_candidate(lambda: build(cand.spec), data, cfg, Budget(epochs=args.short_epochs, train_subset=args.subset))
        long = train_candidate(lambda: build(cand.spec), data, cfg, Budget(epochs=args.long_epochs, train_subset=args.subset))
        rows.append({
            "label": cand.spec.label(), "params": cost(cand.spec).params, "macs": cost(cand.spec).macs,
            "short_acc": short.val_acc, "long_acc": long.val_acc, "long_curve": long.val_curve,
            "short_seconds": short.wall_seconds, "long_seconds": long.wall_seconds,
        })
        print(f"[{i + 1}/{len(candidates)}] short {short.val_acc:.4f} long {long.val_acc:.4f}  {cand.spec.label()}", flush=True)

    final = [r["long_acc"] for r in rows]
    rho_short = spearmanr([r["short_acc"] for r in rows], final).statistic
    rung_rho = {}
    for epoch in range(1, args.long_epochs):
        at_rung = [r["long_curve"][epoch - 1] if len(r["long_curve"]) >= epoch else float("nan") for r in rows]
        rung_rho[str(epoch)] = float(spearmanr(at_rung, final).statistic)
    result = {
        "dataset": args.dataset, "space": args.space, "archs": len(rows), "subset": args.subset,
        "short_epochs": args.short_epochs, "long_epochs": args.long_epochs,
        "spearman_short_vs_long": float(rho_short),
        "spearman_rung_vs_final": rung_rho,
        "mean_short_seconds": sum(r["short_seconds"] for r in rows) / len(rows),
        "mean_long_seconds": sum(r["long_seconds"] for r in rows) / len(rows),
        "total_seconds": time.perf_counter() - start,
        "rows": rows,
    }
    out = Path(__file__).parent / "results" / "fidelity.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"Spearman rho, {args.short_epochs}-epoch vs {args.long_epochs}-epoch accuracy: {rho_short:.3f}")
    for epoch, rho in rung_rho.items():
        print(f"Spearman rho, accuracy after epoch {epoch} vs final ({args.long_epochs} epochs): {rho:.3f}")
    print(f"wrote {out}")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def retrain_check(args: argparse.Namespace) -> None:
    """Brief study of ``args.archs`` candidates, `dse retrain` of all of them, rank correlations."""
    from dse.study._config import config_from_data
    from dse.study._confirm import confirmation
    from dse.study._retrain_plan import RetrainRequest, counted, plan_retrain
    from dse.study._retrain_run import start_retrain
    from dse.study._session import start as start_study

    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    db = results / "fidelity_retrain.db"
    for leftover in results.glob("fidelity_retrain.*"):
        if leftover.is_file():
            leftover.unlink()
        else:
            import shutil

            shutil.rmtree(leftover)
    storage = f"sqlite:///{db}"
    config = config_from_data({
        "name": "fidelity", "space": args.space, "dataset": args.dataset, "trials": args.archs, "seed": args.seed,
        "budget": {"epochs": args.short_epochs, "train_subset": args.subset}, "sampler": {"name": "random"},
        "pruner": {"mode": "off"}, "reuse_duplicates": True, "constraints": {"max_macs": int(args.max_macs)},
        "objectives": ["val_acc", "params"], "storage": storage,
    })
    begin = time.perf_counter()
    session = start_study(config)
    session.run(args.archs)
    brief_seconds = time.perf_counter() - begin
    numbers = tuple(t.number for t in session.study.get_trials(deepcopy=False) if counted(t))
    request = RetrainRequest("fidelity", storage, trials=numbers, seeds=args.seeds, epochs=args.long_epochs,
                             train_subset=args.retrain_subset)
    retrain, target = start_retrain(plan_retrain(request))
    if args.workers > 1:  # N local `dse worker fidelity.retrain` processes share the runs
        from dse.study._workers import LocalWorkers, supervise

        supervise(retrain, LocalWorkers("fidelity.retrain", storage, args.workers), target)
    else:
        retrain.run(target)
    conf = confirmation(storage, "fidelity", trials=numbers)
    assert conf is not None
    rows = [c.to_json() for c in conf.candidates]
    out = results / "fidelity_retrain.json"
    summary = {
        "dataset": args.dataset, "space": args.space, "archs": len(conf.retrained), "seeds": args.seeds,
        "brief": {"epochs": args.short_epochs, "train_subset": args.subset},
        "retrain": {"epochs": args.long_epochs, "train_subset": args.retrain_subset or "all"},
        "spearman_brief_vs_retrained": conf.spearman, "kendall_brief_vs_retrained": conf.kendall,
        "dropped_from_front": conf.dropped, "brief_seconds": brief_seconds,
        "total_seconds": time.perf_counter() - begin, "rows": rows,
    }
    out.write_text(json.dumps(summary, indent=2))
    for c in conf.candidates:
        print(f"trial {c.trial:3d}  brief {c.brief_val_acc:.4f}  retrained {c.val_acc_mean:.4f} "
              f"+- {c.val_acc_std or 0:.4f}  test {c.test_acc_mean or float('nan'):.4f}  {c.label}")
    print(f"{len(conf.retrained)} architectures, brief ({args.short_epochs} epoch(s) x {args.subset} images) vs "
          f"retrained ({args.long_epochs} epochs x {args.retrain_subset or 'all'} images, {args.seeds} seeds): "
          f"Spearman rho {_fmt(conf.spearman)}, Kendall tau {_fmt(conf.kendall)}; dropped off the front: {conf.dropped}")
    print(f"wrote {out} in {summary['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
