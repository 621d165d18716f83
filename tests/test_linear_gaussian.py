"""The exact linear-Gaussian lab, checked against torch.distributions, scipy and quadrature."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate
from torch.distributions import MultivariateNormal, kl_divergence

from vae_teach import linear_gaussian as lg


def random_model(latent_dim, data_dim, seed):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(data_dim, latent_dim, generator=g, dtype=torch.float64)
    b = torch.randn(data_dim, generator=g, dtype=torch.float64)
    sigma = 0.3 + torch.rand(1, generator=g).item()
    return lg.LinearGaussian(W, b, sigma), g


def random_q(latent_dim, n, g):
    """n random Gaussians: means (n, d) and covariances A Aᵀ + 0.05 I (n, d, d)."""
    mu = 2.0 * torch.randn(n, latent_dim, generator=g, dtype=torch.float64)
    A = torch.randn(n, latent_dim, latent_dim, generator=g, dtype=torch.float64)
    cov = A @ A.transpose(-1, -2) + 0.05 * torch.eye(latent_dim, dtype=torch.float64)
    return mu, cov


SHAPES = [(1, 1), (1, 3), (2, 2), (2, 5)]


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_log_px_matches_multivariate_normal(latent_dim, data_dim):
    model, g = random_model(latent_dim, data_dim, seed=1)
    x = 2.0 * torch.randn(7, data_dim, generator=g, dtype=torch.float64)
    cov = model.W @ model.W.T + model.sigma**2 * torch.eye(data_dim, dtype=torch.float64)
    expected = MultivariateNormal(model.b, covariance_matrix=cov).log_prob(x)
    torch.testing.assert_close(lg.log_px(model, x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("data_dim", [1, 3])
def test_log_px_matches_numerical_integration_in_1d(data_dim):
    model, g = random_model(1, data_dim, seed=2)
    x = torch.randn(data_dim, generator=g, dtype=torch.float64)

    def joint(z):
        # p(x, z) = p(x|z) p(z) at one scalar z
        return math.exp(lg.log_joint(model, x, torch.tensor([z], dtype=torch.float64)).item())

    # the joint is negligible 15 posterior standard deviations away from the posterior mean
    m, S = lg.posterior(model, x)
    lo, hi = m.item() - 15 * S.item() ** 0.5, m.item() + 15 * S.item() ** 0.5
    p_x, _ = integrate.quad(joint, lo, hi, epsabs=0, epsrel=1e-10, limit=200)
    assert lg.log_px(model, x).item() == pytest.approx(math.log(p_x), abs=1e-8)


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_posterior_is_bayes_rule(latent_dim, data_dim):
    """log p(z|x) = log p(x, z) − log p(x) at any z: the closed form posterior is Bayes' rule."""
    model, g = random_model(latent_dim, data_dim, seed=3)
    x = torch.randn(data_dim, generator=g, dtype=torch.float64)
    z = 2.0 * torch.randn(11, latent_dim, generator=g, dtype=torch.float64)
    m, S = lg.posterior(model, x)
    expected = lg.log_joint(model, x, z) - lg.log_px(model, x)
    got = MultivariateNormal(m, covariance_matrix=S).log_prob(z)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_posterior_batches_over_x():
    model, g = random_model(2, 4, seed=4)
    x = torch.randn(5, 4, generator=g, dtype=torch.float64)
    m, S = lg.posterior(model, x)
    assert m.shape == (5, 2) and S.shape == (2, 2)
    torch.testing.assert_close(m[3], lg.posterior(model, x[3])[0])


@pytest.mark.parametrize("latent_dim", [1, 2, 3])
def test_kl_full_covariance_and_entropy_match_torch(latent_dim):
    g = torch.Generator().manual_seed(5)
    mu_q, cov_q = random_q(latent_dim, 9, g)
    mu_p, cov_p = random_q(latent_dim, 9, g)
    q = MultivariateNormal(mu_q, covariance_matrix=cov_q)
    p = MultivariateNormal(mu_p, covariance_matrix=cov_p)
    torch.testing.assert_close(lg.kl_full_covariance(mu_q, cov_q, mu_p, cov_p), kl_divergence(q, p))
    torch.testing.assert_close(lg.gaussian_entropy(cov_q), q.entropy())
    z = torch.randn(9, latent_dim, generator=g, dtype=torch.float64)
    torch.testing.assert_close(lg.full_gaussian_log_density(z, mu_q, cov_q), q.log_prob(z))
    standard = MultivariateNormal(
        torch.zeros(latent_dim, dtype=torch.float64), torch.eye(latent_dim, dtype=torch.float64)
    )
    torch.testing.assert_close(lg.kl_to_prior(mu_q, cov_q), kl_divergence(q, standard))


def test_kl_full_covariance_broadcasts_one_p_against_many_q():
    g = torch.Generator().manual_seed(6)
    mu_q, cov_q = random_q(2, 4, g)
    mu_p, cov_p = random_q(2, 1, g)
    batched = lg.kl_full_covariance(mu_q, cov_q, mu_p[0], cov_p[0])
    one_by_one = torch.stack(
        [lg.kl_full_covariance(mu_q[i], cov_q[i], mu_p[0], cov_p[0]) for i in range(4)]
    )
    torch.testing.assert_close(batched, one_by_one)


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_identity_log_px_equals_elbo_plus_kl_for_many_q(latent_dim, data_dim):
    model, g = random_model(latent_dim, data_dim, seed=7)
    x = torch.randn(data_dim, generator=g, dtype=torch.float64)
    mu_q, cov_q = random_q(latent_dim, 500, g)
    elbo = lg.exact_elbo(model, x, mu_q, cov_q)
    gap = lg.kl_to_posterior(model, x, mu_q, cov_q)
    # three separate closed forms (marginal, ELBO, KL to posterior) agree to rounding
    err = (lg.log_px(model, x) - (elbo + gap)).abs().max().item()
    assert err < 1e-9
    assert (gap > 0).all() and (elbo < lg.log_px(model, x)).all()


def test_exact_elbo_matches_quadrature_in_1d():
    """ELBO = ∫ q(z) [log p(x, z) − log q(z)] dz, integrated numerically by scipy."""
    model, g = random_model(1, 3, seed=8)
    x = torch.randn(3, generator=g, dtype=torch.float64)
    for mu, var in [(0.3, 0.2), (-1.5, 2.0), (2.0, 0.01)]:
        mu_q, cov_q = torch.tensor([mu]), torch.tensor([[var]])

        def integrand(z, mu_q=mu_q, cov_q=cov_q):
            zt = torch.tensor([z], dtype=torch.float64)
            log_q = lg.full_gaussian_log_density(zt, mu_q, cov_q)
            return math.exp(log_q.item()) * (lg.log_joint(model, x, zt) - log_q).item()

        lo, hi = mu - 12 * math.sqrt(var), mu + 12 * math.sqrt(var)
        expected, _ = integrate.quad(integrand, lo, hi, epsabs=1e-11, epsrel=1e-11, limit=200)
        assert lg.exact_elbo(model, x, mu_q, cov_q).item() == pytest.approx(expected, abs=1e-8)


def test_entropy_form_by_gauss_hermite():
    """ELBO = E_q[log p(x, z)] + H(q); log p(x, z) is quadratic in z, so 2-D Gauss-Hermite
    quadrature with 5 nodes per axis computes E_q exactly."""
    model, g = random_model(2, 4, seed=9)
    x = torch.randn(4, generator=g, dtype=torch.float64)
    mu_q, cov_q = random_q(2, 3, g)
    nodes, weights = np.polynomial.hermite_e.hermegauss(5)
    weights = weights / weights.sum()
    eps = torch.tensor(np.stack(np.meshgrid(nodes, nodes), -1).reshape(-1, 2))
    w = torch.tensor(np.outer(weights, weights).reshape(-1))
    for i in range(3):
        L = torch.linalg.cholesky(cov_q[i])
        z = mu_q[i] + eps @ L.T
        expected_joint = (w * lg.log_joint(model, x, z)).sum()
        entropy_form = expected_joint + lg.gaussian_entropy(cov_q[i])
        torch.testing.assert_close(lg.exact_elbo(model, x, mu_q[i], cov_q[i]), entropy_form)


@pytest.mark.parametrize("latent_dim, data_dim", SHAPES)
def test_elbo_is_maximal_and_gap_zero_at_true_posterior(latent_dim, data_dim):
    model, g = random_model(latent_dim, data_dim, seed=10)
    x = torch.randn(data_dim, generator=g, dtype=torch.float64)
    m, S = lg.posterior(model, x)
    mu = m.clone().requires_grad_(True)
    best = lg.exact_elbo(model, x, mu, S)
    assert best.item() == pytest.approx(lg.log_px(model, x).item(), abs=1e-12)
    assert lg.kl_to_posterior(model, x, m, S).item() == pytest.approx(0.0, abs=1e-12)
    # the ELBO is stationary in the mean at the posterior mean...
    (grad,) = torch.autograd.grad(best, mu)
    assert grad.abs().max().item() < 1e-10
    # ...and every other q does worse
    mu_q, cov_q = random_q(latent_dim, 200, g)
    assert (lg.exact_elbo(model, x, mu_q, cov_q) < best.detach()).all()


def test_mc_elbo_agrees_with_exact_within_its_standard_error():
    model, g = random_model(2, 3, seed=11)
    x = torch.randn(3, generator=g, dtype=torch.float64)
    mu_q, cov_q = random_q(2, 20, g)
    estimate, stderr = lg.mc_elbo(model, x, mu_q, cov_q, n_samples=20_000, generator=g)
    exact = lg.exact_elbo(model, x, mu_q, cov_q)
    z_scores = (estimate - exact) / stderr
    # 20 independent estimates: all within 4.5 standard errors (fails by chance ~1e-4)
    assert z_scores.abs().max().item() < 4.5
    assert (stderr > 0).all()


def test_mc_elbo_standard_error_shrinks_like_one_over_root_n():
    model, g = random_model(1, 2, seed=12)
    x = torch.randn(2, generator=g, dtype=torch.float64)
    mu_q, cov_q = torch.tensor([0.5]), torch.tensor([[0.7]])
    _, se_small = lg.mc_elbo(model, x, mu_q, cov_q, n_samples=1_000, generator=g)
    _, se_large = lg.mc_elbo(model, x, mu_q, cov_q, n_samples=100_000, generator=g)
    assert se_small.item() / se_large.item() == pytest.approx(10.0, rel=0.15)


def test_mc_elbo_has_zero_variance_at_the_true_posterior():
    """At q = p(z|x), log p(x, z) − log q(z) = log p(x) for every z."""
    model, g = random_model(2, 3, seed=13)
    x = torch.randn(3, generator=g, dtype=torch.float64)
    m, S = lg.posterior(model, x)
    estimate, stderr = lg.mc_elbo(model, x, m, S, n_samples=50, generator=g)
    assert stderr.item() < 1e-10
    assert estimate.item() == pytest.approx(lg.log_px(model, x).item(), abs=1e-10)


def test_sample_follows_the_marginal():
    model, g = random_model(2, 3, seed=14)
    z, x = model.sample(200_000, generator=g)
    assert z.shape == (200_000, 2) and x.shape == (200_000, 3)
    cov = model.W @ model.W.T + model.sigma**2 * torch.eye(3, dtype=torch.float64)
    torch.testing.assert_close(x.mean(0), model.b, atol=0.02, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), cov, atol=0.05, rtol=0.02)


def test_bad_inputs_raise_errors_naming_the_argument():
    W, b = torch.ones(3, 1), torch.zeros(3)
    with pytest.raises(ValueError, match="W"):
        lg.LinearGaussian(torch.ones(3), b, 1.0)
    with pytest.raises(ValueError, match="b"):
        lg.LinearGaussian(W, torch.zeros(2), 1.0)
    with pytest.raises(ValueError, match="sigma"):
        lg.LinearGaussian(W, b, 0.0)
    with pytest.raises(TypeError, match="W"):
        lg.LinearGaussian("weights", b, 1.0)
    model = lg.LinearGaussian(W, b, 1.0)
    with pytest.raises(ValueError, match="x"):
        lg.log_px(model, torch.zeros(2))
    with pytest.raises(ValueError, match="mu_q"):
        lg.exact_elbo(model, torch.zeros(3), torch.zeros(2), torch.eye(1))
    with pytest.raises(ValueError, match="cov_q"):
        lg.exact_elbo(model, torch.zeros(3), torch.zeros(1), torch.eye(2))
    with pytest.raises(ValueError, match="cov_q"):
        lg.kl_to_posterior(model, torch.zeros(3), torch.zeros(1), -torch.eye(1))
    with pytest.raises(ValueError, match="cov_q must be symmetric"):
        lg.kl_to_prior(torch.zeros(2), torch.tensor([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="n_samples"):
        lg.mc_elbo(model, torch.zeros(3), torch.zeros(1), torch.eye(1), n_samples=1)


def lab_model():
    return lg.LinearGaussian([[1.2], [-0.7]], [0.3, -0.2], 0.8), torch.tensor([1.5, -1.0])


def test_elbo_lab_widget_shows_the_exact_numbers():
    from vae_teach.widgets import ELBOLab

    model, x = lab_model()
    lab = ELBOLab(model, x, mean=0.2, std=0.7)
    v = lab.values()
    mu_q = torch.tensor([0.2], dtype=torch.float64)
    cov_q = torch.tensor([[0.49]], dtype=torch.float64)
    assert v["elbo"] == pytest.approx(lg.exact_elbo(model, x, mu_q, cov_q).item(), abs=1e-12)
    assert v["log_px"] == pytest.approx(v["elbo"] + v["gap"], abs=1e-12)
    assert v["elbo"] == pytest.approx(v["recon"] - v["kl_prior"], abs=1e-12)
    lab.set(mean=-1.0)
    assert lab.mean_slider.value == -1.0 and lab.std_slider.value == 0.7
    assert lab.view.values == {"mean": -1.0, "std": 0.7, "posterior": 0}  # what JS draws from


def browser_elbo(c, m, s):
    """js/elbo_lab.js's closed form, in NumPy, from the constants the widget sends."""
    # E_q[log p(x|z)] = −½ [D log 2πσ² + (rr − 2 m wr + m² ww + s² ww) / σ²]
    sq = c["rr"] - 2 * m * c["wr"] + m**2 * c["ww"]
    recon = -0.5 * (c["D"] * np.log(2 * np.pi * c["sigma2"]) + (sq + s**2 * c["ww"]) / c["sigma2"])
    # KL(q ‖ p(z)) = ½ (s² + m² − 1 − log s²)
    kl_prior = 0.5 * (s**2 + m**2 - 1 - np.log(s**2))
    # KL(q ‖ p(z|x)) = log(s_p / s) + (s² + (m − m_p)²) / 2s_p² − ½
    sp, mp = c["post_std"], c["post_mean"]
    gap = np.log(sp / s) + (s**2 + (m - mp) ** 2) / (2 * sp**2) - 0.5
    return recon - kl_prior, gap


@pytest.mark.parametrize(
    "W, b, sigma", [([[1.2], [-0.7]], [0.3, -0.2], 0.8), ([[2.0]], [1.0], 0.3)]
)
def test_elbo_lab_sends_what_the_browser_needs_for_the_exact_numbers(W, b, sigma):
    """The constants sent once give, in the browser's closed form, the numbers of values()."""
    from vae_teach.widgets import ELBOLab

    model = lg.LinearGaussian(W, b, sigma)
    x = torch.as_tensor(b, dtype=torch.float64) + 1.5
    lab = ELBOLab(model, x)
    constants = lab.view.spec["model"]
    assert constants["log_px"] == pytest.approx(lg.log_px(model, x).item(), abs=1e-12)
    for mean, std in [(-1.5, 1.0), (0.3, 0.2), (2.5, 1.9), (lab.posterior_mean, lab.posterior_std)]:
        lab.set(mean=mean, std=std)
        v = lab.values()
        elbo, gap = browser_elbo(constants, mean, std)
        assert elbo == pytest.approx(v["elbo"], abs=1e-10)
        assert gap == pytest.approx(v["gap"], abs=1e-10)
        assert lab.bar()["floor"] == widgets_bar_floor(v["log_px"], elbo, lab.SCALE)


def widgets_bar_floor(log_px, elbo, scale):
    """js/elbo_lab.js's barFloor: steps of `scale` below log p(x), reaching 15 % past the ELBO."""
    return log_px - scale * max(1, math.ceil(1.15 * (log_px - elbo) / scale))


def test_elbo_lab_digest_has_zero_gap_at_the_posterior():
    from vae_teach.widgets import ELBOLab

    model, x = lab_model()
    lab = ELBOLab(model, x)
    lab.button.click()  # "q = true posterior"
    m, S = lg.posterior(model, x)
    assert lab.mean_slider.value == pytest.approx(m.item())
    assert lab.std_slider.value == pytest.approx(S.item() ** 0.5)
    log_px = lg.log_px(model, x).item()
    assert lab.digest().endswith(f"ELBO = {log_px:.4f}, gap = 0.0000")


def test_elbo_lab_needs_a_one_dimensional_latent():
    from vae_teach.widgets import ELBOLab

    model = lg.LinearGaussian(torch.ones(3, 2), torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="latent_dim"):
        ELBOLab(model, torch.zeros(3))


def test_elbo_lab_stacked_bar_is_never_cut():
    """ELBO + gap = log p(x) as one bar whose bottom stays below the ELBO for any slider q."""
    from vae_teach.widgets import ELBOLab

    model, x = lab_model()
    lab = ELBOLab(model, x)
    log_px = lg.log_px(model, x).item()
    for mean in (-3.0, 0.0, 3.0):
        for std in (0.05, 0.5, 2.0):
            lab.set(mean=mean, std=std)
            bar = lab.bar()
            assert bar["floor"] < bar["elbo"] <= bar["top"] + 1e-9
            assert bar["top"] == pytest.approx(log_px, abs=1e-9)
