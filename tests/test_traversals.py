"""Notebook 07's traversal widget (vae_teach/widgets/traversal.py), driven from code."""

import numpy as np
import pytest
import torch
from js_decoder import js_forward

from vae_teach.models import VAE, Autoencoder
from vae_teach.widgets import TraversalExplorer, traversal_grid
from vae_teach.widgets.base import grey_bytes


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VAE(image_shape=(1, 12, 12), hidden=(16,), latent_dim=4).eval()


@pytest.fixture(scope="module")
def images():
    return torch.rand((10, 1, 12, 12), generator=torch.Generator().manual_seed(1))


def decode(model, z) -> np.ndarray:
    with torch.no_grad():
        return model.decode_image(torch.as_tensor(z, dtype=torch.float32).reshape(1, -1))[0, 0]


def test_traversal_grid_moves_one_coordinate_per_row(model):
    z = np.array([0.1, -0.2, 0.3, 0.0], dtype=np.float32)
    values = np.linspace(-2, 2, 5)
    grid = traversal_grid(model, z, [2, 0], values)
    assert grid.shape == (10, 1, 12, 12)
    # row 0, column 3 is z with z_3 = values[3]: decode it directly
    expected = z.copy()
    expected[2] = values[3]
    torch.testing.assert_close(grid[3, 0], decode(model, expected))
    with pytest.raises(ValueError, match="dims"):
        traversal_grid(model, z, [4], values)
    with pytest.raises(ValueError, match="z must have"):
        traversal_grid(model, z[:3], [0], values)


def test_explorer_starts_at_the_encoded_base_image(model, images):
    explorer = TraversalExplorer(model, images, index=3)
    with torch.no_grad():
        mu = model.encode(images[3:4])[0][0].numpy()
    np.testing.assert_allclose(explorer.z, mu, atol=1e-6)
    assert len(explorer.sliders) == 4 and explorer.moved() == {}
    assert "base #3; moved: none" in explorer.digest()
    # .image is sigmoid(decoder(z)) at the z shown
    np.testing.assert_allclose(explorer.image, decode(model, explorer.z), atol=1e-7)


def test_moving_one_slider_changes_only_that_latent(model, images):
    explorer = TraversalExplorer(model, images, index=0)
    before, image_before = explorer.z, explorer.image.copy()
    explorer.sliders[1].value = 2.5
    after = explorer.z
    assert after[1] == pytest.approx(2.5)
    np.testing.assert_array_equal(np.delete(after, 1), np.delete(before, 1))
    assert explorer.moved() == {1: pytest.approx(2.5)}
    np.testing.assert_allclose(explorer.image, decode(model, after), atol=1e-7)
    assert not np.allclose(explorer.image, image_before)
    assert "moved: z2=+2.50" in explorer.digest()
    explorer.reset()
    assert explorer.moved() == {}
    np.testing.assert_allclose(explorer.image, image_before, atol=1e-6)
    with pytest.raises(ValueError, match="z2"):
        explorer.sliders[1].value = 3.5  # outside the slider's range


def test_set_z_and_set_base(model, images):
    explorer = TraversalExplorer(model, images, dims=[0, 2])
    explorer.set_z(1.0, 9.0)  # clipped to z_range, as a slider would be
    assert explorer.z[[0, 2]].tolist() == [1.0, 3.0] and set(explorer.moved()) == {0, 2}
    z = np.array([0.5, -1.0, 4.0, 0.25], dtype=np.float32)
    explorer.set_base(z)
    # the coordinate without a slider keeps z, the slider coordinates are clipped
    np.testing.assert_array_equal(explorer.z, [0.5, -1.0, 3.0, 0.25])
    assert explorer.view.data["base"] == z.tolist()
    with pytest.raises(ValueError, match="set_z needs 2 values"):
        explorer.set_z(1.0)
    with pytest.raises(ValueError, match="finite"):
        explorer.set_z(1.0, float("nan"))
    with pytest.raises(ValueError, match="z must be 4 finite numbers"):
        explorer.set_base([1.0, 2.0])


def test_choosing_another_base_image_from_code_or_the_browser(model, images):
    explorer = TraversalExplorer(model, images)
    explorer.index_box.value = 7  # as a student typing a number
    assert explorer.index == 7
    with torch.no_grad():
        codes = model.encode(images)[0].numpy()
    np.testing.assert_allclose(explorer.z, codes[7], atol=1e-6)
    # the browser sends the new index with the sliders already at the code (js/traversal.js)
    explorer.sliders[0].value = 2.0
    sent = {**explorer.values, "index": 2, **{f"z{d + 1}": float(codes[2, d]) for d in range(4)}}
    explorer.view.values = sent
    assert explorer.index == 2 and explorer.values == sent and explorer.moved() == {}
    # "back to the base image" clicked in the browser: the kernel follows too
    explorer.sliders[3].value = -2.0
    explorer.view.values = {**explorer.values, "reset": 1}
    assert explorer.moved() == {}
    with pytest.raises(ValueError, match="index must be"):
        explorer.choose(10)


def test_the_browser_gets_codes_pixels_and_a_decoder_it_can_run(model, images):
    explorer = TraversalExplorer(model, images, index=4, dims=[1, 3])
    view = explorer.view
    assert view.spec["render"] == "browser" and view.spec["dims"] == [1, 3]
    # every base image once: N·H·W bytes, and the codes (N·Z numbers)
    assert bytes(view.pixels) == grey_bytes(images[:, 0].reshape(120, 12))
    codes = np.asarray(view.data["codes"], dtype=np.float32).reshape(10, 4)
    np.testing.assert_array_equal(codes, explorer.codes)
    # the decoder as the browser runs it (NumPy copy of js/base.js) equals torch's image
    explorer.sliders[0].value = -1.25
    pixels = js_forward(view.decoder, view.weights, explorer.z[None])
    np.testing.assert_allclose(pixels.reshape(12, 12), explorer.image, atol=1e-6)
    labels = [(c["label"], c["aria_label"]) for c in view.spec["controls"][2:]]
    assert labels == [("z₂", "z₂"), ("z₄", "z₄")]


def test_a_broadcast_decoder_runs_in_the_browser_pixel_by_pixel(images):
    torch.manual_seed(3)
    model = VAE(image_shape=(1, 12, 12), hidden=(16,), latent_dim=4, broadcast=(8, 8)).eval()
    explorer = TraversalExplorer(model, images, index=2)
    view = explorer.view
    assert view.spec["render"] == "browser"
    assert view.decoder["broadcast"] == {"channels": 1, "height": 12, "width": 12}
    explorer.sliders[1].value = 0.75
    pixels = js_forward(view.decoder, view.weights, explorer.z[None])
    np.testing.assert_allclose(pixels.reshape(12, 12), explorer.image, atol=1e-6)


def test_a_model_the_browser_cannot_run_is_decoded_in_the_kernel(model, images):
    class Wrapped(torch.nn.Module):  # not a vae_teach model: no JS decoder
        latent_dim = 4

        def encode(self, x):
            return model.encode(x)

        def decode_image(self, z):
            return model.decode_image(z)

    explorer = TraversalExplorer(Wrapped(), images)
    assert explorer.view.spec["render"] == "kernel" and not explorer.view.decoder
    explorer.sliders[2].value = 1.5
    assert explorer.view.data["decoded"] == list(grey_bytes(explorer.image))


def test_dims_kl_labels_sizes_and_traverse(model, images):
    kl = np.array([0.0, 2.5, 0.01, 1.0])
    explorer = TraversalExplorer(model, images, dims=[1, 3], kl=kl, size="presenter")
    assert len(explorer.sliders) == 2
    assert explorer.sliders[0].description == "z₂ (KL 2.5)"
    assert explorer.widget is not None and "size presenter" in explorer.digest()
    strip = explorer.traverse(3, n=5)
    assert strip.shape == (5, 1, 12, 12)
    ae = Autoencoder(image_shape=(1, 12, 12), hidden=(16,), latent_dim=2)
    assert TraversalExplorer(ae, images).view.decoder["input_dim"] == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kl": [1.0, 2.0]}, "kl must have"),
        ({"images": "x"}, "images must be"),
        ({"images": torch.rand(3, 3, 12, 12)}, "grey"),
        ({"dims": [0, 0]}, "dims must be distinct"),
        ({"dims": [4]}, "dims must be"),
        ({"z_range": (1.0, -1.0)}, "z_range"),
        ({"index": 10}, "index must be an int in 0..9"),
        ({"size": "huge"}, "size must be one of"),
    ],
)
def test_bad_arguments_are_refused_by_name(model, images, kwargs, match):
    kwargs = {"images": images, **kwargs}
    with pytest.raises(ValueError, match=match):
        TraversalExplorer(model, **kwargs)
    with pytest.raises(TypeError, match="latent_dim"):
        TraversalExplorer(object(), images)


def test_a_dict_of_models_is_switched_by_a_radio_group(model, images):
    torch.manual_seed(5)
    other = VAE(image_shape=(1, 12, 12), hidden=(16,), latent_dim=4).eval()
    kl = {"a": np.array([0.0, 2.5, 0.0, 1.0]), "b": np.array([3.0, 0.0, 0.0, 0.5])}
    explorer = TraversalExplorer({"a": model, "b": other}, images, index=2, kl=kl)
    assert explorer.controls["model"].spec["options"] == ["a", "b"]
    weights_a = explorer.view.weights
    explorer.switch("b")
    # the base code, the picture and the decoder sent to the browser are the new model's
    with torch.no_grad():
        mu = other.encode(images[2:3])[0][0].numpy()
    np.testing.assert_allclose(explorer.z, mu, atol=1e-6)
    np.testing.assert_allclose(explorer.image, decode(other, explorer.z), atol=1e-7)
    assert explorer.view.weights != weights_a
    shown = js_forward(explorer.view.decoder, explorer.view.weights, explorer.z[None])
    np.testing.assert_allclose(shown[0], explorer.image.ravel(), atol=1e-6)
    assert explorer.view.data["labels"]["z1"] == "z₁ (KL 3.0)"
    assert explorer.digest().startswith("model b; base #2; moved: none")
    with pytest.raises(ValueError, match="model must be one of"):
        explorer.switch("c")
    with pytest.raises(ValueError, match="same labels"):
        TraversalExplorer({"a": model, "b": other}, images, kl=kl["a"])
    small = VAE(image_shape=(1, 12, 12), hidden=(16,), latent_dim=2)
    with pytest.raises(ValueError, match="one latent size"):
        TraversalExplorer({"a": model, "b": small}, images)


def test_a_shipped_broadcast_decoder_is_decoded_alike_by_torch_and_the_browser():
    """The pixel grid (u, v) is not read from the float16 file but recomputed exactly, as the
    browser computes it: otherwise torch and the browser differ by up to 2e-3."""
    from vae_teach.pretrained import load_pretrained
    from vae_teach.widgets.latent_explorer import browser_decoder

    model = load_pretrained("betavae_b4_s0")
    v, u = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    torch.testing.assert_close(model.decoder.coords, torch.stack([u.ravel(), v.ravel()], 1))
    traits = browser_decoder(model)
    z = torch.linspace(-2.5, 2.5, 30).reshape(3, 10)
    with torch.no_grad():
        expected = model.decode_image(z).reshape(3, -1).numpy()
    shown = js_forward(traits["decoder"], traits["weights"], z.numpy())
    np.testing.assert_allclose(shown, expected, atol=1e-6)
