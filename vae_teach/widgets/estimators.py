"""Notebook 04's widget: histograms of single-sample score-function and reparameterisation
gradients of E_{z~N(μ, σ²)}[(z − c)²], from fixed draws ε.

The draws ε are sent to the browser once (float32); every per-sample gradient is a closed-form
function of (μ, σ, c, ε), so js/estimators.js recomputes and redraws the histograms at once
when a slider moves. The kernel keeps the same numbers from vae_teach.estimators
(`gradients()`, `closed_form_variances()`, `digest()`) and draws the same picture with
matplotlib for a saved notebook (`figure()`).
"""

import numpy as np
import torch

from vae_teach import _checks
from vae_teach.estimators import (
    quadratic,
    reparameterisation_gradients,
    reparameterisation_variance,
    score_function_gradients,
    score_function_variance,
)
from vae_teach.widgets.base import Widget, slider

# colours of the two estimators (Okabe–Ito): score function orange, reparameterisation blue
COLOURS = {"score": "#E69F00", "reparam": "#0072B2"}


def histogram_bins(score: np.ndarray, reparam: np.ndarray, exact: float) -> np.ndarray:
    """61 common bin edges: the central 98 % of both estimators' values, and exact ± 1."""
    both = np.concatenate([score, reparam])
    lo, hi = np.percentile(both, [1, 99])
    return np.linspace(min(lo, exact - 1), max(hi, exact + 1), 61)


class EstimatorHistograms(Widget):
    """Histograms of single-sample score-function and reparameterisation gradients (04).

    For f(z) = (z − c)² and z ~ N(μ, σ²): one panel per parameter (μ, σ), the exact gradient as
    a line. The draws ε are fixed once, so moving a slider changes only μ, σ or c.

    Args:
        n: number of draws of ε.
        seed: seed of the draws.
        size: "normal" or "presenter".
        mu, std, c: where the sliders start (c is the centre of f).
    """

    NAME = "estimators"

    def __init__(self, n=100_000, seed=0, size="normal", mu=1.0, std=1.0, c=0.0):
        n = _checks.integer(n, "n", minimum=2)
        gen = torch.Generator().manual_seed(_checks.seed(seed))
        # fixed draws ε ~ N(0, 1): (n, 1), rounded to float32 (what the browser gets) and held
        # in float64, so that kernel and browser use the very same numbers
        eps = torch.randn(n, 1, generator=gen, dtype=torch.float64).float()
        self.eps = eps.double()
        controls = [
            slider("mu", "μ (mean)", -3.0, 3.0, 0.1, signed=True),
            slider("sigma", "σ (std)", 0.2, 3.0, 0.1),
            slider("c", "c (f = (z−c)²)", -4.0, 4.0, 0.5, signed=True),
        ]
        spec = {"n": n, "colours": COLOURS}
        # ε as little-endian float32 bytes, (n,), sent once in the view's binary trait
        weights = eps[:, 0].numpy().astype("<f4").tobytes()
        self._build(controls, {"mu": mu, "sigma": std, "c": c}, size, spec=spec, weights=weights)
        self.mu, self.sigma, self.c = (self.controls[k] for k in ("mu", "sigma", "c"))

    def _params(self):
        mu = torch.tensor([self.mu.value], dtype=torch.float64)
        std = torch.tensor([self.sigma.value], dtype=torch.float64)
        return mu, std, float(self.c.value)

    def gradients(self) -> dict:
        """Per-sample estimates {"score": (g_mu, g_std), "reparam": (…)}, each (n,) NumPy."""
        mu, std, c = self._params()
        out = {}
        for name, fn in [
            ("score", score_function_gradients),
            ("reparam", reparameterisation_gradients),
        ]:
            g_mu, g_std = fn(lambda z: quadratic(z, c), mu, std, self.eps)
            out[name] = (g_mu[:, 0].detach().numpy(), g_std[:, 0].detach().numpy())
        return out

    def exact(self) -> tuple:
        """Exact gradients (d/dμ, d/dσ) of E[(z − c)²] = (μ − c)² + σ²."""
        # ∂/∂μ = 2(μ − c), ∂/∂σ = 2σ
        return 2 * (self.mu.value - self.c.value), 2 * self.sigma.value

    def closed_form_variances(self) -> dict:
        """{"score": (var_mu, var_std), "reparam": (…)} of one sample, from the closed forms."""
        mu, std, c = self._params()
        out = {}
        for name, fn in [
            ("score", score_function_variance),
            ("reparam", reparameterisation_variance),
        ]:
            out[name] = tuple(v.item() for v in fn(mu, std, c))
        return out

    def figure(self):
        """The two histogram panels as a matplotlib Figure (not shown inline)."""
        from matplotlib.figure import Figure

        grads, exact, closed = self.gradients(), self.exact(), self.closed_form_variances()
        fig = Figure(figsize=(8, 2.8))
        axes = fig.subplots(1, 2)
        # a fixed layout: tight_layout and bbox="tight" would double the drawing time
        fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.09, wspace=0.06)
        for i, (ax, label) in enumerate(zip(axes, ["∂/∂μ", "∂/∂σ"], strict=True)):
            bins = histogram_bins(grads["score"][i], grads["reparam"][i], exact[i])
            for name in ("score", "reparam"):
                values = grads[name][i]
                counts, edges = np.histogram(values, bins=bins, density=True)
                legend = f"{name}: var {values.var():.3g} (exact {closed[name][i]:.3g})"
                ax.stairs(counts, edges, fill=True, alpha=0.45, color=COLOURS[name], label=legend)
            ax.axvline(exact[i], color="black", lw=1.5, label=f"exact {exact[i]:.3g}")
            ax.set_title(f"single-sample estimates of {label} E[f]", fontsize=10)
            ax.set_yticks([])
            ax.legend(fontsize=8, loc="upper right")
        return fig

    def digest(self) -> str:
        """Slider values, exact gradients, measured and closed-form variances, rounded."""
        grads, exact, closed = self.gradients(), self.exact(), self.closed_form_variances()
        parts = [f"μ={self.mu.value:.2f} σ={self.sigma.value:.2f} c={self.c.value:.2f}"]
        for i, label in enumerate(["d/dμ", "d/dσ"]):
            var_s, var_r = grads["score"][i].var(), grads["reparam"][i].var()
            parts.append(
                f"{label}: exact {exact[i]:.3g}; variance score {var_s:.3g} "
                f"(closed form {closed['score'][i]:.3g}), reparam {var_r:.3g} "
                f"(closed form {closed['reparam'][i]:.3g})"
            )
        return " | ".join(parts)
