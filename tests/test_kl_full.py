"""Tests of the full-covariance KL in vae_teach.kl against torch.distributions and scipy."""

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.stats import multivariate_normal
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from vae_teach.kl import (
    gaussian_kl,
    gaussian_kl_between,
    gaussian_kl_full,
    gaussian_kl_full_between,
)


def _random_gaussians(batch, k, seed):
    """(B, k) means and (B, k, k) well-conditioned SPD covariances, float64."""
    gen = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, k, generator=gen, dtype=torch.float64)
    a = torch.randn(batch, k, k, generator=gen, dtype=torch.float64)
    # Σ = A Aᵀ / k + 0.1 I is symmetric positive definite
    cov = a @ a.transpose(-1, -2) / k + 0.1 * torch.eye(k, dtype=torch.float64)
    return mu, cov


@pytest.mark.parametrize("k", [1, 2, 5])
def test_full_matches_torch_distributions(k):
    mu, cov = _random_gaussians(6, k, seed=k)
    prior = MultivariateNormal(
        torch.zeros(k, dtype=torch.float64), torch.eye(k, dtype=torch.float64)
    )
    expected = kl_divergence(MultivariateNormal(mu, cov), prior)
    torch.testing.assert_close(gaussian_kl_full(mu, cov), expected)


@pytest.mark.parametrize("k", [1, 3])
def test_between_matches_torch_distributions(k):
    mu_q, cov_q = _random_gaussians(5, k, seed=10 + k)
    mu_p, cov_p = _random_gaussians(5, k, seed=20 + k)
    expected = kl_divergence(MultivariateNormal(mu_q, cov_q), MultivariateNormal(mu_p, cov_p))
    torch.testing.assert_close(gaussian_kl_full_between(mu_q, cov_q, mu_p, cov_p), expected)


def test_diagonal_covariance_reduces_to_the_diagonal_formulas():
    gen = torch.Generator().manual_seed(3)
    mu_q, logvar_q = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
    mu_p, logvar_p = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
    cov_q, cov_p = torch.diag_embed(logvar_q.exp()), torch.diag_embed(logvar_p.exp())
    torch.testing.assert_close(gaussian_kl_full(mu_q, cov_q), gaussian_kl(mu_q, logvar_q))
    torch.testing.assert_close(
        gaussian_kl_full_between(mu_q, cov_q, mu_p, cov_p),
        gaussian_kl_between(mu_q, logvar_q, mu_p, logvar_p),
    )


def test_between_with_standard_normal_p_equals_full():
    mu, cov = _random_gaussians(4, 3, seed=7)
    eye = torch.eye(3, dtype=torch.float64).expand(4, 3, 3)
    torch.testing.assert_close(
        gaussian_kl_full_between(mu, cov, torch.zeros_like(mu), eye), gaussian_kl_full(mu, cov)
    )


def test_zero_for_identical_and_positive_otherwise():
    mu, cov = _random_gaussians(8, 4, seed=5)
    torch.testing.assert_close(
        gaussian_kl_full_between(mu, cov, mu, cov), torch.zeros(8, dtype=torch.float64)
    )
    mu_p, cov_p = _random_gaussians(8, 4, seed=6)
    assert (gaussian_kl_full_between(mu, cov, mu_p, cov_p) > 0).all()


def test_two_dim_against_scipy_dblquad():
    """∬ q log(q/p) dz over a box of ±10 σ, for correlated 2-D q and p."""
    mu_q, cov_q = np.array([0.5, -0.3]), np.array([[1.0, 0.6], [0.6, 0.8]])
    mu_p, cov_p = np.array([-0.2, 0.4]), np.array([[1.5, -0.3], [-0.3, 0.7]])
    q, p = multivariate_normal(mu_q, cov_q), multivariate_normal(mu_p, cov_p)

    def integrand(y, x):
        point = np.array([x, y])
        return q.pdf(point) * (q.logpdf(point) - p.logpdf(point))

    numeric, _ = integrate.dblquad(integrand, -7, 7, -7, 7, epsabs=1e-9)
    closed = gaussian_kl_full_between(
        *(torch.tensor(a)[None] for a in (mu_q, cov_q, mu_p, cov_p))
    ).item()
    assert closed == pytest.approx(numeric, rel=1e-6)


def test_gradcheck():
    mu_q, cov_q = _random_gaussians(2, 2, seed=1)
    mu_p, cov_p = _random_gaussians(2, 2, seed=2)
    inputs = tuple(t.requires_grad_() for t in (mu_q, cov_q, mu_p, cov_p))

    # symmetrise inside so finite differences stay on symmetric matrices
    def fn(mq, cq, mp, cp):
        return gaussian_kl_full_between(
            mq, (cq + cq.transpose(-1, -2)) / 2, mp, (cp + cp.transpose(-1, -2)) / 2
        )

    assert torch.autograd.gradcheck(fn, inputs)


def test_bad_input_names_the_argument():
    mu, cov = _random_gaussians(2, 2, seed=0)
    not_pd = torch.tensor([[[1.0, 2.0], [2.0, 1.0]]] * 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="cov must be positive definite"):
        gaussian_kl_full(mu, not_pd)
    with pytest.raises(ValueError, match="cov_p must be symmetric"):
        gaussian_kl_full_between(mu, cov, mu, cov + torch.tensor([[0.0, 0.5], [0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"cov must have shape \(B, k, k\)"):
        gaussian_kl_full(mu, cov[0])
    with pytest.raises(ValueError, match="mu and cov"):
        gaussian_kl_full(mu[:, :1], cov)
    with pytest.raises(ValueError, match="mu_q and mu_p"):
        gaussian_kl_full_between(mu, cov, mu[:1], cov[:1])


def test_kl_explorer_widget():
    """The 05 widget shows the closed-form KL of its sliders' Gaussian."""
    from vae_teach.widgets import KLExplorer

    widget = KLExplorer()
    for mu, sigma in [(1.5, 0.3), (0.0, 1.0), (-2.7, 2.5)]:
        widget.mu.value, widget.sigma.value = mu, sigma
        reference = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).item()
        assert widget.kl() == pytest.approx(reference, abs=1e-6)
        assert widget.view.values == {"mu": mu, "sigma": sigma}  # what the browser draws
    widget.mu.value, widget.sigma.value = 1.5, 0.3
    assert (
        widget.digest()
        == f"μ=1.50 σ=0.30 KL={widget.kl():.3f} nats"
        == "μ=1.50 σ=0.30 KL=1.874 nats"
    )
    with pytest.raises(ValueError, match=r"mu must lie in \[-3.0, 3.0\], got 4.0"):
        widget.mu.value = 4.0
    with pytest.raises(ValueError, match=r"sigma must lie in \[0.1, 3.0\], got 0.0"):
        widget.set_values(sigma=0.0)
    assert widget.kl() == pytest.approx(1.874, abs=1e-3)  # the refused moves changed nothing


def test_kl_explorer_figure_shows_its_numbers():
    """figure(): the two densities and the integrand, whose area is the KL in its title."""
    from vae_teach.widgets import KLExplorer

    widget = KLExplorer(mu=1.0, sigma=0.5)
    ax = widget.figure().axes[0]
    assert ax.get_title() == f"KL(q ‖ p) = {widget.kl():.3f} nats" == "KL(q ‖ p) = 0.818 nats"
    q, integrand = (line.get_ydata() for line in ax.get_lines()[:2])
    z = ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(q, Normal(1.0, 0.5).log_prob(torch.tensor(z)).exp(), atol=1e-12)
    # ∫ q log(q/p) dz on the plotted grid = the closed form
    assert np.trapezoid(integrand, z) == pytest.approx(widget.kl(), abs=1e-4)
