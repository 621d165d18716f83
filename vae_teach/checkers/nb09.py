"""Notebook 09 (conditional VAE): the network input [x, one_hot(y)]."""

import torch

from vae_teach.checkers._engine import Mistake, Verdict, check_function


def _condition_inputs():
    """(x, y, n_classes): images (B, 1, 28, 28), flat codes (B, 2), and 3 classes."""
    gen = torch.Generator().manual_seed(9)
    return [
        (torch.rand(4, 1, 28, 28, generator=gen), torch.tensor([3, 0, 9, 3]), 10),
        (torch.randn(5, 2, generator=gen), torch.tensor([1, 1, 7, 2, 0]), 10),
        (torch.randn(3, 4, generator=gen), torch.tensor([2, 0, 1]), 3),
    ]


def _one_hot(y, n):
    return torch.nn.functional.one_hot(y.long(), n).float()


# Known mistakes, tried in order: Mistake(hint, the mistaken input).
MISTAKES = [
    Mistake(
        "the pieces are in the other order: the model's layers expect [x, one_hot(y)], the "
        "image (or code) first and the ten label entries last",
        lambda x, y, n: torch.cat([_one_hot(y, n), x.reshape(len(x), -1)], 1),
    ),
    Mistake(
        "one_hot(y) has a 1 at position y and 0 elsewhere; this puts the 1 at y + 1 (or the "
        "labels are shifted)",
        lambda x, y, n: torch.cat([x.reshape(len(x), -1), _one_hot((y + 1) % n, n)], 1),
    ),
]


def check_condition(student_fn) -> Verdict:
    """Check `condition(x, y, n_classes) -> (B, D + n_classes)` = [flattened x, one_hot(y)]."""
    from vae_teach.conditional import condition

    return check_function(
        student_fn, condition, _condition_inputs(), mistakes=MISTAKES, name="condition"
    )
