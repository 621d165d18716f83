"""Notebook 03, reference solutions of the implement exercises (the other answers: 03_elbo.md)."""

import math

import torch

EXERCISES = [(1, "exact_elbo", "check_linear_gaussian_elbo")]


def exact_elbo(model, x, mu_q, cov_q):
    """ELBO(q) = E_q[log p(x|z)] − KL(q ‖ p(z)) for q = N(mu_q, cov_q). Returns (...)."""
    W, b, var = model.W, model.b, model.sigma**2
    D, d = W.shape
    # E_q ‖x − Wz − b‖² = ‖x − W μ_q − b‖² + tr(W Σ_q Wᵀ): (...)
    error = ((x - mu_q @ W.T - b) ** 2).sum(-1)
    spread = torch.diagonal(W @ cov_q @ W.T, dim1=-2, dim2=-1).sum(-1)
    # E_q log p(x|z) = −(D/2) log 2πσ² − (error + spread) / 2σ²
    expected_log_lik = -0.5 * D * math.log(2 * math.pi * var) - 0.5 * (error + spread) / var
    # KL(q ‖ N(0, I)) = ½ [tr Σ_q + μ_qᵀ μ_q − d − log det Σ_q]
    trace = torch.diagonal(cov_q, dim1=-2, dim2=-1).sum(-1)
    kl = 0.5 * (trace + (mu_q**2).sum(-1) - d - torch.logdet(cov_q))
    return expected_log_lik - kl
