"""Two Monte Carlo estimators of ∇_{μ,σ} E_{z~q}[f(z)] for a diagonal Gaussian q = N(μ, diag σ²).

Taught in notebook 04. Both return one gradient estimate per sample, so their mean (should be the
exact gradient) and their variance (how noisy one sample is) can be measured.

- score function (log-derivative, REINFORCE; Williams 1992):
  ∇_{μ,σ} E_q[f(z)] = E_q[f(z) ∇_{μ,σ} log q(z)]: needs only values of f, never its gradient.
- reparameterisation (Kingma and Welling 2014; Rezende et al. 2014):
  z = μ + σ ⊙ ε with ε ~ N(0, I), so ∇_{μ,σ} E_q[f(z)] = E_ε[∇_{μ,σ} f(μ + σ ⊙ ε)]: needs ∇f.

For the test function f(z) = Σ_j (z_j − c)² everything is known in closed form: the exact
gradient, and the variance of one sample of either estimator (derived in notebook 04 from the
moments of ε: E ε² = 1, E ε⁴ = 3, E ε⁶ = 15, E ε⁸ = 105, odd moments 0).

Shapes: d is the dimension of z, T the number of samples (one estimate per sample).
"""

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = [
    "quadratic",
    "quadratic_exact_gradients",
    "score_function_gradients",
    "reparameterisation_gradients",
    "score_function_variance",
    "reparameterisation_variance",
]


def _check_params(mu: Tensor, std: Tensor, eps: Tensor | None = None) -> None:
    """Raise ValueError unless mu, std are (d,) of one shape, std > 0 and eps is (T, d)."""
    if not isinstance(mu, Tensor) or not isinstance(std, Tensor):
        raise TypeError(
            f"mu and std must be tensors, got {type(mu).__name__}, {type(std).__name__}"
        )
    if mu.dim() != 1 or mu.shape != std.shape:
        raise ValueError(
            f"mu and std must be 1-D of the same shape (d,), got {tuple(mu.shape)} "
            f"and {tuple(std.shape)}"
        )
    if not bool((std > 0).all()):
        raise ValueError(f"std must be > 0 everywhere, got min {std.min().item():.3g}")
    if eps is not None and (eps.dim() != 2 or eps.shape[1] != mu.shape[0]):
        raise ValueError(f"eps must have shape (T, {mu.shape[0]}), got {tuple(eps.shape)}")


def quadratic(z: Tensor, c: float = 0.0) -> Tensor:
    """The test function f(z) = Σ_j (z_j − c)², summed over the last dim.

    Args:
        z: (T, d) points.
        c: the centre, a float.
    """
    # f(z) = Σ_j (z_j − c)²: (T, d) -> (T,)
    return ((z - c) ** 2).sum(dim=-1)


def quadratic_exact_gradients(mu: Tensor, std: Tensor, c: float = 0.0) -> tuple[Tensor, Tensor]:
    """Exact ∇_μ and ∇_σ of E_{z~N(μ, diag σ²)}[Σ_j (z_j − c)²] = Σ_j ((μ_j − c)² + σ_j²).

    Args:
        mu, std: (d,) mean and standard deviation of q.
        c: the centre of the quadratic.
    Returns:
        grad_mu, grad_std: each (d,).
    """
    _check_params(mu, std)
    # ∂/∂μ_j E f = 2 (μ_j − c)
    grad_mu = 2 * (mu - c)
    # ∂/∂σ_j E f = 2 σ_j
    grad_std = 2 * std
    return grad_mu, grad_std


def score_function_gradients(
    f: Callable[[Tensor], Tensor], mu: Tensor, std: Tensor, eps: Tensor
) -> tuple[Tensor, Tensor]:
    """One score-function estimate of ∇_{μ,σ} E_{z~N(μ, diag σ²)}[f(z)] per row of eps.

    Args:
        f: maps (T, d) points to (T,) values; only its values are used.
        mu, std: (d,) mean and standard deviation of q.
        eps: (T, d) draws from N(0, I); z = μ + σ ⊙ ε.
    Returns:
        grad_mu, grad_std: each (T, d); row t is f(z_t) ∇ log q(z_t).
    """
    _check_params(mu, std, eps)
    # z = μ + σ ⊙ ε: (T, d); f(z) is only evaluated, never differentiated
    z = mu + std * eps
    # (T, d) -> (T, 1) so it scales every coordinate of the score
    f_z = f(z).detach().reshape(-1, 1)
    # ∂/∂μ log N(z; μ, σ²) = (z − μ) / σ² = ε / σ, per coordinate (T, d)
    score_mu = eps / std
    # ∂/∂σ log N(z; μ, σ²) = −1/σ + (z − μ)² / σ³ = (ε² − 1) / σ, per coordinate (T, d)
    score_std = (eps**2 - 1) / std
    # estimate = f(z) ∇ log q(z), one per sample (T, d)
    return f_z * score_mu, f_z * score_std


def reparameterisation_gradients(
    f: Callable[[Tensor], Tensor], mu: Tensor, std: Tensor, eps: Tensor
) -> tuple[Tensor, Tensor]:
    """One reparameterisation estimate of ∇_{μ,σ} E_{z~N(μ, diag σ²)}[f(z)] per row of eps.

    Autograd does the work: every sample gets its own copy of (μ, σ), so the gradient of
    Σ_t f(z_t) with respect to copy t is the estimate from sample t alone.

    Args:
        f: maps (T, d) points to (T,) values; must be differentiable with torch.
        mu, std: (d,) mean and standard deviation of q.
        eps: (T, d) draws from N(0, I).
    Returns:
        grad_mu, grad_std: each (T, d); row t is ∇f(z_t) ⊙ ∂z_t/∂(μ, σ) (∂z/∂μ = 1, ∂z/∂σ = ε).
    """
    _check_params(mu, std, eps)
    # one leaf copy of μ and σ per sample: (d,) -> (T, d)
    mu_n = mu.detach().expand_as(eps).clone().requires_grad_(True)
    std_n = std.detach().expand_as(eps).clone().requires_grad_(True)
    # z = μ + σ ⊙ ε: the randomness sits in ε, so z is a differentiable function of (μ, σ)
    z = mu_n + std_n * eps.detach()
    total = f(z).sum()
    if not total.requires_grad:
        # f has no autograd path from z (e.g. a step function 1[z > 0]): its pathwise
        # derivative is 0 almost everywhere, which is what this estimator then returns
        return torch.zeros_like(mu_n), torch.zeros_like(std_n)
    # ∇ Σ_t f(z_t) w.r.t. copy t = ∇_{μ,σ} f(z_t): (T, d) each
    grad_mu, grad_std = torch.autograd.grad(total, (mu_n, std_n))
    return grad_mu, grad_std


def _rest_moments(delta: Tensor, std: Tensor) -> tuple[Tensor, Tensor]:
    """E R and E R² for R = Σ_{i≠j} (z_i − c)², one value per j. delta = μ − c, (d,) each."""
    # E (z_i − c)² = δ_i² + σ_i²; Var (z_i − c)² = 4 δ_i² σ_i² + 2 σ_i⁴
    mean_i = delta**2 + std**2
    var_i = 4 * delta**2 * std**2 + 2 * std**4
    # leave dimension j out: E R_j = Σ_i mean_i − mean_j, Var R_j likewise (independent dims)
    mean_r = mean_i.sum() - mean_i
    var_r = var_i.sum() - var_i
    # E R² = Var R + (E R)²
    return mean_r, var_r + mean_r**2


def score_function_variance(mu: Tensor, std: Tensor, c: float = 0.0) -> tuple[Tensor, Tensor]:
    """Variance of one score-function sample for f(z) = Σ_i (z_i − c)², per coordinate.

    With δ = μ_j − c, σ = σ_j, R = Σ_{i≠j} (z_i − c)² (independent of ε_j):
    Var ĝ_μj = [δ⁴ + 18δ²σ² + 15σ⁴ + 2(δ² + 3σ²) E R + E R²] / σ² − 4δ²,
    Var ĝ_σj = [2δ⁴ + 60δ²σ² + 78σ⁴ + 2(2δ² + 10σ²) E R + 2 E R²] / σ² − 4σ².

    Args:
        mu, std: (d,) mean and standard deviation of q.
        c: the centre of the quadratic.
    Returns:
        var_mu, var_std: each (d,).
    """
    _check_params(mu, std)
    delta = mu - c
    mean_r, sq_r = _rest_moments(delta, std)
    # E[f_j² ε²] = δ⁴ + 18δ²σ² + 15σ⁴ and E[f_j ε²] = δ² + 3σ², f_j = (δ + σε)²
    second_mu = (
        delta**4
        + 18 * delta**2 * std**2
        + 15 * std**4
        + 2 * (delta**2 + 3 * std**2) * mean_r
        + sq_r
    )
    # Var = E[(f ε/σ)²] − (2δ)²
    var_mu = second_mu / std**2 - 4 * delta**2
    # E[f_j² (ε²−1)²] = 2δ⁴ + 60δ²σ² + 78σ⁴, E[f_j (ε²−1)²] = 2δ² + 10σ², E[(ε²−1)²] = 2
    second_std = (
        2 * delta**4
        + 60 * delta**2 * std**2
        + 78 * std**4
        + 2 * (2 * delta**2 + 10 * std**2) * mean_r
        + 2 * sq_r
    )
    # Var = E[(f (ε²−1)/σ)²] − (2σ)²
    var_std = second_std / std**2 - 4 * std**2
    return var_mu, var_std


def reparameterisation_variance(mu: Tensor, std: Tensor, c: float = 0.0) -> tuple[Tensor, Tensor]:
    """Variance of one reparameterisation sample for f(z) = Σ_i (z_i − c)², per coordinate.

    ĝ_μj = 2(δ + σε) and ĝ_σj = 2(δ + σε)ε with δ = μ_j − c, σ = σ_j: other dims do not enter.

    Args:
        mu, std: (d,) mean and standard deviation of q.
        c: the centre of the quadratic.
    Returns:
        var_mu, var_std: each (d,).
    """
    _check_params(mu, std)
    delta = mu - c
    # Var 2(δ + σε) = 4σ²
    var_mu = 4 * std**2
    # Var 2(δε + σε²) = 4(δ² + 3σ²) − (2σ)² = 4δ² + 8σ²
    var_std = 4 * delta**2 + 8 * std**2
    return var_mu, var_std
