"""Reparameterisation, the ELBO and the importance-weighted bound, against exact answers."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal

from vae_teach.elbo import ELBOTerms, elbo, importance_weighted_log_px, reparameterize
from vae_teach.kl import gaussian_kl, gaussian_kl_between
from vae_teach.likelihoods import bernoulli_log_likelihood, gaussian_log_likelihood
from vae_teach.models import VAE


class LinearGaussian:
    """p(z) = N(0, I), p(x|z) = N(W z + b, σ² I) with orthogonal columns in W.

    Then p(x) = N(b, W Wᵀ + σ² I) and the posterior p(z|x) is a *diagonal* Gaussian:
    S = (I + WᵀW/σ²)⁻¹ (diagonal because WᵀW is), m = S Wᵀ (x − b) / σ². With exact=True the
    encoder returns the exact posterior; otherwise a deliberately wrong one.
    """

    likelihood = "gaussian"

    def __init__(self, dim_x=5, dim_z=2, sigma=0.5, exact=True, seed=0):
        g = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(dim_x, dim_z, generator=g, dtype=torch.float64))
        self.W = q * torch.tensor([2.0, 0.7], dtype=torch.float64)[:dim_z]  # (D, Z)
        self.b = torch.randn(dim_x, generator=g, dtype=torch.float64)
        self.logvar_x = 2 * math.log(sigma)
        self.exact = exact

    def posterior(self, x):
        var_x = math.exp(self.logvar_x)
        s = 1.0 / (1.0 + (self.W**2).sum(0) / var_x)  # (Z,) diagonal of S
        m = (x - self.b) @ self.W * s / var_x  # (B, Z)
        return m, s.log().expand_as(m)

    def encode(self, x):
        m, logvar = self.posterior(x)
        if self.exact:
            return m, logvar
        return 0.8 * m + 0.3, logvar + 0.5

    def decode(self, z):
        return z @ self.W.T + self.b

    def log_px(self, x):
        cov = self.W @ self.W.T + math.exp(self.logvar_x) * torch.eye(len(self.b)).double()
        return MultivariateNormal(self.b, cov).log_prob(x)

    def sample_x(self, n, seed=1):
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.W.shape[1], generator=g, dtype=torch.float64)
        noise = torch.randn(n, len(self.b), generator=g, dtype=torch.float64)
        return self.decode(z) + math.exp(0.5 * self.logvar_x) * noise


# --- reparameterize ---


def test_reparameterize_with_given_eps_is_mu_plus_std_times_eps():
    mu, logvar, eps = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
    torch.testing.assert_close(reparameterize(mu, logvar, eps), mu + logvar.exp().sqrt() * eps)


def test_reparameterized_samples_have_the_right_mean_and_variance():
    """n = 200,000 draws; tolerance 5 standard errors of the mean / of the variance."""
    n = 200_000
    mu = torch.tensor([1.0, -2.0, 0.0], dtype=torch.float64)
    logvar = torch.tensor([0.0, math.log(4.0), math.log(0.01)], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    z = reparameterize(mu.expand(n, 3), logvar.expand(n, 3), generator=g)
    var = logvar.exp()
    # SE(mean) = σ/√n ; SE(variance) = σ² √(2/(n−1)) for Gaussian samples
    assert ((z.mean(0) - mu).abs() < 5 * var.sqrt() / math.sqrt(n)).all()
    assert ((z.var(0) - var).abs() < 5 * var * math.sqrt(2 / (n - 1))).all()


def test_reparameterize_gradients():
    mu = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    logvar = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    eps = torch.randn(2, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda m, v: reparameterize(m, v, eps), (mu, logvar))
    reparameterize(mu, logvar, eps).sum().backward()
    # dz/dμ = 1, dz/dlogvar = ½ σ ε
    torch.testing.assert_close(mu.grad, torch.ones_like(mu))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_reparameterize_bad_input():
    with pytest.raises(ValueError, match="mu and logvar must have the same shape"):
        reparameterize(torch.zeros(3, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="mu and eps"):
        reparameterize(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="logvar contains NaN or inf"):
        reparameterize(torch.zeros(1, 2), torch.tensor([[0.0, float("nan")]]))


# --- elbo ---


def test_elbo_terms_and_beta():
    x = (torch.rand(4, 6) > 0.5).float()
    x_hat, mu, logvar = torch.randn(4, 6), torch.randn(4, 2), torch.randn(4, 2)
    for beta in [0.0, 1.0, 4.0]:
        terms = elbo(x, x_hat, mu, logvar, beta=beta)
        assert isinstance(terms, ELBOTerms)
        torch.testing.assert_close(terms.recon, bernoulli_log_likelihood(x, x_hat))
        torch.testing.assert_close(terms.kl, gaussian_kl(mu, logvar))
        torch.testing.assert_close(terms.elbo, terms.recon - beta * terms.kl)
    terms = elbo(x, x_hat, mu, logvar, likelihood="gaussian", logvar_x=-1.0)
    torch.testing.assert_close(terms.recon, gaussian_log_likelihood(x, x_hat, -1.0))


def test_elbo_bad_arguments():
    x = torch.zeros(2, 3)
    z = torch.zeros(2, 1)
    with pytest.raises(ValueError, match="beta"):
        elbo(x, x, z, z, beta=-1.0)
    with pytest.raises(ValueError, match="likelihood"):
        elbo(x, x, z, z, likelihood="poisson")


def test_monte_carlo_elbo_equals_log_px_minus_kl_to_the_posterior():
    """ELBO = log p(x) − KL(q ‖ p(z|x)): average elbo() over many z ~ q and compare."""
    model = LinearGaussian(exact=False)
    x = model.sample_x(4)
    mu, logvar = model.encode(x)
    n = 20_000
    g = torch.Generator().manual_seed(0)
    z = reparameterize(mu.repeat(n, 1), logvar.repeat(n, 1), generator=g)  # (n·B, Z)
    terms = elbo(
        x.repeat(n, 1),
        model.decode(z),
        mu.repeat(n, 1),
        logvar.repeat(n, 1),
        likelihood="gaussian",
        logvar_x=model.logvar_x,
    )
    mc = terms.elbo.reshape(n, 4).mean(0)
    m, s = model.posterior(x)
    exact = model.log_px(x) - gaussian_kl_between(mu, logvar, m, s)
    torch.testing.assert_close(mc, exact, rtol=0, atol=0.05)


# --- importance-weighted estimate ---


@pytest.mark.parametrize("k", [1, 7, 300])
def test_importance_weighted_is_exact_with_the_true_posterior(k):
    model = LinearGaussian(exact=True)
    x = model.sample_x(6)
    got = importance_weighted_log_px(model, x, k, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(got, model.log_px(x))


def test_importance_weighted_bound_tightens_with_k():
    """Averaged over 200 points: ELBO ≈ IW_1 < IW_10 < IW_100 ≤ log p(x)."""
    model = LinearGaussian(exact=False)
    x = model.sample_x(200)
    g = torch.Generator().manual_seed(0)
    iw = {k: importance_weighted_log_px(model, x, k, generator=g).mean() for k in [1, 10, 100]}
    mu, logvar = model.encode(x)
    m, s = model.posterior(x)
    exact_elbo = (model.log_px(x) - gaussian_kl_between(mu, logvar, m, s)).mean()
    log_px = model.log_px(x).mean()
    gap = (log_px - exact_elbo).item()
    assert gap > 0.2  # the wrong encoder leaves a visible gap
    assert abs(iw[1] - exact_elbo) < 0.1 * gap
    assert exact_elbo < iw[10] < iw[100] <= log_px + 0.01
    assert log_px - iw[100] < 0.5 * gap


def test_importance_weighted_on_a_vae_is_at_least_the_elbo():
    torch.manual_seed(0)
    model = VAE(image_shape=(1, 4, 4), hidden=(16,), latent_dim=2)
    x = (torch.rand(50, 1, 4, 4) > 0.5).float()
    g = torch.Generator().manual_seed(1)
    iw1 = importance_weighted_log_px(model, x, 1, generator=g)
    iw50 = importance_weighted_log_px(model, x, 50, generator=g)
    assert iw1.shape == iw50.shape == (50,)
    with torch.no_grad():
        elbos = torch.stack([-model.loss(x)["loss"] for _ in range(200)])
    assert iw50.mean() > elbos.mean()
    assert abs(iw1.mean() - elbos.mean()) < 3 * iw1.std() / math.sqrt(50)


@pytest.mark.parametrize("k", [0, -3, 2.5, True])
def test_importance_weighted_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        importance_weighted_log_px(LinearGaussian(), torch.zeros(2, 5, dtype=torch.float64), k)


def test_importance_weighted_uses_every_chunk():
    """B·D·K far over the decoding budget (several chunks of samples): still exact.

    With the true posterior every log w_k equals log p(x), so the estimate is exact only if
    the log-sum-exp runs over all K samples: keeping one chunk of n samples would be off by
    log(n/K).
    """
    model = LinearGaussian(dim_x=4000, exact=True)
    x = model.sample_x(8)
    k = 300  # chunk = 4,000,000 // (8 · 4000) = 125 samples: three chunks
    got = importance_weighted_log_px(model, x, k, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(got, model.log_px(x))
