"""Notebook 06's latent explorer (widgets/latent_explorer.py), driven from code as a browser would.

The browser's part is checked through what it is sent: the decoder's spec and weights run
through js/base.js's forward pass in NumPy (tests/js_decoder.py) must give torch's pixels, and
the map's geometry must put the marker where Python's map_image draws it.
"""

import numpy as np
import pytest
import torch
from js_decoder import js_forward
from torch import nn

from vae_teach.models import VAE, Autoencoder
from vae_teach.widgets import SIZES, LatentExplorer, encode_codes
from vae_teach.widgets.base import grey_bytes
from vae_teach.widgets.latent_explorer import ELLIPSE, PALETTE, RING, LatentMap


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


def decoded(model, z) -> np.ndarray:
    """sigmoid(g_θ(z)) for one z (Z,), straight from the decoder: (H, W)."""
    with torch.no_grad():
        logits = model.decoder(torch.as_tensor(np.asarray(z, np.float32)).reshape(1, -1))
    return torch.sigmoid(logits).reshape(28, 28).numpy()


def colour_of(hex_colour: str) -> tuple:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


class ConvDecoderModel(nn.Module):
    """A model whose decoder is not an MLP: the browser cannot run it, the kernel decodes."""

    latent_dim = 2

    def __init__(self):
        super().__init__()
        self.decoder = nn.Sequential(nn.Linear(2, 49), nn.Unflatten(1, (1, 7, 7)))

    def decode_image(self, z):
        return torch.sigmoid(nn.functional.interpolate(self.decoder(z), scale_factor=4))


# ------------------------------------------------------------------------------- arguments


def test_bad_arguments_are_clear_errors(vae):
    with pytest.raises(ValueError, match="size must be one of"):
        LatentExplorer(vae, size="huge")
    with pytest.raises(ValueError, match="codes must be finite"):
        LatentExplorer(vae, codes=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="labels must have one entry per code"):
        LatentExplorer(vae, codes=np.zeros((5, 2)), labels=np.zeros(4))
    with pytest.raises(ValueError, match="test_images must be"):
        LatentExplorer(vae, test_images=torch.zeros(0, 1, 28, 28))
    with pytest.raises(ValueError, match="z_range must be two finite numbers"):
        LatentExplorer(vae, z_range=(1.0, -1.0))
    with pytest.raises(TypeError, match="decode_image"):
        LatentExplorer(object())
    with pytest.raises(ValueError, match="latent_dim of at least 2"):
        LatentExplorer(VAE(hidden=(8,), latent_dim=1))


def test_collapsed_autoencoder_codes_say_what_to_do():
    model = Autoencoder(hidden=(8,)).eval()
    with pytest.raises(ValueError, match="the codes have collapsed.*pass z_range"):
        LatentExplorer(model, codes=np.full((50, 2), 0.3))
    assert LatentExplorer(model, codes=np.full((50, 2), 0.3), z_range=(-1, 3)).z_range == (-1, 3)


def test_set_z_clips_to_the_range_and_checks_its_arguments(explorer):
    explorer.set_z(10.0, -10.0)
    assert explorer.z.tolist() == [3.0, -3.0]
    with pytest.raises(ValueError, match="set_z needs 2 values"):
        explorer.set_z(1.0)
    with pytest.raises(ValueError, match="values must be finite"):
        explorer.set_z(float("nan"), 0.0)
    with pytest.raises(ValueError, match=r"z1 must lie in \[-3.0, 3.0\]"):
        explorer.sliders[0].value = 4.0  # a slider itself refuses what it cannot show


def test_jump_to_checks_its_argument(explorer, vae):
    with pytest.raises(ValueError, match=r"index must be an int in 0\.\.199"):
        explorer.jump_to(200)
    with pytest.raises(ValueError, match="index must be an int"):
        explorer.jump_to(1.5)
    with pytest.raises(ValueError, match="needs the explorer to be built with test_images"):
        LatentExplorer(vae).jump_to(0)


# ------------------------------------------------------------------------------- the picture


def test_the_image_is_the_decoder_output_at_z(explorer, vae):
    explorer.set_z(1.25, -0.5)
    np.testing.assert_allclose(explorer.image, decoded(vae, [1.25, -0.5]), atol=1e-6)
    with torch.no_grad():
        expected = vae.decode_image(torch.tensor([[1.25, -0.5]]))[0, 0].numpy()
    np.testing.assert_allclose(explorer.image, expected, atol=1e-6)
    assert [s.value for s in explorer.sliders] == pytest.approx([1.25, -0.5])


def test_a_slider_moved_in_the_browser_moves_z_and_the_image(explorer, vae):
    before = explorer.image.copy()
    # what the browser sends: the whole values dict, one control changed
    explorer.view.values = {**explorer.view.values, "z1": 2.0}
    assert explorer.z[0] == pytest.approx(2.0) and explorer.sliders[0].value == 2.0
    assert not np.allclose(explorer.image, before)
    np.testing.assert_allclose(explorer.image, decoded(vae, explorer.z), atol=1e-6)


def test_the_browser_decoder_gives_torchs_pixels(explorer, vae):
    view = explorer.view
    assert explorer.render_mode == "browser" and view.decoder["input_dim"] == 2
    assert [layer["relu"] for layer in view.decoder["layers"]] == [True, False]
    z = np.random.default_rng(0).uniform(-3, 3, (16, 2)).astype(np.float32)
    with torch.no_grad():
        expected = vae.decode_image(torch.from_numpy(z)).reshape(16, -1).numpy()
    np.testing.assert_allclose(js_forward(view.decoder, view.weights, z), expected, atol=1e-6)


def test_autoencoder_is_decoded_in_the_browser_too(digits):
    images, labels = digits
    torch.manual_seed(0)
    model = Autoencoder(hidden=(32,)).eval()
    explorer = LatentExplorer(model, labels=labels, test_images=images)
    assert explorer.render_mode == "browser"
    z = np.array([[0.3, -0.7]], dtype=np.float32)
    with torch.no_grad():
        expected = model.decode_image(torch.from_numpy(z)).reshape(1, -1).numpy()
    got = js_forward(explorer.view.decoder, explorer.view.weights, z)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_a_decoder_the_browser_cannot_run_is_decoded_by_the_kernel():
    torch.manual_seed(0)
    explorer = LatentExplorer(ConvDecoderModel())
    assert explorer.render_mode == "kernel" and explorer.view.spec["render"] == "kernel"
    assert explorer.view.decoder == {} and explorer.view.weights == b""
    assert explorer.view.pixels == grey_bytes(explorer.image)
    explorer.view.values = {**explorer.view.values, "z2": -2.0}  # a move in the browser
    assert explorer.image.shape == (28, 28)
    assert explorer.view.pixels == grey_bytes(explorer.image)
    with torch.no_grad():
        expected = ConvDecoderModel.decode_image(explorer.model, torch.tensor([[0.0, -2.0]]))
    np.testing.assert_allclose(explorer.image, expected[0, 0].numpy(), atol=1e-6)


def test_a_decode_image_that_is_not_sigmoid_of_the_decoder_stays_in_the_kernel():
    class Clamped(Autoencoder):
        def decode_image(self, z):
            return self.decode(z).clamp(0, 1)

    explorer = LatentExplorer(Clamped(hidden=(8,)).eval(), z_range=(-2, 2))
    assert explorer.render_mode == "kernel"


def test_a_larger_code_keeps_its_other_coordinates(vae):
    torch.manual_seed(0)
    model = VAE(hidden=(16,), latent_dim=5).eval()
    explorer = LatentExplorer(model)
    base = np.linspace(-1, 1, 5).astype(np.float32)
    explorer.set_base(base)
    explorer.set_z(2.5, 0.5)
    expected = base.copy()
    expected[:2] = 2.5, 0.5
    np.testing.assert_allclose(explorer.z, expected, atol=1e-6)
    # the browser decodes data["base"] with z₁, z₂ from the sliders: the same image
    z = np.asarray(explorer.view.data["base"], np.float32)
    z[:2] = explorer.view.values["z1"], explorer.view.values["z2"]
    got = js_forward(explorer.view.decoder, explorer.view.weights, z).reshape(28, 28)
    np.testing.assert_allclose(got, explorer.image, atol=1e-6)
    with pytest.raises(ValueError, match="z must be 5 finite numbers"):
        explorer.set_base(np.zeros(4))


# ------------------------------------------------------------------------------- the map


def test_marker_moves_right_with_z1_and_up_with_z2(explorer):
    row0, col0 = explorer.map.marker_px(0.0, 0.0)
    row1, col1 = explorer.map.marker_px(1.0, 0.0)
    row2, col2 = explorer.map.marker_px(0.0, 1.0)
    assert col1 > col0 and row1 == row0
    assert row2 < row0 and col2 == col0
    # one unit of z is the same number of pixels along both axes (a square map)
    assert col1 - col0 == pytest.approx(row0 - row2, abs=1)


def test_map_image_draws_the_marker_where_the_browser_does(explorer):
    explorer.set_z(-1.0, 2.0)
    geometry = explorer.view.spec["map"]
    # the browser's toPixel: row = cy + sy (z₂ − low), col = cx + sx (z₁ − low)
    cx, sx, cy, sy = geometry["affine"]
    low = geometry["low"]
    row, col = round(cy + sy * (2.0 - low)), round(cx + sx * (-1.0 - low))
    assert (row, col) == explorer.map.marker_px(-1.0, 2.0)
    image = explorer.map_image
    assert image.shape == (geometry["height"], geometry["width"], 3)
    assert tuple(image[row, col]) == RING  # the centre dot
    assert tuple(image[row, col + geometry["radius"]]) == RING  # on the ring
    # the tick on the bottom axis, in the marker's column
    assert tuple(image[round(cy) - 2, col]) == RING
    # the background the browser draws under the marks is the map's own RGB, sent once
    assert explorer.view.map_rgb == explorer.map.rgb.tobytes()
    explorer.set_z(1.0, -2.0)
    assert not np.array_equal(explorer.map_image, image)


def test_the_scatter_uses_the_stated_palette():
    rng = np.random.default_rng(0)
    # two clusters of spread dots, label 0 on the left, label 4 on the right
    codes = np.concatenate([rng.uniform(-2.5, -0.5, (300, 2)), rng.uniform(0.5, 2.5, (300, 2))])
    labels = np.repeat([0, 4], 300)
    rgb = LatentMap(codes, labels, prior_contours=False).rgb.reshape(-1, 3).astype(int)
    for label in (0, 4):
        # a dot drawn at alpha 0.6 over white
        target = 0.6 * np.array(colour_of(PALETTE[label])) + 0.4 * 255
        assert np.abs(rgb - target).max(axis=1).min() <= 8, f"no dot in {PALETTE[label]}"


# ------------------------------------------------------------------------------- jumps


def test_jump_to_sets_z_to_the_encoder_mean_and_sends_the_posterior(explorer, vae, digits):
    images, labels = digits
    assert explorer.view.data["ellipse"] is None and explorer.jumped is None
    explorer.jump_to(17)
    with torch.no_grad():
        mu, logvar = vae.encode(images[17:18])
    np.testing.assert_allclose(explorer.z, mu[0].numpy(), atol=1e-6)
    # the ellipse the browser draws: (μ₁, μ₂, 2σ₁, 2σ₂), σ = exp(½ log σ²)
    expected = [*mu[0].tolist(), *(2 * torch.exp(0.5 * logvar[0])).tolist()]
    np.testing.assert_allclose(explorer.view.data["ellipse"], expected, rtol=1e-5)
    assert explorer.view.thumb == grey_bytes(images[17, 0])
    assert explorer.view.values["index"] == 17 and explorer.jumped == 17
    assert explorer.view.data["caption"] == f"input: test #17, label {int(labels[17])}"
    assert tuple(explorer.map_image[explorer.map.marker_px(*explorer.z)]) == RING
    assert (explorer.map_image == ELLIPSE).all(axis=2).sum() > 20
    assert f"test #17 (label {int(labels[17])})" in explorer.digest()


def test_a_number_typed_in_the_browser_jumps(explorer, vae, digits):
    images, _ = digits
    explorer.view.values = {**explorer.view.values, "index": 3}
    with torch.no_grad():
        mu, _ = vae.encode(images[3:4])
    np.testing.assert_allclose(explorer.z, mu[0].numpy(), atol=1e-6)
    assert explorer.jumped == 3 and explorer.view.values["z1"] == pytest.approx(float(mu[0, 0]))
    assert explorer.view.spec["controls"][2]["kernel_only"]  # the browser waits for the kernel


def test_autoencoder_has_no_ellipse_and_a_range_from_its_codes(digits):
    images, labels = digits
    torch.manual_seed(0)
    model = Autoencoder(hidden=(32,)).eval()
    explorer = LatentExplorer(model, labels=labels, test_images=images)
    codes, std = encode_codes(model, images)
    assert std is None
    low, high = explorer.z_range
    assert low < np.percentile(codes, 1) and high > np.percentile(codes, 99)
    explorer.jump_to(5)
    assert explorer.view.data["ellipse"] is None
    assert not (explorer.map_image == ELLIPSE).all(axis=2).any()
    np.testing.assert_allclose(explorer.z, np.clip(codes[5], low, high), atol=1e-6)
    assert "vermillion" not in explorer.view.spec["legend"]


# ------------------------------------------------------------------------------- digest, size


def test_digest_is_deterministic_and_follows_z(vae, digits):
    images, labels = digits
    a = LatentExplorer(vae, labels=labels, test_images=images)
    b = LatentExplorer(vae, labels=labels, test_images=images)
    a.set_z(0.5, 1.5)
    b.set_z(0.5, 1.5)
    assert a.digest() == b.digest()
    assert a.digest().startswith("z=(+0.50, +1.50); image 28x28, mean ink ")
    assert "of the 340x340 map; size normal" in a.digest()
    b.set_z(-2.0, 0.0)
    assert a.digest() != b.digest()


def test_presenter_size_is_larger(vae, digits):
    images, labels = digits
    normal = LatentExplorer(vae, labels=labels, test_images=images)
    presenter = LatentExplorer(vae, labels=labels, test_images=images, size="presenter")
    assert presenter.map_image.shape[0] > normal.map_image.shape[0] == 340
    small, large = normal.view.spec, presenter.view.spec
    assert large["font_px"] == SIZES["presenter"]["font_px"] > small["font_px"]
    assert large["scale"] * 28 > small["scale"] * 28 >= 280
    assert large["thumb_scale"] > small["thumb_scale"]
    assert presenter.digest().endswith("size presenter")


def test_the_controls_are_labelled_for_keyboards_and_screen_readers(explorer):
    controls = explorer.view.spec["controls"]
    assert [(c["kind"], c["label"]) for c in controls] == [
        ("slider", "z₁"),
        ("slider", "z₂"),
        ("number", "jump to test digit #"),
    ]
    assert controls[2]["max"] == 199
