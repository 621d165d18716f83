"""One call that seeds every random number generator a notebook uses."""

import random

import numpy as np
import torch


def set_seed(seed: int) -> torch.Generator:
    """Seed Python's `random`, NumPy and torch; return a torch generator seeded the same way.

    Args:
        seed: a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
