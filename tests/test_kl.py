"""Closed-form Gaussian KLs against torch.distributions and numerical integration (scipy)."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from torch.distributions import Normal, kl_divergence

from vae_teach.kl import gaussian_kl, gaussian_kl_between


def params(shape=(6, 3), seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(4)]


def test_gaussian_kl_matches_torch_distributions():
    mu, logvar, _, _ = params()
    q = Normal(mu, torch.exp(0.5 * logvar))
    expected = kl_divergence(q, Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected)


def test_gaussian_kl_between_matches_torch_distributions_with_broadcast_p():
    mu_q, logvar_q, mu_p, logvar_p = params()
    mu_p, logvar_p = mu_p[0], logvar_p[0]  # one p, shape (Z,), shared by the batch
    expected = kl_divergence(
        Normal(mu_q, torch.exp(0.5 * logvar_q)), Normal(mu_p, torch.exp(0.5 * logvar_p))
    ).sum(-1)
    torch.testing.assert_close(gaussian_kl_between(mu_q, logvar_q, mu_p, logvar_p), expected)


def kl_by_quadrature(mu_q, var_q, mu_p, var_p):
    """∫ q(z) log(q(z)/p(z)) dz in 1-D, by adaptive quadrature."""
    q = stats.norm(mu_q, math.sqrt(var_q))
    p = stats.norm(mu_p, math.sqrt(var_p))
    lo, hi = mu_q - 20 * math.sqrt(var_q), mu_q + 20 * math.sqrt(var_q)
    value, _ = integrate.quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)), lo, hi, limit=200)
    return value


@pytest.mark.parametrize("mu_q, logvar_q", [(0.0, 0.0), (1.5, -2.0), (-0.7, 1.2)])
def test_gaussian_kl_matches_numerical_integration(mu_q, logvar_q):
    expected = kl_by_quadrature(mu_q, math.exp(logvar_q), 0.0, 1.0)
    got = gaussian_kl(torch.tensor([[mu_q]]), torch.tensor([[logvar_q]], dtype=torch.float32))
    assert got.item() == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_kl_of_a_diagonal_gaussian_is_the_sum_of_1d_kls():
    mu, logvar, mu_p, logvar_p = (t[0] for t in params((1, 3)))
    parts = [
        kl_by_quadrature(
            mu[j].item(), logvar[j].exp().item(), mu_p[j].item(), logvar_p[j].exp().item()
        )
        for j in range(3)
    ]
    got = gaussian_kl_between(mu[None], logvar[None], mu_p[None], logvar_p[None])
    assert got.item() == pytest.approx(np.sum(parts), rel=1e-6)


def test_kl_is_zero_iff_q_equals_p_and_positive_otherwise():
    mu, logvar, _, _ = params()
    assert torch.equal(gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))
    torch.testing.assert_close(gaussian_kl_between(mu, logvar, mu, logvar), torch.zeros(6).double())
    assert (gaussian_kl(mu, logvar) > 0).all()


def test_gradcheck_float64():
    mu, logvar, mu_p, logvar_p = (t.requires_grad_(True) for t in params((2, 3)))
    assert torch.autograd.gradcheck(gaussian_kl, (mu, logvar))
    assert torch.autograd.gradcheck(gaussian_kl_between, (mu, logvar, mu_p, logvar_p))


def test_mu_and_logvar_of_different_shapes_raise():
    with pytest.raises(
        ValueError, match=r"mu and logvar must have the same shape.*\(3, 2\).*\(3, 4\)"
    ):
        gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="mu_q and logvar_q"):
        gaussian_kl_between(torch.zeros(3, 2), torch.zeros(3, 4), torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="mu_p of shape"):
        gaussian_kl_between(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(5), torch.zeros(2))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_or_inf_raise_naming_the_argument(bad):
    mu, logvar = torch.zeros(3, 2), torch.zeros(3, 2)
    with pytest.raises(ValueError, match="mu contains NaN or inf"):
        gaussian_kl(mu.index_fill(0, torch.tensor([1]), bad), logvar)
    with pytest.raises(ValueError, match="logvar contains NaN or inf"):
        gaussian_kl(mu, logvar.index_fill(0, torch.tensor([1]), bad))
    with pytest.raises(ValueError, match="logvar_p contains NaN or inf"):
        gaussian_kl_between(mu, logvar, mu, logvar.index_fill(0, torch.tensor([1]), bad))
