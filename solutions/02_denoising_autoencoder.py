"""Notebook 02, reference solutions of the implement exercises (the other answers:
02_denoising_autoencoder.md)."""

import torch

EXERCISES = [(1, "salt_and_pepper", "check_salt_and_pepper")]


def salt_and_pepper(x, fraction):
    """Set a random `fraction` of the pixels of each image to 0 or 1 (fair coin).

    Args:
        x: (B, 1, 28, 28) images in [0, 1].
        fraction: the share of pixels to overwrite, in [0, 1].
    Returns:
        x_tilde, same shape as x.
    """
    # each pixel is chosen independently with probability `fraction`: (B, 1, 28, 28) bool
    chosen = torch.rand(x.shape) < fraction
    # a fair coin per pixel, whatever its value: 1 (salt) or 0 (pepper)
    coin = (torch.rand(x.shape) < 0.5).to(x.dtype)
    # torch.where builds a new tensor, so x itself is left as it was
    return torch.where(chosen, coin, x)
