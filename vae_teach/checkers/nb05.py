"""Notebook 05 (KL): the closed-form KL of a diagonal Gaussian to N(0, I)."""

import torch

from vae_teach.checkers._engine import Mistake, Verdict, check_function
from vae_teach.kl import gaussian_kl


def _kl_inputs():
    """Fixed (mu, logvar) test inputs: a random batch, the prior itself, and wide/narrow q."""
    gen = torch.Generator().manual_seed(5)
    mu = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    zeros = torch.zeros(2, 5, dtype=torch.float64)
    extremes = torch.tensor([[-4.0, 3.0], [0.0, -6.0]], dtype=torch.float64)
    return [(mu, logvar), (zeros, zeros.clone()), (extremes, extremes.flip(-1))]


# Known mistakes, tried in order: Mistake(hint, the mistaken KL).
MISTAKES = [
    Mistake("the ½ in front is missing.", lambda mu, logvar: 2 * gaussian_kl(mu, logvar)),
    Mistake(
        "sum over the latent dimensions, do not average.",
        lambda mu, logvar: gaussian_kl(mu, logvar) / mu.shape[-1],
    ),
    Mistake(
        "σ² = exp(logvar), not exp(½ logvar) = σ.",
        lambda mu, logvar: 0.5 * (mu**2 + (0.5 * logvar).exp() - 1 - logvar).sum(-1),
    ),
    Mistake(
        "the −1 per dimension is missing (KL must be 0 when q is the prior).",
        lambda mu, logvar: 0.5 * (mu**2 + logvar.exp() - logvar).sum(-1),
    ),
]


def check_gaussian_kl(student_fn) -> Verdict:
    """Check `gaussian_kl(mu, logvar) -> (B,)` = KL(N(mu, diag exp(logvar)) ‖ N(0, I))."""
    return check_function(
        student_fn, gaussian_kl, _kl_inputs(), mistakes=MISTAKES, name="gaussian_kl"
    )
