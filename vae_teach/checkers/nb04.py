"""Notebook 04 (reparameterisation): the score-function gradient estimator."""

import torch

from vae_teach.checkers._engine import Mistake, Verdict, check_function
from vae_teach.estimators import reparameterisation_gradients, score_function_gradients


def _quadratic_k(z, k=0.8):
    """f(z) = Σ_d (z_d − 0.8)², a fixed test function for check_score_function_gradients."""
    # f(z) = Σ_d (z_d − k)², (N, D) -> (N,)
    return ((z - k) ** 2).sum(-1)


def _sin_sum(z):
    """f(z) = Σ_d sin(z_d) + z_0, a second test function."""
    # f(z) = Σ_d sin z_d + z_0, (N, D) -> (N,)
    return torch.sin(z).sum(-1) + z[:, 0]


def _score_inputs():
    """Fixed (f, mu, std, eps) test inputs, float64."""
    gen = torch.Generator().manual_seed(4)
    inputs = []
    for f, dim in [(_quadratic_k, 1), (_quadratic_k, 3), (_sin_sum, 2)]:
        mu = torch.randn(dim, generator=gen, dtype=torch.float64)
        std = torch.rand(dim, generator=gen, dtype=torch.float64) + 0.5
        eps = torch.randn(64, dim, generator=gen, dtype=torch.float64)
        inputs.append((f, mu, std, eps))
    return inputs


def _no_minus_one(f, mu, std, eps):
    """A known mistake: ∂/∂σ log q taken as ε²/σ, without the −1."""
    f_z = f(mu + std * eps).reshape(-1, 1)
    return f_z * eps / std, f_z * eps**2 / std


def _var_not_std(f, mu, std, eps):
    """A known mistake: (z − μ)/σ² written in ε with one σ too many."""
    f_z = f(mu + std * eps).reshape(-1, 1)
    return f_z * eps / std**2, f_z * (eps**2 - 1) / std**3


def _eps_only(f, mu, std, eps):
    """A known mistake: the score without its 1/σ."""
    f_z = f(mu + std * eps).reshape(-1, 1)
    return f_z * eps, f_z * (eps**2 - 1)


# Known mistakes, tried in order: Mistake(hint, the mistaken estimator).
MISTAKES = [
    Mistake(
        "∂/∂σ log q = (ε² − 1)/σ: the −1 comes from the normaliser 1/σ of the density.",
        _no_minus_one,
    ),
    Mistake("(z − μ)/σ² = ε/σ once z = μ + σε: you divided by σ too often.", _var_not_std),
    Mistake("the score still has a 1/σ: ∂/∂μ log q = ε/σ and ∂/∂σ log q = (ε² − 1)/σ.", _eps_only),
    Mistake(
        "that is the reparameterisation estimator (it uses ∇f); the score function uses only "
        "the values f(z) times ∇ log q(z).",
        reparameterisation_gradients,
    ),
]


def check_score_function_gradients(student_fn) -> Verdict:
    """Check `score_function_gradients(f, mu, std, eps) -> (grad_mu, grad_std)`, each (N, D)."""
    return check_function(
        student_fn,
        score_function_gradients,
        _score_inputs(),
        rtol=1e-6,
        atol=1e-8,
        mistakes=MISTAKES,
        name="score_function_gradients",
    )
