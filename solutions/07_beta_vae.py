"""Notebook 07, reference solutions of the implement exercises (the other answers:
07_beta_vae.md)."""

import math

import torch

EXERCISES = [
    (2, "free_bits_kl_mine", "check_free_bits"),
    (3, "total_correlation_mine", "check_total_correlation"),
]


def free_bits_kl_mine(mu, logvar, free_bits):
    """Σ_j max(λ, KL_j), KL_j the batch mean of KL(q(z_j|x) ‖ N(0, 1))."""
    # KL_bj = ½ (μ_bj² + σ_bj² − 1 − log σ_bj²): (B, Z)
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
    # KL_j = mean over the batch, then the floor λ per latent, then the sum: (Z,) -> scalar
    return kl.mean(0).clamp(min=free_bits).sum()


def total_correlation_mine(z, mu, logvar):
    """TC = mean_i [log q(z_i) − Σ_j log q(z_ij)], q from the batch itself (M = N)."""
    m = z.shape[0]
    # log q(z_ij | n_m) = log N(z_ij; μ_mj, σ_mj²) for every pair (i, m): (M, M, Z)
    pairs = -0.5 * (
        math.log(2 * math.pi)
        + logvar[None]
        + (z[:, None, :] - mu[None]) ** 2 * torch.exp(-logvar[None])
    )
    # log q(z_i) ≈ logsumexp_m Σ_j log q(z_ij | n_m) − log M: (M,)
    log_qz = torch.logsumexp(pairs.sum(2), dim=1) - math.log(m)
    # Σ_j log q(z_ij) ≈ Σ_j [logsumexp_m log q(z_ij | n_m) − log M]: (M,)
    log_qzj = (torch.logsumexp(pairs, dim=1) - math.log(m)).sum(1)
    return (log_qz - log_qzj).mean().item()
