"""Decoder likelihoods log p_θ(x|z): how well a decoded image explains the data.

A decoder outputs the parameters of a distribution over pixels; the log-likelihood of the
data under it, summed over pixels, is the reconstruction term of the ELBO. Both functions
return one number per example, in nats (natural log). Taught in 03 (ELBO) and 06 (VAE).
"""

import torch
import torch.nn.functional as F

from vae_teach import _checks
from vae_teach.gaussian import LOG_2PI, diagonal_log_density

__all__ = [
    "LOG_2PI",
    "bernoulli_log_likelihood",
    "check_pixels",
    "check_same_shape",
    "check_tensor",
    "gaussian_log_likelihood",
]


def check_tensor(value, name: str) -> None:
    """Raise a clear error unless `value` is a finite float32/float64 tensor, non-empty batch."""
    _checks.tensor(value, name)


def check_pixels(x, name: str = "x") -> None:
    """As `check_tensor`, and the values must be pixel intensities in [0, 1]."""
    _checks.pixels(x, name)


def check_same_shape(a, b, name_a: str, name_b: str) -> None:
    """Raise a ValueError naming both arguments if their shapes differ."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log p(x|z) for independent Bernoulli pixels with the given logits, per example.

    Works for grey-level x in [0, 1] too (then it is minus the binary cross-entropy).

    Args:
        x: (B, ...) data in [0, 1].
        logits: (B, ...) decoder outputs, same shape as x; p = sigmoid(logits).
    Returns:
        (B,) log-likelihood in nats, summed over all non-batch dims.
    """
    check_pixels(x, "x")
    check_tensor(logits, "logits")
    check_same_shape(x, logits, "x", "logits")
    # per pixel j, a = logits: x_j log sigmoid(a_j) + (1 − x_j) log(1 − sigmoid(a_j)) = −BCE
    log_p = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    # sum over pixels: (B, ...) -> (B,)
    return log_p.reshape(len(x), -1).sum(1)


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, logvar=0.0) -> torch.Tensor:
    """log N(x; mean, diag exp(logvar)) per example.

    Args:
        x: (B, ...) data.
        mean: (B, ...) decoder means, same shape as x.
        logvar: a float (one fixed variance for every pixel) or a tensor broadcastable to x
            (for instance a learned scalar, or a per-pixel (B, ...) output).
    Returns:
        (B,) log-likelihood in nats, summed over all non-batch dims.
    """
    check_tensor(x, "x")
    check_tensor(mean, "mean")
    check_same_shape(x, mean, "x", "mean")
    if isinstance(logvar, torch.Tensor):
        check_tensor(logvar.reshape(-1), "logvar")
        _checks.broadcasts_to(logvar, x, "logvar", "x")
    else:
        logvar = torch.tensor(_checks.real(logvar, "logvar"), dtype=x.dtype, device=x.device)
    # log N(x; m, σ²) = −½ [log 2π + log σ² + (x − m)² / σ²], per pixel
    log_p = diagonal_log_density(x, mean, logvar)
    # sum over pixels: (B, ...) -> (B,)
    return log_p.reshape(len(x), -1).sum(1)
