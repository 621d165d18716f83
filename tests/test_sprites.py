"""Tests of vae_teach.sprites: each factor changes the picture the way the docstring says."""

import numpy as np
import pytest
import torch

from vae_teach.sprites import (
    FACTORS,
    LEVELS,
    R_MAX,
    SPRITES32,
    UNIT_AREAS,
    draw_sprites,
    factor_values,
    make_sprites,
)

SIZE = 48


def one(shape=0, scale=1.0, rotation=0.0, pos_x=0.5, pos_y=0.5, size=SIZE, antialias=1):
    """A single sprite as an (H, W) array."""
    return draw_sprites([shape], [scale], [rotation], [pos_x], [pos_y], size, antialias)[0]


def centre_of_mass(img):
    """(row, col) centre of mass of an (H, W) image, in pixel units (pixel centres at i + ½)."""
    rows, cols = np.indices(img.shape) + 0.5
    return (rows * img).sum() / img.sum(), (cols * img).sum() / img.sum()


def orientation(img):
    """Angle (radians, counter-clockwise, mod π) of the main axis of the second moments."""
    r0, c0 = centre_of_mass(img)
    rows, cols = np.indices(img.shape) + 0.5
    # y up: image rows grow downwards
    x, y = cols - c0, -(rows - r0)
    cxx, cyy, cxy = (img * x * x).sum(), (img * y * y).sum(), (img * x * y).sum()
    return 0.5 * np.arctan2(2 * cxy, cxx - cyy) % np.pi


def test_shapes_and_types():
    data = make_sprites(50, seed=3)
    assert data.images.shape == (50, 1, 24, 24) and data.images.dtype == torch.float32
    assert data.factors.shape == (50, 5) and data.factors.dtype == torch.int64
    assert data.values.shape == (50, 5) and data.values.dtype == torch.float32
    assert data.images.min() >= 0 and data.images.max() <= 1
    assert (data.images.sum(dim=(1, 2, 3)) > 0).all()


def test_sprites_are_never_cut_off():
    # the largest sprite in a corner has the same area as in the centre, at any rotation
    for shape in range(3):
        for theta in (0.0, 0.7, 2.5):
            centre = one(shape, rotation=theta, antialias=4).sum()
            for corner in ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0)):
                area = one(shape, rotation=theta, pos_x=corner[0], pos_y=corner[1], antialias=4)
                assert area.sum() == pytest.approx(centre, rel=0.02)


def test_values_match_indices():
    data = make_sprites(200, seed=0)
    values = factor_values()
    for j, name in enumerate(FACTORS):
        expected = values[name][data.factors[:, j].numpy()]
        np.testing.assert_allclose(data.values[:, j].numpy(), expected, rtol=1e-6)


def test_deterministic_from_seed():
    a, b = make_sprites(64, seed=7), make_sprites(64, seed=7)
    assert torch.equal(a.images, b.images) and torch.equal(a.factors, b.factors)
    c = make_sprites(64, seed=8)
    assert not torch.equal(a.factors, c.factors)


def test_grid_covers_every_combination_once():
    levels = {"shape": 3, "scale": 2, "rotation": 3, "pos_x": 2, "pos_y": 2}
    data = make_sprites(grid=True, levels=levels)
    assert len(data.images) == 3 * 2 * 3 * 2 * 2
    assert len({tuple(f) for f in data.factors.tolist()}) == len(data.images)
    assert len(make_sprites(grid=True).images) == np.prod(list(LEVELS.values()))


def test_random_draw_uses_all_levels_uniformly():
    data = make_sprites(6000, seed=1)
    counts = np.bincount(data.factors[:, 0].numpy(), minlength=3)
    # each shape about a third of the draws (binomial sd ≈ 36)
    assert np.all(np.abs(counts - 2000) < 200)


def test_position_shifts_centre_of_mass():
    r_left, c_left = centre_of_mass(one(pos_x=0.0))
    r_right, c_right = centre_of_mass(one(pos_x=1.0))
    # pos_x from 0 to 1 moves the centre by size − 2·R_MAX·size pixels, to the right
    span = SIZE * (1 - 2 * R_MAX)
    assert c_right - c_left == pytest.approx(span, abs=0.5)
    assert r_right == pytest.approx(r_left, abs=0.5)
    r_top, c_top = centre_of_mass(one(shape=1, pos_y=0.0))
    r_bottom, c_bottom = centre_of_mass(one(shape=1, pos_y=1.0))
    assert r_bottom - r_top == pytest.approx(span, abs=0.5)
    assert c_bottom == pytest.approx(c_top, abs=0.5)


@pytest.mark.parametrize("shape", [0, 1, 2])
def test_scale_changes_area_quadratically(shape):
    big = one(shape, scale=1.0, rotation=0.3, antialias=4).sum()
    small = one(shape, scale=0.5, rotation=0.3, antialias=4).sum()
    assert small / big == pytest.approx(0.25, rel=0.02)


def test_shape_areas_match_geometry():
    # area in pixels = unit-frame area · (R_MAX · size)²; anti-aliased to reduce pixel noise
    radius = R_MAX * SIZE
    for shape, name in enumerate(("square", "ellipse", "heart")):
        area = one(shape, rotation=0.3, antialias=4).sum()
        assert area == pytest.approx(UNIT_AREAS[name] * radius**2, rel=0.03), name
    # the shapes differ in area: ellipse < square < heart
    areas = [one(s, antialias=4).sum() for s in range(3)]
    assert areas[1] < areas[0] < areas[2]


def test_rotation_turns_the_ellipse_axis():
    for theta in (0.0, 0.4, 1.0, 2.0):
        img = one(shape=1, rotation=theta, antialias=4)
        assert orientation(img) == pytest.approx(theta % np.pi, abs=0.03)


def test_rotation_symmetries():
    # a square looks the same after a quarter turn, an ellipse after a half turn
    square_0, square_90 = one(0, rotation=0.0), one(0, rotation=np.pi / 2)
    assert np.mean(square_0 != square_90) < 0.005
    ellipse_0, ellipse_180 = one(1, rotation=0.3), one(1, rotation=0.3 + np.pi)
    assert np.mean(ellipse_0 != ellipse_180) < 0.005
    # a heart is not symmetric under a quarter or half turn
    heart = one(2, rotation=0.0)
    for theta in (np.pi / 2, np.pi):
        changed = np.sum(heart != one(2, rotation=theta))
        assert changed > 0.2 * heart.sum()
    # a 45° square is a different picture
    assert np.sum(square_0 != one(0, rotation=np.pi / 4)) > 0.1 * square_0.sum()


def test_heart_points_down_at_zero_rotation():
    heart = one(2, rotation=0.0)
    rows = np.nonzero(heart.sum(axis=1))[0]
    top, bottom = heart[rows[1]].sum(), heart[rows[-2]].sum()
    # two lobes at the top are wider than the tip at the bottom
    assert top > bottom


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be"),
        ({"n": 2.5}, "n must be"),
        ({"n": 10, "seed": -1}, "seed must be"),
        ({"n": 10, "grid": True}, "n must be None"),
        ({"n": 10, "levels": {"colour": 2}}, "unknown factors"),
        ({"n": 10, "levels": {"shape": 4}}, "levels\\['shape'\\]"),
        ({"n": 10, "levels": {"scale": 0}}, "levels\\['scale'\\]"),
        ({"n": 10, "size": 4}, "size must be"),
        ({"n": 10, "antialias": 0}, "antialias must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sprites(**kwargs)


def test_draw_rejects_bad_values():
    with pytest.raises(ValueError, match="shape must"):
        draw_sprites([3], [1.0], [0.0], [0.5], [0.5])
    with pytest.raises(ValueError, match="scale must"):
        draw_sprites([0], [1.5], [0.0], [0.5], [0.5])
    with pytest.raises(ValueError, match="pos_x must"):
        draw_sprites([0], [1.0], [0.0], [1.5], [0.5])
    with pytest.raises(ValueError, match="rotation must have shape"):
        draw_sprites([0, 1], [1.0, 1.0], [0.0], [0.5, 0.5], [0.5, 0.5])


def test_continuous_draws_fill_each_range_and_name_the_nearest_level():
    data = make_sprites(4000, seed=2, continuous=True, **SPRITES32)
    assert data.images.shape == (4000, 1, 32, 32)
    values = factor_values(SPRITES32["levels"], SPRITES32["ranges"])
    for j, name in enumerate(FACTORS[1:], start=1):
        column = data.values[:, j].numpy()
        low, high = values[name][0], values[name][-1]
        # uniform on the range: values between the levels, not only on them
        assert np.isin(column, values[name]).mean() < 0.01
        assert column.min() >= 0 and column.max() <= (np.pi / 2 if name == "rotation" else 1)
        assert column.min() < low + 0.05 * (high - low) + 0.05
        nearest = values[name][data.factors[:, j].numpy()]
        gap = np.abs(column[:, None] - values[name][None, :]).min(axis=1)
        np.testing.assert_allclose(np.abs(column - nearest), gap, atol=1e-6)


def test_sprites32_grid_and_quarter_turn_rotation():
    grid = make_sprites(grid=True, **SPRITES32)
    assert grid.images.shape == (3 * 6 * 6 * 12 * 12, 1, 32, 32)
    rotations = factor_values(SPRITES32["levels"], SPRITES32["ranges"])["rotation"]
    np.testing.assert_allclose(rotations, np.arange(6) * (np.pi / 2) / 6)
    # over a quarter turn every rotation level of the square draws a different picture
    square = [one(shape=0, rotation=r, size=32) for r in rotations]
    assert all((a != b).any() for i, a in enumerate(square) for b in square[i + 1 :])


def test_bad_ranges():
    with pytest.raises(ValueError, match="ranges has unknown"):
        make_sprites(5, ranges={"colour": (0, 1)})
    with pytest.raises(ValueError, match=r"ranges\['pos_x'\]"):
        make_sprites(5, ranges={"pos_x": (0.5, 0.2)})
    with pytest.raises(ValueError, match="continuous must be False"):
        make_sprites(grid=True, continuous=True)
