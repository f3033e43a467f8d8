"""Test accuracy and wall time of the CIFAR-style SqueezeNet on full Fashion-MNIST.

Usage::

    python benchmarks/fmnist_accuracy.py [--width 0.5] [--epochs 5] [--batch-size 256]
        [--lr 0.2] [--data-dir DIR] [--model squeezenet_cifar|tiny] [--no-augment]
        [--max-minutes 10] [--device auto]

Loads ``dse.data.load_dataset("fashion-mnist")`` (60,000 training, 10,000 test
images; 10% of training held out for validation), builds
``dse.arch.get_preset(model, in_channels=1, input_size=28, num_classes=10,
width_multiplier=width)``, trains it with ``dse.train.train_candidate`` and reports
test accuracy and wall time. Target: >= 91% test accuracy within 10 minutes on 2
CPU cores. ``--max-minutes`` caps training (the run then still reports its test
accuracy). Results are printed and written to ``benchmarks/results/fmnist_accuracy.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
from _results import RESULTS, environment, write_json  # the script's own folder is on sys.path
from train_throughput import make_model_factory

import dse.data
from dse.train import Budget, TrainConfig, train_candidate
from dse.train.devices import resolve_device



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default="squeezenet_cifar", help="a dse.arch preset name, or 'tiny'"
    )
    parser.add_argument("--width", type=float, default=0.5, help="width multiplier of the model")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument(
        "--no-augment", action="store_true", help="train without random-crop augmentation"
    )
    parser.add_argument(
        "--data-dir", default=None, help="folder holding Fashion-MNIST (default: search)"
    )
    parser.add_argument(
        "--max-minutes", type=float, default=10.0, help="wall-clock cap on training"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "fmnist_accuracy.json")
    args = parser.parse_args(argv)

    start, cpu_start, load_before = time.perf_counter(), time.process_time(), os.getloadavg()
    data = dse.data.load_dataset("fashion-mnist", args.data_dir)
    device = resolve_device(args.device)
    if hasattr(dse.data, "to_device"):
        data = dse.data.to_device(data, device)
    load_seconds = time.perf_counter() - start
    factory, model_name = make_model_factory(args.model, args.width, data.info)
    params = sum(p.numel() for p in factory().parameters())
    config = TrainConfig(
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        label_smoothing=args.label_smoothing,
        val_fraction=args.val_fraction,
        augment=not args.no_augment,
        seed=args.seed,
    )
    budget = Budget(epochs=args.epochs, max_seconds=args.max_minutes * 60)
    print(
        f"{model_name}: {params:,} parameters | {len(data.train_labels):,} train / "
        f"{len(data.test_labels):,} test images | device {device} | {args.epochs} epochs, "
        f"batch {args.batch_size}, lr {args.lr} | torch threads {torch.get_num_threads()}",
        flush=True,
    )

    def report(epoch: int, acc: float) -> None:
        print(
            f"  epoch {epoch}: val acc {acc:.4f}  ({time.perf_counter() - start:.0f} s)", flush=True
        )

    result = train_candidate(
        factory, data, config, budget, device=args.device, on_epoch=report, evaluate_test=True
    )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    test_acc = result.test_acc if result.test_acc is not None else float("nan")
    print(f"status {result.status}{' (' + result.reason + ')' if result.reason else ''}")
    print(
        f"test accuracy {test_acc:.4f} | val accuracy {result.val_acc:.4f} | wall {wall:.0f} s "
        f"(training {result.train_seconds:.0f} s, validation {result.val_seconds:.0f} s, loading "
        f"{load_seconds:.0f} s) | {result.images_per_second:.0f} training images/s | "
        f"process CPU {cpu:.0f} s | load average {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    meets = bool(test_acc >= 0.91 and wall <= 600)
    print(f"target >= 0.91 test accuracy within 600 s: {'met' if meets else 'NOT met'}")
    report_json = {
        "benchmark": "fmnist_accuracy",
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "model": model_name,
        "parameters": params,
        "device": result.device,
        "precision": result.precision,
        "torch_threads": torch.get_num_threads(),
        "config": config.to_dict(),
        "budget": budget.to_dict(),
        "status": result.status,
        "reason": result.reason,
        "test_acc": result.test_acc,
        "val_acc": result.val_acc,
        "val_curve": result.val_curve,
        "epochs": result.epochs,
        "steps": result.steps,
        "wall_seconds": wall,
        "train_seconds": result.train_seconds,
        "val_seconds": result.val_seconds,
        "load_seconds": load_seconds,
        "images_per_second": result.images_per_second,
        "target": {"test_acc": 0.91, "wall_seconds": 600},
        "meets_target": meets,
        "cpu_seconds": cpu,
        **environment(load_before),
    }
    write_json(args.out, report_json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
