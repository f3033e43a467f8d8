"""``imagefolder:<path>``: PNG class folders decoded to a fixed square size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dse.data import DataFormatError, DataNotFoundError, cache_info, get_info, load_dataset
from dse.errors import DseError

from .writers import write_png_folder


def test_flat_folder_is_a_train_set_without_test(tmp_path: Path) -> None:
    written = write_png_folder(tmp_path / "pets", ["cat", "dog"], 3, (32, 32))
    data = load_dataset(f"imagefolder:{tmp_path / 'pets'}")
    assert data.train_images.shape == (6, 3, 32, 32)
    assert data.test_images.shape == (0, 3, 32, 32)
    assert data.info.classes == ("cat", "dog") and data.info.num_classes == 2
    assert data.train_labels.tolist() == [0, 0, 0, 1, 1, 1]
    # Already 32x32: the decoded pixels are exactly the PNG's.
    first = torch.from_numpy(written["cat"][0]).permute(2, 0, 1)
    assert torch.equal(data.train_images[0], first)
    pixels = data.train_images.double() / 255
    assert data.info.mean[0] == pytest.approx(pixels[:, 0].mean().item(), abs=1e-3)
    assert data.info.std[2] == pytest.approx(pixels[:, 2].std().item(), abs=2e-3)


def test_train_and_test_folders_resize_and_center_crop(tmp_path: Path) -> None:
    write_png_folder(tmp_path / "train", ["a", "b", "c"], 2, (40, 20), seed=1)
    write_png_folder(tmp_path / "test", ["a", "b", "c"], 1, (20, 30), seed=2, mode="L")
    data = load_dataset(f"imagefolder:{tmp_path}", image_size=16)
    assert data.train_images.shape == (6, 3, 16, 16)
    assert data.test_images.shape == (3, 3, 16, 16)
    assert data.test_labels.tolist() == [0, 1, 2]
    assert data.info.image_size == 16 and data.info.crop_padding == 2
    gray = data.test_images[0].double()
    assert torch.equal(gray[0], gray[1])  # grey PNGs become RGB with equal channels


def test_centre_crop_keeps_the_middle(tmp_path: Path) -> None:
    from PIL import Image

    pixels = np.zeros((8, 24, 3), dtype=np.uint8)  # 24 wide, 8 high
    pixels[:, 8:16] = 255  # a white middle third
    for cls in ("x", "y"):
        (tmp_path / "two" / cls).mkdir(parents=True)
        Image.fromarray(pixels).save(tmp_path / "two" / cls / "img.png")
    data = load_dataset(f"imagefolder:{tmp_path / 'two'}", image_size=8)
    assert int(data.train_images.min()) >= 250  # only the white middle survives the crop


def test_relative_path_is_tried_under_data_dir(tmp_path: Path) -> None:
    write_png_folder(tmp_path / "mine", ["x", "y"], 1, (8, 8))
    data = load_dataset("imagefolder:mine", tmp_path, image_size=8)
    assert data.num_train == 2


def test_image_folder_is_cached_on_disk(tmp_path: Path, isolated_data: Path) -> None:
    write_png_folder(tmp_path / "pets", ["cat", "dog"], 2, (16, 16))
    name = f"imagefolder:{tmp_path / 'pets'}"
    first = load_dataset(name)
    from dse.data import clear_memory_cache

    clear_memory_cache()
    before = cache_info()
    second = load_dataset(name)
    assert cache_info().decodes == before.decodes and cache_info().disk_hits == before.disk_hits + 1
    assert torch.equal(first.train_images, second.train_images)
    assert get_info(name) == first.info


def test_missing_or_empty_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_dataset(f"imagefolder:{tmp_path / 'nope'}")
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(DataNotFoundError, match="holds no images"):
        load_dataset(f"imagefolder:{tmp_path / 'empty'}")


def test_test_classes_must_match_train(tmp_path: Path) -> None:
    write_png_folder(tmp_path / "train", ["a", "b"], 1, (8, 8))
    write_png_folder(tmp_path / "test", ["a", "z"], 1, (8, 8))
    with pytest.raises(DataFormatError, match="differ from the training classes"):
        load_dataset(f"imagefolder:{tmp_path}")


def test_undecodable_image_is_a_format_error(tmp_path: Path) -> None:
    write_png_folder(tmp_path / "d", ["a", "b"], 1, (8, 8))
    (tmp_path / "d" / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataFormatError, match=r"broken\.png"):
        load_dataset(f"imagefolder:{tmp_path / 'd'}")


@pytest.mark.parametrize("layout", ["flat", "train"])
def test_one_class_is_refused_before_decoding(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "train" if layout == "train" else tmp_path
    write_png_folder(folder, ["only"], 2, (8, 8))
    before = cache_info()
    with pytest.raises(DataFormatError) as caught:
        load_dataset(f"imagefolder:{tmp_path}")
    message = str(caught.value)
    assert "\n" not in message and f"image folder {folder} has one class folder (only)" in message
    assert "at least 2 class folders" in message
    assert isinstance(caught.value, DseError)
    assert cache_info().decodes == before.decodes  # refused before any image was decoded
