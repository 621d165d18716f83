"""Tests of vae_teach.seeding.set_seed: Python, NumPy and torch all replay after a reseed."""

import random

import numpy as np
import pytest
import torch

from vae_teach.seeding import set_seed


def draw(generator: torch.Generator):
    """One draw from each source of randomness a notebook uses."""
    return (
        random.random(),
        np.random.rand(3).tolist(),
        torch.randn(3).tolist(),
        torch.randn(3, generator=generator).tolist(),
    )


def test_same_seed_replays_every_generator():
    first = draw(set_seed(123))
    second = draw(set_seed(123))
    assert first == second


def test_each_generator_is_seeded_not_just_one():
    a = draw(set_seed(1))
    b = draw(set_seed(2))
    # Every source changes with the seed, so none of them is left unseeded.
    assert all(x != y for x, y in zip(a, b, strict=True))


def test_returned_generator_is_independent_of_global_state():
    g = set_seed(7)
    torch.randn(100)  # advancing the global generator must not move the returned one
    expected = torch.randn(3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.randn(3, generator=g), expected)


def test_zero_is_a_valid_seed():
    assert isinstance(set_seed(0), torch.Generator)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_bad_seed_is_a_value_error_naming_it(seed):
    with pytest.raises(ValueError, match="seed must be an int"):
        set_seed(seed)


def test_numpy_integers_are_seeds_and_huge_seeds_are_refused_by_name():
    import numpy as np

    a = set_seed(np.int64(5)).initial_seed()
    assert a == set_seed(5).initial_seed() == 5
    with pytest.raises(ValueError, match="seed must be below 2\\*\\*32"):
        set_seed(2**40)
