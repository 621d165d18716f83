"""The figures every notebook draws: image grids, reconstructions, latent scatters, curves.

Each function returns the matplotlib Figure and prints nothing; a notebook calls
`plt.show()` after it. Images may be torch tensors or NumPy arrays, (N, C, H, W), (N, H, W)
or (N, D) with D a square number of pixels.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from vae_teach import _checks


def to_numpy_images(images) -> np.ndarray:
    """(N, C, H, W), (N, H, W) or (N, H·W) tensor/array -> (N, H, W) or (N, H, W, 3) array."""
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(
                f"images of shape {images.shape} are flat but not square; pass (N, C, H, W)"
            )
        images = images.reshape(len(images), side, side)
    elif images.ndim == 4:
        if images.shape[1] == 1:
            images = images[:, 0]
        elif images.shape[1] == 3:
            images = images.transpose(0, 2, 3, 1)
        else:
            raise ValueError(f"images must have 1 or 3 channels, got shape {images.shape}")
    elif images.ndim != 3:
        raise ValueError(f"images must be (N, C, H, W), (N, H, W) or (N, D), got {images.shape}")
    return np.clip(images, 0.0, 1.0)


def show_images(images, nrow=8, titles=None, scale=1.0):
    """A grid of images, `nrow` per row, with optional titles; returns the Figure.

    Args:
        images: N images (see the module docstring) with values in [0, 1].
        nrow: images per row.
        titles: optional list of N strings.
        scale: figure size multiplier (1.0 gives about 1 inch per image).
    """
    nrow = _checks.positive_int(nrow, "nrow")
    _checks.positive(scale, "scale")
    images = to_numpy_images(images)
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per image ({n}), got {len(titles)}")
    ncol = max(1, min(nrow, n))
    nrows = max(1, math.ceil(n / ncol))
    fig, axes = plt.subplots(
        nrows,
        ncol,
        figsize=(scale * ncol, scale * nrows * (1.2 if titles else 1.0)),
        squeeze=False,
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    fig.tight_layout(pad=0.2)
    return fig


def plot_reconstructions(x, x_hat, n=8, scale=1.0):
    """Top row: the first n originals x; bottom row: their reconstructions x_hat."""
    x = to_numpy_images(x)[:n]
    x_hat = to_numpy_images(x_hat)[:n]
    if len(x) != len(x_hat):
        raise ValueError(f"x and x_hat must hold as many images, got {len(x)} and {len(x_hat)}")
    fig, axes = plt.subplots(2, len(x), figsize=(scale * len(x), scale * 2.3), squeeze=False)
    for row, (images, label) in enumerate([(x, "original"), (x_hat, "reconstruction")]):
        for i, ax in enumerate(axes[row]):
            ax.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.tight_layout(pad=0.2)
    return fig


def plot_latent_scatter(z, labels, ax=None, s=3, alpha=0.6):
    """Scatter of 2-D codes z (N, 2) coloured by digit label (N,); returns the Figure."""
    if isinstance(z, torch.Tensor):
        z = z.detach().cpu().numpy()
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    z, labels = np.asarray(z), np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (N, 2), got {z.shape}")
    if labels.shape != (len(z),):
        raise ValueError(f"labels must have shape ({len(z)},), got {labels.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
    else:
        fig = ax.figure
    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for i, c in enumerate(classes):
        keep = labels == c
        ax.scatter(z[keep, 0], z[keep, 1], s=s, alpha=alpha, color=cmap(i), label=str(c))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    # legend outside the axes, so it never hides points; markers drawn about 6 pt wide
    ax.legend(
        title="label",
        markerscale=6 / s**0.5,
        fontsize=8,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    return fig


def plot_history(history, keys=None):
    """Training curves: one panel per loss term, train and test per epoch; returns the Figure.

    Args:
        history: a History from `fit` (dict of per-epoch lists).
        keys: the terms to draw, e.g. ["loss", "kl"]; default: every train_<term>.
    """
    if keys is None:
        keys = [k[len("train_") :] for k in history if k.startswith("train_")]
    if not keys:
        raise ValueError("history has no train_<term> entries to plot")
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        found = False
        for split, style in [("train", "-"), ("test", "--")]:
            values = history.get(f"{split}_{key}")
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, style, marker="o", ms=3, label=split)
                found = True
        if not found:
            raise ValueError(f"history has no train_{key} or test_{key}")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig
