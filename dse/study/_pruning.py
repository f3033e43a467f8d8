"""Pruning for multi-objective (accuracy vs exact cost) studies.

Optuna's pruners refuse multi-objective studies (``Trial.report`` raises). Here a candidate's cost
is known exactly before training, so at each rung (after epochs ``rungs``) it is judged against the
candidates that reached the same rung:

- ``pareto``: pruned when some peer is at most as costly and at least ``margin`` more accurate at
  that rung (dominated by a margin);
- ``halving``: successive halving within a cost bucket: among peers whose cost is within a factor
  ``cost_ratio`` of the candidate's, it is pruned unless its rung accuracy is in the top
  ``keep_fraction``.

Nothing is pruned before ``min_trials`` peers reached the rung. Pruned trials keep their curve
and the reason; they never enter the Pareto front.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import optuna

from dse.study import attrs
from dse.study._config import PrunerConfig, StudyConfig


def prune_reason(
    cfg: PrunerConfig, rung: int, cost: float, acc: float, peers: Sequence[tuple[float, float]]
) -> str | None:
    """Why a candidate with ``(cost, acc)`` at ``rung`` should stop, or None to keep it.

    ``peers`` are (cost, accuracy at the same rung) of other trials that reached the rung.
    """
    if cfg.mode == "off":
        return None
    if cfg.mode == "pareto":
        if len(peers) < cfg.min_trials:
            return None
        for peer_cost, peer_acc in peers:
            if peer_cost <= cost and peer_acc >= acc + cfg.margin:
                return (
                    f"dominated after epoch {rung}: a candidate with cost {peer_cost:,.0f} <= {cost:,.0f} "
                    f"reached {peer_acc:.4f} >= {acc:.4f} + margin {cfg.margin}"
                )
        return None
    bucket = [a for c, a in peers if cost / cfg.cost_ratio <= c <= cost * cfg.cost_ratio]
    if len(bucket) < cfg.min_trials:
        return None
    ranked = sorted(bucket + [acc], reverse=True)
    keep = max(1, int(len(ranked) * cfg.keep_fraction))
    if acc < ranked[keep - 1]:
        return (
            f"successive halving after epoch {rung}: accuracy {acc:.4f} is not in the top "
            f"{cfg.keep_fraction:.0%} of {len(ranked)} candidates of similar cost (cut {ranked[keep - 1]:.4f})"
        )
    return None


def rung_peers(study: optuna.Study, rung: int, metric: str, exclude: int) -> list[tuple[float, float]]:
    """(cost, accuracy after ``rung`` epochs) of every other trial whose curve reached the rung."""
    cost_attr = attrs.METRICS[metric][0]
    peers = []
    for t in study.get_trials(deepcopy=False):
        if t.number == exclude:
            continue
        curve = t.user_attrs.get(attrs.VAL_CURVE) or []
        if len(curve) >= rung and cost_attr in t.user_attrs:
            peers.append((float(t.user_attrs[cost_attr]), float(curve[rung - 1])))
    return peers


def make_epoch_hook_factory(
    config: StudyConfig,
) -> Callable[[optuna.Trial, dict[str, float]], Callable[[int, float], bool]]:
    """Per trial: a hook ``(epoch, val_acc) -> stop?`` that records the curve and applies the pruner."""
    cfg = config.pruner
    metric = config.objectives[1]

    def factory(trial: optuna.Trial, costs: dict[str, float]) -> Callable[[int, float], bool]:
        curve: list[float] = []

        def on_epoch(epoch: int, val_acc: float) -> bool:
            curve.append(float(val_acc))
            trial.set_user_attr(attrs.VAL_CURVE, list(curve))  # peers at this rung can see it now
            rung = epoch + 1
            if rung not in cfg.rungs or rung >= config.budget.epochs:  # nothing to save at the last epoch
                return False
            reason = prune_reason(cfg, rung, costs[metric], float(val_acc), rung_peers(trial.study, rung, metric, trial.number))
            if reason is None:
                return False
            trial.set_user_attr(attrs.PRUNE_REASON, reason)
            return True

        return on_epoch

    return factory
