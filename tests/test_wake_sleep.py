"""Wake–sleep and the VAE on the linear-Gaussian model, against independent references."""

import pytest
import torch
from scipy.optimize import minimize
from torch.distributions import MultivariateNormal

from vae_teach import linear_gaussian as lg
from vae_teach import wake_sleep


@pytest.fixture(autouse=True)
def one_thread():
    """These models are tiny: on a loaded machine a second thread makes them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    truth = lg.LinearGaussian(torch.randn(4, 2, generator=g), torch.randn(4, generator=g), 0.5)
    _, X = truth.sample(500, generator=g)
    return X


def learner(isotropic=False):
    g = torch.Generator().manual_seed(1)
    return wake_sleep.LinearGaussianLearner(4, 2, generator=g, init_scale=0.5, isotropic=isotropic)


@pytest.mark.parametrize("isotropic", [False, True])
def test_closed_form_elbo_matches_notebook_03_and_monte_carlo(data, isotropic):
    m = learner(isotropic)
    with torch.no_grad():
        mu, logvar = m.encode(data[:5])
        reference = lg.exact_elbo(m.model(), data[:5], mu, torch.diag(logvar.exp()))
        assert torch.allclose(m.elbo(data[:5]), reference, atol=1e-10)
        mc = m.elbo_mc(data[:5], 100_000, torch.Generator().manual_seed(0))
        assert torch.allclose(mc, reference, atol=0.05)


@pytest.mark.parametrize("isotropic", [False, True])
def test_sleep_objective_matches_monte_carlo_on_dreams(isotropic):
    m = learner(isotropic)
    with torch.no_grad():
        exact = m.sleep_objective().item()
        mc = m.sleep_objective_mc(100_000, torch.Generator().manual_seed(0)).item()
    assert mc == pytest.approx(exact, abs=0.04)


def test_sleep_objective_is_the_negative_kl_to_the_posterior_plus_a_constant():
    # E_p(x)[log q(z|x)] = −E_p(x) KL(p(z|x) ‖ q(z|x)) − E_p(x) H(p(z|x)); H is the same for all φ
    m = learner()
    model = m.model()
    with torch.no_grad():
        _, x = model.sample(20_000, generator=torch.Generator().manual_seed(2))
        post_mu, S = lg.posterior(model, x)
        mu, logvar = m.encode(x)
        kl = lg.kl_full_covariance(post_mu, S, mu, torch.diag(logvar.exp())).mean()
        entropy = lg.gaussian_entropy(S)
        assert m.sleep_objective().item() == pytest.approx((-kl - entropy).item(), abs=0.05)


def test_ppca_mle_is_the_maximum_of_the_exact_log_likelihood(data):
    """Against L-BFGS on log N(x; b, W Wᵀ + σ² I) from torch.distributions, started elsewhere."""
    best = lg.log_px(wake_sleep.ppca_mle(data, 2), data).mean().item()

    def negative(params):
        params = torch.tensor(params, dtype=torch.float64, requires_grad=True)
        W, b = params[:8].reshape(4, 2), params[8:12]
        cov = W @ W.T + torch.exp(2 * params[12]) * torch.eye(4, dtype=torch.float64)
        value = -MultivariateNormal(b, cov).log_prob(data).mean()
        value.backward()
        return value.item(), params.grad.numpy()

    start = [0.3, -0.2, 0.1, 0.4, -0.5, 0.2, 0.3, 0.1] + [0.0] * 4 + [0.5]
    found = minimize(negative, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-10})
    assert -found.fun <= best + 1e-8
    assert -found.fun == pytest.approx(best, abs=1e-6)


def test_ppca_mle_refuses_too_many_latents(data):
    with pytest.raises(ValueError, match="latent_dim"):
        wake_sleep.ppca_mle(data, 4)


def test_wake_phase_is_the_vae_gradient_in_theta_and_sleep_leaves_theta_alone(data):
    a, b = learner(), learner()
    a.elbo(data).mean().backward()
    wake = [p.grad.clone() for p in a.decoder_parameters()]
    opt = torch.optim.SGD(b.parameters(), lr=0.0)
    wake_sleep.train_step(b, data, "wake-sleep", opt)
    for mine, theirs in zip(wake, b.decoder_parameters(), strict=True):
        assert torch.allclose(-mine, theirs.grad)
    # the encoder's gradient is the sleep objective's, not the ELBO's
    c = learner()
    (-c.sleep_objective()).backward()
    for mine, theirs in zip(c.encoder_parameters(), b.encoder_parameters(), strict=True):
        assert torch.allclose(mine.grad, theirs.grad)


def test_both_reach_the_maximum_likelihood_with_a_diagonal_q(data):
    best = lg.log_px(wake_sleep.ppca_mle(data, 2), data).mean().item()
    for method in wake_sleep.METHODS:
        scores = wake_sleep.evaluate(wake_sleep.fit(data, 2, method, steps=800), data)
        assert best - scores["log_px"] < 0.01 and scores["kl"] < 0.01
        assert scores["log_px"] - scores["elbo"] == pytest.approx(scores["kl"], abs=1e-8)


def test_unknown_method_is_refused(data):
    m = learner()
    with pytest.raises(ValueError, match="method"):
        wake_sleep.train_step(m, data, "sleep-wake", torch.optim.SGD(m.parameters(), lr=0.1))
