"""Two Monte Carlo estimators of ∇_λ E_{z~q_λ}[f(z)] for a diagonal Gaussian q_λ = N(μ, diag σ²).

Taught in notebook 04. Both return one gradient estimate per sample, so their mean (should be the
exact gradient) and their variance (how noisy one sample is) can be measured.

- score function (log-derivative, REINFORCE; Williams 1992):
  ∇_λ E_q[f(z)] = E_q[f(z) ∇_λ log q_λ(z)]: needs only values of f, never its gradient.
- reparameterisation (Kingma and Welling 2014; Rezende et al. 2014):
  z = μ + σ ⊙ ε with ε ~ N(0, I), so ∇_λ E_q[f(z)] = E_ε[∇_λ f(μ + σ ⊙ ε)]: needs ∇f.

For the test function f(z) = Σ_d (z_d − k)² everything is known in closed form: the exact
gradient, and the variance of one sample of either estimator (derived in notebook 04 from the
moments of ε: E ε² = 1, E ε⁴ = 3, E ε⁶ = 15, E ε⁸ = 105, odd moments 0).
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
    """Raise ValueError unless mu, std are (D,) of one shape, std > 0 and eps is (N, D)."""
    if not isinstance(mu, Tensor) or not isinstance(std, Tensor):
        raise TypeError(
            f"mu and std must be tensors, got {type(mu).__name__}, {type(std).__name__}"
        )
    if mu.dim() != 1 or mu.shape != std.shape:
        raise ValueError(
            f"mu and std must be 1-D of the same shape (D,), got {tuple(mu.shape)} "
            f"and {tuple(std.shape)}"
        )
    if not bool((std > 0).all()):
        raise ValueError(f"std must be > 0 everywhere, got min {std.min().item():.3g}")
    if eps is not None and (eps.dim() != 2 or eps.shape[1] != mu.shape[0]):
        raise ValueError(f"eps must have shape (N, {mu.shape[0]}), got {tuple(eps.shape)}")


def quadratic(z: Tensor, k: float = 0.0) -> Tensor:
    """The test function f(z) = Σ_d (z_d − k)², summed over the last dim.

    Args:
        z: (N, D) points.
        k: the centre, a float.
    """
    # f(z) = Σ_d (z_d − k)²: (N, D) -> (N,)
    return ((z - k) ** 2).sum(dim=-1)


def quadratic_exact_gradients(mu: Tensor, std: Tensor, k: float = 0.0) -> tuple[Tensor, Tensor]:
    """Exact ∇_μ and ∇_σ of E_{z~N(μ, diag σ²)}[Σ_d (z_d − k)²] = Σ_d ((μ_d − k)² + σ_d²).

    Args:
        mu, std: (D,) mean and standard deviation of q.
        k: the centre of the quadratic.
    Returns:
        grad_mu, grad_std: each (D,).
    """
    _check_params(mu, std)
    # ∂/∂μ_d E f = 2 (μ_d − k)
    grad_mu = 2 * (mu - k)
    # ∂/∂σ_d E f = 2 σ_d
    grad_std = 2 * std
    return grad_mu, grad_std


def score_function_gradients(
    f: Callable[[Tensor], Tensor], mu: Tensor, std: Tensor, eps: Tensor
) -> tuple[Tensor, Tensor]:
    """One score-function estimate of ∇_{μ,σ} E_{z~N(μ, diag σ²)}[f(z)] per row of eps.

    Args:
        f: maps (N, D) points to (N,) values; only its values are used.
        mu, std: (D,) mean and standard deviation of q.
        eps: (N, D) draws from N(0, I); z = μ + σ ⊙ ε.
    Returns:
        grad_mu, grad_std: each (N, D); row n is f(z_n) ∇ log q(z_n).
    """
    _check_params(mu, std, eps)
    # z = μ + σ ⊙ ε: (N, D); f(z) is only evaluated, never differentiated
    z = mu + std * eps
    # (N, D) -> (N, 1) so it scales every coordinate of the score
    f_z = f(z).detach().reshape(-1, 1)
    # ∂/∂μ log N(z; μ, σ²) = (z − μ) / σ² = ε / σ, per coordinate (N, D)
    score_mu = eps / std
    # ∂/∂σ log N(z; μ, σ²) = −1/σ + (z − μ)² / σ³ = (ε² − 1) / σ, per coordinate (N, D)
    score_std = (eps**2 - 1) / std
    # estimate = f(z) ∇ log q(z), one per sample (N, D)
    return f_z * score_mu, f_z * score_std


def reparameterisation_gradients(
    f: Callable[[Tensor], Tensor], mu: Tensor, std: Tensor, eps: Tensor
) -> tuple[Tensor, Tensor]:
    """One reparameterisation estimate of ∇_{μ,σ} E_{z~N(μ, diag σ²)}[f(z)] per row of eps.

    Autograd does the work: every sample gets its own copy of (μ, σ), so the gradient of
    Σ_n f(z_n) with respect to copy n is the estimate from sample n alone.

    Args:
        f: maps (N, D) points to (N,) values; must be differentiable with torch.
        mu, std: (D,) mean and standard deviation of q.
        eps: (N, D) draws from N(0, I).
    Returns:
        grad_mu, grad_std: each (N, D); row n is ∇f(z_n) ⊙ ∂z_n/∂λ (∂z/∂μ = 1, ∂z/∂σ = ε).
    """
    _check_params(mu, std, eps)
    # one leaf copy of μ and σ per sample: (D,) -> (N, D)
    mu_n = mu.detach().expand_as(eps).clone().requires_grad_(True)
    std_n = std.detach().expand_as(eps).clone().requires_grad_(True)
    # z = μ + σ ⊙ ε: the randomness sits in ε, so z is a differentiable function of (μ, σ)
    z = mu_n + std_n * eps.detach()
    total = f(z).sum()
    if not total.requires_grad:
        # f has no autograd path from z (e.g. a step function 1[z > 0]): its pathwise
        # derivative is 0 almost everywhere, which is what this estimator then returns
        return torch.zeros_like(mu_n), torch.zeros_like(std_n)
    # ∇ Σ_n f(z_n) w.r.t. copy n = ∇_λ f(z_n): (N, D) each
    grad_mu, grad_std = torch.autograd.grad(total, (mu_n, std_n))
    return grad_mu, grad_std


def _rest_moments(a: Tensor, std: Tensor) -> tuple[Tensor, Tensor]:
    """E R and E R² for R = Σ_{d≠j} (z_d − k)², one value per j. a = μ − k, (D,) each."""
    # E (z_d − k)² = a_d² + σ_d²; Var (z_d − k)² = 4 a_d² σ_d² + 2 σ_d⁴
    mean_d = a**2 + std**2
    var_d = 4 * a**2 * std**2 + 2 * std**4
    # leave dimension j out: E R_j = Σ_d mean_d − mean_j, Var R_j likewise (independent dims)
    mean_r = mean_d.sum() - mean_d
    var_r = var_d.sum() - var_d
    # E R² = Var R + (E R)²
    return mean_r, var_r + mean_r**2


def score_function_variance(mu: Tensor, std: Tensor, k: float = 0.0) -> tuple[Tensor, Tensor]:
    """Variance of one score-function sample for f(z) = Σ_d (z_d − k)², per coordinate.

    With a = μ_j − k, σ = σ_j, R = Σ_{d≠j} (z_d − k)² (independent of ε_j):
    Var ĝ_μj = [a⁴ + 18a²σ² + 15σ⁴ + 2(a² + 3σ²) E R + E R²] / σ² − 4a²,
    Var ĝ_σj = [2a⁴ + 60a²σ² + 78σ⁴ + 2(2a² + 10σ²) E R + 2 E R²] / σ² − 4σ².

    Args:
        mu, std: (D,) mean and standard deviation of q.
        k: the centre of the quadratic.
    Returns:
        var_mu, var_std: each (D,).
    """
    _check_params(mu, std)
    a = mu - k
    mean_r, sq_r = _rest_moments(a, std)
    # E[f_j² ε²] = a⁴ + 18a²σ² + 15σ⁴ and E[f_j ε²] = a² + 3σ², f_j = (a + σε)²
    second_mu = a**4 + 18 * a**2 * std**2 + 15 * std**4 + 2 * (a**2 + 3 * std**2) * mean_r + sq_r
    # Var = E[(f ε/σ)²] − (2a)²
    var_mu = second_mu / std**2 - 4 * a**2
    # E[f_j² (ε²−1)²] = 2a⁴ + 60a²σ² + 78σ⁴, E[f_j (ε²−1)²] = 2a² + 10σ², E[(ε²−1)²] = 2
    second_std = (
        2 * a**4
        + 60 * a**2 * std**2
        + 78 * std**4
        + 2 * (2 * a**2 + 10 * std**2) * mean_r
        + 2 * sq_r
    )
    # Var = E[(f (ε²−1)/σ)²] − (2σ)²
    var_std = second_std / std**2 - 4 * std**2
    return var_mu, var_std


def reparameterisation_variance(mu: Tensor, std: Tensor, k: float = 0.0) -> tuple[Tensor, Tensor]:
    """Variance of one reparameterisation sample for f(z) = Σ_d (z_d − k)², per coordinate.

    ĝ_μj = 2(a + σε) and ĝ_σj = 2(a + σε)ε with a = μ_j − k, σ = σ_j: other dims do not enter.

    Args:
        mu, std: (D,) mean and standard deviation of q.
        k: the centre of the quadratic.
    Returns:
        var_mu, var_std: each (D,).
    """
    _check_params(mu, std)
    a = mu - k
    # Var 2(a + σε) = 4σ²
    var_mu = 4 * std**2
    # Var 2(aε + σε²) = 4(a² + 3σ²) − (2σ)² = 4a² + 8σ²
    var_std = 4 * a**2 + 8 * std**2
    return var_mu, var_std
