"""Export the tabular benchmark: the fill's study database -> benchmarks/data/tabular_fmnist.{csv,json}.

Every grid point of benchmarks/tabular/study.yaml gets a row per measurement from the grid
studies (the core sub-grid first, then the full grid, then seed2.yaml's second seed of the full
grid: repeats 0, 1, 2 for a core point, 0 and 1 for the others), or, when none exists yet, its
exact cost with status ``infeasible`` (above the limit: never to be trained) or ``unmeasured``. The JSON holds the grid, the core sub-grid, the budget and the
limit, and per grid the exact Pareto front and its hypervolume, of the points' mean accuracies
(``hypervolume_first``: of their first measurements).

Run: python benchmarks/tabular/export.py [--storage sqlite:///benchmarks/tabular/table.db]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import optuna
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tabular.table import DATA, NAME, Point, Table, front_hypervolume, write_table  # noqa: E402

import dse  # noqa: E402
from dse.arch import cost  # noqa: E402
from dse.space import space_from_data  # noqa: E402
from dse.study import attrs  # noqa: E402
from dse.study._runner import trial_status  # noqa: E402

STUDIES = (HERE / "core.yaml", HERE / "study.yaml", HERE / "seed2.yaml")  # fill order: repeat 0 comes from the first
FULL = 1  # the study of the whole grid (seed2.yaml is the same grid with other training seeds)
FIXED = {"in_channels": 1, "input_size": 28, "num_classes": 10}  # fashion-mnist-mini
TABLE_STATUS = {"completed": "completed", "infeasible": "infeasible", "diverged": "failed"}


class _Fixed:
    """dse.space's Suggest protocol answering from one grid point."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def categorical(self, name, choices):
        return self.values[name]

    def int(self, name, *args, **kwargs):
        return self.values[name]

    def float(self, name, *args, **kwargs):
        return self.values[name]


def grid_points(space_data: dict) -> tuple[dict[str, list[Any]], list[tuple[dict[str, Any], Any]]]:
    """The grid and every point of it with its cost (every point must build)."""
    space = space_from_data(space_data, source="tabular grid", prefix="space")
    grid = space.grid()
    out = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        out.append((values, cost(space.sample(_Fixed(values), fixed=FIXED).spec)))
    return grid, out


def measurements(storage: str, names: list[str]) -> tuple[list[tuple[str, optuna.trial.FrozenTrial]], dict[str, Counter]]:
    """(study name, trial) of every finished grid trial, in fill order, and status counts per study."""
    found, counts = [], {}
    for name in names:
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            continue
        trials = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
        counts[name] = Counter(trial_status(t) for t in trials)
        found += [(name, t) for t in trials]
    return found, counts


def build(storage: str) -> tuple[list[Point], dict[str, Any]]:
    configs = [yaml.safe_load(p.read_text()) for p in STUDIES]
    full = configs[FULL]
    limit = full["constraints"]["max_params"]
    grid, costed = grid_points(full["space"])
    probe = Table(grid, [], full["budget"]["epochs"], limit)
    trials, counts = measurements(storage, [c["name"] for c in configs])
    seen: Counter = Counter()
    points: list[Point] = []
    lost = 0
    for study_name, t in trials:
        status = TABLE_STATUS.get(trial_status(t))
        if status is None or not probe.in_grid(t.params):
            lost += trial_status(t) not in ("running", "waiting")
            continue
        if status == "infeasible":
            continue  # costed below, like every point above the limit
        ua = t.user_attrs
        key = probe.key(t.params)
        wall = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else 0.0
        points.append(Point({n: t.params[n] for n in grid}, status, int(ua[attrs.PARAMS]), int(ua[attrs.MACS]),
                            tuple(float(a) for a in ua.get(attrs.VAL_CURVE) or ()), float(ua.get(attrs.TRAIN_SECONDS, 0.0)),
                            wall, seen[key], {"size_bytes": ua.get(attrs.SIZE_BYTES, ""), "seed": ua.get(attrs.SEED, ""),
                                              "study": study_name, "trial": t.number}))
        seen[key] += 1
    for values, c in costed:
        if not seen[probe.key(values)]:
            status = "infeasible" if c.params > limit else "unmeasured"
            points.append(Point(values, status, c.params, c.macs, extra={"size_bytes": c.size_bytes("fp32")}))
    meta: dict[str, Any] = {
        "name": NAME, "space": full["space"], "dataset": full["dataset"], "budget": full["budget"], "train": full["space"].get("train", {}),
        "objectives": full["objectives"], "limit": limit, "dse_version": dse.__version__,
        "studies": {name: dict(c) for name, c in counts.items()}, "lost_trials": lost,
        "grid": grid, "subgrids": {"core": space_from_data(configs[0]["space"], source="core", prefix="space").grid()},
        "command": "python benchmarks/tabular/export.py",
    }
    table = Table(grid, points, full["budget"]["epochs"], limit, meta)
    meta["grids"] = {}
    for grid_name, sub in {"full": grid, **meta["subgrids"]}.items():
        t = table.restrict(sub)
        front = t.front()
        meta["grids"][grid_name] = {
            "points": t.size(), "within_limit": sum(1 for p in t.points.values() if p.params <= limit),
            "unmeasured": t.unmeasured(), "complete": t.unmeasured() == 0,
            "front": [{"val_acc": p.val_acc, "params": p.params, **p.values} for p in front],
            "hypervolume": front_hypervolume([(p.val_acc, p.params) for p in front], limit),
            "hypervolume_first": Table(sub, points, t.epochs, limit, repeats="first").true_hypervolume(),
        }
    return points, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", default=f"sqlite:///{HERE / 'table.db'}")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    points, meta = build(args.storage)
    csv_path, json_path = write_table(points, meta, args.out)
    for grid_name, g in meta["grids"].items():
        state = "complete" if g["complete"] else f"PARTIAL: {g['unmeasured']} of {g['within_limit']} points within the limit unmeasured"
        print(f"{grid_name}: {g['points']} points, {g['within_limit']} within the limit {meta['limit']:,}; {state}; "
              f"front of {len(g['front'])} points, hypervolume {g['hypervolume']:,.1f}")
    print(f"wrote {csv_path} ({csv_path.stat().st_size / 1e3:.0f} kB) and {json_path}")


if __name__ == "__main__":
    main()
