"""Checkers of notebooks 04 and 05: reference -> right, nearly right -> close, wrong -> wrong."""

import torch

from vae_teach.checkers import check_gaussian_kl, check_score_function_gradients
from vae_teach.estimators import reparameterisation_gradients, score_function_gradients
from vae_teach.kl import gaussian_kl

# --- 04: score_function_gradients ---


def _own_score(f, mu, std, eps):
    """An independent correct solution, written from log N(z; μ, σ²) with autograd."""
    z = (mu + std * eps).detach()
    mu_n = mu.expand_as(z).clone().requires_grad_()
    std_n = std.expand_as(z).clone().requires_grad_()
    log_q = torch.distributions.Normal(mu_n, std_n).log_prob(z).sum()
    g_mu, g_std = torch.autograd.grad(log_q, (mu_n, std_n))
    f_z = f(z).reshape(-1, 1)
    return f_z * g_mu, f_z * g_std


def test_score_reference_and_independent_solution_are_right():
    assert check_score_function_gradients(score_function_gradients).status == "right"
    assert check_score_function_gradients(_own_score).status == "right"


def test_score_nearly_right_is_close():
    # a "stabilising" epsilon added to σ: a relative error of about 1e-3
    def with_epsilon(f, mu, std, eps):
        f_z = f(mu + std * eps).reshape(-1, 1)
        return f_z * eps / (std + 1e-3), f_z * (eps**2 - 1) / (std + 1e-3)

    assert check_score_function_gradients(with_epsilon).status == "close"


def test_score_wrong_answers_are_wrong_with_a_hint():
    def no_minus_one(f, mu, std, eps):
        f_z = f(mu + std * eps).reshape(-1, 1)
        return f_z * eps / std, f_z * eps**2 / std

    verdict = check_score_function_gradients(no_minus_one)
    assert verdict.status == "wrong" and "−1" in verdict.message
    verdict = check_score_function_gradients(reparameterisation_gradients)
    assert verdict.status == "wrong" and "reparameterisation" in verdict.message

    def stub(f, mu, std, eps):
        raise NotImplementedError

    assert "not implemented" in check_score_function_gradients(stub).message

    def one_value(f, mu, std, eps):
        return f(mu + std * eps)

    assert check_score_function_gradients(one_value).status == "wrong"


# --- 05: gaussian_kl ---


def _own_kl(mu, logvar):
    """An independent correct solution through torch.distributions."""
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum(-1)


def test_kl_reference_and_independent_solution_are_right():
    assert check_gaussian_kl(gaussian_kl).status == "right"
    assert check_gaussian_kl(_own_kl).status == "right"


def test_kl_nearly_right_is_close():
    # log(σ² + 1e-4) instead of log σ²: a small slip
    def with_epsilon(mu, logvar):
        return 0.5 * (mu**2 + logvar.exp() - 1 - torch.log(logvar.exp() + 1e-4)).sum(-1)

    assert check_gaussian_kl(with_epsilon).status == "close"


def test_kl_wrong_answers_are_wrong_with_a_hint():
    verdict = check_gaussian_kl(lambda mu, logvar: 2 * gaussian_kl(mu, logvar))
    assert verdict.status == "wrong" and "½" in verdict.message
    verdict = check_gaussian_kl(lambda mu, logvar: gaussian_kl(mu, logvar) / mu.shape[-1])
    assert verdict.status == "wrong" and "average" in verdict.message
    verdict = check_gaussian_kl(lambda mu, logvar: 0.5 * (mu**2 + logvar.exp() - 1 - logvar))
    assert verdict.status == "wrong" and "shape" in verdict.message
    verdict = check_gaussian_kl(lambda mu, logvar: -gaussian_kl(mu, logvar))
    assert verdict.status == "wrong" and "sign" in verdict.message


def test_score_broadcasting_slip_gets_a_broadcasting_hint():
    """f(z) of shape (N,) times eps (N, 1) broadcasts to (N, N): not a reduction mistake."""

    def broadcast(f, mu, std, eps):
        f_z = f(mu + std * eps)  # (N,), not (N, 1)
        return f_z * eps / std, f_z * (eps**2 - 1) / std

    verdict = check_score_function_gradients(broadcast)
    assert verdict.status == "wrong"
    assert "broadcast" in verdict.message and "sum or average" not in verdict.message
