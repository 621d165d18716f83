"""Notebook 03's widget: q(z) = N(mean, std²) over the exact posterior of a 1-D linear-Gaussian
model, next to one stacked bar, ELBO + gap = log p(x), all in closed form.

The picture is a formula of the two sliders, so the browser draws it (js/elbo_lab.js) from a
few constants of the model sent once (`constants`); the kernel keeps the same numbers, computed
by vae_teach.linear_gaussian (`values()`, `bar()`, `digest()`).
"""

import math
from types import SimpleNamespace

import torch

from vae_teach import linear_gaussian as lg
from vae_teach.widgets.base import Widget, button, slider


def constants(model: lg.LinearGaussian, x: torch.Tensor) -> dict:
    """What the browser needs for ELBO(mean, std) and the gap in closed form (1-D latent).

    With r = x − b and w the one column of W (D,): rr = ‖r‖², wr = wᵀr, ww = ‖w‖², so that
    ‖x − b − w m‖² = rr − 2 m wr + m² ww for any q mean m.
    """
    w, r = model.W[:, 0], x - model.b  # (D,), (D,)
    m, S = lg.posterior(model, x)
    return {
        "D": model.data_dim,
        "sigma2": model.sigma**2,
        "rr": float(r @ r),
        "wr": float(w @ r),
        "ww": float(w @ w),
        "log_px": lg.log_px(model, x).item(),
        "post_mean": m.item(),
        "post_std": S.item() ** 0.5,
    }


def bar_floor(log_px: float, elbo: float, scale: float) -> float:
    """Bottom of the bar's scale: steps of `scale` nats below log p(x), 15 % past the ELBO."""
    depth = log_px - elbo
    return log_px - scale * max(1, math.ceil(1.15 * depth / scale))


class ELBOLab(Widget):
    """Move q(z) = N(mean, std²) over the true posterior of a 1-D linear-Gaussian model (03).

    The picture shows the prior p(z), the true posterior p(z|x) and q, next to one stacked bar
    on a scale of nats: the ELBO of q (orange) with the gap KL(q ‖ p(z|x)) (vermillion) on top,
    so that the bar always ends at log p(x) (fixed by the model and x), all exact. The scale
    follows the ELBO down, so the bar is never cut. Drive it from code with
    `set(mean=..., std=...)` or `button.click()` ("q = true posterior"); `values()` returns the
    numbers, `bar()` what the bar shows.

    Args:
        model: a `linear_gaussian.LinearGaussian` with latent_dim 1.
        x: (D,) the observed data point.
        mean, std: the starting q.
        size: "normal" or "presenter".
    """

    NAME = "elbo_lab"
    Z_RANGE = (-3.5, 3.5)
    # nats shown below log p(x) at first; the scale grows in these steps when the ELBO falls
    SCALE = 6.0

    def __init__(self, model, x, mean=-1.5, std=1.0, size="normal"):
        if model.latent_dim != 1:
            raise ValueError(f"model must have latent_dim 1, got {model.latent_dim}")
        self.model, self.x = model, torch.as_tensor(x, dtype=torch.float64)
        self.constants = constants(model, self.x)
        self.log_px = self.constants["log_px"]
        self.posterior_mean = self.constants["post_mean"]
        self.posterior_std = self.constants["post_std"]
        spec = {"model": self.constants, "z_range": self._z_range(), "scale": self.SCALE}
        values = {"mean": mean, "std": std, "posterior": 0}
        self._build(self._controls(), values, size, spec=spec)
        self.mean_slider, self.std_slider = self.controls["mean"], self.controls["std"]
        # the button seen from Python: click() does what a click in the browser does
        self.button = SimpleNamespace(description="q = true posterior", click=self.to_posterior)

    def _controls(self) -> list:
        # ±3 and 0.05..2, widened if needed to reach the true posterior, so that the button
        # "q = true posterior" gives a gap of exactly 0
        m, s = self.posterior_mean, self.posterior_std
        mean_range = (min(-3.0, math.floor(m - 0.5)), max(3.0, math.ceil(m + 0.5)))
        std_range = (min(0.05, s / 2), max(2.0, 1.5 * s))
        return [
            slider("mean", "q mean", *mean_range, 0.01, signed=True),
            slider("std", "q std", *std_range, 0.01),
            # its clicks; the browser then moves both sliders onto the posterior (js/elbo_lab.js)
            button("posterior", "q = true posterior"),
        ]

    def _z_range(self) -> list:
        # the plot shows the prior's ±3.5 and the posterior's ±4 standard deviations
        m, s = self.posterior_mean, self.posterior_std
        return [min(self.Z_RANGE[0], m - 4 * s), max(self.Z_RANGE[1], m + 4 * s)]

    def values(self) -> dict:
        """The exact numbers for the current q: log_px, elbo, gap, recon, kl_prior (nats)."""
        mu_q = torch.tensor([self.mean_slider.value], dtype=torch.float64)
        cov_q = torch.tensor([[self.std_slider.value**2]], dtype=torch.float64)
        return {
            "log_px": self.log_px,
            "elbo": lg.exact_elbo(self.model, self.x, mu_q, cov_q).item(),
            "gap": lg.kl_to_posterior(self.model, self.x, mu_q, cov_q).item(),
            "recon": lg.expected_log_likelihood(self.model, self.x, mu_q, cov_q).item(),
            "kl_prior": lg.kl_to_prior(mu_q, cov_q).item(),
        }

    def set(self, mean=None, std=None) -> None:
        """Move the sliders (either or both, checked against their ranges) in one step."""
        changes = {"mean": mean, "std": std}
        self.set_values(**{name: v for name, v in changes.items() if v is not None})

    def to_posterior(self) -> None:
        """What the button "q = true posterior" does: q = p(z|x), so the gap is 0."""
        clicks = self.view.values["posterior"] + 1
        self.set_values(mean=self.posterior_mean, std=self.posterior_std, posterior=clicks)

    def bar(self) -> dict:
        """What the stacked bar shows: bottom of the scale, ELBO and top (= log p(x)), nats."""
        v = self.values()
        floor = bar_floor(self.log_px, v["elbo"], self.SCALE)
        return {"floor": floor, "elbo": v["elbo"], "top": v["elbo"] + v["gap"]}

    def digest(self) -> str:
        """q, and the three exact numbers (4 decimals)."""
        v = self.values()
        # round first, then + 0.0 so that a gap of −1e-17 prints as 0.0000, not −0.0000
        gap = round(v["gap"], 4) + 0.0
        return (
            f"q = N({self.mean_slider.value:.2f}, {self.std_slider.value:.2f}²): "
            f"log p(x) = {v['log_px']:.4f}, ELBO = {v['elbo']:.4f}, gap = {gap:.4f}"
        )
