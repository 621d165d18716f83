"""The notebook 07 checkers: free bits and the total-correlation estimate, right to wrong."""

import math

import pytest
import torch

from vae_teach.checkers import check_free_bits, check_total_correlation
from vae_teach.disentanglement import free_bits_kl, kl_per_dimension, total_correlation

# --- free bits ---


def test_free_bits_reference_is_right():
    verdict = check_free_bits(free_bits_kl)
    assert verdict.status == "right", verdict.message


def test_free_bits_independent_solution_is_right():
    def mine(mu, logvar, free_bits):
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        p = torch.distributions.Normal(0.0, 1.0)
        kl_j = torch.distributions.kl_divergence(q, p).mean(dim=0)
        return torch.maximum(kl_j, torch.tensor(free_bits)).sum()

    assert check_free_bits(mine).status == "right"


def test_free_bits_in_half_precision_is_close():
    def half(mu, logvar, free_bits):
        mu, logvar = mu.half(), logvar.half()
        kl_j = (0.5 * (mu**2 + logvar.exp() - 1 - logvar)).float().mean(0)
        return kl_j.clamp(min=free_bits).sum()

    verdict = check_free_bits(half)
    assert verdict.status == "close", verdict.message


def kl_bj(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda m, v, lam: kl_bj(m, v).clamp(min=lam).mean(0).sum(), "after averaging"),
        (lambda m, v, lam: kl_bj(m, v).mean(0).sum().clamp(min=lam), "per latent dimension"),
        (lambda m, v, lam: kl_bj(m, v).mean(0).clamp(min=lam).mean(), "do not average"),
        (lambda m, v, lam: kl_bj(m, v).mean(0).clamp(max=lam).sum(), "max, not min"),
    ],
)
def test_free_bits_mistakes_are_wrong_with_a_hint(wrong, hint):
    verdict = check_free_bits(wrong)
    assert verdict.status == "wrong" and hint in verdict.message, verdict.message


def test_free_bits_stub_and_errors():
    def stub(mu, logvar, free_bits):
        raise NotImplementedError

    assert "not implemented" in check_free_bits(stub).message
    assert check_free_bits(lambda mu, logvar, free_bits: None).status == "wrong"


# --- total correlation ---


def test_tc_reference_is_right():
    verdict = check_total_correlation(total_correlation)
    assert verdict.status == "right", verdict.message


def mine_tc(z, mu, logvar, log_m=math.log):
    """Independent TC with torch.distributions; log_m(M) is the normaliser."""
    m = len(z)
    q = torch.distributions.Normal(mu[None], torch.exp(0.5 * logvar[None]))
    pairs = q.log_prob(z[:, None, :])  # (M, M, Z)
    log_qz = torch.logsumexp(pairs.sum(2), dim=1) - log_m(m)
    log_qzj = (torch.logsumexp(pairs, dim=1) - log_m(m)).sum(1)
    return (log_qz - log_qzj).mean().item()


def test_tc_independent_solution_is_right():
    assert check_total_correlation(mine_tc).status == "right"


def test_tc_dividing_by_m_minus_one_is_close():
    verdict = check_total_correlation(
        lambda z, mu, lv: mine_tc(z, mu, lv, lambda m: math.log(m - 1))
    )
    assert verdict.status == "close", verdict.message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda z, mu, lv: mine_tc(z, mu, lv, lambda m: 0.0), "normalise both"),
        (lambda z, mu, lv: -mine_tc(z, mu, lv), None),
        (lambda z, mu, lv: mine_tc(mu, mu, lv), None),
    ],
)
def test_tc_mistakes_are_wrong(wrong, hint):
    verdict = check_total_correlation(wrong)
    assert verdict.status == "wrong", verdict.message
    if hint:
        assert hint in verdict.message


def test_free_bits_relu_form_is_close_and_says_why():
    def relu_form(mu, logvar, free_bits):
        return (kl_per_dimension(mu, logvar) - free_bits).clamp(min=0).sum()

    verdict = check_free_bits(relu_form)
    assert verdict.status == "close"
    assert "same gradient" in verdict.message and "Z·λ" in verdict.message


def test_free_bits_batch_sum_is_wrong_and_named():
    def batch_sum(mu, logvar, free_bits):
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
        return kl.sum(0).clamp(min=free_bits).sum()

    verdict = check_free_bits(batch_sum)
    assert verdict.status == "wrong" and "batch *mean*" in verdict.message
