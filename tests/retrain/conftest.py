"""A tiny finished study (two squeeze ratios, both on the front) and stand-in trainers."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from dse.study._config import config_from_data
from dse.study._session import start
from dse.train import TrainResult
from tests.study.conftest import tiny_config

SPACE = {
    "name": "two", "description": "two squeeze ratios",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125, "meta": {"pct3x3": 0.5}},
    "parameters": {"sr": {"kind": "categorical", "choices": [0.25, 0.5], "target": "meta.sr"}},
}
BRIEF = {0.25: 0.5, 0.5: 0.6}  # search accuracy: both on the brief front (0.5 is bigger and better)
FULL = {0.25: 0.7, 0.5: 0.65}  # retrained: 0.5 is worse and bigger, so it drops off the confirmed front


def search_trainer(model, data, config, budget, *, device="auto", on_epoch=None, quiet=True, **kw):
    sr = round(model().spec.meta.sr, 3)
    return TrainResult(status="completed", reason=None, val_acc=BRIEF[sr], val_curve=[BRIEF[sr]], seed=config.seed)


class RetrainTrainer:
    """Stands in for train_candidate in retrain runs: accuracy FULL[sr] + seed/100, test 0.01 lower;
    records every (sr, seed) it trains; ``interrupt_at`` raises KeyboardInterrupt on that call."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        self.calls: list[tuple[float, int]] = []
        self.interrupt_at = interrupt_at

    def __call__(self, model, data, config, budget, *, device="auto", on_epoch=None, evaluate_test=False,
                 quiet=True, **kw):
        fire = model().spec.fires[0]  # retrained specs are canonical: explicit fires, no meta
        sr = round(fire.s1x1 / (fire.e1x1 + fire.e3x3), 3)
        if self.interrupt_at is not None and len(self.calls) == self.interrupt_at:
            self.interrupt_at = None
            raise KeyboardInterrupt
        self.calls.append((sr, config.seed))
        acc = FULL[sr] + config.seed / 100
        return TrainResult(status="completed", reason=None, val_acc=acc, val_curve=[acc - 0.1, acc],
                           test_acc=acc - 0.01 if evaluate_test else None, seed=config.seed, train_seconds=2.0)


@pytest.fixture
def finished_study(tmp_path: Path, monkeypatch) -> tuple[str, optuna.Study]:
    """Study "tiny" with trials 0 (sr 0.25) and 1 (sr 0.5) completed; returns (storage URL, study)."""
    import dse.study._objective as objective

    monkeypatch.setattr(objective, "train_candidate", search_trainer)
    config = config_from_data(tiny_config(tmp_path, space=SPACE, trials=2, pruner={"mode": "off"}))
    session = start(config)
    for sr in (0.25, 0.5):
        session.study.enqueue_trial({"sr": sr})
    session.run()
    return config.storage, session.study


@pytest.fixture
def retrain_trainer(monkeypatch):
    import dse.train

    def install(interrupt_at: int | None = None) -> RetrainTrainer:
        fake = RetrainTrainer(interrupt_at)
        monkeypatch.setattr(dse.train, "train_candidate", fake)
        return fake

    return install
