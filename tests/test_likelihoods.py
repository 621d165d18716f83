"""Decoder log-likelihoods against torch.distributions, plus gradcheck and bad input."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal

from vae_teach.likelihoods import bernoulli_log_likelihood, gaussian_log_likelihood


def make(shape=(5, 1, 4, 3), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g, dtype=torch.float64), torch.randn(
        shape, generator=g, dtype=torch.float64
    ) * 3


def test_bernoulli_matches_torch_distributions_on_binary_pixels():
    x, logits = make()
    x = (x > 0.5).double()
    expected = Bernoulli(logits=logits).log_prob(x).sum(dim=(1, 2, 3))
    torch.testing.assert_close(bernoulli_log_likelihood(x, logits), expected)


def test_bernoulli_on_grey_pixels_is_minus_cross_entropy():
    x, logits = make()
    p = torch.sigmoid(logits)
    # written out independently: Σ x log p + (1 − x) log(1 − p)
    expected = (x * p.log() + (1 - x) * (1 - p).log()).sum(dim=(1, 2, 3))
    torch.testing.assert_close(bernoulli_log_likelihood(x, logits), expected)


def test_bernoulli_stays_finite_for_large_logits():
    x = torch.tensor([[0.0, 1.0]])
    logits = torch.tensor([[-200.0, 200.0]])
    out = bernoulli_log_likelihood(x, logits)
    assert torch.isfinite(out).all() and abs(out.item()) < 1e-6


@pytest.mark.parametrize("kind", ["float", "scalar tensor", "per-pixel tensor"])
def test_gaussian_matches_torch_distributions(kind):
    x, mean = make()
    if kind == "float":
        logvar = -1.3
        std = torch.full_like(x, math.exp(0.5 * logvar))
    elif kind == "scalar tensor":
        logvar = torch.tensor(0.7, dtype=torch.float64)
        std = torch.full_like(x, math.exp(0.35))
    else:
        logvar = torch.randn_like(x)
        std = torch.exp(0.5 * logvar)
    expected = Normal(mean, std).log_prob(x).sum(dim=(1, 2, 3))
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, logvar), expected)


def test_flat_and_image_inputs_give_the_same_numbers():
    x, logits = make()
    torch.testing.assert_close(
        bernoulli_log_likelihood(x.flatten(1), logits.flatten(1)),
        bernoulli_log_likelihood(x, logits),
    )


def test_gradcheck_float64():
    x, logits = make((3, 4))
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda l: bernoulli_log_likelihood(x, l), (logits,))
    mean = logits.detach().clone().requires_grad_(True)
    logvar = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda m, v: gaussian_log_likelihood(x, m, v), (mean, logvar))


def test_shape_mismatch_names_the_arguments():
    x, logits = make((3, 4))
    with pytest.raises(ValueError, match="x and logits"):
        bernoulli_log_likelihood(x, logits[:, :3])
    with pytest.raises(ValueError, match="x and mean"):
        gaussian_log_likelihood(x, logits[:2])


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_inf_input_names_the_argument(bad):
    x, logits = make((3, 4))
    logits[1, 2] = bad
    with pytest.raises(ValueError, match="logits contains NaN or inf"):
        bernoulli_log_likelihood(x, logits)
    x[0, 0] = bad
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        gaussian_log_likelihood(x, torch.zeros_like(x))
    with pytest.raises(ValueError, match="logvar"):
        gaussian_log_likelihood(torch.zeros(3, 4), torch.zeros(3, 4), bad)


def test_bad_logvar_shape_and_type():
    x = torch.zeros(3, 4)
    with pytest.raises(ValueError, match="logvar of shape"):
        gaussian_log_likelihood(x, x, torch.zeros(5))
    with pytest.raises(TypeError, match="logvar must be a number"):
        gaussian_log_likelihood(x, x, "one")
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        bernoulli_log_likelihood([[0.0]], torch.zeros(1, 1))
