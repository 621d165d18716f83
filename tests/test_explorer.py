"""The latent explorer, driven from code as a browser would drive it (no browser needed)."""

import io

import ipywidgets
import numpy as np
import pytest
import torch
from PIL import Image

from vae_teach.explorer import (
    LAYOUT,
    BandedPNG,
    DecoderSliders,
    LatentExplorer,
    LatentMap,
    png_bytes,
    upscale,
)
from vae_teach.models import VAE, Autoencoder


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return VAE(hidden=(32,), latent_dim=2).eval()


@pytest.fixture(scope="module")
def digits():
    generator = torch.Generator().manual_seed(1)
    images = torch.rand((200, 1, 28, 28), generator=generator) ** 4
    labels = torch.randint(0, 10, (200,), generator=generator)
    return images, labels


@pytest.fixture
def explorer(vae, digits):
    images, labels = digits
    return LatentExplorer(vae, labels=labels, test_images=images)


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# ------------------------------------------------------------------------------- PNG


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3)])
def test_png_bytes_round_trips_through_pillow(shape):
    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(pixels))))
    assert np.array_equal(decoded, pixels)


def test_png_bytes_with_a_palette():
    indices = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8)
    decoded = decode_png(png_bytes(indices, palette))
    assert np.array_equal(decoded, palette[indices])


def test_png_bytes_rejects_bad_input():
    with pytest.raises(TypeError, match="pixels must be a uint8"):
        png_bytes(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="pixels must have shape"):
        png_bytes(np.zeros((2, 2, 4), dtype=np.uint8))


def test_banded_png_recompresses_only_what_changed_and_stays_exact():
    rng = np.random.default_rng(0)
    palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    pixels = rng.integers(0, 256, (70, 33), dtype=np.uint8)
    encoder = BandedPNG(pixels, palette, band=16)
    assert np.array_equal(decode_png(encoder.png()), palette[pixels])
    encoder.image[40:43, 5:9] = 3  # rows 40-42 lie in band 2
    assert np.array_equal(decode_png(encoder.png(dirty_rows=range(40, 43))), palette[encoder.image])
    # bands not named as dirty come from the cache (compressed when it was built)
    encoder.image[0, 0] = 255 - encoder.image[0, 0]
    changed = [0, 40, 41, 42]  # every row that differs from the cached pixels
    assert encoder.png(dirty_rows=changed[1:]) != encoder.png(dirty_rows=changed)
    assert np.array_equal(decode_png(encoder.png(dirty_rows=changed)), palette[encoder.image])
    encoder.cache_all()
    assert np.array_equal(decode_png(encoder.png()), palette[encoder.image])


def test_map_png_shows_exactly_the_map_image_after_many_moves(explorer):
    for z1, z2 in [(-2.9, 2.9), (0.1, 0.2), (2.5, -2.5), (0.1, 0.3)]:
        explorer.set_z(z1, z2)
        assert np.array_equal(decode_png(explorer.map_view.value), explorer.map_image)
    explorer.jump_to(11)
    explorer.set_z(-1.0, -1.0)
    assert np.array_equal(decode_png(explorer.map_view.value), explorer.map_image)


def test_upscale_is_nearest_neighbour():
    pixels = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    big = upscale(pixels, 3)
    assert big.shape == (6, 6)
    assert np.array_equal(big[::3, ::3], pixels) and np.all(big[:3, :3] == 1)


# ------------------------------------------------------------------------------- driving it


def test_moving_a_slider_changes_the_image_and_the_marker(explorer):
    before_image, before_map = explorer.image.copy(), explorer.map_image.copy()
    before_png = explorer.image_view.value
    explorer.sliders[0].value = 2.0  # what a browser does when the slider is dragged
    assert explorer.z[0] == pytest.approx(2.0)
    assert not np.allclose(explorer.image, before_image)
    assert explorer.image_view.value != before_png
    assert not np.array_equal(explorer.map_image, before_map)


def test_the_image_shown_is_the_decoder_output_at_z(explorer, vae):
    explorer.set_z(1.25, -0.5)
    with torch.no_grad():
        expected = vae.decode_image(torch.tensor([[1.25, -0.5]]))[0, 0].numpy()
    np.testing.assert_allclose(explorer.image, expected, atol=1e-6)
    assert [s.value for s in explorer.sliders] == pytest.approx([1.25, -0.5])
    # the PNG really holds that image, upscaled without smoothing
    scale = LAYOUT["normal"]["scale"]
    shown = decode_png(explorer.image_view.value)[::scale, ::scale, 0]
    assert np.abs(shown.astype(int) - np.round(expected * 255)).max() <= 1


def test_marker_moves_right_with_z1_and_up_with_z2(explorer):
    explorer.set_z(0.0, 0.0)
    row0, col0 = explorer.map.marker_px
    explorer.set_z(1.0, 0.0)
    row1, col1 = explorer.map.marker_px
    explorer.set_z(0.0, 1.0)
    row2, col2 = explorer.map.marker_px
    assert col1 > col0 and row1 == row0
    assert row2 < row0 and col2 == col0
    # one unit of z is the same number of pixels along both axes (a square map)
    assert col1 - col0 == pytest.approx(row0 - row2, abs=1)


def test_marker_pixels_are_drawn_where_the_marker_is(explorer):
    explorer.set_z(-1.0, 2.0)
    row, col = explorer.map.marker_px
    assert explorer.map.frame[row, col] == LatentMap.MARKER
    assert np.sum(explorer.map.frame == LatentMap.MARKER) > 10


def test_set_z_clips_to_the_range_and_checks_its_arguments(explorer):
    explorer.set_z(10.0, -10.0)
    assert explorer.z.tolist() == [3.0, -3.0]
    with pytest.raises(ValueError, match="set_z needs 2 values"):
        explorer.set_z(1.0)
    with pytest.raises(ValueError, match="values must be finite"):
        explorer.set_z(float("nan"), 0.0)


def test_jump_to_sets_z_to_the_encoder_mean_and_draws_the_posterior(explorer, vae, digits):
    images, labels = digits
    assert np.sum(explorer.map.frame == LatentMap.ELLIPSE) == 0
    assert explorer.thumb_view.layout.display == "none"  # no input digit to show yet
    explorer.jump_to(17)
    assert explorer.thumb_view.layout.display != "none"
    np.testing.assert_array_equal(
        decode_png(explorer.thumb_view.value)[
            :: LAYOUT["normal"]["thumb"], :: LAYOUT["normal"]["thumb"], 0
        ],
        np.round(images[17, 0].numpy() * 255).astype(np.uint8),
    )
    with torch.no_grad():
        mu, _ = vae.encode(images[17:18])
    np.testing.assert_allclose(explorer.z, mu[0].numpy(), atol=1e-6)
    assert explorer.index_box.value == 17
    assert np.sum(explorer.map.frame == LatentMap.ELLIPSE) > 20
    assert f"test #17 (label {int(labels[17])})" in explorer.digest()
    # typing another number into the box jumps too
    explorer.index_box.value = 3
    with torch.no_grad():
        mu, _ = vae.encode(images[3:4])
    np.testing.assert_allclose(explorer.z, mu[0].numpy(), atol=1e-6)
    assert explorer.jumped == 3


def test_jump_to_checks_its_argument(explorer, vae):
    with pytest.raises(ValueError, match=r"index must be an int in 0\.\.199"):
        explorer.jump_to(200)
    with pytest.raises(ValueError, match="index must be an int"):
        explorer.jump_to(1.5)
    with pytest.raises(ValueError, match="needs the explorer to be built with test_images"):
        LatentExplorer(vae).jump_to(0)


def test_digest_is_deterministic_and_follows_z(vae, digits):
    images, labels = digits
    a = LatentExplorer(vae, labels=labels, test_images=images)
    b = LatentExplorer(vae, labels=labels, test_images=images)
    a.set_z(0.5, 1.5)
    b.set_z(0.5, 1.5)
    assert a.digest() == b.digest()
    assert a.digest().startswith("z=(+0.50, +1.50); image 28x28")
    b.set_z(-2.0, 0.0)
    assert a.digest() != b.digest()


def test_presenter_size_is_larger(vae, digits):
    images, labels = digits
    normal = LatentExplorer(vae, labels=labels, test_images=images)
    presenter = LatentExplorer(vae, labels=labels, test_images=images, size="presenter")
    small, large = decode_png(normal.image_view.value), decode_png(presenter.image_view.value)
    assert large.shape[0] > small.shape[0] >= 280
    assert presenter.map_image.shape[0] > normal.map_image.shape[0]
    assert LAYOUT["presenter"]["font_px"] > LAYOUT["normal"]["font_px"]
    assert "font-size:28px" in presenter.readout.value


def test_bad_size_is_a_value_error(vae):
    with pytest.raises(ValueError, match="size must be one of"):
        LatentExplorer(vae, size="huge")


def test_bad_codes_and_labels_are_value_errors(vae):
    with pytest.raises(ValueError, match="codes must be finite"):
        LatentExplorer(vae, codes=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="labels must have one entry per code"):
        LatentExplorer(vae, codes=np.zeros((5, 2)), labels=np.zeros(4))


def test_the_widget_is_plain_ipywidgets(explorer):
    widget = explorer.widget
    assert isinstance(widget, ipywidgets.VBox)
    found = []

    def walk(w):
        found.append(type(w).__name__)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    assert found.count("FloatSlider") == 2 and found.count("Image") == 3
    assert "BoundedIntText" in found


def test_autoencoder_has_no_ellipse_and_a_range_from_its_codes(digits):
    images, labels = digits
    torch.manual_seed(0)
    model = Autoencoder(hidden=(32,)).eval()
    explorer = LatentExplorer(model, labels=labels, test_images=images)
    with torch.no_grad():
        codes = model.encode(images).numpy()
    low, high = explorer.z_range
    assert low < np.percentile(codes, 1) and high > np.percentile(codes, 99)
    explorer.jump_to(5)
    assert np.sum(explorer.map.frame == LatentMap.ELLIPSE) == 0
    np.testing.assert_allclose(explorer.z, np.clip(codes[5], low, high), atol=1e-6)


def test_decoder_sliders_move_one_coordinate_of_a_larger_code():
    torch.manual_seed(0)
    model = VAE(hidden=(16,), latent_dim=5).eval()
    base = np.linspace(-1, 1, 5)
    widget = DecoderSliders(model, dims=range(5), base_z=base)
    widget.render()
    widget.sliders[3].value = 2.5
    expected = base.astype(np.float32).copy()
    expected[3] = 2.5
    np.testing.assert_allclose(widget.z, expected, atol=1e-6)
    with pytest.raises(ValueError, match="dims must be distinct coordinates"):
        DecoderSliders(model, dims=(0, 5))
    with pytest.raises(ValueError, match="z_range must be"):
        DecoderSliders(model, z_range=(1, -1))
