"""How long cost(spec) takes (it runs for every sampled candidate). Target: well under 1 ms.

Run: python benchmarks/cost_speed.py [--repeats 2000]
Writes benchmarks/results/cost_speed.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _results import save_and_print  # benchmarks/_results.py

from dse.arch import LAYERS, ArchSpec, ArchSpecError, cost, get_preset


def random_specs(n: int, seed: int = 0) -> list[ArchSpec]:
    rng = random.Random(seed)
    specs: list[ArchSpec] = []
    while len(specs) < n:
        try:
            specs.append(
                get_preset(
                    "squeezenet_cifar",
                    meta={"sr": rng.choice([0.125, 0.25, 0.5, 0.75, 1.0]), "pct3x3": rng.uniform(0.01, 0.99)},
                    bypass=rng.choice(["none", "simple", "complex"]),
                    downsample=[layer for layer in LAYERS if rng.random() < 0.3],
                    width_multiplier=rng.choice([0.25, 0.5, 1.0]),
                    expand3x3=rng.choice(["standard", "separable"]),
                )
            )
        except ArchSpecError:
            continue
    return specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    specs = random_specs(args.repeats)
    timings = []
    for spec in specs:
        t0 = time.perf_counter()
        cost(spec)
        timings.append(time.perf_counter() - t0)
    construct = []
    for spec in specs[:500]:
        data = spec.to_dict()
        t0 = time.perf_counter()
        cost(ArchSpec.from_dict(data))
        construct.append(time.perf_counter() - t0)
    result = {
        "specs": len(specs),
        "cost_median_us": statistics.median(timings) * 1e6,
        "cost_p99_us": sorted(timings)[int(0.99 * len(timings))] * 1e6,
        "from_dict_plus_cost_median_us": statistics.median(construct) * 1e6,
        "target_us": 1000,
    }
    save_and_print("cost_speed", result)

if __name__ == "__main__":
    main()
