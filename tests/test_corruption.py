"""Tests of vae_teach.corruption: each corruption changes what it says, by the amount it says."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from vae_teach.corruption import KINDS, corrupt, gaussian_noise, masking, salt_and_pepper

# A grey batch: every pixel 0.5, so every overwritten pixel visibly changes and clipping at
# [0, 1] only touches noise beyond ±0.5.
GREY = torch.full((64, 1, 28, 28), 0.5)
D = 28 * 28


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("std", [0.05, 0.1, 0.15])
def test_gaussian_noise_has_the_requested_std(std):
    x_tilde = gaussian_noise(GREY, std, _gen())
    noise = x_tilde - GREY
    # 50,176 draws: the sample std is within 1 % of σ with overwhelming probability, and for
    # σ ≤ 0.15 clipping at ±0.5 (≥ 3.3 σ) shrinks it by < 1 %.
    assert noise.std().item() == pytest.approx(std, rel=0.02)
    assert noise.mean().abs().item() < 3 * std / (GREY.numel() ** 0.5) + 1e-3


def test_gaussian_noise_is_clipped_to_unit_interval():
    x_tilde = gaussian_noise(GREY, 2.0, _gen())
    assert x_tilde.min().item() == 0.0 and x_tilde.max().item() == 1.0
    # 0.5 + 2ε leaves [0, 1] when |ε| > 0.25: probability 2 (1 − Φ(0.25)) (scipy, independent)
    expected = 2 * norm.sf(0.25)
    at_bounds = ((x_tilde == 0) | (x_tilde == 1)).float().mean().item()
    assert at_bounds == pytest.approx(expected, abs=0.01)


def test_gaussian_noise_matches_its_formula():
    x = torch.rand(8, 1, 28, 28)
    eps = torch.randn(x.shape, generator=_gen(3))
    expected = (x + 0.3 * eps).clamp(0, 1)
    torch.testing.assert_close(gaussian_noise(x, 0.3, _gen(3)), expected)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.9])
def test_masking_zeroes_exactly_the_fraction(fraction):
    x_tilde = masking(GREY, fraction, _gen())
    zeroed = (x_tilde == 0).flatten(1).sum(1)  # (B,)
    assert torch.all(zeroed == round(fraction * D))
    # the pixels that were not chosen are untouched
    assert torch.all((x_tilde == 0) | (x_tilde == GREY))


def test_masking_picks_different_pixels_per_image():
    x_tilde = masking(GREY, 0.3, _gen())
    assert not torch.equal(x_tilde[0], x_tilde[1])
    # every pixel position is masked in some image: the choice is spread over the image
    assert torch.all((x_tilde == 0).any(dim=0))


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.6])
def test_salt_and_pepper_changes_exactly_the_fraction_half_salt(fraction):
    x_tilde = salt_and_pepper(GREY, fraction, _gen())
    changed = x_tilde != GREY
    assert torch.all(changed.flatten(1).sum(1) == round(fraction * D))
    # changed pixels are 0 or 1 only
    assert torch.all((x_tilde[changed] == 0) | (x_tilde[changed] == 1))
    # fair coin: share of salt among n changed pixels within 4 binomial standard errors of ½
    n = changed.sum().item()
    salt = (x_tilde[changed] == 1).float().mean().item()
    assert abs(salt - 0.5) < 4 * (0.25 / n) ** 0.5


@pytest.mark.parametrize("kind", KINDS)
def test_level_zero_is_the_identity(kind):
    x = torch.rand(16, 1, 28, 28)
    x_tilde = corrupt(x, kind, 0.0, _gen())
    assert torch.equal(x_tilde, x)
    assert x_tilde is not x


@pytest.mark.parametrize("kind", KINDS)
def test_seeded_generator_is_reproducible(kind):
    x = torch.rand(16, 784)
    a = corrupt(x, kind, 0.3, _gen(7))
    b = corrupt(x, kind, 0.3, _gen(7))
    c = corrupt(x, kind, 0.3, _gen(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("kind", KINDS)
def test_output_shape_dtype_range_and_input_untouched(kind):
    x = torch.rand(4, 1, 28, 28, dtype=torch.float64)
    x_copy = x.clone()
    x_tilde = corrupt(x, kind, 0.5, _gen())
    assert x_tilde.shape == x.shape and x_tilde.dtype == x.dtype
    assert x_tilde.min() >= 0 and x_tilde.max() <= 1
    assert torch.equal(x, x_copy)


def test_corrupt_dispatches_to_the_named_function():
    x = torch.rand(4, 784)
    for kind, fn in zip(KINDS, (gaussian_noise, masking, salt_and_pepper), strict=True):
        torch.testing.assert_close(corrupt(x, kind, 0.2, _gen(1)), fn(x, 0.2, _gen(1)))


@pytest.mark.parametrize(
    ("kind", "level", "name"),
    [
        ("blur", 0.1, "kind"),
        ("gaussian", -0.1, "level"),
        ("masking", 1.5, "level"),
        ("salt_and_pepper", -0.01, "level"),
        ("masking", float("nan"), "level"),
        ("gaussian", "0.1", "level"),
        ("masking", True, "level"),
    ],
)
def test_corrupt_rejects_bad_arguments_by_name(kind, level, name):
    with pytest.raises(ValueError, match=name):
        corrupt(torch.rand(2, 784), kind, level)


def test_functions_reject_bad_levels_and_images_by_name():
    x = torch.rand(2, 784)
    with pytest.raises(ValueError, match="std"):
        gaussian_noise(x, -1.0)
    with pytest.raises(ValueError, match="fraction"):
        masking(x, 2.0)
    with pytest.raises(ValueError, match="fraction"):
        salt_and_pepper(x, -0.5)
    with pytest.raises(ValueError, match="x must hold values in"):
        masking(x * 3, 0.1)
    with pytest.raises(ValueError, match="batch"):
        masking(torch.rand(784), 0.1)
    with pytest.raises(TypeError, match="x must be"):
        masking(torch.ones(2, 784, dtype=torch.int64), 0.1)


# --- the notebook 02 widget that shows these corruptions ---


def _explorer(**kwargs):
    from vae_teach.models import Autoencoder
    from vae_teach.widgets import DenoisingExplorer

    torch.manual_seed(0)
    ae, dae = Autoencoder(hidden=(16,)), Autoencoder(hidden=(16,))
    images = torch.rand(5, 1, 28, 28, generator=_gen(4))
    labels = torch.arange(5)
    return DenoisingExplorer(ae, dae, images, labels, **kwargs), images


def test_explorer_shows_the_corruption_it_is_set_to():
    explorer, images = _explorer(kind="masking", level=0.25, index=2, seed=5)
    expected = corrupt(images[2:3], "masking", 0.25, _gen(5))
    assert torch.equal(explorer.x_tilde, expected)
    assert explorer.digest().startswith("masking, level 0.25, digit #2 (label 2): 25% of pixels")
    # what the browser draws: the four images as raw grey bytes, clean first, corrupted second
    pixels = np.frombuffer(explorer.view.pixels, dtype=np.uint8).reshape(4, 28, 28)
    np.testing.assert_array_equal(pixels[1], np.round(expected[0, 0].numpy() * 255))
    np.testing.assert_array_equal(pixels[0], np.round(images[2, 0].numpy() * 255))
    assert explorer.view.data["errors"] == explorer.errors
    # the captions carry each model's squared error to the clean digit
    with torch.no_grad():
        ae_error = (explorer.ae(expected) - images[2:3]).pow(2).sum().item()
    assert explorer.errors["plain AE"] == pytest.approx(ae_error)


def test_explorer_follows_its_controls_and_is_reproducible():
    explorer, images = _explorer()
    explorer.kind_picker.value = "salt_and_pepper"
    explorer.level_slider.value = 0.5
    explorer.index_slider.value = 4
    first = explorer.digest()
    assert first.startswith("salt_and_pepper, level 0.50, digit #4 (label 4)")
    assert torch.equal(explorer.x_tilde, corrupt(images[4:5], "salt_and_pepper", 0.5, _gen(0)))
    explorer.level_slider.value = 0.0
    assert torch.equal(explorer.x_tilde, images[4:5])
    assert "0% of pixels changed" in explorer.digest()
    explorer.level_slider.value = 0.5
    assert explorer.digest() == first
    # a move from the browser arrives as new `values`: the kernel recomputes and resends
    frame = explorer.view.data["frame"]
    explorer.view.values = {**explorer.view.values, "index": 1}
    assert explorer.digest().startswith("salt_and_pepper, level 0.50, digit #1 (label 1)")
    assert explorer.view.data["frame"] == frame + 1


def test_explorer_rejects_bad_arguments_by_name():
    from vae_teach.widgets import DenoisingExplorer

    explorer, images = _explorer()
    with pytest.raises(ValueError, match="kind"):
        DenoisingExplorer(explorer.ae, explorer.dae, images, kind="blur")
    with pytest.raises(ValueError, match="images"):
        DenoisingExplorer(explorer.ae, explorer.dae, images[:, 0])
    with pytest.raises(ValueError, match="labels"):
        DenoisingExplorer(explorer.ae, explorer.dae, images, torch.arange(3))
    with pytest.raises(ValueError, match=r"index must lie in \[0.0, 4.0\], got 5"):
        DenoisingExplorer(explorer.ae, explorer.dae, images, index=5)
    with pytest.raises(ValueError, match=r"level must lie in \[0.0, 1.0\]"):
        explorer.level_slider.value = 1.5
    with pytest.raises(ValueError, match="kind must be one of"):
        explorer.kind_picker.value = "blur"
