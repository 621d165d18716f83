"""Gaussian formulas, each written once: log-densities, the KL to N(0, I), log-mean-exp and
the Cholesky log-determinant. The other modules import them from here.

Diagonal Gaussians are given by a mean mu and a log-variance logvar = log σ² (the encoder's
outputs); full ones by a mean and a covariance matrix. Everything is in nats.
"""

import math

import torch

LOG_2PI = math.log(2 * math.pi)


# --- diagonal Gaussians: one number per dimension, no sum ---


def diagonal_log_density(z: torch.Tensor, mu, logvar) -> torch.Tensor:
    """log N(z; mu, exp(logvar)) per dimension (broadcasting), not summed.

    Args:
        z: (..., Z) points. mu, logvar: broadcastable to z.
    Returns:
        the broadcast shape, in nats.
    """
    # log N(z; μ, σ²) = −½ (log 2π + log σ² + (z − μ)² / σ²), per dimension
    return -0.5 * (LOG_2PI + logvar + (z - mu) ** 2 * torch.exp(-logvar))


def diagonal_log_density_of_noise(eps: torch.Tensor, logvar) -> torch.Tensor:
    """log N(z; mu, exp(logvar)) per dimension at z = mu + σ ε, from ε itself.

    Since (z − μ)/σ = ε, the squared distance needs no division: more exact than
    `diagonal_log_density` for reparameterised samples.

    Args:
        eps: (..., Z) standard-normal noise. logvar: broadcastable to eps.
    """
    # log N(μ + σε; μ, σ²) = −½ (log 2π + log σ² + ε²), per dimension
    return -0.5 * (LOG_2PI + logvar + eps**2)


def standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, 1) per dimension, not summed: the prior p(z) of every model here."""
    # log N(z; 0, 1) = −½ (log 2π + z²), per dimension
    return -0.5 * (LOG_2PI + z**2)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) ‖ N(0, 1)) per dimension, not summed: (..., Z) -> (..., Z)."""
    # KL_j = ½ (μ_j² + σ_j² − 1 − log σ_j²), per dimension
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar)


# --- averaging probabilities given their logs ---


def log_mean_exp(log_w: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """log (1/K) Σ_k exp(log_w_k) along `dim` (K entries), without underflow.

    Args:
        log_w: (K, ...) log-values, e.g. log importance weights.
    Returns:
        log_w without `dim`.
    """
    # log (1/K) Σ_k w_k = logsumexp_k(log w_k) − log K, stable for very negative log w
    return torch.logsumexp(log_w, dim=dim) - math.log(log_w.shape[dim])


# --- full covariance ---


def cholesky(cov: torch.Tensor, name: str = "cov") -> torch.Tensor:
    """Lower Cholesky factor L (L Lᵀ = cov) of (..., d, d) covariances; ValueError if not SPD."""
    if not torch.allclose(cov, cov.transpose(-2, -1)):
        raise ValueError(f"{name} must be symmetric, got a non-symmetric matrix")
    L, info = torch.linalg.cholesky_ex(cov)
    if bool((info != 0).any()):
        raise ValueError(f"{name} must be positive definite")
    return L


def cholesky_logdet(L: torch.Tensor) -> torch.Tensor:
    """log det(L Lᵀ) from a Cholesky factor L: (..., d, d) -> (...)."""
    # log det Σ = 2 Σ_i log L_ii, with Σ = L Lᵀ
    return 2.0 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)


def full_log_density(z: torch.Tensor, mu: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, cov) with a full covariance.

    Args:
        z: (..., d) points. mu: (..., d) means. cov: (..., d, d) symmetric positive definite.
    Returns:
        (...) in nats, summed over the d dimensions.
    """
    L = cholesky(cov, "cov")
    # r = L⁻¹ (z − μ), so ‖r‖² = (z − μ)ᵀ Σ⁻¹ (z − μ): (..., d)
    r = torch.linalg.solve_triangular(L, (z - mu).unsqueeze(-1), upper=False).squeeze(-1)
    # log N(z; μ, Σ) = −½ [d log 2π + log det Σ + (z − μ)ᵀ Σ⁻¹ (z − μ)], per point (...)
    return -0.5 * (z.shape[-1] * LOG_2PI + cholesky_logdet(L) + (r**2).sum(-1))


def full_entropy(cov: torch.Tensor) -> torch.Tensor:
    """Entropy H(N(mu, cov)) = ½ log det(2πe cov), in nats: (..., d, d) -> (...)."""
    d = cov.shape[-1]
    # H = ½ [d (1 + log 2π) + log det Σ]
    return 0.5 * (d * (1.0 + LOG_2PI) + cholesky_logdet(cholesky(cov, "cov")))
