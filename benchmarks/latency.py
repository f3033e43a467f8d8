"""Measured latency against MACs for architectures of the `squeezenet_full` search space.

MACs are what a study minimises when it cannot measure; this shows how well they rank real
latency. Architectures are sampled from search_spaces/squeezenet_full.yaml (CIFAR-10 shape,
3x32x32, 10 classes), each measured like a study's `latency_ms` (median of 50 batch-1 passes after
10 warm-up passes: onnxruntime on the CPU, PyTorch eager on a GPU), and Spearman's rho is taken
between MACs and the median latency (and between parameters and latency, for comparison).

Run: python benchmarks/latency.py [--archs 24] [--seed 0] [--device cpu] [--threads N]
Writes benchmarks/results/latency.json. Latency depends on what else runs on the machine; the
load averages before and after are in the JSON.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import torch
from _results import RESULTS, environment, write_json  # benchmarks/_results.py
from scipy.stats import spearmanr

from dse.arch import ArchSpecError, cost
from dse.export.latency import measure_spec
from dse.space import load_space
from dse.space.sampling import RandomSuggest

CIFAR = {"in_channels": 3, "input_size": 32, "num_classes": 10}


def sample_specs(n: int, seed: int) -> list:
    """``n`` distinct architectures of squeezenet_full (invalid combinations are skipped)."""
    space = load_space("squeezenet_full")
    specs, seen = [], set()
    for i in itertools.count():
        if len(specs) == n or i > 100 * n:
            break
        try:
            spec = space.sample(RandomSuggest(seed * 1_000_003 + i), fixed=CIFAR).spec
        except ArchSpecError:
            continue
        if spec.arch_hash() not in seen:
            seen.add(spec.arch_hash())
            specs.append(spec)
    return specs


def discordant_pairs(macs: list[int], latency: list[float], ratio: float = 1.5) -> list[tuple[int, int]]:
    """Pairs (i, j) where i has at least ``ratio`` x the MACs of j and is nevertheless faster."""
    return [(i, j) for i in range(len(macs)) for j in range(len(macs))
            if macs[i] >= ratio * macs[j] and latency[i] < latency[j]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", type=int, default=24, help="architectures to measure (at least 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu (onnxruntime), cuda (PyTorch eager) or auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()
    specs = sample_specs(max(20, args.archs), args.seed)
    rows = []
    start = time.perf_counter()
    for k, spec in enumerate(specs):
        c = cost(spec)
        lat = measure_spec(spec, args.device)
        rows.append({"label": spec.label(), "arch_hash": spec.arch_hash(), "macs": c.macs, "params": c.params,
                     "latency_ms": lat.median_ms, "iqr_ms": lat.iqr_ms})
        print(f"{k + 1:3d}/{len(specs)} {c.macs / 1e6:9.2f} MMACs {lat.median_ms:9.3f} ms (IQR {lat.iqr_ms:.3f})  {spec.label()}",
              flush=True)
    macs = [r["macs"] for r in rows]
    latency = [r["latency_ms"] for r in rows]
    rho_macs = spearmanr(macs, latency)
    rho_params = spearmanr([r["params"] for r in rows], latency)
    bad = discordant_pairs(macs, latency)
    worst = max(bad, key=lambda p: macs[p[0]] / macs[p[1]], default=None)
    result = {
        "archs": len(rows),
        "device": lat.device, "device_name": lat.device_name, "runtime": lat.runtime, "threads": lat.threads,
        "spearman_rho_macs_latency": float(rho_macs.statistic), "p_value_macs": float(rho_macs.pvalue),
        "spearman_rho_params_latency": float(rho_params.statistic),
        "pairs_with_1.5x_macs_but_faster": len(bad),
        "seconds": time.perf_counter() - start,
    }
    if worst is not None:
        i, j = worst
        result["example_misleading_pair"] = (f"{rows[i]['label']}: {macs[i] / 1e6:.1f} MMACs, {latency[i]:.3f} ms vs "
                                             f"{rows[j]['label']}: {macs[j] / 1e6:.1f} MMACs, {latency[j]:.3f} ms")
    for key, value in result.items():
        print(f"{key:34s} {value:.4f}" if isinstance(value, float) else f"{key:34s} {value}")
    write_json(RESULTS / "latency.json", {**result, "environment": environment(load), "rows": rows})


if __name__ == "__main__":
    main()
