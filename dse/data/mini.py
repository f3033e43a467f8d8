"""Generate the bundled ``fashion-mnist-mini`` file from the full Fashion-MNIST.

Usage: ``python -m dse.data.mini SRC_DIR OUT.npz [--train-per-class 1000]
[--test-per-class 200] [--seed 0]``, where ``SRC_DIR`` holds the four IDX files (plain
or .gz), e.g. Debian's /usr/share/datasets/fashion-mnist. The selection is stratified
(equal count per class), drawn with ``numpy.random.default_rng(seed)`` and kept in the
original order, so the same inputs always give the same arrays: uint8 ``x_train``
(N, 28, 28), ``y_train``, ``x_test``, ``y_test``, the source indices ``train_index`` and
``test_index``, and the ``seed``, in a compressed .npz.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from dse.data.errors import DataError, DataNotFoundError
from dse.data.sources import get_source

__all__ = ["main", "make_mini", "stratified_indices"]


def stratified_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices holding exactly ``per_class`` random items of every label value."""
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < per_class:
            raise DataError(f"class {cls} has {len(members)} images, fewer than {per_class}")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def make_mini(
    src_dir: Path,
    out: Path,
    *,
    train_per_class: int = 1000,
    test_per_class: int = 200,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Write the stratified subset of the IDX files in ``src_dir`` to ``out`` (.npz)."""
    source = get_source("fashion-mnist")
    found = source.files_in(src_dir)
    if found is None:
        raise DataNotFoundError(f"{src_dir} does not hold {source.expected}")
    raw = source.decode(found)
    rng = np.random.default_rng(seed)
    train_idx = stratified_indices(raw.train_labels, train_per_class, rng)
    test_idx = stratified_indices(raw.test_labels, test_per_class, rng)
    arrays = {
        "x_train": raw.train_images[train_idx, 0],
        "y_train": raw.train_labels[train_idx].astype(np.uint8),
        "x_test": raw.test_images[test_idx, 0],
        "y_test": raw.test_labels[test_idx].astype(np.uint8),
        "train_index": train_idx.astype(np.int32),
        "test_index": test_idx.astype(np.int32),
        "seed": np.array(seed, dtype=np.int64),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return arrays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dse.data.mini", description=__doc__.split("\n")[0]
    )
    parser.add_argument("src_dir", type=Path, help="folder with the Fashion-MNIST IDX files")
    parser.add_argument("out", type=Path, help="output .npz path")
    parser.add_argument("--train-per-class", type=int, default=1000)
    parser.add_argument("--test-per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        arrays = make_mini(
            args.src_dir,
            args.out,
            train_per_class=args.train_per_class,
            test_per_class=args.test_per_class,
            seed=args.seed,
        )
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {len(arrays['y_train'])} train, {len(arrays['y_test'])} test images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
