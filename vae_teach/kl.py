"""KL divergences between Gaussians, in closed form: the regulariser of the ELBO.

The encoder q_φ(z|x) = N(mu, diag exp(logvar)) is pulled towards the prior p(z) = N(0, I) by
KL(q ‖ p). For diagonal Gaussians the KL has a closed form, a sum of one term per latent
dimension. Every function returns one number per example, in nats. Taught in 05 (KL).
"""

import torch

from vae_teach import _checks
from vae_teach.gaussian import cholesky, cholesky_logdet, kl_to_standard_normal
from vae_teach.likelihoods import check_same_shape, check_tensor


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) ‖ N(0, I)), per example.

    Args:
        mu: (B, Z) means of q.
        logvar: (B, Z) log-variances of q, log σ².
    Returns:
        (B,) KL in nats, summed over the last (latent) dim.
    """
    check_tensor(mu, "mu")
    check_tensor(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    # KL = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), summed over latent dims, per example (B,)
    return kl_to_standard_normal(mu, logvar).sum(-1)


def gaussian_kl_between(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    """KL(N(mu_q, diag exp(logvar_q)) ‖ N(mu_p, diag exp(logvar_p))), per example.

    Args:
        mu_q, logvar_q: (B, Z) parameters of q.
        mu_p, logvar_p: parameters of p, each broadcastable to (B, Z) (e.g. (Z,) for one p).
    Returns:
        (B,) KL in nats, summed over the last (latent) dim.
    """
    for value, name in [(mu_q, "mu_q"), (logvar_q, "logvar_q"), (mu_p, "mu_p")]:
        check_tensor(value, name)
    check_tensor(logvar_p, "logvar_p")
    check_same_shape(mu_q, logvar_q, "mu_q", "logvar_q")
    for value, name in [(mu_p, "mu_p"), (logvar_p, "logvar_p")]:
        _checks.broadcasts_to(value, mu_q, name, "mu_q")
    # σ_q² / σ_p² = exp(log σ_q² − log σ_p²)
    var_ratio = (logvar_q - logvar_p).exp()
    # (μ_q − μ_p)² / σ_p²
    mean_term = (mu_q - mu_p) ** 2 * (-logvar_p).exp()
    # KL = ½ Σ_j [σ_q²/σ_p² + (μ_q − μ_p)²/σ_p² − 1 + log σ_p² − log σ_q²], per example (B,)
    return 0.5 * (var_ratio + mean_term - 1.0 + logvar_p - logvar_q).sum(-1)


# --- full covariance and two arbitrary Gaussians (notebook 05) ---


def _cholesky(cov: torch.Tensor, name: str) -> torch.Tensor:
    """Lower Cholesky factor L (L Lᵀ = cov) of (B, k, k) covariances; ValueError if not PD."""
    check_tensor(cov, name)
    if cov.dim() != 3 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"{name} must have shape (B, k, k), got {tuple(cov.shape)}")
    return cholesky(cov, name)


def _check_mean(mu: torch.Tensor, cov: torch.Tensor, names: str) -> None:
    """Raise ValueError unless mu is (B, k) for a (B, k, k) cov."""
    check_tensor(mu, names.split()[0])
    if mu.dim() != 2 or mu.shape != cov.shape[:-1]:
        raise ValueError(
            f"{names} must have shapes (B, k) and (B, k, k), got {tuple(mu.shape)} "
            f"and {tuple(cov.shape)}"
        )


def gaussian_kl_full(mu: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, cov) ‖ N(0, I)) for full covariance matrices, in nats, per example.

    Args:
        mu: (B, k) means.
        cov: (B, k, k) symmetric positive-definite covariances.
    Returns:
        (B,) KL values.
    """
    chol = _cholesky(cov, "cov")
    _check_mean(mu, cov, "mu and cov")
    k = mu.shape[-1]
    # log det Σ = 2 Σ_i log L_ii, with Σ = L Lᵀ: (B, k, k) -> (B,)
    logdet = cholesky_logdet(chol)
    # tr Σ: (B, k, k) -> (B,)
    trace = torch.diagonal(cov, dim1=-2, dim2=-1).sum(-1)
    # KL = ½ (tr Σ + μᵀμ − k − log det Σ), per example (B,)
    return 0.5 * (trace + (mu**2).sum(-1) - k - logdet)


def gaussian_kl_full_between(
    mu_q: torch.Tensor, cov_q: torch.Tensor, mu_p: torch.Tensor, cov_p: torch.Tensor
) -> torch.Tensor:
    """KL(N(mu_q, cov_q) ‖ N(mu_p, cov_p)) for two full-covariance Gaussians, per example.

    Args:
        mu_q, mu_p: (B, k) means.
        cov_q, cov_p: (B, k, k) symmetric positive-definite covariances.
    Returns:
        (B,) KL values in nats.
    """
    chol_q, chol_p = _cholesky(cov_q, "cov_q"), _cholesky(cov_p, "cov_p")
    _check_mean(mu_q, cov_q, "mu_q and cov_q")
    _check_mean(mu_p, cov_p, "mu_p and cov_p")
    check_same_shape(mu_q, mu_p, "mu_q", "mu_p")
    k = mu_q.shape[-1]
    # A = L_p⁻¹ L_q, so tr(Σ_p⁻¹ Σ_q) = ‖A‖_F²: (B, k, k)
    a = torch.linalg.solve_triangular(chol_p, chol_q, upper=False)
    # b = L_p⁻¹ (μ_p − μ_q), so (μ_p − μ_q)ᵀ Σ_p⁻¹ (μ_p − μ_q) = ‖b‖²: (B, k, 1)
    b = torch.linalg.solve_triangular(chol_p, (mu_p - mu_q).unsqueeze(-1), upper=False)
    # log det Σ = 2 Σ_i log L_ii, for p and for q: (B,) each
    logdet_p, logdet_q = cholesky_logdet(chol_p), cholesky_logdet(chol_q)
    # tr(Σ_p⁻¹ Σ_q) = Σ_ij A_ij²: (B, k, k) -> (B,)
    trace = (a**2).sum((-2, -1))
    # (μ_p − μ_q)ᵀ Σ_p⁻¹ (μ_p − μ_q) = Σ_i b_i²: (B, k, 1) -> (B,)
    mahalanobis = (b**2).sum((-2, -1))
    # KL = ½ (tr(Σ_p⁻¹Σ_q) + (μ_p−μ_q)ᵀΣ_p⁻¹(μ_p−μ_q) − k + log det Σ_p − log det Σ_q), (B,)
    return 0.5 * (trace + mahalanobis - k + (logdet_p - logdet_q))
