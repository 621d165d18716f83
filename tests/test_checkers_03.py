"""The checker of notebook 03's exercise: right for correct code, close for a slip, wrong (with a
hint where the mistake is a known one) otherwise."""

import math

import pytest
import torch

from vae_teach import linear_gaussian as lg
from vae_teach.checkers import check_linear_gaussian_elbo


def test_reference_is_right():
    verdict = check_linear_gaussian_elbo(lg.exact_elbo)
    assert verdict.status == "right", verdict.message


def test_a_different_correct_route_is_right():
    """log p(x) − KL(q ‖ p(z|x)) is the ELBO too: a correct solution that shares no code."""

    def via_identity(model, x, mu_q, cov_q):
        return lg.log_px(model, x) - lg.kl_to_posterior(model, x, mu_q, cov_q)

    assert check_linear_gaussian_elbo(via_identity).status == "right"


def written_out(model, x, mu_q, cov_q, two_pi=2 * math.pi):
    """A student's version written from the formula; `two_pi` lets a test plant a slip."""
    W, b, sigma = model.W, model.b, model.sigma
    D, d = W.shape
    sq_err = ((x - mu_q @ W.T - b) ** 2).sum(-1)
    spread = torch.diagonal(W @ cov_q @ W.T, dim1=-2, dim2=-1).sum(-1)
    recon = -0.5 * (D * math.log(two_pi * sigma**2) + (sq_err + spread) / sigma**2)
    trace = torch.diagonal(cov_q, dim1=-2, dim2=-1).sum(-1)
    kl = 0.5 * (trace + (mu_q**2).sum(-1) - d - torch.logdet(cov_q))
    return recon - kl


def test_written_out_solution_is_right():
    assert check_linear_gaussian_elbo(written_out).status == "right"


def test_pi_as_3_14_is_close_not_right():
    verdict = check_linear_gaussian_elbo(lambda *args: written_out(*args, two_pi=2 * 3.14))
    assert verdict.status == "close", verdict.message


def test_forgetting_the_spread_term_is_wrong_with_a_hint():
    def no_spread(model, x, mu_q, cov_q):
        sq_err = ((x - mu_q @ model.W.T - model.b) ** 2).sum(-1)
        D = model.W.shape[0]
        recon = -0.5 * (D * math.log(2 * math.pi * model.sigma**2) + sq_err / model.sigma**2)
        return recon - lg.kl_to_prior(mu_q, cov_q)

    verdict = check_linear_gaussian_elbo(no_spread)
    assert verdict.status == "wrong"
    assert "tr(W cov_q Wᵀ)" in verdict.message


def test_adding_the_kl_is_wrong_with_a_hint():
    def plus_kl(model, x, mu_q, cov_q):
        return lg.expected_log_likelihood(model, x, mu_q, cov_q) + lg.kl_to_prior(mu_q, cov_q)

    verdict = check_linear_gaussian_elbo(plus_kl)
    assert verdict.status == "wrong"
    assert "subtracted" in verdict.message


def test_sigma_for_variance_is_wrong_with_a_hint():
    def sigma_as_variance(model, x, mu_q, cov_q):
        return written_out(lg.LinearGaussian(model.W, model.b, model.sigma**0.5), x, mu_q, cov_q)

    verdict = check_linear_gaussian_elbo(sigma_as_variance)
    assert verdict.status == "wrong"
    assert "sigma**2" in verdict.message


def written_out_slip(model, x, mu_q, cov_q, slip):
    """written_out with one planted slip: "normaliser", "minus_d", "trace_var" or "error_var"."""
    W, b, sigma = model.W, model.b, model.sigma
    D, d = W.shape
    sq_err = ((x - mu_q @ W.T - b) ** 2).sum(-1)
    spread = torch.diagonal(W @ cov_q @ W.T, dim1=-2, dim2=-1).sum(-1)
    constant = 0.0 if slip == "normaliser" else D * math.log(2 * math.pi * sigma**2)
    err_scale = 1.0 if slip == "error_var" else sigma**2
    spread_scale = 1.0 if slip == "trace_var" else sigma**2
    recon = -0.5 * (constant + sq_err / err_scale + spread / spread_scale)
    trace = torch.diagonal(cov_q, dim1=-2, dim2=-1).sum(-1)
    minus_d = 0.0 if slip == "minus_d" else d
    kl = 0.5 * (trace + (mu_q**2).sum(-1) - minus_d - torch.logdet(cov_q))
    return recon - kl


@pytest.mark.parametrize(
    "slip, hint",
    [
        ("normaliser", "(D/2) log 2πσ²"),
        ("minus_d", "the −d is missing"),
        ("trace_var", "the trace term is missing its 1/σ²"),
        ("error_var", "the squared error is missing its 1/σ²"),
    ],
)
def test_known_slips_are_wrong_with_their_hint(slip, hint):
    verdict = check_linear_gaussian_elbo(lambda *args: written_out_slip(*args, slip=slip))
    assert verdict.status == "wrong", verdict.message
    assert hint in verdict.message, verdict.message


def test_stub_and_missing_return_are_wrong():
    def stub(model, x, mu_q, cov_q):
        raise NotImplementedError

    def no_return(model, x, mu_q, cov_q):
        lg.exact_elbo(model, x, mu_q, cov_q)

    assert "not implemented" in check_linear_gaussian_elbo(stub).message
    assert check_linear_gaussian_elbo(no_return).status == "wrong"


def test_summing_over_the_batch_of_q_is_wrong():
    """The third test input holds three q at once: one ELBO each is expected, not a total."""

    def summed(model, x, mu_q, cov_q):
        return lg.exact_elbo(model, x, mu_q, cov_q).sum()

    verdict = check_linear_gaussian_elbo(summed)
    assert verdict.status == "wrong"
    assert "shape" in verdict.message
