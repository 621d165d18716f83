"""Notebook 01 (autoencoder): the reconstruction loss, binary cross-entropy."""

import torch
import torch.nn.functional as F

from vae_teach.checkers._engine import (
    Mistake,
    Verdict,
    changed_inputs,
    compare,
    in_place_note,
    matching_mistake,
    run_student,
)
from vae_teach.likelihoods import bernoulli_log_likelihood


def _reconstruction_inputs():
    """Fixed (x, x_hat) pairs: grey-level images and sigmoid outputs, 4-D and flat."""
    generator = torch.Generator().manual_seed(101)
    pairs = []
    for shape in [(4, 1, 28, 28), (3, 784), (1, 1, 28, 28)]:
        x = torch.rand(shape, generator=generator)
        logits = 2 * torch.randn(shape, generator=generator)
        pairs.append((x, logits))
    return pairs


def _bce(x, logits):
    # BCE_b = −Σ_i [x_i log x̂_i + (1 − x_i) log(1 − x̂_i)], per example (B,)
    return -bernoulli_log_likelihood(x, logits)


def _swapped(x, x_hat):
    # swapped: −Σ [x̂ log x + (1 − x̂) log(1 − x)], per example
    flat_x, flat_x_hat = x.reshape(len(x), -1), x_hat.reshape(len(x), -1)
    return -(flat_x_hat * flat_x.log() + (1 - flat_x_hat) * (1 - flat_x).log()).sum(1)


def _logits_formula_on_pixels(x, x_hat):
    # BCE-with-logits applied to x̂ as if it were logits: sigmoid(x̂) is not x̂
    flat_x, flat_x_hat = x.reshape(len(x), -1), x_hat.reshape(len(x), -1)
    return F.binary_cross_entropy_with_logits(flat_x_hat, flat_x, reduction="none").sum(1)


def _squared(x, x_hat):
    # x̂ − x squared: a fine loss, but not the one the model is trained with: (B, D)
    return (x_hat - x).pow(2).reshape(len(x), -1)


_SWAPPED = (
    "the two arguments are swapped: the target x goes outside the logarithms, "
    "−[x log x̂ + (1 − x) log(1 − x̂)], and the model's x̂ inside them."
)
_ON_PIXELS = (
    "that is binary_cross_entropy_with_logits applied to x_hat, which is already a "
    "probability: it takes a sigmoid of x_hat a second time. Use the probabilities "
    "directly (−[x log x̂ + (1 − x) log(1 − x̂)]) or F.binary_cross_entropy."
)
_SQUARED = (
    "that is the squared error; the model uses the binary cross-entropy "
    "−[x log x̂ + (1 − x) log(1 − x̂)]."
)
# Known mistakes, tried in order; each function maps (x, x_hat, logits) to the mistaken loss.
# "{pixels}" in a hint is the number of pixels per image.
MISTAKES = [
    # near misses: right formula, wrong reduction (a scale factor or a missing mean)
    Mistake(
        "you averaged over the {pixels} pixels too; sum over pixels (nats per image) "
        "and average over the batch only.",
        lambda x, x_hat, logits: _bce(x, logits).mean() / x[0].numel(),
        "close",
    ),
    Mistake(
        "you summed over the batch; average over the batch instead, so the loss does "
        "not grow with the batch size.",
        lambda x, x_hat, logits: _bce(x, logits).sum(),
        "close",
    ),
    Mistake(
        "you return one loss per image; return their mean over the batch (a scalar).",
        lambda x, x_hat, logits: _bce(x, logits),
        "close",
    ),
    # two known slips, each named, with the batch mean or the mean over pixels too
    Mistake(_SWAPPED, lambda x, x_hat, logits: _swapped(x, x_hat).mean(), "wrong"),
    Mistake(_SWAPPED, lambda x, x_hat, logits: _swapped(x, x_hat).mean() / x[0].numel(), "wrong"),
    Mistake(
        _ON_PIXELS, lambda x, x_hat, logits: _logits_formula_on_pixels(x, x_hat).mean(), "wrong"
    ),
    Mistake(
        _ON_PIXELS,
        lambda x, x_hat, logits: _logits_formula_on_pixels(x, x_hat).mean() / x[0].numel(),
        "wrong",
    ),
    Mistake(_SQUARED, lambda x, x_hat, logits: _squared(x, x_hat).sum(1).mean(), "wrong"),
    Mistake(_SQUARED, lambda x, x_hat, logits: _squared(x, x_hat).mean(), "wrong"),
]


def check_reconstruction_loss(student_fn) -> Verdict:
    """Check `reconstruction_loss(x, x_hat)`: BCE summed over pixels, mean over the batch.

    The reference is the autoencoder's training loss, `Autoencoder.loss(x)["recon"]`:
    −log p(x|z) of independent Bernoulli pixels, from the likelihoods module.
    """
    if not callable(student_fn):
        return Verdict("wrong", f"expected a function, got {type(student_fn).__name__}")
    inputs = _reconstruction_inputs()
    for i, (x, logits) in enumerate(inputs):
        where = f"test input {i + 1} of {len(inputs)} (x of shape {tuple(x.shape)}): "
        x_hat = torch.sigmoid(logits)
        used = [x.clone(), x_hat.clone()]
        student, failed = run_student(student_fn, used, name="reconstruction_loss")
        if failed is not None:
            return Verdict(
                "wrong", ("" if "not implemented" in failed.message else where) + failed.message
            )
        changed = changed_inputs([x, x_hat], used, ["x", "x_hat"])
        # loss = (1/B) Σ_b BCE_b, a scalar
        verdict = compare(student, _bce(x, logits).mean(), rtol=1e-4, name="the loss")
        if verdict.status == "right" and changed:
            return Verdict("close", f"{where}the loss is right, but {in_place_note(changed)}")
        if verdict.status == "right":
            continue
        mistake = matching_mistake(
            student, MISTAKES, lambda fn, args=(x, x_hat, logits): fn(*args), rtol=1e-4
        )
        if mistake is not None:
            hint = mistake.hint.format(pixels=x[0].numel())
            return Verdict(mistake.verdict, where + hint)
        # the same rule as every checker: a 0.1 % slip or an epsilon clamp is "close"
        return Verdict(verdict.status, where + verdict.message)
    return Verdict("right", f"reconstruction_loss matches the reference on {len(inputs)} inputs")
