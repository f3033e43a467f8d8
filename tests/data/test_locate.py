"""Where data is looked for, in which order, and the one error when it is nowhere."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import dse.data
from dse.data import DataNotFoundError, load_dataset, sources
from dse.errors import DseError

from .writers import random_arrays, write_idx_dir, write_named


@pytest.fixture
def no_system_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Hide Debian's /usr/share/datasets so fashion-mnist is found nowhere."""
    empty = tmp_path / "no-system-datasets"
    fmnist = replace(sources.SOURCES["fashion-mnist"], system_dirs=(empty,))
    monkeypatch.setitem(sources.SOURCES, "fashion-mnist", fmnist)
    return empty


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every urllib request fail as it does without network; record the URLs."""
    urls: list[str] = []

    def fail(request, *args, **kwargs):
        urls.append(getattr(request, "full_url", str(request)))
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", fail)
    return urls


def test_not_found_lists_every_place_looked(
    tmp_path: Path, isolated_data: Path, no_system_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_dir = tmp_path / "env-data"
    monkeypatch.setenv("DSE_DATA_DIR", str(env_dir))
    given = tmp_path / "given"
    given.mkdir()
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset("fashion-mnist", given, download=False)
    message = str(caught.value)
    assert "\n" not in message
    for place in (given, env_dir, no_system_copy, isolated_data / "data"):
        assert str(place) in message
    assert "download (disabled)" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "--data-dir" in message


def test_not_found_says_when_env_is_unset(no_system_copy: Path) -> None:
    with pytest.raises(
        DataNotFoundError, match=r"data_dir \(not set\); \$DSE_DATA_DIR \(not set\)"
    ):
        load_dataset("fashion-mnist", download=False)


def test_failed_download_is_folded_into_the_error(offline: list[str], isolated_data: Path) -> None:
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset("cifar10")
    message = str(caught.value)
    assert offline, "torchvision's download was not attempted"
    assert f"download into {isolated_data / 'data'} failed (URLError" in message
    assert "cifar-10-batches-py/" in message


def test_failed_mirror_download_is_folded_into_the_error(offline: list[str]) -> None:
    with pytest.raises(DataNotFoundError, match=r"'mnist' not found.*failed \(RuntimeError"):
        load_dataset("mnist")
    assert len(offline) >= 1


def test_bundled_set_is_never_downloaded(offline: list[str]) -> None:
    data = load_dataset("fashion-mnist-mini")
    assert data.num_train == 10_000 and not offline


def test_env_var_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = write_named("svhn", tmp_path / "env")
    monkeypatch.setenv("DSE_DATA_DIR", str(tmp_path / "env"))
    data = load_dataset("svhn", download=False)
    assert torch.equal(data.test_labels, torch.from_numpy(arrays.test_y))
    assert data.source == str((tmp_path / "env").resolve())


def test_explicit_data_dir_wins_over_env_and_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = random_arrays(6, 3, 1, 28, 10, seed=11)
    write_idx_dir(tmp_path / "mine" / "fashion-mnist", explicit, gz=True)
    write_idx_dir(tmp_path / "env" / "fashion-mnist", random_arrays(4, 2, 1, 28, 10), gz=True)
    monkeypatch.setenv("DSE_DATA_DIR", str(tmp_path / "env"))
    data = load_dataset("fashion-mnist", tmp_path / "mine", download=False)
    assert data.num_train == 6
    assert torch.equal(data.train_images, torch.from_numpy(explicit.train_x))


def test_env_wins_over_system_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_idx_dir(tmp_path / "env" / "fashion-mnist", random_arrays(4, 2, 1, 28, 10), gz=True)
    monkeypatch.setenv("DSE_DATA_DIR", str(tmp_path / "env"))
    assert load_dataset("fashion-mnist", download=False).num_train == 4


def test_download_is_last_resort_then_cached(
    monkeypatch: pytest.MonkeyPatch, isolated_data: Path
) -> None:
    calls: list[Path] = []

    def fake_download(root: Path) -> None:
        calls.append(root)
        write_named("cifar100", root)

    cifar100 = replace(sources.SOURCES["cifar100"], download=fake_download)
    monkeypatch.setitem(sources.SOURCES, "cifar100", cifar100)
    first = load_dataset("cifar100")
    assert calls == [isolated_data / "data"]
    dse.data.clear_memory_cache()
    second = load_dataset("cifar100", download=False)  # found in the download cache
    assert calls == [isolated_data / "data"]
    assert torch.equal(first.train_images, second.train_images)


def test_download_disabled_never_calls_download(
    monkeypatch: pytest.MonkeyPatch, no_system_copy: Path
) -> None:
    def boom(root: Path) -> None:
        raise AssertionError("download must not be called")

    fmnist = replace(sources.SOURCES["fashion-mnist"], download=boom)
    monkeypatch.setitem(sources.SOURCES, "fashion-mnist", fmnist)
    with pytest.raises(DataNotFoundError, match="download \\(disabled\\)"):
        load_dataset("fashion-mnist", download=False)


@pytest.mark.parametrize("name", ["fashion-mnist-mini", "cifar10", "imagefolder:pets"])
def test_data_dir_that_does_not_exist_is_refused(tmp_path: Path, name: str) -> None:
    missing = tmp_path / "typo"
    with pytest.raises(DataNotFoundError) as caught:
        load_dataset(name, missing, download=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"data dir {missing} does not exist")
    assert "--data-dir" in message and "existing folder" in message
    assert isinstance(caught.value, DseError)
