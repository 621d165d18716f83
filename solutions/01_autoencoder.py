"""Notebook 01, reference solutions of the implement exercises (other answers: 01_autoencoder.md).

Each function has the name of the notebook's stub; `EXERCISES` says which checker marks it.
"""

import torch

# (exercise number, function name, checker in vae_teach.checkers)
EXERCISES = [(1, "reconstruction_loss", "check_reconstruction_loss")]


def reconstruction_loss(x, x_hat):
    """Binary cross-entropy of x_hat against x, summed over pixels, averaged over the batch.

    Args:
        x: (B, 1, 28, 28) or (B, 784) images in [0, 1].
        x_hat: reconstructions in (0, 1), same shape as x.
    Returns:
        a scalar tensor, in nats per image.
    """
    # BCE_b = −Σ_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)], summed over pixels: (B, ...) -> (B,)
    per_image = -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat)).flatten(1).sum(1)
    # loss = (1/B) Σ_b BCE_b: (B,) -> scalar
    return per_image.mean()
