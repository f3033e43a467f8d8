"""Sampler variants on the tabular benchmark: dse's cost-aware sampler with other options (or a
peer), replayed over many seeds, one line of medians per variant. For trying sampler changes
(docs/tabular-benchmark.md, "What made the difference"); the reported benchmark is
benchmarks/tabular_efficiency.py.

Run: python benchmarks/tabular_variants.py '{"n_startup": 4}' '{"trend": "costs"}' [--seeds 60] [--first-seed 0] [--grid full]
                                           [--pruner off] [--peers gp tpe] [--jobs 2] [--repeats mean|first]
Each JSON object is passed to CostAwareSampler as keyword arguments ('{}' is the default sampler).
Each line gives the 90% bootstrap interval of the median time to 95%: twenty-seed medians move by
several seconds between identical variants, 200-seed ones by about a second; a variant whose
interval overlaps the shipped sampler's has not shown anything (check it on --first-seed 1000).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from functools import partial

import numpy as np
from tabular.replay import Method, cost_aware, methods, replay
from tabular.table import REPEATS, load_table
from tabular_efficiency import RESAMPLES, bootstrap_medians, central

from dse.study._config import PrunerConfig


def _method(variant: str, pruner: str) -> Method:
    """A peer's name, or dse with CostAwareSampler options as JSON (built in the worker process:
    the peers' sampler factories do not pickle)."""
    if variant in methods():
        return methods()[variant]
    return Method("dse", partial(cost_aware, **json.loads(variant)), PrunerConfig(mode="off") if pruner == "off" else PrunerConfig(), True)


def _one(task: tuple) -> tuple[float, float, int, float]:
    table, variant, pruner, seed, budget = task
    method = _method(variant, pruner)
    run = replay(table, method, seed, budget=budget, max_trials=5 * table.size(), stop_fraction=0.95)
    return run.seconds_to(0.90), run.seconds_to(0.95), len(run.trials), sum(t["sampler_seconds"] for t in run.trials)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", default=["{}"], help="CostAwareSampler options as JSON, one per variant")
    parser.add_argument("--peers", nargs="*", default=[], choices=[m for m in methods() if m != "dse"])
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--first-seed", type=int, default=0, help="replay seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--grid", default="full")
    parser.add_argument("--pruner", choices=["default", "off"], default="default", help="dse's Pareto pruner")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", choices=REPEATS, default="mean", help="a point's seeds: their mean, or its first measurement")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    table = load_table(args.grid, repeats=args.repeats)
    budget = table.enumeration_seconds()
    for variant in args.variants:
        json.loads(variant)  # a typo fails here, not in every worker
    print(f"{args.grid} grid, {args.seeds} seeds from {args.first_seed}, dse pruner {args.pruner}; simulated seconds to 90% / 95% of the true "
          "hypervolume, median [IQR of 95%]", flush=True)
    for variant in [*args.variants, *args.peers]:
        label = variant if variant in args.peers else f"dse {variant}"
        started = time.monotonic()
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            tasks = [(table, variant, args.pruner, s, budget) for s in range(args.first_seed, args.first_seed + args.seeds)]
            r = np.array(pool.map(_one, tasks, chunksize=1))
        q25, q75 = np.percentile(r[:, 1], [25, 75])
        lo, hi = central(bootstrap_medians(r[:, 1], RESAMPLES, np.random.default_rng(0)))
        print(f"{label:50s} to 90% {np.median(r[:, 0]):5.1f} s  to 95% {np.median(r[:, 1]):5.1f} s [{q25:.0f}-{q75:.0f}] "
              f"(median {lo:.1f}-{hi:.1f} s, 90% bootstrap) mean {np.mean(r[:, 1]):5.1f} s  "
              f"trials {np.median(r[:, 2]):.0f}  sampler {np.median(r[:, 3]):.1f} CPU s/run  ({time.monotonic() - started:.0f} s wall)",
              flush=True)


if __name__ == "__main__":
    main()
