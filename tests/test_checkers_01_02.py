"""The checkers of notebooks 01 and 02 say right to a reference solution, close to a near
miss and wrong to a wrong one, and say why."""

import torch
import torch.nn.functional as F

from vae_teach.checkers import check_reconstruction_loss, check_salt_and_pepper
from vae_teach.corruption import salt_and_pepper
from vae_teach.models import Autoencoder

# --- 01: reconstruction_loss(x, x_hat) ---


def bce_reference(x, x_hat):
    """A solution written independently of the package: torch's own BCE."""
    return F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)


def bce_by_hand(x, x_hat):
    """The solution the notebook asks for, with elementary tensor operations."""
    bce = -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat))
    return bce.reshape(len(x), -1).sum(dim=1).mean()


def test_reference_solutions_are_right():
    for solution in (bce_reference, bce_by_hand):
        verdict = check_reconstruction_loss(solution)
        assert verdict.status == "right", verdict


def test_reference_matches_the_models_training_loss():
    """The checker's reference is the loss the Autoencoder is trained with."""
    torch.manual_seed(0)
    model = Autoencoder(hidden=(16,), latent_dim=2)
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        expected = model.loss(x)["recon"]
        assert torch.allclose(bce_reference(x, model(x)), expected, rtol=1e-5)


def test_mean_over_pixels_is_close():
    verdict = check_reconstruction_loss(lambda x, x_hat: F.binary_cross_entropy(x_hat, x))
    assert verdict.status == "close" and "pixels" in verdict.message


def test_sum_over_batch_is_close():
    def summed(x, x_hat):
        return F.binary_cross_entropy(x_hat, x, reduction="sum")

    verdict = check_reconstruction_loss(summed)
    assert verdict.status == "close" and "batch" in verdict.message


def test_per_image_losses_are_close():
    def per_image(x, x_hat):
        return F.binary_cross_entropy(x_hat, x, reduction="none").reshape(len(x), -1).sum(1)

    verdict = check_reconstruction_loss(per_image)
    assert verdict.status == "close" and "mean" in verdict.message


def test_squared_error_is_wrong_with_a_hint():
    def squared(x, x_hat):
        return (x_hat - x).pow(2).reshape(len(x), -1).sum(1).mean()

    verdict = check_reconstruction_loss(squared)
    assert verdict.status == "wrong" and "squared error" in verdict.message


def test_wrong_reconstruction_losses_are_wrong():
    def one_term_only(x, x_hat):
        return -(x * torch.log(x_hat)).reshape(len(x), -1).sum(1).mean()

    def wrong_sign(x, x_hat):
        return -bce_reference(x, x_hat)

    def absolute_error(x, x_hat):
        return (x_hat - x).abs().reshape(len(x), -1).sum(1).mean()

    for solution in (one_term_only, wrong_sign, absolute_error):
        assert check_reconstruction_loss(solution).status == "wrong", solution.__name__
    assert "sign" in check_reconstruction_loss(wrong_sign).message


def test_stub_and_errors_are_wrong_not_raised():
    def stub(x, x_hat):
        raise NotImplementedError

    assert "not implemented" in check_reconstruction_loss(stub).message
    verdict = check_reconstruction_loss(lambda x, x_hat: x.reshape(7, 3))
    assert verdict.status == "wrong" and "raised" in verdict.message
    assert check_reconstruction_loss(None).status == "wrong"


def test_swapped_arguments_and_logits_on_pixels_are_named():
    def swapped(x, x_hat):
        x, x_hat = x.flatten(1), x_hat.flatten(1)
        return -(x_hat * x.log() + (1 - x_hat) * (1 - x).log()).sum(1).mean()

    def logits_on_pixels(x, x_hat):
        loss = F.binary_cross_entropy_with_logits(x_hat, x, reduction="sum")
        return loss / len(x)

    verdict = check_reconstruction_loss(swapped)
    assert verdict.status == "wrong" and "swapped" in verdict.message, verdict
    verdict = check_reconstruction_loss(logits_on_pixels)
    assert verdict.status == "wrong" and "already a probability" in verdict.message, verdict


# --- 02: salt_and_pepper(x, fraction) ---


def bernoulli_salt_and_pepper(x, fraction):
    """Another right answer: every pixel is hit independently with probability `fraction`."""
    hit = torch.rand(x.shape) < fraction
    coin = (torch.rand(x.shape) < 0.5).to(x.dtype)
    return torch.where(hit, coin, x)


def test_package_and_bernoulli_solutions_are_right():
    for solution in (salt_and_pepper, bernoulli_salt_and_pepper):
        verdict = check_salt_and_pepper(solution)
        assert verdict.status == "right", verdict


def test_salt_and_pepper_each_with_probability_fraction_is_close():
    def twice(x, fraction):
        x = x.clone()
        x[torch.rand(x.shape) < fraction] = 1.0
        x[torch.rand(x.shape) < fraction] = 0.0
        return x

    verdict = check_salt_and_pepper(twice)
    assert verdict.status == "close" and "separately" in verdict.message


def test_same_pixels_in_every_image_is_close():
    def shared_mask(x, fraction):
        hit = torch.rand(x.shape[1:]) < fraction  # one mask for the whole batch
        coin = (torch.rand(x.shape) < 0.5).to(x.dtype)
        return torch.where(hit, coin, x)

    verdict = check_salt_and_pepper(shared_mask)
    assert verdict.status == "close" and "same pixels" in verdict.message


def test_changing_the_input_in_place_is_close():
    def in_place(x, fraction):
        hit = torch.rand(x.shape) < fraction
        x[hit] = (torch.rand(x.shape) < 0.5).to(x.dtype)[hit]
        return x

    verdict = check_salt_and_pepper(in_place)
    assert verdict.status == "close" and "input" in verdict.message


def test_wrong_salt_and_pepper_is_wrong():
    def uniform_values(x, fraction):
        hit = torch.rand(x.shape) < fraction
        return torch.where(hit, torch.rand(x.shape), x)

    def salt_only(x, fraction):
        return torch.where(torch.rand(x.shape) < fraction, torch.ones_like(x), x)

    def unchanged(x, fraction):
        return x.clone()

    def gaussian(x, fraction):
        return (x + fraction * torch.randn(x.shape)).clamp(0, 1)

    def flat(x, fraction):
        return bernoulli_salt_and_pepper(x, fraction).reshape(len(x), -1)

    def coin_from_the_pixel(x, fraction):
        # the chosen pixels drawn from Bernoulli(x): a fair coin only where x = 0.5
        return torch.where(torch.rand(x.shape) < fraction, torch.bernoulli(x), x)

    messages = {}
    for solution in (uniform_values, salt_only, unchanged, gaussian, flat, coin_from_the_pixel):
        verdict = check_salt_and_pepper(solution)
        assert verdict.status == "wrong", solution.__name__
        messages[solution.__name__] = verdict.message
    assert "0 (pepper) or 1 (salt)" in messages["uniform_values"]
    assert "coin" in messages["salt_only"]
    assert "shape" in messages["flat"]
    assert "fair coin" in messages["coin_from_the_pixel"]
    assert "no pixel changed" in messages["unchanged"]


def test_salt_and_pepper_stub_is_wrong():
    def stub(x, fraction):
        raise NotImplementedError

    assert check_salt_and_pepper(stub).status == "wrong"
    assert check_salt_and_pepper("not a function").status == "wrong"
