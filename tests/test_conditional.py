"""The conditional VAE of notebook 09: its input, its loss, its widget, and the checker."""

import numpy as np
import pytest
import torch
from js_decoder import js_forward
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae_teach import conditional as cv
from vae_teach.checkers import check_condition
from vae_teach.widgets import ConditionalExplorer


def test_condition_appends_the_one_hot_label():
    x = torch.rand(3, 1, 28, 28)
    out = cv.condition(x, torch.tensor([0, 9, 4]))
    assert out.shape == (3, 794)
    assert torch.equal(out[:, :784], x.reshape(3, -1))
    assert torch.equal(out[:, 784:].argmax(1), torch.tensor([0, 9, 4]))
    assert torch.equal(out[:, 784:].sum(1), torch.ones(3))


def test_pack_and_unpack_are_inverse():
    x, y = torch.bernoulli(torch.rand(5, 1, 28, 28)), torch.tensor([1, 2, 3, 4, 5])
    flat, labels = cv.unpack(cv.pack(x, y))
    assert torch.equal(flat, x.reshape(5, -1)) and torch.equal(labels, y)


def test_loss_is_the_negative_elbo_against_torch_distributions():
    torch.manual_seed(0)
    model = cv.ConditionalVAE(hidden=32)
    x, y = torch.bernoulli(torch.rand(6, 1, 28, 28)), torch.arange(6)
    torch.manual_seed(1)
    ours = model.loss(cv.pack(x, y))
    torch.manual_seed(1)
    with torch.no_grad():
        mu, logvar = model.encode(x, y)
        q = Normal(mu, torch.exp(0.5 * logvar))
        z = mu + q.stddev * torch.randn_like(mu)
        log_px = Bernoulli(logits=model.decode(z, y).flatten(1)).log_prob(x.flatten(1)).sum(1)
        kl = kl_divergence(q, Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(ours["loss"], (kl - log_px).mean(), atol=1e-3)
    assert torch.allclose(ours["kl"], kl.mean(), atol=1e-5)


def test_the_decoder_depends_on_the_label():
    torch.manual_seed(0)
    model = cv.ConditionalVAE(hidden=32)
    z = torch.zeros(2, 2)
    images = model.decode_image(z, torch.tensor([0, 1]))
    assert images.shape == (2, 1, 28, 28) and not torch.allclose(images[0], images[1])


def test_explorer_follows_its_controls():
    torch.manual_seed(0)
    explorer = ConditionalExplorer(cv.ConditionalVAE(hidden=32), digit=2)
    before = explorer.digest()
    assert before.startswith("digit 2, z = (+0.00, +0.00)")
    explorer.buttons.value = 5
    explorer.sliders[1].value = -1.0
    after = explorer.digest()
    assert after.startswith("digit 5, z = (+0.00, -1.00)") and after != before
    z = torch.tensor([[0.0, -1.0]])
    expected = explorer.model.decode_image(z, torch.tensor([5]))[0, 0]
    assert torch.allclose(explorer.current, expected)
    every = explorer.model.decode_image(z.expand(10, -1), torch.arange(10))
    assert torch.equal(explorer.all_digits, every)
    # a move from the browser reaches the kernel's pictures too
    explorer.view.values = {**explorer.values, "digit": 8, "z1": 2.0}
    assert explorer.z.tolist() == [[2.0, -1.0]] and explorer.digest().startswith("digit 8")


def test_the_browser_decodes_z_and_the_one_hot_label_as_torch_does():
    torch.manual_seed(0)
    explorer = ConditionalExplorer(cv.ConditionalVAE(hidden=32), digit=4, z=(0.7, -1.3))
    view = explorer.view
    assert view.decoder["input_dim"] == 12 and view.spec["n_classes"] == 10
    # js/conditional.js's input for every digit k: [z₁, z₂, one_hot(k)]
    inputs = cv.condition(explorer.z.expand(10, -1), torch.arange(10)).numpy()
    pixels = js_forward(view.decoder, view.weights, inputs)
    np.testing.assert_allclose(pixels, explorer.all_digits.reshape(10, -1).numpy(), atol=1e-6)
    np.testing.assert_allclose(pixels[4], explorer.current.reshape(-1).numpy(), atol=1e-6)
    controls = {c["name"]: c for c in view.spec["controls"]}
    assert controls["digit"]["options"] == list(range(10)) and controls["z2"]["label"] == "z₂"


def test_explorer_refuses_bad_arguments_by_name():
    model = cv.ConditionalVAE(hidden=8)
    with pytest.raises(TypeError, match="ConditionalVAE"):
        ConditionalExplorer(object())

    class Inverted(cv.ConditionalVAE):  # an image the browser's decoder would not draw
        def decode_image(self, z, y):
            return 1 - super().decode_image(z, y)

    with pytest.raises(TypeError, match="sigmoid"):
        ConditionalExplorer(Inverted(hidden=8))
    with pytest.raises(ValueError, match="z must have 2 numbers"):
        ConditionalExplorer(model, z=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="digit must be one of"):
        ConditionalExplorer(model, digit=10)
    with pytest.raises(ValueError, match="z1"):
        ConditionalExplorer(model, z=(4.0, 0.0))
    explorer = ConditionalExplorer(model, size="presenter")
    with pytest.raises(ValueError, match="digit must be one of"):
        explorer.buttons.value = 11
    assert explorer.size == "presenter"


def test_checker_right_close_and_wrong():
    assert check_condition(cv.condition).status == "right"

    def mine(x, y, n_classes=10):
        eye = torch.eye(n_classes)
        return torch.cat([x.flatten(1), eye[y]], dim=1)

    assert check_condition(mine).status == "right"

    def swapped(x, y, n_classes=10):
        return torch.cat([torch.eye(n_classes)[y], x.flatten(1)], dim=1)

    verdict = check_condition(swapped)
    assert verdict.status == "wrong" and "other order" in verdict.message

    def number(x, y, n_classes=10):
        return torch.cat([x.flatten(1), y[:, None].float()], dim=1)

    verdict = check_condition(number)
    assert verdict.status == "wrong" and "shape" in verdict.message
