"""Notebook 06 (VAE): the importance-weighted bound from the log terms of K samples."""

import math

import torch

from vae_teach.checkers._engine import Mistake, Verdict, check_function
from vae_teach.elbo import importance_weighted_bound


def _importance_weighted_inputs():
    """(K, B) float32 log terms of MNIST-like size: log p(x|z) near −150 nats."""
    generator = torch.Generator().manual_seed(6)
    inputs = []
    for k, batch in [(1, 3), (5, 4), (64, 2)]:
        log_px_z = -150 + 20 * torch.randn((k, batch), generator=generator)
        log_pz = -2.5 - 3 * torch.rand((k, batch), generator=generator)
        log_qz = 1.0 + torch.randn((k, batch), generator=generator)
        inputs.append((log_px_z, log_pz, log_qz))
    return inputs


# Known mistakes, tried in order: Mistake(hint, the mistaken bound of (log p(x|z), log p(z),
# log q(z|x))).
MISTAKES = [
    Mistake(
        "the mean of log w_k is the ELBO estimate, not the bound: average the weights w_k "
        "themselves, i.e. log-mean-exp of log w_k",
        lambda a, b, c: (a + b - c).mean(0),
    ),
    Mistake(
        "subtract log K: the bound averages the K weights, it does not add them",
        lambda a, b, c: torch.logsumexp(a + b - c, dim=0),
    ),
    Mistake(
        "exp(−150) underflows to 0 in float32, so log(mean(exp(log w))) gives −inf: use "
        "torch.logsumexp",
        lambda a, b, c: torch.log(torch.exp(a + b - c).mean(0)),
    ),
    Mistake(
        "log w = log p(x|z) + log p(z) − log q(z|x): check the sign of log q",
        lambda a, b, c: torch.logsumexp(a + b + c, dim=0) - math.log(a.shape[0]),
    ),
]


def check_importance_weighted_bound(student_fn) -> Verdict:
    """Exercise 06: `student_fn(log_px_z, log_pz, log_qz)`, each (K, B), returns (B,)."""
    return check_function(
        student_fn,
        importance_weighted_bound,
        _importance_weighted_inputs(),
        mistakes=MISTAKES,
        name="importance_weighted_bound",
    )
