"""Framework overhead per trial: everything except training (sampling, cost, storage writes, the
run loop, model build) as a share of the mean trial time of a study. Target: under 5% for the
quickstart.

Run: python benchmarks/framework_overhead.py [--study studies/quickstart.yaml] [--trials 8]
Writes benchmarks/results/framework_overhead.json. The data is loaded before timing starts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _results import save_and_print  # benchmarks/_results.py

from dse.study._config import load_config
from dse.study._session import start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", default="studies/quickstart.yaml")
    parser.add_argument("--trials", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(args.study).model_copy(update={"storage": f"sqlite:///{Path(tmp) / 'overhead.db'}"})
        session = start(config)
        marks: list[float] = []
        t0 = time.monotonic()
        session.run(target=args.trials, on_trial=lambda study, counts: marks.append(time.monotonic()))
        wall = time.monotonic() - t0
        trials = len(session.study.trials)
    timings = session.objective.timings  # (objective seconds, train_candidate wall seconds) per trial
    training = sum(train for _, train in timings)
    objective_total = sum(total for total, _ in timings)
    result = {
        "study": args.study,
        "trials_run": trials,
        "wall_seconds": wall,
        "mean_trial_seconds": wall / max(1, trials),
        "training_seconds": training,
        "objective_seconds": objective_total,
        "overhead_seconds_per_trial": (wall - training) / max(1, trials),
        "overhead_fraction": (wall - training) / wall if wall else 0.0,
        "overhead_inside_objective_fraction": (objective_total - training) / wall if wall else 0.0,
        "target_fraction": 0.05,
    }
    save_and_print("framework_overhead", result)

if __name__ == "__main__":
    main()
