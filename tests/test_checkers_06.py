"""The notebook 06 checker: the importance-weighted bound, from right to each common mistake."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal

from vae_teach.checkers import check_importance_weighted_bound, importance_weighted_bound
from vae_teach.elbo import importance_weighted_log_px
from vae_teach.models import VAE


def test_reference_matches_the_package_estimate_with_torch_distributions():
    """Same samples, log densities from torch.distributions: same bound as elbo.py's."""
    torch.manual_seed(0)
    model = VAE(hidden=(16,), latent_dim=3).eval()
    x = torch.rand(4, 1, 28, 28)
    k = 7
    expected = importance_weighted_log_px(model, x, k, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        mu, logvar = model.encode(x)
        eps = torch.randn((k, 4, 3), generator=torch.Generator().manual_seed(3))
        z = mu + torch.exp(0.5 * logvar) * eps  # (K, B, Z)
        logits = model.decode(z.reshape(-1, 3)).reshape(k, 4, -1)
        # grey-level pixels: the Bernoulli formula x log p + (1 − x) log(1 − p) without the check
        bernoulli = Bernoulli(logits=logits, validate_args=False)
        log_px_z = bernoulli.log_prob(x.reshape(1, 4, -1).expand_as(logits)).sum(-1)
        log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_qz = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    got = importance_weighted_bound(log_px_z, log_pz, log_qz)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-3)


def test_k1_is_the_single_sample_elbo():
    a, b, c = torch.tensor([[-100.0]]), torch.tensor([[-3.0]]), torch.tensor([[1.5]])
    assert importance_weighted_bound(a, b, c).item() == pytest.approx(-104.5)


def test_the_reference_is_right():
    verdict = check_importance_weighted_bound(importance_weighted_bound)
    assert verdict.status == "right", verdict.message


def test_an_independent_solution_is_right():
    def mine(log_px_z, log_pz, log_qz):
        log_w = log_px_z + log_pz - log_qz
        top = log_w.max(dim=0).values
        return top + torch.log(torch.exp(log_w - top).mean(dim=0))

    assert check_importance_weighted_bound(mine).status == "right"


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda a, b, c: (a + b - c).mean(0), "ELBO estimate"),
        (lambda a, b, c: torch.logsumexp(a + b - c, dim=0), "subtract log K"),
        (lambda a, b, c: torch.log(torch.exp(a + b - c).mean(0)), "underflows"),
        (lambda a, b, c: torch.logsumexp(a + b + c, 0) - math.log(a.shape[0]), "sign of log q"),
    ],
)
def test_each_common_mistake_is_wrong_with_its_hint(wrong, hint):
    verdict = check_importance_weighted_bound(wrong)
    assert verdict.status == "wrong"
    assert hint in verdict.message


def test_a_small_slip_is_close():
    def slip(a, b, c):
        return torch.logsumexp(a + b - c, dim=0) - math.log(a.shape[0] + 1)

    assert check_importance_weighted_bound(slip).status == "close"


def test_a_stub_is_reported_not_implemented():
    def stub(a, b, c):
        raise NotImplementedError

    verdict = check_importance_weighted_bound(stub)
    assert verdict.status == "wrong" and "not implemented" in verdict.message
