"""Corruptions for denoising autoencoders: x -> x_tilde, the input a DAE learns to clean up.

Taught in notebook 02. The three kinds follow Vincent et al. (2008), "Extracting and composing
robust features with denoising autoencoders", ICML:

- `gaussian_noise`: add N(0, std²) to every pixel, then clip to [0, 1];
- `masking`: set a fixed fraction of the pixels of each image to 0 ("zero-ing");
- `salt_and_pepper`: set a fixed fraction of the pixels of each image to 0 or 1 (fair coin).

Images are float tensors in [0, 1] whose first dimension is the batch, e.g. `(B, 1, 28, 28)`
or `(B, 784)`; "a fraction of the pixels" means of the pixels of each image.
"""

import torch

from vae_teach import _checks

KINDS = ("gaussian", "masking", "salt_and_pepper")


def _check_images(x: torch.Tensor) -> None:
    """Raise a ValueError/TypeError unless x is a float tensor (B, ...) with values in [0, 1]."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() < 2:
        raise ValueError(f"x must have a batch dimension, (B, ...), got shape {tuple(x.shape)}")
    if x.numel() > 0 and (x.min() < 0 or x.max() > 1):
        raise ValueError("x must hold values in [0, 1]")


def _check_level(value: float, name: str, upper: float | None) -> None:
    """Raise a ValueError unless value is a finite real number in [0, upper]."""
    _checks.real(value, name, low=0.0, high=upper)


def _choose_pixels(x: torch.Tensor, fraction: float, generator) -> torch.Tensor:
    """Boolean mask shaped like x with exactly round(fraction · D) True pixels per image."""
    batch = x.shape[0]
    # D = number of pixels per image (all non-batch dims)
    d = x[0].numel() if batch > 0 else 0
    k = round(fraction * d)
    # a random permutation per image: the k pixels with the smallest random keys are chosen
    keys = torch.rand((batch, d), generator=generator, device=x.device)  # (B, D)
    chosen = torch.zeros((batch, d), dtype=torch.bool, device=x.device)  # (B, D)
    if k > 0:
        idx = keys.topk(k, dim=1, largest=False).indices  # (B, k)
        chosen.scatter_(1, idx, True)
    return chosen.reshape(x.shape)


def gaussian_noise(x: torch.Tensor, std: float, generator=None) -> torch.Tensor:
    """Additive Gaussian noise, clipped to the valid pixel range.

    Args:
        x: images (B, ...) in [0, 1].
        std: noise standard deviation σ ≥ 0 (before clipping).
        generator: optional torch.Generator for reproducible noise.
    Returns:
        x_tilde (B, ...) in [0, 1].
    """
    _check_images(x)
    _check_level(std, "std", None)
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    # x_tilde = clip(x + σ·ε, 0, 1), ε ~ N(0, I), elementwise
    return (x + std * eps).clamp(0.0, 1.0)


def masking(x: torch.Tensor, fraction: float, generator=None) -> torch.Tensor:
    """Masking noise: set round(fraction · D) randomly chosen pixels of each image to 0.

    Args:
        x: images (B, ...) in [0, 1].
        fraction: share of the D pixels of each image to zero, in [0, 1].
        generator: optional torch.Generator for reproducible noise.
    Returns:
        x_tilde (B, ...) in [0, 1].
    """
    _check_images(x)
    _check_level(fraction, "fraction", 1.0)
    chosen = _choose_pixels(x, fraction, generator)  # (B, ...) bool
    # x_tilde_i = 0 where pixel i is chosen, x_i elsewhere
    return x.masked_fill(chosen, 0.0)


def salt_and_pepper(x: torch.Tensor, fraction: float, generator=None) -> torch.Tensor:
    """Salt-and-pepper noise: set round(fraction · D) random pixels of each image to 0 or 1.

    Each chosen pixel becomes 1 ("salt") or 0 ("pepper") by a fair coin flip.

    Args:
        x: images (B, ...) in [0, 1].
        fraction: share of the D pixels of each image to overwrite, in [0, 1].
        generator: optional torch.Generator for reproducible noise.
    Returns:
        x_tilde (B, ...) in [0, 1].
    """
    _check_images(x)
    _check_level(fraction, "fraction", 1.0)
    chosen = _choose_pixels(x, fraction, generator)  # (B, ...) bool
    coin = torch.rand(x.shape, generator=generator, device=x.device) < 0.5  # (B, ...) bool
    # x_tilde_i = coin_i ∈ {0, 1} where pixel i is chosen, x_i elsewhere
    return torch.where(chosen, coin.to(x.dtype), x)


def corrupt(x: torch.Tensor, kind: str, level: float, generator=None) -> torch.Tensor:
    """Apply one corruption by name; level 0 returns x unchanged (as a new tensor).

    Args:
        x: images (B, ...) in [0, 1].
        kind: "gaussian" (level = std ≥ 0), "masking" or "salt_and_pepper"
            (level = fraction of pixels, in [0, 1]).
        level: the corruption strength.
        generator: optional torch.Generator for reproducible noise.
    Returns:
        x_tilde (B, ...) in [0, 1].
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    _check_level(level, "level", None if kind == "gaussian" else 1.0)
    if kind == "gaussian":
        return gaussian_noise(x, level, generator)
    if kind == "masking":
        return masking(x, level, generator)
    return salt_and_pepper(x, level, generator)
