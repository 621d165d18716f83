"""The widgets' shared base (vae_teach.widgets.base): controls, state, the JS decoder's weights."""

import numpy as np
import pytest
import torch
from torch import nn

from vae_teach.widgets import base
from vae_teach.widgets.base import (
    Widget,
    button,
    check_size,
    check_value,
    choice,
    describe_image,
    grey_bytes,
    mlp_spec,
    number,
    slider,
    tile_images,
)


class Demo(Widget):
    """The smallest widget on the base (its front end is notebook 05's, any will do)."""

    NAME = "kl"

    def __init__(self, **values):
        self.updates = 0
        controls = [
            slider("mu", "μ (mean)", -3.0, 3.0, 0.1, signed=True),
            choice("kind", "corruption", ["gaussian", "masking"]),
            number("k", "K", 1, 10),
            button("reset", "reset"),
        ]
        start = {"mu": 0.0, "kind": "gaussian", "k": 1, "reset": 0, **values}
        self._build(controls, start, "normal")

    def update(self):
        self.updates += 1

    def digest(self):
        return f"mu={self.controls['mu'].value:.1f}"


def test_controls_refuse_values_they_cannot_show_naming_the_control():
    s, c, n = (
        slider("z1", "z₁", -3, 3, 0.1),
        choice("kind", "k", ["a", "b"]),
        number("k", "K", 1, 5),
    )
    assert check_value(s, 2) == 2.0 and check_value(c, "b") == "b" and check_value(n, 5) == 5
    with pytest.raises(ValueError, match=r"z1 must lie in \[-3.0, 3.0\], got 3.5"):
        check_value(s, 3.5)
    with pytest.raises(TypeError, match="z1 must be a number"):
        check_value(s, "1")
    with pytest.raises(ValueError, match=r"kind must be one of \['a', 'b'\], got 'c'"):
        check_value(c, "c")
    with pytest.raises(ValueError, match=r"k must be an int in 1..5, got 6"):
        check_value(n, 6)
    with pytest.raises(ValueError, match="the range of z1 must have min < max"):
        slider("z1", "z₁", 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="the step of z1 must"):
        slider("z1", "z₁", 0.0, 1.0, 0)


def test_control_value_round_trip_and_the_kernel_hears_browser_moves():
    demo = Demo(mu=1.0)
    mu = demo.controls["mu"]
    assert mu.value == 1.0 and mu.description == "μ (mean)" and (mu.min, mu.max) == (-3.0, 3.0)
    mu.value = -2.5
    assert mu.value == -2.5 and demo.values["mu"] == -2.5 and demo.view.values["mu"] == -2.5
    assert demo.updates == 1 and demo.digest() == "mu=-2.5"
    # a move in the browser arrives as a new `values` dict: Python reads it and updates
    demo.view.values = {**demo.view.values, "kind": "masking"}
    assert demo.controls["kind"].value == "masking" and demo.updates == 2
    with pytest.raises(ValueError, match=r"mu must lie in \[-3.0, 3.0\], got 9.0"):
        mu.value = 9.0
    assert mu.value == -2.5  # a refused move changes nothing
    with pytest.raises(ValueError, match=r"mu must lie in"):
        Demo(mu=-4.0)


def test_set_values_names_an_unknown_control():
    demo = Demo()
    demo.set_values(mu=0.5, k=3)
    assert demo.values == {"mu": 0.5, "kind": "gaussian", "k": 3, "reset": 0}
    with pytest.raises(ValueError, match=r"no control named 'z9'; the controls: \['mu', 'kind'"):
        demo.set_values(z9=1.0)


def test_the_view_carries_its_spec_and_a_front_end():
    demo = Demo()
    spec = demo.view.spec
    assert [c["name"] for c in spec["controls"]] == ["mu", "kind", "k", "reset"]
    assert spec["size"] == "normal" and spec["font_px"] == base.SIZES["normal"]["font_px"]
    assert "function mountWidget" in demo.view._esm and "export default" in demo.view._esm
    assert ".vae-widget" in demo.view._css
    assert repr(demo.view) == "KlView()"  # no memory address in a saved notebook
    with pytest.raises(NotImplementedError):
        Widget().digest()


def test_check_size():
    assert check_size("presenter")["font_px"] > check_size("normal")["font_px"]
    for bad in ("huge", None, 1):
        with pytest.raises(ValueError, match=r"size must be one of \['normal', 'presenter'\]"):
            check_size(bad)


def decoder(hidden=(5, 4), z=2, out=6):
    torch.manual_seed(0)
    layers, width = [], z
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, out))


def numpy_forward(layers, weights, z):
    """What js/base.js's mlpForward computes, in NumPy float32, from mlp_spec's output."""
    w, h, offset = np.frombuffer(weights, dtype="<f4"), z.astype(np.float32), 0
    for layer in layers:
        n_w = layer["out"] * layer["in"]
        W = w[offset : offset + n_w].reshape(layer["out"], layer["in"])
        b = w[offset + n_w : offset + n_w + layer["out"]]
        offset += n_w + layer["out"]
        h = W @ h + b
        h = np.maximum(h, 0) if layer["relu"] else h
    assert offset == len(w)  # every weight used once
    # x̂ = sigmoid(h_L)
    return 1 / (1 + np.exp(-h))


def test_mlp_spec_round_trips_linear_relu_weights():
    net = decoder()
    layers, weights = mlp_spec(net, 2)
    assert layers == [
        {"in": 2, "out": 5, "relu": True},
        {"in": 5, "out": 4, "relu": True},
        {"in": 4, "out": 6, "relu": False},
    ]
    z = np.array([0.7, -1.3])
    with torch.no_grad():
        expected = torch.sigmoid(net(torch.tensor(z, dtype=torch.float32))).numpy()
    np.testing.assert_allclose(numpy_forward(layers, weights, z), expected, atol=1e-6)
    traits = base.decoder_traits(net, 2)
    assert traits["decoder"]["layers"] == layers and traits["weights"] == weights


def test_mlp_spec_refuses_what_the_browser_cannot_run():
    conv = nn.Sequential(nn.Conv2d(1, 2, 3))
    assert mlp_spec(conv, 2) is None and base.decoder_traits(conv, 2) == {}
    assert mlp_spec(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 4)), 2) is None
    assert mlp_spec(nn.Sequential(nn.Linear(3, 4)), 2) is None  # input width does not match
    assert mlp_spec(nn.Linear(2, 4), 2) is None  # not a Sequential
    assert mlp_spec(nn.Sequential(), 2) is None


def test_tile_images_describe_image_and_grey_bytes():
    images = torch.stack([torch.full((2, 3), float(i) / 4) for i in range(5)])
    grid = tile_images(images, nrow=3, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1)
    np.testing.assert_allclose(grid[4:6, 5:8], 0.25 * 4)  # image 4: row 1, column 1
    assert tile_images(images[:, None]).shape == (2 + 2, 5 * 4 + 1)  # (N, 1, H, W), one row
    with pytest.raises(ValueError, match=r"images must be \(N, H, W\)"):
        tile_images(torch.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="nrow must be an int"):
        tile_images(images, nrow=0)
    assert describe_image(torch.ones(1, 2, 2)) == "1x2x2 image, mean 1.00, ink 1.00"
    assert grey_bytes(np.array([[0.0, 0.5], [1.0, 2.0]])) == bytes([0, 128, 255, 255])
    assert grey_bytes(torch.tensor([[float("nan")]])) == b"\x00"
