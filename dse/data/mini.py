"""Generate the bundled ``fashion-mnist-mini`` file from the full Fashion-MNIST.

Usage::

    python -m dse.data.mini SRC_DIR OUT.npz [--train-per-class 1000]
        [--test-per-class 200] [--seed 0]

``SRC_DIR`` holds the four IDX files (plain or .gz), e.g. Debian's
/usr/share/datasets/fashion-mnist. The selection is stratified (equal count per
class), drawn with ``numpy.random.default_rng(seed)`` and kept in the original
order, so the same inputs and arguments always give the same arrays. The output
is a compressed .npz of uint8 arrays ``x_train`` (N, 28, 28), ``y_train``,
``x_test``, ``y_test`` plus the chosen source indices ``train_index`` and
``test_index`` and the ``seed``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from dse.data.errors import DataError
from dse.data.formats import find_idx, read_idx_pair

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
    paths = []
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        path = find_idx(src_dir, stem)
        if path is None:
            raise DataError(f"{src_dir} has no {stem} or {stem}.gz")
        paths.append(path)
    train_x, train_y = read_idx_pair(paths[0], paths[1])
    test_x, test_y = read_idx_pair(paths[2], paths[3])
    rng = np.random.default_rng(seed)
    train_idx = stratified_indices(train_y, train_per_class, rng)
    test_idx = stratified_indices(test_y, test_per_class, rng)
    arrays = {
        "x_train": train_x[train_idx, 0],
        "y_train": train_y[train_idx].astype(np.uint8),
        "x_test": test_x[test_idx, 0],
        "y_test": test_y[test_idx].astype(np.uint8),
        "train_index": train_idx.astype(np.int32),
        "test_index": test_idx.astype(np.int32),
        "seed": np.array(seed, dtype=np.int64),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return arrays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dse.data.mini", description=__doc__.split("\n")[1]
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
