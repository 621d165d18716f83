"""Notebook 03 (ELBO): the exact ELBO of the linear-Gaussian model."""

import numpy as np
import torch

from vae_teach import linear_gaussian as lg
from vae_teach.checkers._engine import Mistake, Verdict, check_function


def _linear_gaussian_cases():
    """Fixed inputs (model, x, mu_q, cov_q) for the linear-Gaussian ELBO: d = 1 and d = 2."""
    f64 = torch.float64
    one = lg.LinearGaussian([[1.2], [-0.7]], [0.3, -0.2], 0.8)
    two = lg.LinearGaussian([[1.0, 0.5], [-0.3, 0.8], [0.6, -1.1]], [0.1, 0.0, -0.4], 0.5)
    # several q at once for d = 2: (3, 2) means and (3, 2, 2) covariances
    mu_many = torch.tensor([[0.0, 0.0], [1.0, -0.5], [-2.0, 1.5]], dtype=f64)
    cov_many = torch.tensor(
        [[[1.0, 0.0], [0.0, 1.0]], [[0.3, 0.1], [0.1, 0.2]], [[2.0, -0.9], [-0.9, 0.8]]], dtype=f64
    )
    return [
        (one, torch.tensor([1.5, -1.0], dtype=f64), torch.tensor([0.2], dtype=f64),
         torch.tensor([[0.5]], dtype=f64)),
        (one, torch.tensor([-0.4, 2.0], dtype=f64), torch.tensor([-1.0], dtype=f64),
         torch.tensor([[2.0]], dtype=f64)),
        (two, torch.tensor([0.7, -1.2, 0.9], dtype=f64), mu_many, cov_many),
    ]  # fmt: skip


def _elbo_without_spread(model, x, mu_q, cov_q):
    """A known mistake: E_q ‖x − Wz − b‖² taken as ‖x − W mu_q − b‖² (no tr(W cov_q Wᵀ))."""
    spread = torch.diagonal(model.W @ cov_q @ model.W.T, dim1=-2, dim2=-1).sum(-1)
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * spread / model.sigma**2


def _elbo_plus_kl(model, x, mu_q, cov_q):
    """A known mistake: the KL added instead of subtracted."""
    return lg.expected_log_likelihood(model, x, mu_q, cov_q) + lg.kl_to_prior(mu_q, cov_q)


def _elbo_sigma_not_squared(model, x, mu_q, cov_q):
    """A known mistake: σ used where the variance σ² belongs."""
    scaled = lg.LinearGaussian(model.W, model.b, model.sigma**0.5)
    return lg.exact_elbo(scaled, x, mu_q, cov_q)


def _elbo_without_normaliser(model, x, mu_q, cov_q):
    """A known mistake: the constant −(D/2) log 2πσ² of the Gaussian density left out."""
    D = model.W.shape[0]
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * D * np.log(2 * np.pi * model.sigma**2)


def _elbo_kl_without_minus_d(model, x, mu_q, cov_q):
    """A known mistake: the KL without its −d, ½[tr Σ + μᵀμ − log det Σ]."""
    d = model.W.shape[1]
    return lg.exact_elbo(model, x, mu_q, cov_q) - 0.5 * d


def _elbo_spread_not_over_variance(model, x, mu_q, cov_q):
    """A known mistake: ‖x − Wμ − b‖² divided by σ², the trace term tr(W Σ Wᵀ) not."""
    spread = torch.diagonal(model.W @ cov_q @ model.W.T, dim1=-2, dim2=-1).sum(-1)
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * spread / model.sigma**2 - 0.5 * spread


def _elbo_error_not_over_variance(model, x, mu_q, cov_q):
    """A known mistake: tr(W Σ Wᵀ) divided by σ², the squared error ‖x − Wμ − b‖² not."""
    sq_err = ((x - mu_q @ model.W.T - model.b) ** 2).sum(-1)
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * sq_err / model.sigma**2 - 0.5 * sq_err


# Known mistakes, tried in order: Mistake(hint, the mistaken exact_elbo).
MISTAKES = [
    Mistake(
        "E_q[‖x − Wz − b‖²] = ‖x − W mu_q − b‖² + tr(W cov_q Wᵀ): z spreads around mu_q, "
        "and the spread costs reconstruction error too.",
        _elbo_without_spread,
    ),
    Mistake(
        "the KL to the prior is subtracted: ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)).",
        _elbo_plus_kl,
    ),
    Mistake(
        "sigma is the standard deviation; the Gaussian density divides by σ² = sigma**2.",
        _elbo_sigma_not_squared,
    ),
    Mistake(
        "the Gaussian density has a normaliser: log p(x|z) includes −(D/2) log 2πσ², "
        "a constant that does not move the optimum but is part of the ELBO's value.",
        _elbo_without_normaliser,
    ),
    Mistake(
        "KL(q ‖ N(0, I)) = ½[tr Σ_q + μ_qᵀμ_q − d − log det Σ_q]: the −d is missing "
        "(it makes KL(p ‖ p) = 0).",
        _elbo_kl_without_minus_d,
    ),
    Mistake(
        "both parts of E_q‖x − Wz − b‖² are divided by σ²: (‖x − W mu_q − b‖² + "
        "tr(W cov_q Wᵀ)) / sigma**2; the trace term is missing its 1/σ².",
        _elbo_spread_not_over_variance,
    ),
    Mistake(
        "both parts of E_q‖x − Wz − b‖² are divided by σ²: (‖x − W mu_q − b‖² + "
        "tr(W cov_q Wᵀ)) / sigma**2; the squared error is missing its 1/σ².",
        _elbo_error_not_over_variance,
    ),
]


def check_linear_gaussian_elbo(student_fn) -> Verdict:
    """Check `exact_elbo(model, x, mu_q, cov_q)` of the linear-Gaussian model (notebook 03).

    The student's function gets a `LinearGaussian` (attributes W (D, d), b (D,), sigma), x (D,),
    mu_q (..., d) and cov_q (..., d, d), all float64, and returns the ELBO (...) in nats.
    """
    return check_function(
        student_fn,
        lg.exact_elbo,
        _linear_gaussian_cases(),
        rtol=1e-6,
        atol=1e-8,
        close_rtol=1e-2,
        mistakes=MISTAKES,
        name="exact_elbo",
    )
