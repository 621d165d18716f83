"""Procedural sprites with known factors of variation (in the spirit of dSprites).

Each image shows one white shape on black. Five factors make the picture:

| factor | values |
| --- | --- |
| shape | 0 square, 1 ellipse, 2 heart |
| scale | in [0.5, 1] (relative size) |
| rotation | in [0, 2π) radians, counter-clockwise (`ranges` can narrow it) |
| pos_x | in [0, 1], left to right |
| pos_y | in [0, 1], top to bottom (image rows) |

dSprites (Matthey et al. 2017) is 64×64 with 3 × 6 × 40 × 32 × 32 combinations; the default
here is 24×24 with 3 × 4 × 8 × 12 × 12 = 13,824 combinations, small enough to train a β-VAE
on a laptop CPU. Two ways to draw: every combination of the levels once
(`make_sprites(grid=True)`, the data on which disentanglement is measured), or n random
draws, either of levels or, with `continuous=True`, of values uniform on each factor's range
(so that position and scale are continuous to a model trained on them).

`SPRITES32` is the larger setting the `sprites` recipes of `scripts/train_weights.py` use:
32×32 images, where shape and rotation are visible, and rotation over a quarter turn.
A square looks the same after 90° and an ellipse after 180°, so over a full turn one picture
has several rotation values and no code can know "the" rotation; over [0, π/2) every value
draws a different picture for every shape.

Drawing is vectorised: each pixel centre is moved into the shape's own frame (shift, scale,
rotate) and an inside test is applied there.
"""

from typing import NamedTuple

import numpy as np
import torch

from vae_teach import _checks

FACTORS = ("shape", "scale", "rotation", "pos_x", "pos_y")
SHAPES = ("square", "ellipse", "heart")
LEVELS = {"shape": 3, "scale": 4, "rotation": 8, "pos_x": 12, "pos_y": 12}
SIZE = 24
# the range of each continuous factor: [low, high] (rotation: high excluded)
RANGES = {
    "scale": (0.5, 1.0),
    "rotation": (0.0, 2 * np.pi),
    "pos_x": (0.0, 1.0),
    "pos_y": (0.0, 1.0),
}
# 32×32 sprites, rotation over a quarter turn, a 3 × 6 × 6 × 12 × 12 = 15,552 grid. The
# vertical position spans half the horizontal one: with equal ranges x and y are symmetric,
# any rotation of the (x, y) latent plane has the same ELBO, and a β-VAE has no reason to
# give each its own latent (it mixes them); unequal ranges give the two different amounts of
# information (about 2.7 and 2.0 nats), and that difference is what picks the axes.
SPRITES32 = {
    "size": 32,
    "levels": {"shape": 3, "scale": 6, "rotation": 6, "pos_x": 12, "pos_y": 12},
    "ranges": {"rotation": (0.0, np.pi / 2), "pos_y": (0.25, 0.75)},
}

# A sprite at scale 1 fits in a disc of radius R_MAX · size pixels, whatever its rotation.
R_MAX = 0.22
# Heart curve (x² + y² − 1)³ − x² y³ ≤ 0: centroid at y = 0.2935 and farthest point 1.2908
# from it (computed numerically on a 4000² grid); used to centre it and fit the unit disc.
HEART_CENTROID_Y = 0.2935
HEART_RADIUS = 1.2908
# Shape areas in the unit frame (unit disc = the sprite's radius): checked in the tests.
UNIT_AREAS = {"square": 2.0, "ellipse": np.pi / 2, "heart": 3.6620 / HEART_RADIUS**2}


class Sprites(NamedTuple):
    """Images with the factors that drew them.

    images: (N, 1, H, W) float32 in [0, 1]; factors: (N, 5) int64 level indices;
    values: (N, 5) float32 factor values, columns in the order of `FACTORS`.
    """

    images: torch.Tensor
    factors: torch.Tensor
    values: torch.Tensor


def factor_values(levels: dict | None = None, ranges: dict | None = None) -> dict:
    """The value of every level of every factor, as a dict name -> (n_levels,) array.

    Args:
        levels: number of levels per factor (missing names take `LEVELS`); shape must be 1..3.
        ranges: (low, high) per continuous factor (missing names take `RANGES`).
    """
    counts = _check_levels(levels)
    ranges = _check_ranges(ranges)
    return {
        "shape": np.arange(counts["shape"]),
        "scale": np.linspace(*ranges["scale"], counts["scale"]),
        # endpoint excluded: rotation is periodic (2π draws the same picture as 0)
        "rotation": np.linspace(*ranges["rotation"], counts["rotation"], endpoint=False),
        "pos_x": np.linspace(*ranges["pos_x"], counts["pos_x"]),
        "pos_y": np.linspace(*ranges["pos_y"], counts["pos_y"]),
    }


def _merge(defaults: dict, given: dict | None, name: str) -> dict:
    """`defaults` updated with `given`, refusing names that `defaults` does not have."""
    merged = dict(defaults)
    if given is not None:
        unknown = set(given) - set(defaults)
        if unknown:
            raise ValueError(
                f"{name} has unknown factors {sorted(unknown)}; known: {list(defaults)}"
            )
        merged.update(given)
    return merged


def _check_levels(levels: dict | None) -> dict:
    counts = _merge(LEVELS, levels, "levels")
    for name, count in counts.items():
        counts[name] = _checks.positive_int(count, f"levels[{name!r}]")
    if counts["shape"] > len(SHAPES):
        raise ValueError(f"levels['shape'] must be at most {len(SHAPES)}, got {counts['shape']}")
    return counts


def _check_ranges(ranges: dict | None) -> dict:
    merged = _merge(RANGES, ranges, "ranges")
    limits = {"scale": (0.0, 1.0), "rotation": (0.0, 2 * np.pi), "pos_x": (0, 1), "pos_y": (0, 1)}
    for name, (low, high) in merged.items():
        lo, hi = limits[name]
        if not (lo <= low < high <= hi) or (name == "scale" and low == 0):
            raise ValueError(
                f"ranges[{name!r}] must satisfy {lo} ≤ low < high ≤ {hi}, got {(low, high)}"
            )
    return merged


def _inside(shape: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside test in the unit frame (v points up); shape (N, 1, 1), u and v (N, P, P)."""
    # square with corners on the unit circle: max(|u|, |v|) ≤ 1/√2
    square = np.maximum(np.abs(u), np.abs(v)) <= 1 / np.sqrt(2)
    # ellipse with semi-axes 1 (along u) and ½ (along v): u² + (2v)² ≤ 1
    ellipse = u**2 + (2 * v) ** 2 <= 1
    # heart, rescaled into the unit disc and centred on its centroid
    hx, hy = u * HEART_RADIUS, v * HEART_RADIUS + HEART_CENTROID_Y
    # (x² + y² − 1)³ − x² y³ ≤ 0
    heart = (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0
    return np.where(shape == 0, square, np.where(shape == 1, ellipse, heart))


def draw_sprites(shape, scale, rotation, pos_x, pos_y, size: int = SIZE, antialias: int = 1):
    """Draw one sprite per row of factor values; returns (N, size, size) float32 in [0, 1].

    Args:
        shape: (N,) ints in {0, 1, 2} (square, ellipse, heart).
        scale: (N,) relative sizes in (0, 1]. rotation: (N,) radians, counter-clockwise.
        pos_x, pos_y: (N,) positions in [0, 1] (left→right, top→bottom).
        size: image side in pixels (≥ 8). antialias: k×k samples per pixel (1 = binary).
    """
    shape, scale, rotation, pos_x, pos_y = (
        np.atleast_1d(np.asarray(a)) for a in (shape, scale, rotation, pos_x, pos_y)
    )
    n = len(shape)
    for name, a in zip(FACTORS, (shape, scale, rotation, pos_x, pos_y), strict=True):
        if a.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},) like shape, got {a.shape}")
    if not np.isin(shape, np.arange(len(SHAPES))).all():
        raise ValueError(f"shape must hold ints in {{0, 1, 2}}, got {np.unique(shape)}")
    if not ((scale > 0) & (scale <= 1)).all():
        raise ValueError("scale must lie in (0, 1]")
    for name, a in (("pos_x", pos_x), ("pos_y", pos_y)):
        if not ((a >= 0) & (a <= 1)).all():
            raise ValueError(f"{name} must lie in [0, 1]")
    size = _checks.integer(size, "size", minimum=8)
    antialias = _checks.positive_int(antialias, "antialias")
    # sample points: pixel centres, or a k×k grid inside each pixel; (P,) in pixel units
    k = antialias
    points = (np.arange(size * k) + 0.5) / k
    radius = R_MAX * size
    # centre in pixels: the sprite's disc stays inside the image, (N, 1, 1)
    cx = (radius + pos_x * (size - 2 * radius))[:, None, None]
    cy = (radius + pos_y * (size - 2 * radius))[:, None, None]
    r = (scale * radius)[:, None, None]
    # offsets in the sprite's frame, unit = its radius, v pointing up: (N, P, P)
    dx = (points[None, None, :] - cx) / r
    dy = -(points[None, :, None] - cy) / r
    cos, sin = np.cos(rotation)[:, None, None], np.sin(rotation)[:, None, None]
    # rotate the grid by −θ, which rotates the shape by +θ: (u, v) = R(−θ)(dx, dy)
    u = cos * dx + sin * dy
    v = -sin * dx + cos * dy
    inside = _inside(shape[:, None, None], u, v).astype(np.float32)
    # average the k×k samples of each pixel: (N, size·k, size·k) -> (N, size, size)
    return inside.reshape(n, size, k, size, k).mean(axis=(2, 4))


def make_sprites(
    n: int | None = None,
    seed: int = 0,
    size: int = SIZE,
    levels: dict | None = None,
    grid: bool = False,
    antialias: int = 1,
    continuous: bool = False,
    ranges: dict | None = None,
) -> Sprites:
    """Sprites with their factors: n random draws (from `seed`), or the full factor grid.

    Args:
        n: number of images; None when grid=True.
        seed: seed of the draw (same seed, same images).
        size: image side in pixels. levels: levels per factor (see `factor_values`).
        grid: every combination of levels once, in C order over `FACTORS`.
        antialias: k×k samples per pixel; 1 gives binary images like dSprites.
        continuous: draw scale, rotation and position uniformly from their ranges instead
            of from the levels; `factors` then holds the nearest level of each value.
        ranges: (low, high) per continuous factor (see `factor_values`).
    """
    values = factor_values(levels, ranges)
    counts = [len(values[name]) for name in FACTORS]
    if grid:
        if n is not None:
            raise ValueError(f"n must be None when grid=True (the grid fixes N), got {n!r}")
        if continuous:
            raise ValueError("continuous must be False when grid=True (the grid draws levels)")
        # (N, 5): all combinations, last factor fastest
        index = np.stack(np.unravel_index(np.arange(np.prod(counts)), counts), axis=1)
        columns = [values[name][index[:, j]] for j, name in enumerate(FACTORS)]
    else:
        n = _checks.positive_int(n, "n")
        seed = _checks.integer(seed, "seed", minimum=0)
        rng = np.random.default_rng(seed)
        # (N, 5): each factor's level drawn uniformly and independently
        index = np.stack([rng.integers(0, c, size=n) for c in counts], axis=1)
        columns = [values[name][index[:, j]] for j, name in enumerate(FACTORS)]
        if continuous:
            columns, index = _continuous_draw(rng, index, values, _check_ranges(ranges))
    images = np.concatenate(
        [  # chunks of 2048 images keep the (N, P, P) intermediates small
            draw_sprites(*(c[i : i + 2048] for c in columns), size=size, antialias=antialias)
            for i in range(0, len(index), 2048)
        ]
    )
    return Sprites(
        images=torch.from_numpy(images).unsqueeze(1),
        factors=torch.from_numpy(index.astype(np.int64)),
        values=torch.from_numpy(np.stack(columns, axis=1).astype(np.float32)),
    )


def grid_for(image_size: int) -> Sprites:
    """The factor grid of the sprites a model of that image size was trained on: SPRITES32's
    for 32, the default levels otherwise (24 × 24), e.g. `grid_for(model.image_shape[-1])`."""
    setting = SPRITES32 if image_size == SPRITES32["size"] else {"size": image_size}
    return make_sprites(grid=True, **setting)


def _continuous_draw(rng, index, values, ranges):
    """Scale, rotation, position uniform on `ranges` (shape kept); with the nearest levels."""
    columns = [values["shape"][index[:, 0]]]
    index = index.copy()
    for j, name in enumerate(FACTORS[1:], start=1):
        low, high = ranges[name]
        column = rng.uniform(low, high, size=len(index))
        # nearest level: (N,) values vs (L,) levels -> (N,) indices
        index[:, j] = np.abs(column[:, None] - values[name][None, :]).argmin(axis=1)
        columns.append(column)
    return columns, index
