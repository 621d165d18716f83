"""Tests of vae_teach.estimators against autograd, quadrature and simulation.

Statistical tests use a fixed seed and a tolerance of 5 standard errors, the standard error
being measured from the same samples (so a biased estimator, or a wrong variance formula off by
more than a few percent, fails).
"""

import numpy as np
import pytest
import torch
from torch.distributions import Normal

from vae_teach.estimators import (
    quadratic,
    quadratic_exact_gradients,
    reparameterisation_gradients,
    reparameterisation_variance,
    score_function_gradients,
    score_function_variance,
)

# (mu, std, c) cases: the three of notebook 04 and an uneven 3-D one
CASES = [
    ([1.0], [1.0], 0.0),
    ([1.0], [1.0], 3.0),
    ([1.0], [1.0], -3.0),
    ([0.5, -1.0, 2.0], [0.7, 1.3, 0.4], 0.8),
]
N = 200_000


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


def _draws(n, dim, seed=0):
    return torch.randn(n, dim, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def test_score_function_matches_autograd_of_log_prob():
    """f(z) ∇ log q(z) with the score from torch.distributions.Normal.log_prob via autograd."""
    mu, std = _t([0.3, -1.2]), _t([0.8, 1.5])
    eps = _draws(50, 2)
    f = lambda z: torch.sin(z).sum(-1) + z[:, 0] * z[:, 1]  # noqa: E731
    grad_mu, grad_std = score_function_gradients(f, mu, std, eps)
    z = (mu + std * eps).detach()
    for n in range(0, 50, 7):
        m, s = mu.clone().requires_grad_(), std.clone().requires_grad_()
        log_q = torch.distributions.Normal(m, s).log_prob(z[n]).sum()
        g_m, g_s = torch.autograd.grad(log_q, (m, s))
        torch.testing.assert_close(grad_mu[n], f(z[n : n + 1]) * g_m)
        torch.testing.assert_close(grad_std[n], f(z[n : n + 1]) * g_s)


def test_reparameterisation_matches_chain_rule():
    """Row n equals f'(z_n) · ∂z/∂λ with ∂z/∂μ = 1 and ∂z/∂σ = ε (f = Σ sin, f' = cos)."""
    mu, std = _t([0.3, -1.2, 2.0]), _t([0.8, 1.5, 0.1])
    eps = _draws(40, 3)
    grad_mu, grad_std = reparameterisation_gradients(lambda z: torch.sin(z).sum(-1), mu, std, eps)
    z = mu + std * eps
    torch.testing.assert_close(grad_mu, torch.cos(z))
    torch.testing.assert_close(grad_std, torch.cos(z) * eps)


def test_exact_gradients_match_autograd_of_quadrature():
    """∇ of E f computed by Gauss–Hermite quadrature (exact for polynomials) and autograd."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(10)
    nodes, weights = _t(nodes), _t(weights) / np.sqrt(2 * np.pi)
    for mu_v, std_v, c in CASES:
        mu, std = _t(mu_v).requires_grad_(), _t(std_v).requires_grad_()
        # E f = Σ_d Σ_i w_i (μ_d + σ_d x_i − c)²
        expectation = (weights[:, None] * (mu + std * nodes[:, None] - c) ** 2).sum()
        g_mu, g_std = torch.autograd.grad(expectation, (mu, std))
        exact_mu, exact_std = quadratic_exact_gradients(mu.detach(), std.detach(), c)
        torch.testing.assert_close(exact_mu, g_mu)
        torch.testing.assert_close(exact_std, g_std)


@pytest.mark.parametrize("mu_v, std_v, c", CASES)
@pytest.mark.parametrize("estimator", [score_function_gradients, reparameterisation_gradients])
def test_estimators_are_unbiased(estimator, mu_v, std_v, c):
    """|mean of N estimates − exact| < 5 standard errors, for every coordinate of μ and σ."""
    mu, std = _t(mu_v), _t(std_v)
    grads = estimator(lambda z: quadratic(z, c), mu, std, _draws(N, len(mu_v)))
    for grad, exact in zip(grads, quadratic_exact_gradients(mu, std, c), strict=True):
        standard_error = grad.std(0) / N**0.5
        assert ((grad.mean(0) - exact).abs() < 5 * standard_error).all()


@pytest.mark.parametrize("mu_v, std_v, c", CASES)
@pytest.mark.parametrize(
    "estimator, variance",
    [
        (score_function_gradients, score_function_variance),
        (reparameterisation_gradients, reparameterisation_variance),
    ],
)
def test_measured_variance_matches_closed_form(estimator, variance, mu_v, std_v, c):
    """Sample variance within 5 standard errors of the closed form; SE² = (m4 − s⁴) / N."""
    mu, std = _t(mu_v), _t(std_v)
    grads = estimator(lambda z: quadratic(z, c), mu, std, _draws(N, len(mu_v), seed=1))
    for grad, closed in zip(grads, variance(mu, std, c), strict=True):
        centred = grad - grad.mean(0)
        s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
        standard_error = ((m4 - s2**2) / N) ** 0.5
        assert ((s2 - closed).abs() < 5 * standard_error).all()


def test_wrong_variance_would_be_caught():
    """The variance test has power: a 10 % error in the closed form is outside 5 SE."""
    mu, std = _t([1.0]), _t([1.0])
    grad_mu, _ = score_function_gradients(quadratic, mu, std, _draws(N, 1, seed=1))
    centred = grad_mu - grad_mu.mean(0)
    s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
    standard_error = ((m4 - s2**2) / N) ** 0.5
    assert ((s2 - 1.1 * score_function_variance(mu, std)[0]).abs() > 5 * standard_error).all()


@pytest.mark.parametrize("c, ratio", [(0.0, 7.5), (3.0, 21.75), (-3.0, 123.75)])
def test_quoted_ratios_one_dim(c, ratio):
    """Score/reparam variance ratio of the μ-gradient at μ = σ = 1 (notebook 04's numbers)."""
    mu, std = _t([1.0]), _t([1.0])
    sf_mu, _ = score_function_variance(mu, std, c)
    rp_mu, _ = reparameterisation_variance(mu, std, c)
    assert (sf_mu / rp_mu).item() == pytest.approx(ratio, rel=1e-12)
    # and by simulation, within 5 %
    eps = _draws(N, 1, seed=2)
    measured = (
        score_function_gradients(lambda z: quadratic(z, c), mu, std, eps)[0].var()
        / reparameterisation_gradients(lambda z: quadratic(z, c), mu, std, eps)[0].var()
    )
    assert measured.item() == pytest.approx(ratio, rel=0.05)


def test_quoted_ratio_ten_dims():
    """f = Σ z², μ = σ = 1 in D = 10: ratio 138 for each coordinate of ∇_μ (not for ∇_σ)."""
    mu, std = _t([1.0] * 10), _t([1.0] * 10)
    sf_mu, sf_std = score_function_variance(mu, std)
    rp_mu, rp_std = reparameterisation_variance(mu, std)
    torch.testing.assert_close(sf_mu / rp_mu, torch.full_like(mu, 138.0))
    # the σ-gradient ratio is different: 1324 / 12
    torch.testing.assert_close(sf_std / rp_std, torch.full_like(mu, 1324 / 12))


def test_bad_input_names_the_argument():
    mu, std = _t([0.0, 1.0]), _t([1.0, 1.0])
    with pytest.raises(ValueError, match="std must be > 0"):
        score_function_gradients(quadratic, mu, _t([1.0, 0.0]), _draws(3, 2))
    with pytest.raises(ValueError, match="mu and std"):
        reparameterisation_gradients(quadratic, mu, _t([1.0]), _draws(3, 2))
    with pytest.raises(ValueError, match="eps must have shape"):
        reparameterisation_gradients(quadratic, mu, std, _draws(3, 3))
    with pytest.raises(TypeError, match="mu and std must be tensors"):
        score_function_variance([0.0], std)


def test_step_function_reparam_is_zero_but_score_is_unbiased():
    """f = 1[z > 0]: E f = Φ(μ/σ), ∂/∂μ = φ(μ/σ)/σ; the pathwise estimate is 0 (biased)."""
    mu, std = _t([0.3]), _t([0.8])
    step = lambda z: (z[:, 0] > 0).to(z.dtype)  # noqa: E731
    eps = _draws(N, 1, seed=3)
    grad_mu, grad_std = reparameterisation_gradients(step, mu, std, eps)
    assert (grad_mu == 0).all() and (grad_std == 0).all()
    exact = torch.exp(Normal(0.0, 1.0).log_prob(mu / std)) / std
    score_mu, _ = score_function_gradients(step, mu, std, eps)
    assert (score_mu.mean(0) - exact).abs().item() < 5 * score_mu.std().item() / N**0.5


def test_estimator_histograms_widget():
    """The 04 widget follows its sliders and reports the closed-form variances."""
    from vae_teach.widgets import EstimatorHistograms

    widget = EstimatorHistograms(n=2_000)
    widget.c.value = 3.0
    digest = widget.digest()
    assert "c=3.00" in digest and "closed form 87" in digest and "exact -4" in digest
    # the browser gets the same draws ε, as float32, and the kernel uses exactly those
    eps = np.frombuffer(widget.view.weights, dtype="<f4")
    assert eps.shape == (2_000,) and np.array_equal(eps.astype(np.float64), widget.eps[:, 0])
    # js/estimators.js's per-sample formulas, in NumPy, against the package's estimators
    mu, sigma, c = widget.mu.value, widget.sigma.value, widget.c.value
    eps = eps.astype(np.float64)
    d = mu + sigma * eps - c  # z − c
    grads = widget.gradients()
    np.testing.assert_allclose(grads["score"][0], d**2 * eps / sigma, rtol=1e-12)
    np.testing.assert_allclose(grads["score"][1], d**2 * (eps**2 - 1) / sigma, rtol=1e-12)
    np.testing.assert_allclose(grads["reparam"][0], 2 * d, rtol=1e-12)
    np.testing.assert_allclose(grads["reparam"][1], 2 * d * eps, rtol=1e-12)
    with pytest.raises(ValueError, match=r"c must lie in \[-4.0, 4.0\], got 5.0"):
        widget.c.value = 5.0
    fig = widget.figure()
    assert [ax.get_title() for ax in fig.axes][0].startswith("single-sample estimates of ∂/∂μ")
