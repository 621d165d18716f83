"""The widget machinery: PNG rendering, sliders and image widgets on ipywidgets 7 and 8."""

import io

import ipywidgets
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from vae_teach import widgets  # noqa: E402


def decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(data)))


def test_image_to_png_pixels_and_scale():
    img = torch.rand(5, 7)
    pixels = decode_png(widgets.image_to_png(img, scale=3))
    assert pixels.shape == (15, 21)
    expected = np.round(img.numpy() * 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels[::3, ::3], expected)
    np.testing.assert_array_equal(pixels[2::3, 2::3], expected)  # nearest neighbour blocks


def test_image_to_png_channels_and_clipping():
    assert decode_png(widgets.image_to_png(np.full((1, 4, 4), 2.0), scale=1)).max() == 255
    rgb = decode_png(widgets.image_to_png(torch.rand(3, 4, 6), scale=2))
    assert rgb.shape == (8, 12, 3)
    with pytest.raises(ValueError, match="img must have shape"):
        widgets.image_to_png(torch.rand(2, 4, 4))
    with pytest.raises(ValueError, match="scale"):
        widgets.image_to_png(torch.rand(4, 4), scale=0)


def test_figure_to_png_closes_the_figure():
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    data = widgets.figure_to_png(fig)
    assert decode_png(data).ndim == 3
    assert not plt.fignum_exists(fig.number)


def test_slider_types_and_sizes():
    s = widgets.slider("z1", -3.0, 3.0, 0.5, 0.1)
    assert isinstance(s, ipywidgets.FloatSlider) and s.value == 0.5 and s.readout_format == ".1f"
    n = widgets.slider("K", 1, 100, 10, 1, size="presenter")
    assert isinstance(n, ipywidgets.IntSlider)
    assert n.layout.width == widgets.SIZES["presenter"]["slider_width"]
    assert widgets.SIZES["presenter"]["scale"] > widgets.SIZES["normal"]["scale"]
    # the error names the slider, or the caller's argument when given
    with pytest.raises(ValueError, match=r"z must lie in \[0.0, 1.0\], got 2.0"):
        widgets.slider("z", 0.0, 1.0, 2.0, 0.1)
    with pytest.raises(ValueError, match=r"mean must lie in"):
        widgets.slider("q mean", 0.0, 1.0, 2.0, 0.1, name="mean")
    with pytest.raises(ValueError, match="size"):
        widgets.slider("z", 0.0, 1.0, 0.5, 0.1, size="huge")


def test_image_widget():
    w = widgets.image_widget()
    assert isinstance(w, ipywidgets.Image) and w.format == "png"
    w = widgets.image_widget(size="presenter", img=torch.zeros(1, 4, 4))
    scale = widgets.SIZES["presenter"]["scale"]
    assert decode_png(bytes(w.value)).shape == (4 * scale, 4 * scale)


def test_tile_images_and_describe_image():
    images = torch.stack([torch.full((2, 3), float(i) / 4) for i in range(5)])
    grid = widgets.tile_images(images, nrow=3, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1)
    np.testing.assert_allclose(grid[4:6, 5:8], 0.25 * 4)  # image 4: row 1, column 1
    assert widgets.describe_image(torch.ones(1, 2, 2)) == "1x2x2 image, mean 1.00, ink 1.00"


def test_widget_base_displays_its_widget():
    class Demo(widgets.Widget):
        def __init__(self):
            self.widget = widgets.image_widget()

        def digest(self):
            return "demo"

    assert Demo().digest() == "demo"
    with pytest.raises(NotImplementedError):
        widgets.Widget().digest()
