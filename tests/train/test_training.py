"""Training works, is deterministic, and reports each epoch to on_epoch."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from dse.train import Budget, TrainConfig, train_candidate

CONFIG = TrainConfig(batch_size=32, lr=0.05)


def test_learnable_task_reaches_high_accuracy(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(tiny_net, synthetic, CONFIG, Budget(epochs=4), evaluate_test=True)
    assert result.status == "completed"
    assert result.val_acc >= 0.9, result.val_curve
    assert result.test_acc is not None and result.test_acc >= 0.9


def test_adamw_trains_too(synthetic: Any, tiny_net: Any) -> None:
    config = TrainConfig(optimizer="adamw", lr=1e-2, batch_size=32, weight_decay=0.01)
    result = train_candidate(tiny_net, synthetic, config, Budget(epochs=4))
    assert result.val_acc >= 0.9, result.val_curve


def test_on_epoch_called_once_per_epoch_with_accuracies(synthetic: Any, tiny_net: Any) -> None:
    calls: list[tuple[int, float]] = []
    result = train_candidate(
        tiny_net(),
        synthetic,
        CONFIG,
        Budget(epochs=3),
        on_epoch=lambda epoch, acc: calls.append((epoch, acc)),
    )
    assert [epoch for epoch, _ in calls] == [0, 1, 2]
    assert all(isinstance(acc, float) and 0.0 <= acc <= 1.0 for _, acc in calls)
    assert [acc for _, acc in calls] == result.val_curve


def test_on_epoch_returning_true_prunes(synthetic: Any, tiny_net: Any) -> None:
    calls: list[int] = []

    def prune_after_second(epoch: int, acc: float) -> bool:
        calls.append(epoch)
        return epoch == 1

    result = train_candidate(
        tiny_net(),
        synthetic,
        CONFIG,
        Budget(epochs=6),
        on_epoch=prune_after_second,
        evaluate_test=True,
    )
    assert result.status == "pruned"
    assert result.reason is not None and "epoch 1" in result.reason
    assert calls == [0, 1] and len(result.val_curve) == 2 and result.epochs == 2
    assert result.test_acc is None


def test_same_seed_gives_identical_val_curve(synthetic: Any, tiny_net: Any) -> None:
    budget = Budget(epochs=2, max_steps=20)
    first = train_candidate(tiny_net, synthetic, CONFIG, budget, device="cpu")
    second = train_candidate(tiny_net, synthetic, CONFIG, budget, device="cpu")
    assert first.val_curve == second.val_curve and first.steps == second.steps


def test_seed_controls_initialisation_of_factory_models(synthetic: Any, tiny_net: Any) -> None:
    built: list[torch.nn.Module] = []

    def factory() -> torch.nn.Module:
        built.append(tiny_net())
        return built[-1]

    budget = Budget(epochs=1, max_steps=2)
    for seed in (0, 0, 1):
        train_candidate(factory, synthetic, TrainConfig(batch_size=32, seed=seed), budget)
    weights = [m.head.weight.detach() for m in built]
    assert torch.equal(weights[0], weights[1])
    assert not torch.equal(weights[0], weights[2])


def test_global_rng_is_not_consumed(synthetic: Any, tiny_net: Any) -> None:
    net = tiny_net()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_candidate(net, synthetic, CONFIG, Budget(epochs=1, max_steps=2))
    assert torch.equal(torch.rand(3), expected)


def test_model_is_returned_trained_on_cpu(synthetic: Any, tiny_net: Any) -> None:
    net = tiny_net()
    before = net.head.weight.detach().clone()
    train_candidate(net, synthetic, CONFIG, Budget(epochs=1, max_steps=3))
    assert net.head.weight.device.type == "cpu"
    assert not torch.equal(net.head.weight.detach(), before)


@pytest.mark.parametrize(
    "device", ["tpu", "cuda:7" if not torch.cuda.is_available() else "nonsense"]
)
def test_bad_device_is_a_clear_error(synthetic: Any, tiny_net: Any, device: str) -> None:
    with pytest.raises(ValueError, match="device="):
        train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=1), device=device)
