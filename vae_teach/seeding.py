"""One call that seeds every random number generator a notebook uses."""

import random

import numpy as np
import torch

from vae_teach import _checks


def set_seed(seed: int) -> torch.Generator:
    """Seed Python's `random`, NumPy and torch; return a torch generator seeded the same way.

    Args:
        seed: a non-negative integer.
    """
    seed = _checks.seed(seed)  # a non-negative int (NumPy integers too), or a clear error
    if seed >= 2**32:
        raise ValueError(f"seed must be below 2**32 (NumPy's limit), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
