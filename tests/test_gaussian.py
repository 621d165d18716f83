"""The Gaussian formulas of vae_teach.gaussian against torch.distributions."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from vae_teach import gaussian


def test_diagonal_log_densities_match_torch():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    eps = torch.randn(5, 3, generator=g)
    z = mu + torch.exp(0.5 * logvar) * eps
    expected = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z)
    torch.testing.assert_close(gaussian.diagonal_log_density(z, mu, logvar), expected)
    torch.testing.assert_close(gaussian.diagonal_log_density_of_noise(eps, logvar), expected)
    torch.testing.assert_close(
        gaussian.standard_normal_log_density(z), Normal(0.0, 1.0).log_prob(z)
    )


def test_kl_to_standard_normal_matches_torch_per_dimension():
    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(4, 6, generator=g), torch.randn(4, 6, generator=g)
    expected = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0))
    torch.testing.assert_close(gaussian.kl_to_standard_normal(mu, logvar), expected)


def test_log_mean_exp_is_stable_and_exact():
    log_w = torch.tensor([[-1000.0, 0.0], [-1000.0, math.log(3.0)]], dtype=torch.float64)
    out = gaussian.log_mean_exp(log_w, dim=0)
    assert out[0].item() == pytest.approx(-1000.0)
    assert out[1].item() == pytest.approx(math.log(2.0))


def test_full_covariance_formulas_match_torch():
    g = torch.Generator().manual_seed(2)
    a = torch.randn(3, 4, 4, generator=g, dtype=torch.float64)
    cov = a @ a.transpose(-1, -2) + 0.1 * torch.eye(4, dtype=torch.float64)
    mu = torch.randn(3, 4, generator=g, dtype=torch.float64)
    z = torch.randn(3, 4, generator=g, dtype=torch.float64)
    dist = MultivariateNormal(mu, covariance_matrix=cov)
    torch.testing.assert_close(gaussian.full_log_density(z, mu, cov), dist.log_prob(z))
    torch.testing.assert_close(gaussian.full_entropy(cov), dist.entropy())
    torch.testing.assert_close(gaussian.cholesky_logdet(gaussian.cholesky(cov)), torch.logdet(cov))


def test_cholesky_names_the_argument():
    with pytest.raises(ValueError, match="cov_q must be symmetric"):
        gaussian.cholesky(torch.tensor([[1.0, 0.5], [0.0, 1.0]]), "cov_q")
    with pytest.raises(ValueError, match="cov must be positive definite"):
        gaussian.cholesky(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
