"""Notebook 07 (β-VAE): free bits, and the total correlation with the batch as data set."""

import math

import torch

from vae_teach.checkers._engine import Mistake, Verdict, check_function
from vae_teach.disentanglement import free_bits_kl, kl_per_dimension, total_correlation
from vae_teach.gaussian import diagonal_log_density
from vae_teach.gaussian import kl_to_standard_normal as kl_matrix


def _free_bits_inputs():
    """(mu, logvar, free_bits): some latents below λ nats, some above, and λ = 0."""
    generator = torch.Generator().manual_seed(7)
    inputs = []
    for batch, scale, free_bits in [(16, 1.0, 0.5), (32, 0.3, 0.25), (8, 2.0, 0.0)]:
        # latent j has a spread of about scale · j / 4: early latents near the prior
        spread = scale * torch.arange(6, dtype=torch.float32) / 4
        mu = spread * torch.randn((batch, 6), generator=generator)
        logvar = -spread * torch.rand((batch, 6), generator=generator)
        inputs.append((mu, logvar, free_bits))
    return inputs


# Known mistakes, tried in order: Mistake(hint, the mistaken penalty of (mu, logvar, λ),
# verdict); kl_matrix is the per-example, per-dimension KL_bj, (B, Z).
FREE_BITS_MISTAKES = [
    Mistake(
        "the max goes after averaging over the batch: max(λ, mean_b KL_bj), not "
        "mean_b max(λ, KL_bj)",
        lambda m, v, lam: kl_matrix(m, v).clamp(min=lam).mean(0).sum(),
    ),
    Mistake(
        "free bits are per latent dimension (Kingma et al. 2016): Σ_j max(λ, KL_j), not "
        "max(λ, Σ_j KL_j)",
        lambda m, v, lam: kl_per_dimension(m, v).sum().clamp(min=lam),
    ),
    Mistake(
        "sum over the latent dimensions, do not average them",
        lambda m, v, lam: kl_per_dimension(m, v).clamp(min=lam).mean(),
    ),
    Mistake(
        "max, not min: below λ a latent costs λ, above λ its own KL",
        lambda m, v, lam: kl_per_dimension(m, v).clamp(max=lam).sum(),
    ),
    Mistake(
        "Σ_j relu(KL_j − λ) has the same gradient as Σ_j max(λ, KL_j), so it trains the same "
        "model, but its value is lower by the constant Z·λ (Z latents): the free-bits loss "
        "is reported as Σ_j max(λ, KL_j)",
        lambda m, v, lam: (kl_per_dimension(m, v) - lam).clamp(min=0).sum(),
        "close",
    ),
    Mistake(
        "KL_j is the batch *mean* of KL(q(z_j|x) ‖ N(0, 1)), not the batch sum",
        lambda m, v, lam: kl_matrix(m, v).sum(0).clamp(min=lam).sum(),
    ),
]


def check_free_bits(student_fn) -> Verdict:
    """Exercise 07: `student_fn(mu, logvar, free_bits)` returns Σ_j max(λ, mean_b KL_bj)."""
    return check_function(
        student_fn,
        free_bits_kl,
        _free_bits_inputs(),
        mistakes=FREE_BITS_MISTAKES,
        name="free_bits_kl",
    )


def _total_correlation_inputs():
    """(z, mu, logvar) float64: three sets of posteriors with correlated means."""
    generator = torch.Generator().manual_seed(8)
    inputs = []
    for m, rho in [(500, 0.7), (500, 0.9), (400, 0.95)]:
        a, b, c = torch.randn((3, m), generator=generator, dtype=torch.float64)
        # μ_n: latent 2 correlated with latent 1 (ρ), latent 3 independent: (M, 3)
        mu = torch.stack([a, rho * a + (1 - rho**2) ** 0.5 * b, c], dim=1)
        logvar = torch.full_like(mu, -2.0) + 0.2 * torch.rand(mu.shape, generator=generator)
        # z_n = μ_n + σ_n ε_n
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator)
        inputs.append((z, mu, logvar))
    return inputs


def _tc_with(log_norm_joint, log_norm_marginal):
    """A TC estimate whose joint and marginal log q̂ subtract the given normalisers of M."""

    def tc(z, mu, logvar):
        pairs = diagonal_log_density(z[:, None, :], mu[None], logvar[None])
        log_qz = torch.logsumexp(pairs.sum(2), dim=1) - log_norm_joint(len(z))
        log_qzj = (torch.logsumexp(pairs, dim=1) - log_norm_marginal(len(z))).sum(1)
        return (log_qz - log_qzj).mean().item()

    return tc


# Known mistakes, tried in order: Mistake(hint, the mistaken TC of (z, mu, logvar)).
TC_MISTAKES = [
    Mistake(
        "normalise both estimates by M: log q(z) ≈ logsumexp_m − log M, and the same − log M "
        "for every marginal q(z_j)",
        _tc_with(lambda m: 0.0, lambda m: 0.0),
    ),
    Mistake(
        "each of the Z marginals needs its own − log M, not only the joint",
        _tc_with(math.log, lambda m: 0.0),
    ),
]


def check_total_correlation(student_fn) -> Verdict:
    """Exercise 07: `student_fn(z, mu, logvar)` returns TC with the batch as data set (M = N)."""
    return check_function(
        student_fn,
        total_correlation,
        _total_correlation_inputs(),
        rtol=1e-4,
        atol=1e-6,
        close_rtol=0.05,
        mistakes=TC_MISTAKES,
        name="total_correlation",
    )
