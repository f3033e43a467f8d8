"""Decode once: in-process reuse, the on-disk cache, and per-device copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import dse.data
from dse.data import cache_info, clear_memory_cache, load_dataset, to_device

from .writers import random_arrays, write_idx_dir, write_named


def test_two_loads_in_one_process_decode_once(tmp_path: Path) -> None:
    write_named("cifar10", tmp_path)
    before = cache_info()
    first = load_dataset("cifar10", tmp_path, download=False)
    second = load_dataset("cifar10", tmp_path, download=False)
    after = cache_info()
    assert second is first
    assert after.decodes - before.decodes == 1
    assert after.memory_hits - before.memory_hits == 1


def test_fresh_load_after_clear_uses_disk_cache(tmp_path: Path, isolated_data: Path) -> None:
    write_named("svhn", tmp_path)
    first = load_dataset("svhn", tmp_path, download=False)
    files = list((isolated_data / "tensors").glob("svhn-32px-*.pt"))
    assert len(files) == 1
    assert not list((isolated_data / "tensors").glob("*.tmp"))
    clear_memory_cache()
    before = cache_info()
    second = load_dataset("svhn", tmp_path, download=False)
    after = cache_info()
    assert second is not first
    assert after.decodes == before.decodes
    assert after.disk_hits - before.disk_hits == 1
    assert torch.equal(first.train_images, second.train_images)
    assert second.info == first.info and second.key == first.key


def test_disk_cache_is_used_even_if_sources_become_unreadable(tmp_path: Path) -> None:
    folder = write_idx_dir(tmp_path / "mnist", random_arrays(8, 4, 1, 28, 10), gz=True)
    first = load_dataset("mnist", tmp_path, download=False)
    clear_memory_cache()
    stat = (folder / "train-images-idx3-ubyte.gz").stat()
    # Same path, size and mtime but unreadable content: only the cache can answer.
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x00" * stat.st_size)
    os.utime(folder / "train-images-idx3-ubyte.gz", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert torch.equal(
        load_dataset("mnist", tmp_path, download=False).train_images, first.train_images
    )


def test_changed_source_files_invalidate_the_cache(tmp_path: Path) -> None:
    write_idx_dir(tmp_path / "mnist", random_arrays(8, 4, 1, 28, 10, seed=1), gz=True)
    load_dataset("mnist", tmp_path, download=False)
    clear_memory_cache()
    newer = random_arrays(9, 4, 1, 28, 10, seed=2)
    write_idx_dir(tmp_path / "mnist", newer, gz=True)
    before = cache_info()
    data = load_dataset("mnist", tmp_path, download=False)
    assert cache_info().decodes - before.decodes == 1
    assert torch.equal(data.train_images, torch.from_numpy(newer.train_x))


def test_corrupt_cache_file_is_ignored(tmp_path: Path, isolated_data: Path) -> None:
    write_named("cifar10", tmp_path)
    first = load_dataset("cifar10", tmp_path, download=False)
    (cached,) = (isolated_data / "tensors").glob("cifar10-*.pt")
    cached.write_bytes(b"garbage")
    clear_memory_cache()
    before = cache_info()
    again = load_dataset("cifar10", tmp_path, download=False)
    assert cache_info().decodes - before.decodes == 1
    assert torch.equal(again.test_images, first.test_images)


def test_unwritable_cache_dir_still_loads(tmp_path: Path) -> None:
    write_named("cifar10", tmp_path / "data")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")
    data = load_dataset("cifar10", tmp_path / "data", download=False, cache_dir=blocker)
    assert data.num_train == 25


def test_bundled_set_is_not_written_to_disk_cache(isolated_data: Path) -> None:
    load_dataset("fashion-mnist-mini")
    assert not (isolated_data / "tensors").exists()


def test_to_device_is_memoised_per_device() -> None:
    data = dse.data.make_synthetic(4, 32, 1, 8, seed=0)
    assert to_device(data, "cpu") is data
    meta_before = cache_info()
    first = to_device(data, "meta")
    second = to_device(data, torch.device("meta"))
    after = cache_info()
    assert first is second and first.device.type == "meta"
    assert after.device_copies - meta_before.device_copies == 1
    assert after.device_hits - meta_before.device_hits == 1
    assert first.key == data.key and first.info == data.info
    clear_memory_cache()
    assert to_device(data, "meta") is not first


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_to_device_cuda_holds_one_copy() -> None:
    data = dse.data.make_synthetic(4, 32, 1, 8, seed=0)
    a = to_device(data, "cuda")
    b = to_device(data, f"cuda:{torch.cuda.current_device()}")
    assert a is b and a.train_images.is_cuda
    assert torch.equal(a.train_images.cpu(), data.train_images)
