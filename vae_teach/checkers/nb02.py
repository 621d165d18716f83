"""Notebook 02 (denoising): salt-and-pepper noise, checked by the statistics of what it does."""

import torch

from vae_teach.checkers._engine import Mistake, Verdict, run_student

FRACTIONS = (0.0, 0.1, 0.3, 0.6)


def _grey_images():
    """(pattern, images): half the pixels 0.2, half 0.8, in a fixed pattern, (64, 1, 28, 28)."""
    pattern = torch.rand((64, 1, 28, 28), generator=torch.Generator().manual_seed(202)) < 0.5
    return pattern, torch.where(pattern, 0.8, 0.2)


def _statistics(x_tilde, grey, pattern, fraction, x_after) -> dict:
    """What a check needs to know of one output x_tilde for the input `grey`."""
    changed = x_tilde != grey  # (B, 1, 28, 28) bool
    values = x_tilde[changed]
    bright = pattern[changed]
    return {
        "fraction": fraction,
        "changed": changed,
        "share": changed.float().mean().item(),
        "values": values,
        "salt": (values == 1).float().mean().item(),
        # the coin must not look at the pixel: salt as often on dark pixels as on bright ones
        "salt_dark": (values[~bright] == 1).float().mean().item(),
        "salt_bright": (values[bright] == 1).float().mean().item(),
        "input_kept": torch.equal(x_after, grey),
    }


def _other_values(s):
    others = s["values"][(s["values"] != 0) & (s["values"] != 1)]
    return f"{others[0]:.3g}" if len(others) else ""


def _one_colour(s):
    return "salt (1)" if s["salt"] == 1 else "pepper (0)"


def _share_near(s):
    off = abs(s["share"] - s["fraction"]) > 0.01
    return off and s["fraction"] / 2.2 < s["share"] < 2.2 * s["fraction"]


def _drawn_twice(s):
    if s["share"] > s["fraction"]:
        return " (did you draw salt and pepper separately, each with probability `fraction`?)"
    return ""


# Known mistakes, tried in order on one output with fraction > 0: Mistake(hint, test, verdict)
# where test(statistics) says whether the output shows the mistake; the hint is formatted
# with the statistics (and `other`, `colour`, `twice` below). The first "wrong" stops the
# check; a "close" is remembered and the next fraction is tried.
MISTAKES = [
    Mistake("no pixel changed", lambda s: s["share"] == 0, "wrong"),
    Mistake(
        "changed pixels must become 0 (pepper) or 1 (salt), found other values such as {other}",
        lambda s: not torch.all((s["values"] == 0) | (s["values"] == 1)),
        "wrong",
    ),
    Mistake(
        "every changed pixel is {colour}; flip a fair coin",
        lambda s: s["salt"] in (0.0, 1.0),
        "wrong",
    ),
    Mistake(
        "{salt_bright:.0%} of the changed bright pixels (0.8) became salt but {salt_dark:.0%} "
        "of the dark ones (0.2): the coin depends on the pixel's value (Bernoulli(x)?); salt "
        "or pepper must be a fair coin, whatever the pixel was",
        lambda s: abs(s["salt_bright"] - s["salt_dark"]) > 0.2,
        "wrong",
    ),
    Mistake(
        "every image has the same pixels changed; draw a new choice for each image",
        lambda s: bool(torch.all(s["changed"] == s["changed"][:1])),
        "close",
    ),
    Mistake(
        "{share:.1%} of the pixels changed, expected {fraction:.0%}{twice}", _share_near, "close"
    ),
    Mistake(
        "{share:.1%} of the pixels changed, expected {fraction:.0%}",
        lambda s: abs(s["share"] - s["fraction"]) > 0.01,
        "wrong",
    ),
    Mistake(
        "{salt:.0%} of changed pixels are salt, expected ½",
        lambda s: abs(s["salt"] - 0.5) > 0.05,
        "close",
    ),
    Mistake(
        "your function also changed its input x; work on a copy (x.clone()) or use torch.where",
        lambda s: not s["input_kept"],
        "close",
    ),
]


def _read_output(x_tilde, shape, where):
    """(dense real tensor, None), or (None, a wrong Verdict) for an output of the wrong kind."""
    if not isinstance(x_tilde, torch.Tensor) or x_tilde.shape != shape:
        got = tuple(x_tilde.shape) if isinstance(x_tilde, torch.Tensor) else type(x_tilde)
        return None, Verdict(
            "wrong", f"{where}expected a tensor of shape {tuple(shape)}, got {got}"
        )
    if x_tilde.layout != torch.strided:  # sparse: look at its values all the same
        x_tilde = x_tilde.to_dense()
    if x_tilde.is_meta or x_tilde.is_complex():
        kind = "on the 'meta' device, which holds no values" if x_tilde.is_meta else "complex"
        return None, Verdict("wrong", f"{where}expected real pixel values, got a tensor {kind}")
    return x_tilde, None


def _first_mistake(s) -> Verdict | None:
    """The verdict of the first known mistake the statistics show, or None."""
    for mistake in MISTAKES:
        if mistake.function(s):
            hint = mistake.hint.format(
                other=_other_values(s), colour=_one_colour(s), twice=_drawn_twice(s), **s
            )
            return Verdict(mistake.verdict, f"with fraction={s['fraction']}: {hint}")
    return None


def check_salt_and_pepper(student_fn) -> Verdict:
    """Check `salt_and_pepper(x, fraction)` by the statistics of what it changes.

    Random functions cannot be compared number by number, so the check measures, on a batch
    of grey images (every pixel 0.2 or 0.8, never 0 or 1, so every overwritten pixel shows):
    the share of pixels changed (should be `fraction`, ± 0.01), the values written (only 0
    and 1), the share of salt among them (½ ± 0.05, on dark and on bright pixels alike: a
    fair coin, not Bernoulli(x)), that different images get different pixels, that fraction
    0 changes nothing, and that x itself is left unchanged.
    """
    if not callable(student_fn):
        return Verdict("wrong", f"expected a function, got {type(student_fn).__name__}")
    pattern, grey = _grey_images()
    close = []
    for seed, fraction in enumerate(FRACTIONS):
        where = f"with fraction={fraction}: "
        x_after = grey.clone()
        torch.manual_seed(seed)
        x_tilde, failed = run_student(student_fn, (x_after, fraction), name="salt_and_pepper")
        if failed is not None:
            prefix = "" if "not implemented" in failed.message else where
            return Verdict("wrong", prefix + failed.message)
        x_tilde, failed = _read_output(x_tilde, grey.shape, where)
        if failed is not None:
            return failed
        share = (x_tilde != grey).float().mean().item()
        if fraction == 0:
            if share > 0:
                return Verdict("wrong", f"{where}{share:.1%} of pixels changed, expected none")
            continue
        verdict = _first_mistake(_statistics(x_tilde, grey, pattern, fraction, x_after))
        if verdict is not None and verdict.status == "wrong":
            return verdict
        if verdict is not None:
            close.append(verdict)
    if close:
        return close[0]
    return Verdict(
        "right",
        "the right share of pixels changed, to 0 or 1 half and half, fresh per image",
    )
