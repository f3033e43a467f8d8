"""BatchLoader: shapes, normalisation, on-device augmentation, epochs, subsets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dse.data import Augment, BatchLoader, DataError, DatasetInfo, make_synthetic


def rand_images(n: int, c: int, size: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, size, size), generator=gen, dtype=torch.uint8)


def raw_pixels(x: torch.Tensor) -> torch.Tensor:
    """Undo mean=0, std=1 normalisation: back to exact uint8 values."""
    return (x * 255).round().to(torch.uint8)


def crops_of(image: torch.Tensor, pad: int) -> list[tuple[bool, torch.Tensor]]:
    """Every (flipped?, crop) of ``image`` padded by ``pad`` with zeros."""
    _, h, w = image.shape
    padded = F.pad(image, (pad, pad, pad, pad))
    out = []
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            crop = padded[:, dy : dy + h, dx : dx + w]
            out += [(False, crop), (True, crop.flip(-1))]
    return out


def test_batches_have_shapes_dtypes_and_channels_last() -> None:
    images, labels = rand_images(300, 3, 32), torch.arange(300) % 10
    loader = BatchLoader(
        images,
        labels,
        64,
        mean=(0.5, 0.4, 0.3),
        std=(0.2, 0.25, 0.3),
        augment=Augment(4, True),
        shuffle=True,
    )
    batches = list(loader)
    assert len(loader) == len(batches) == 5
    x, y = batches[0]
    assert x.shape == (64, 3, 32, 32) and x.dtype == torch.float32
    assert y.shape == (64,) and y.dtype == torch.int64
    assert x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    assert batches[-1][0].shape[0] == 300 - 4 * 64


def test_channels_last_off_gives_contiguous_nchw() -> None:
    loader = BatchLoader(rand_images(8, 3, 8), torch.zeros(8), 4, channels_last=False)
    x, _ = next(iter(loader))
    assert x.is_contiguous()


def test_normalisation_matches_manual_formula() -> None:
    images = rand_images(50, 3, 6)
    mean, std = (0.1, 0.5, 0.9), (0.3, 0.2, 0.1)
    loader = BatchLoader(images, torch.zeros(50), 50, mean=mean, std=std)
    x, _ = next(iter(loader))
    expected = (images.float() / 255 - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(
        std
    ).view(1, 3, 1, 1)
    assert torch.allclose(x, expected, atol=1e-5)
    assert x.min() >= min((0 - m) / s for m, s in zip(mean, std, strict=True)) - 1e-5
    assert x.max() <= max((1 - m) / s for m, s in zip(mean, std, strict=True)) + 1e-5


def test_labels_follow_their_images() -> None:
    n = 200
    images = (torch.arange(n) % 256).to(torch.uint8).view(n, 1, 1, 1).expand(n, 1, 5, 5).clone()
    loader = BatchLoader(images, torch.arange(n), 32, shuffle=True, seed=4)
    for x, y in loader:
        assert torch.equal(raw_pixels(x[:, 0, 0, 0]).long(), y % 256)


def test_every_image_once_per_epoch_and_reshuffled() -> None:
    n = 130
    loader = BatchLoader(rand_images(n, 1, 4), torch.arange(n), 16, shuffle=True, seed=1)
    epoch0 = torch.cat([y for _, y in loader])
    epoch1 = torch.cat([y for _, y in loader])
    assert torch.equal(epoch0.sort().values, torch.arange(n))
    assert torch.equal(epoch1.sort().values, torch.arange(n))
    assert not torch.equal(epoch0, epoch1)
    loader.set_epoch(0)
    assert torch.equal(torch.cat([y for _, y in loader]), epoch0)
    again = BatchLoader(rand_images(n, 1, 4), torch.arange(n), 16, shuffle=True, seed=1)
    assert torch.equal(torch.cat([y for _, y in again]), epoch0)
    other = BatchLoader(rand_images(n, 1, 4), torch.arange(n), 16, shuffle=True, seed=2)
    assert not torch.equal(torch.cat([y for _, y in other]), epoch0)


def test_no_shuffle_keeps_order() -> None:
    loader = BatchLoader(rand_images(10, 1, 4), torch.arange(10), 3)
    assert torch.equal(torch.cat([y for _, y in loader]), torch.arange(10))


def test_drop_last_and_len() -> None:
    loader = BatchLoader(rand_images(100, 1, 4), torch.arange(100), 32, drop_last=True)
    assert len(loader) == 3 and [len(y) for _, y in loader] == [32, 32, 32]
    assert len(BatchLoader(rand_images(100, 1, 4), torch.arange(100), 32)) == 4


def test_crop_and_flip_change_pixels_and_stay_valid_crops() -> None:
    images, pad = rand_images(64, 3, 8, seed=5), 2
    loader = BatchLoader(images, torch.arange(64), 64, augment=Augment(pad, True), seed=0)
    x, y = next(iter(loader))
    out = raw_pixels(x)
    assert not torch.equal(out, images)
    flipped = 0
    for i in range(64):
        matches = [f for f, crop in crops_of(images[y[i]], pad) if torch.equal(crop, out[i])]
        assert matches, f"output {i} is not a (flipped) crop of its image"
        flipped += all(matches)
    assert 10 < flipped < 54  # about half are flipped


def test_hflip_false_never_flips() -> None:
    images, pad = rand_images(128, 1, 7, seed=6), 1
    loader = BatchLoader(images, torch.arange(128), 128, augment=Augment(pad, False), seed=0)
    for epoch in range(3):
        x, y = next(iter(loader))
        out = raw_pixels(x)
        if epoch == 0:
            assert not torch.equal(out, images[y])  # the crops do move pixels
        for i in range(128):
            matches = [f for f, crop in crops_of(images[y[i]], pad) if torch.equal(crop, out[i])]
            assert False in matches, f"epoch {epoch}: output {i} is flipped or not a crop"


def test_flip_only_is_exact_mirror_or_identity() -> None:
    images = rand_images(64, 2, 5, seed=7)
    x, y = next(iter(BatchLoader(images, torch.arange(64), 64, augment=Augment(0, True))))
    out, src = raw_pixels(x), images[y]
    same = (out == src).flatten(1).all(1)
    mirrored = (out == src.flip(-1)).flatten(1).all(1)
    assert torch.all(same | mirrored) and mirrored.sum() > 10 and same.sum() > 10


def test_inactive_augment_is_identity() -> None:
    images = rand_images(20, 1, 6)
    x, y = next(iter(BatchLoader(images, torch.arange(20), 20, augment=Augment(0, False))))
    assert torch.equal(raw_pixels(x), images[y])


def test_augment_is_deterministic_per_seed_and_epoch() -> None:
    images = rand_images(64, 1, 8)

    def first_batch(seed: int, epoch: int) -> torch.Tensor:
        loader = BatchLoader(images, torch.arange(64), 64, augment=Augment(2, True), seed=seed)
        loader.set_epoch(epoch)
        return next(iter(loader))[0]

    assert torch.equal(first_batch(0, 0), first_batch(0, 0))
    assert not torch.equal(first_batch(0, 0), first_batch(0, 1))
    assert not torch.equal(first_batch(0, 0), first_batch(1, 0))


def test_indices_and_subset() -> None:
    images, labels = rand_images(100, 1, 4), torch.arange(100)
    idx = torch.arange(0, 100, 2)
    loader = BatchLoader(images, labels, 8, indices=idx, shuffle=True)
    assert loader.num_samples == 50
    assert torch.equal(torch.cat([y for _, y in loader]).sort().values, idx)
    sub = BatchLoader(images, labels, 8, indices=idx, subset=12, shuffle=True, seed=3)
    first = torch.cat([y for _, y in sub]).sort().values
    second = torch.cat([y for _, y in sub]).sort().values
    assert len(sub) == 2 and len(first) == 12 and torch.equal(first, second)
    assert set(first.tolist()) <= set(idx.tolist())
    assert BatchLoader(images, labels, 8, subset=1000).num_samples == 100


def test_augment_from_info_respects_hflip() -> None:
    info = make_synthetic(2, 8, 1, 8).info
    assert Augment.from_info(info) == Augment(crop_padding=1, hflip=False)
    cifar_like = DatasetInfo("x", 10, 3, 32, (0.5,) * 3, (0.2,) * 3, True, 4, "test")
    assert Augment.from_info(cifar_like) == Augment(4, True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"mean": (0.1, 0.2)}, "mean and std"),
        ({"std": (0.0,)}, "std > 0"),
        ({"subset": 0}, "subset"),
        ({"indices": torch.tensor([0, 99])}, "indices"),
        ({"indices": torch.ones(10, dtype=torch.bool)}, "integer"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    args = {"batch_size": 4, **kwargs}
    with pytest.raises(DataError, match=match):
        BatchLoader(rand_images(10, 1, 4), torch.arange(10), **args)


def test_bad_images_raise() -> None:
    with pytest.raises(DataError, match="uint8"):
        BatchLoader(torch.zeros(4, 1, 2, 2), torch.arange(4), 2)
    with pytest.raises(DataError, match="labels"):
        BatchLoader(rand_images(4, 1, 2), torch.arange(3), 2)
    with pytest.raises(DataError, match="crop_padding"):
        Augment(-1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:
    images = rand_images(96, 3, 8)
    kwargs = {
        "augment": Augment(2, True),
        "shuffle": True,
        "seed": 9,
        "mean": (0.5,) * 3,
        "std": (0.25,) * 3,
    }
    cpu = list(BatchLoader(images, torch.arange(96), 32, device="cpu", **kwargs))
    gpu = list(BatchLoader(images, torch.arange(96), 32, device="cuda", **kwargs))
    for (xc, yc), (xg, yg) in zip(cpu, gpu, strict=True):
        assert xg.is_cuda and torch.equal(yc, yg.cpu()) and torch.allclose(xc, xg.cpu())


def test_images_already_on_device_are_not_copied() -> None:
    images = rand_images(16, 1, 4)
    loader = BatchLoader(images, torch.arange(16), 4)
    assert loader.images.data_ptr() == images.data_ptr()


def test_batches_are_built_on_the_target_device() -> None:
    # The meta device runs every op shape-only: nothing per batch happens on the CPU copy.
    loader = BatchLoader(
        rand_images(40, 3, 8),
        torch.arange(40),
        16,
        device="meta",
        augment=Augment(2, True),
        shuffle=True,
    )
    assert loader.images.device.type == "meta"
    shapes = [(tuple(x.shape), x.device.type, y.device.type) for x, y in loader]
    assert shapes == [((16, 3, 8, 8), "meta", "meta")] * 2 + [((8, 3, 8, 8), "meta", "meta")]
