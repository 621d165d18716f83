"""Notebook 05's widget: q = N(μ, σ²) against the prior N(0, 1), KL(q ‖ p) in closed form.

The curves are drawn in the browser from the two sliders (js/kl.js), so moving one redraws at
once; the kernel keeps the same numbers (`kl()`) and draws the same picture with matplotlib
for a saved notebook (`figure()`).
"""

import numpy as np
import torch

from vae_teach.widgets.base import Widget, slider


class KLExplorer(Widget):
    """q = N(μ, σ²) drawn against the prior N(0, 1), with KL(q ‖ p) in closed form (05).

    Args:
        size: "normal" or "presenter".
        mu, sigma: where the sliders start.
    """

    NAME = "kl"

    def __init__(self, size="normal", mu=1.0, sigma=0.5):
        controls = [
            slider("mu", "μ (mean)", -3.0, 3.0, 0.1, signed=True),
            slider("sigma", "σ (std)", 0.1, 3.0, 0.05),
        ]
        self._build(controls, {"mu": mu, "sigma": sigma}, size)
        self.mu, self.sigma = self.controls["mu"], self.controls["sigma"]

    def kl(self) -> float:
        """KL(N(μ, σ²) ‖ N(0, 1)) in nats, from vae_teach.kl.gaussian_kl."""
        from vae_teach.kl import gaussian_kl

        mu = torch.tensor([[self.mu.value]], dtype=torch.float64)
        # log σ² = 2 log σ
        logvar = 2 * torch.log(torch.tensor([[self.sigma.value]], dtype=torch.float64))
        return gaussian_kl(mu, logvar).item()

    def figure(self):
        """The two densities and the KL integrand q log(q/p), as a matplotlib Figure."""
        from matplotlib.figure import Figure

        z = np.linspace(-6, 6, 601)
        mu, sigma = self.mu.value, self.sigma.value
        # log N(z; μ, σ²) = −½ log 2π − log σ − (z − μ)² / 2σ²
        log_q = -0.5 * np.log(2 * np.pi) - np.log(sigma) - (z - mu) ** 2 / (2 * sigma**2)
        # log N(z; 0, 1) = −½ log 2π − z² / 2
        log_p = -0.5 * np.log(2 * np.pi) - z**2 / 2
        fig = Figure(figsize=(6, 2.8))
        ax = fig.subplots()
        fig.subplots_adjust(left=0.08, right=0.98, top=0.89, bottom=0.16)
        ax.fill_between(z, np.exp(log_p), color="0.47", alpha=0.3, label="p = N(0, 1)")
        ax.plot(z, np.exp(log_q), color="#0072B2", lw=2, label=f"q = N({mu:.2f}, {sigma:.2f}²)")
        # the integrand of KL(q ‖ p) = ∫ q (log q − log p) dz
        integrand = np.exp(log_q) * (log_q - log_p)
        ax.plot(z, integrand, color="#D55E00", lw=1.5, ls="--", label="q log(q/p)")
        ax.axhline(0, color="black", lw=0.5)
        top = max(0.45, np.exp(log_q).max(), integrand.max())
        ax.set_ylim(min(-0.1, 1.1 * integrand.min()), 1.1 * top)
        ax.set_xlabel("z")
        ax.set_title(f"KL(q ‖ p) = {self.kl():.3f} nats", fontsize=11)
        ax.legend(fontsize=8, loc="upper left")
        return fig

    def digest(self) -> str:
        """The slider values and the KL shown."""
        return f"μ={self.mu.value:.2f} σ={self.sigma.value:.2f} KL={self.kl():.3f} nats"
