"""Interactive widgets for the notebooks, built on plain ipywidgets (7.7 and 8 alike).

Images are rendered to PNG bytes and put into an `ipywidgets.Image`: fast, and it works in
JupyterLab, Notebook, VS Code, Voilà and Colab without extensions. Each widget is a small
class with `.widget` (what to display), plain attributes and methods to drive it from code,
and `digest()`, a short string of what it shows, so a test can check it without a browser.
The first part holds the shared machinery; each notebook's widgets follow in its section.
"""

import io
import math

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image as PILImage

from vae_teach import _checks

# Display sizes: "presenter" for a projector (bigger images and sliders).
SIZES = {
    "normal": {"scale": 4, "slider_width": "340px", "description_width": "100px", "dpi": 80},
    "presenter": {"scale": 8, "slider_width": "560px", "description_width": "160px", "dpi": 120},
}


def _size(size: str) -> dict:
    if size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}, got {size!r}")
    return SIZES[size]


def to_numpy(image) -> np.ndarray:
    """A torch tensor or array -> float NumPy array (detached, on the CPU)."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    return np.asarray(image, dtype=np.float32)


def tile_images(images, nrow=8, pad=1) -> np.ndarray:
    """N images (N, H, W) or (N, 1, H, W) in [0, 1] -> one grid image (H', W'), padded."""
    nrow = _checks.positive_int(nrow, "nrow")
    pad = _checks.integer(pad, "pad", minimum=0)
    images = to_numpy(images)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W) or (N, 1, H, W), got {images.shape}")
    n, h, w = images.shape
    ncol = max(1, min(nrow, n))
    rows = -(-n // ncol)
    grid = np.ones((rows * (h + pad) + pad, ncol * (w + pad) + pad), dtype=np.float32)
    for i, image in enumerate(images):
        top, left = pad + (i // ncol) * (h + pad), pad + (i % ncol) * (w + pad)
        grid[top : top + h, left : left + w] = image
    return grid


def image_to_png(img, scale=4) -> bytes:
    """PNG bytes of one image (H, W) or (C, H, W), C in {1, 3}, values in [0, 1].

    Args:
        img: tensor or array; values outside [0, 1] are clipped.
        scale: integer upscaling factor (nearest neighbour, so pixels stay sharp).
    """
    img = to_numpy(img)
    if img.ndim == 3 and img.shape[0] in (1, 3):
        img = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
    elif img.ndim != 2:
        raise ValueError(f"img must have shape (H, W) or (C, H, W) with C 1 or 3, got {img.shape}")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive int, got {scale!r}")
    pixels = np.round(np.clip(np.nan_to_num(img), 0.0, 1.0) * 255).astype(np.uint8)
    # nearest-neighbour upscaling: every pixel becomes a scale × scale block
    pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def figure_to_png(fig, dpi=80, close=True, tight=True) -> bytes:
    """PNG bytes of a matplotlib figure; closes it (so it is not also shown inline).

    tight=False skips the search for a tight bounding box: about twice as fast for a figure
    whose layout is already fixed, which is what a widget redrawn at every slider move wants.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    if close:
        plt.close(fig)
    return buffer.getvalue()


def slider(description, min, max, value, step, size="normal", name=None):
    """A horizontal slider (IntSlider if every number is an int, else FloatSlider).

    `name` is the caller's argument that sets `value` (e.g. "mean"), used in errors;
    by default the description.
    """
    name = name or description
    low = _checks.real(min, f"the minimum of {name}")
    high = _checks.real(max, f"the maximum of {name}")
    _checks.positive(step, f"the step of {name}")
    if not low <= high:
        raise ValueError(f"the range of {name} must have min ≤ max, got [{min}, {max}]")
    _checks.real(value, name, low=low, high=high)
    sz = _size(size)
    kwargs = dict(
        description=description,
        min=min,
        max=max,
        value=value,
        step=step,
        continuous_update=True,
        style={"description_width": sz["description_width"]},
        layout=ipywidgets.Layout(width=sz["slider_width"]),
    )
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (min, max, value, step)):
        return ipywidgets.IntSlider(**kwargs)
    # readout digits from the step: 0.1 -> 1, 0.05 -> 2
    decimals = int(np.clip(-np.floor(np.log10(step)), 0, 6)) if step > 0 else 2
    return ipywidgets.FloatSlider(readout_format=f".{decimals}f", **kwargs)


def image_widget(size="normal", img=None) -> ipywidgets.Image:
    """An empty (or filled) PNG image widget; fill it with `w.value = image_to_png(...)`."""
    _size(size)
    widget = ipywidgets.Image(format="png")
    if img is not None:
        widget.value = image_to_png(img, scale=SIZES[size]["scale"])
    return widget


def describe_image(img, decimals=2) -> str:
    """A short, stable text summary of an image in [0, 1], for digests."""
    img = to_numpy(img)
    return (
        f"{'x'.join(map(str, img.shape))} image, mean {img.mean():.{decimals}f}, "
        f"ink {(img > 0.5).mean():.{decimals}f}"
    )


class Widget:
    """Base for the notebook widgets: `.widget` is displayed, `digest()` describes it."""

    widget: ipywidgets.Widget

    def digest(self) -> str:
        raise NotImplementedError

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


# --- 02 denoising ---


class DenoisingExplorer(Widget):
    """One digit four times: clean, corrupted, the plain AE's and the DAE's reconstruction.

    A corruption picker, a noise-level slider and a digit slider drive it; the noise is drawn
    from a generator seeded with `seed`, so the same settings always show the same picture.

    Args:
        ae, dae: models whose forward(x) gives reconstructions in [0, 1] of shape x.shape.
        images: (N, 1, H, W) clean digits in [0, 1] to choose from.
        labels: optional (N,) digit labels, shown in the digest.
        kind, level, index: the corruption ("gaussian", "masking", "salt_and_pepper"), its
            level (std or fraction, in [0, 1]) and the digit shown first.
        seed: seed of the corruption noise.
        size: "normal" or "presenter".
    """

    TITLES = ("clean", "corrupted", "plain AE", "DAE")

    def __init__(
        self,
        ae,
        dae,
        images,
        labels=None,
        kind="gaussian",
        level=0.5,
        index=0,
        seed=0,
        size="normal",
    ):
        from vae_teach.corruption import KINDS

        if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
            raise ValueError(f"images must be a tensor (N, C, H, W) with N > 0, got {shape}")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"labels must have {len(images)} entries, got {len(labels)}")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        sz = _size(size)
        self.ae, self.dae, self.images, self.labels = ae, dae, images, labels
        self.seed, self.scale = seed, sz["scale"]
        self.kind_picker = ipywidgets.Dropdown(
            options=list(KINDS),
            value=kind,
            description="corruption",
            style={"description_width": sz["description_width"]},
            layout=ipywidgets.Layout(width=sz["slider_width"]),
        )
        self.level_slider = slider("noise level", 0.0, 1.0, level, 0.05, size, name="level")
        _checks.integer(index, "index")
        self.index_slider = slider("digit #", 0, len(images) - 1, int(index), 1, size, name="index")
        self.panels = [image_widget(size) for _ in self.TITLES]
        self.captions = [ipywidgets.Label(title) for title in self.TITLES]
        columns = [ipywidgets.VBox([c, p]) for c, p in zip(self.captions, self.panels, strict=True)]
        controls = [self.kind_picker, self.level_slider, self.index_slider]
        self.widget = ipywidgets.VBox([*controls, ipywidgets.HBox(columns)])
        for control in controls:
            control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change):
        self.update()

    @torch.no_grad()
    def update(self) -> None:
        """Corrupt the chosen digit, reconstruct it with both models, redraw the four images."""
        from vae_teach.corruption import corrupt

        generator = torch.Generator().manual_seed(self.seed)
        self.x = self.images[self.index_slider.value : self.index_slider.value + 1]  # (1, C, H, W)
        self.x_tilde = corrupt(self.x, self.kind_picker.value, self.level_slider.value, generator)
        self.x_hat = {"plain AE": self.ae(self.x_tilde), "DAE": self.dae(self.x_tilde)}
        # squared error to the clean digit, Σ_pixels (x̂ − x)², per model
        self.errors = {
            name: (x_hat - self.x).pow(2).sum().item() for name, x_hat in self.x_hat.items()
        }
        shown = [self.x, self.x_tilde, self.x_hat["plain AE"], self.x_hat["DAE"]]
        for panel, image in zip(self.panels, shown, strict=True):
            panel.value = image_to_png(image[0], scale=self.scale)
        for name in self.x_hat:
            self.captions[self.TITLES.index(name)].value = f"{name}: error {self.errors[name]:.1f}"

    def digest(self) -> str:
        """The settings and the corrupted digit's statistics (they depend only on the seed)."""
        index = self.index_slider.value
        label = "" if self.labels is None else f" (label {int(self.labels[index])})"
        changed = (self.x_tilde != self.x).float().mean().item()
        return (
            f"{self.kind_picker.value}, level {self.level_slider.value:.2f}, digit #{index}"
            f"{label}: {changed:.0%} of pixels changed, corrupted mean "
            f"{self.x_tilde.mean().item():.3f} (clean {self.x.mean().item():.3f})"
        )


# --- 03 ELBO ---


class ELBOLab(Widget):
    """Move q(z) = N(mean, std²) over the true posterior of a 1-D linear-Gaussian model.

    The picture shows the prior p(z), the true posterior p(z|x) and q, next to one stacked bar
    on a scale of nats: the ELBO of q (orange) with the gap KL(q ‖ p(z|x)) (red) on top, so
    that the bar always ends at log p(x) (fixed by the model and x), all exact. The scale
    follows the ELBO down, so the bar is never cut. Drive it from code with
    `set(mean=..., std=...)`; `values()` returns the numbers, `bar()` what the bar shows.

    Args:
        model: a `linear_gaussian.LinearGaussian` with latent_dim 1.
        x: (D,) the observed data point.
        mean, std: the starting q.
        size: "normal" or "presenter".
    """

    Z_RANGE = (-3.5, 3.5)

    def __init__(self, model, x, mean=-1.5, std=1.0, size="normal"):
        from vae_teach import linear_gaussian as lg

        if model.latent_dim != 1:
            raise ValueError(f"model must have latent_dim 1, got {model.latent_dim}")
        self._lg, self.model = lg, model
        self.x = torch.as_tensor(x, dtype=torch.float64)
        self.log_px = lg.log_px(model, self.x).item()
        m, S = lg.posterior(model, self.x)
        self.posterior_mean, self.posterior_std = m.item(), S.item() ** 0.5
        self.size, self._hold = size, False
        # the sliders cover ±3 and 0.05..2, widened if needed to reach the true posterior, so
        # that the button "q = true posterior" gives a gap of exactly 0
        mean_range = (
            min(-3.0, math.floor(self.posterior_mean - 0.5)),
            max(3.0, math.ceil(self.posterior_mean + 0.5)),
        )
        std_range = (min(0.05, self.posterior_std / 2), max(2.0, 1.5 * self.posterior_std))
        self.mean_slider = slider("q mean", *mean_range, mean, 0.01, size, name="mean")
        self.std_slider = slider("q std", *std_range, std, 0.01, size, name="std")
        # the plot shows the prior's ±3.5 and the posterior's ±4 standard deviations
        self.z_range = (
            min(self.Z_RANGE[0], self.posterior_mean - 4 * self.posterior_std),
            max(self.Z_RANGE[1], self.posterior_mean + 4 * self.posterior_std),
        )
        self.button = ipywidgets.Button(description="q = true posterior")
        self.button.on_click(lambda _: self.set(self.posterior_mean, self.posterior_std))
        self.image = image_widget(size)
        for s in (self.mean_slider, self.std_slider):
            s.observe(lambda _: self.update(), names="value")
        self._build_figure()
        self.widget = ipywidgets.VBox([self.mean_slider, self.std_slider, self.button, self.image])
        self.update()

    def values(self) -> dict:
        """The exact numbers for the current q: log_px, elbo, gap, recon, kl_prior (nats)."""
        lg = self._lg
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
        """Move the sliders (either or both) and redraw once."""
        for value, name, s in [(mean, "mean", self.mean_slider), (std, "std", self.std_slider)]:
            if value is not None:
                _checks.real(value, name, low=s.min, high=s.max)
        self._hold = True
        try:
            if mean is not None:
                self.mean_slider.value = mean
            if std is not None:
                self.std_slider.value = std
        finally:
            self._hold = False
        self.update()

    def _density(self, mean, std) -> np.ndarray:
        # N(z; mean, std²) = exp(−(z − mean)² / 2std²) / (std √(2π)) on the grid
        return np.exp(-0.5 * ((self._z - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))

    def _build_figure(self) -> None:
        # a pyplot-free figure (never shown inline by accident) drawn once; each frame then
        # redraws only the moving artists over a saved background (blitting): fast.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self._z = np.linspace(*self.z_range, 400)
        fig = Figure(figsize=(8.0, 3.0), dpi=SIZES[self.size]["dpi"])
        canvas = FigureCanvasAgg(fig)
        ax_q, ax_bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        ax_q.plot(self._z, self._density(0.0, 1.0), "--", color="0.6", label="prior p(z)")
        posterior = self._density(self.posterior_mean, self.posterior_std)
        ax_q.plot(self._z, posterior, color="k", lw=2, label="true posterior p(z|x)")
        (self._q_line,) = ax_q.plot(self._z, posterior, color="tab:orange", lw=2, animated=True)
        ax_q.plot([], [], color="tab:orange", lw=2, label="q(z)")  # legend entry only
        ax_q.set(xlim=self.z_range, ylim=(0, 1.6 * posterior.max()), xlabel="z")
        ax_q.set_yticks([])
        # the legend sits above the panel, where the moving q never covers it
        ax_q.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=3, fontsize=8, frameon=False)
        # one stacked bar: ELBO (orange, from the bottom of the scale) + gap (red) = log p(x)
        (self._elbo_bar,) = ax_bars.bar([0], [1.0], width=0.5, color="tab:orange", label="ELBO")
        (self._gap_bar,) = ax_bars.bar([0], [1.0], width=0.5, color="tab:red", label="gap = KL")
        # the identity in numbers, to the right of the bar
        self._numbers = ax_bars.text(
            0.42, 0.5, "", transform=ax_bars.transAxes, va="center", fontsize=9, animated=True
        )
        for artist in (self._elbo_bar, self._gap_bar, self._numbers):
            artist.set_animated(True)
        # log p(x) does not depend on q: a fixed line the stacked bar always reaches
        ax_bars.axhline(self.log_px, color="k", lw=1.0, ls=":", label="log p(x)")
        ax_bars.set(xlim=(-0.4, 1.6), xticks=[], ylabel="nats")
        ax_bars.legend(loc="lower left", bbox_to_anchor=(0, 1), ncol=3, fontsize=8, frameon=False)
        self._canvas, self._ax_q, self._ax_bars = canvas, ax_q, ax_bars
        ax_bars.set_ylim(self.log_px - self.SCALE, self.log_px + 0.12 * self.SCALE)
        fig.tight_layout()
        self._floor = None
        self._set_floor(self.log_px - self.SCALE)

    # nats shown below log p(x) at first; the scale grows in these steps when the ELBO falls
    SCALE = 6.0

    def _set_floor(self, floor: float) -> None:
        # a new bottom of the scale: redraw everything but the moving artists, once
        self._floor = floor
        self._ax_bars.set_ylim(floor, self.log_px + 0.12 * (self.log_px - floor))
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(self._canvas.figure.bbox)

    def bar(self) -> dict:
        """What the stacked bar shows: bottom of the scale, ELBO and top (= log p(x)), nats."""
        v = self.values()
        return {"floor": self._floor, "elbo": v["elbo"], "top": v["elbo"] + v["gap"]}

    def update(self) -> None:
        """Redraw the picture for the sliders' current q (skipped while `set` moves both)."""
        if self._hold:
            return
        v = self.values()
        # the scale reaches below the ELBO, in steps of SCALE nats, so it rarely changes
        depth = self.log_px - v["elbo"]
        floor = self.log_px - self.SCALE * max(1, math.ceil(1.15 * depth / self.SCALE))
        if floor != self._floor:
            self._set_floor(floor)
        self._canvas.restore_region(self._background)
        q = self._density(self.mean_slider.value, self.std_slider.value)
        self._q_line.set_ydata(q)
        fill = self._ax_q.fill_between(self._z, q, color="tab:orange", alpha=0.25, animated=True)
        self._ax_q.draw_artist(fill)
        fill.remove()
        self._ax_q.draw_artist(self._q_line)
        self._elbo_bar.set_y(self._floor)
        self._elbo_bar.set_height(v["elbo"] - self._floor)
        self._gap_bar.set_y(v["elbo"])
        self._gap_bar.set_height(v["gap"])
        self._numbers.set_text(
            f"log p(x) = {v['log_px']:.2f}\n\n= ELBO {v['elbo']:.2f}\n+ gap {v['gap']:.2f}"
        )
        for artist in (self._elbo_bar, self._gap_bar, self._numbers):
            self._ax_bars.draw_artist(artist)
        # RGBA (H, W, 4) bytes -> RGB (3, H, W) in [0, 1] -> PNG bytes
        rgb = np.asarray(self._canvas.buffer_rgba())[..., :3].transpose(2, 0, 1) / 255.0
        self.image.value = image_to_png(rgb, scale=1)

    def digest(self) -> str:
        """q, and the three exact numbers (4 decimals)."""
        v = self.values()
        # round first, then + 0.0 so that a gap of −1e-17 prints as 0.0000, not −0.0000
        gap = round(v["gap"], 4) + 0.0
        return (
            f"q = N({self.mean_slider.value:.2f}, {self.std_slider.value:.2f}²): "
            f"log p(x) = {v['log_px']:.4f}, ELBO = {v['elbo']:.4f}, gap = {gap:.4f}"
        )


# --- 04 reparameterisation ---


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

    def __init__(self, n=100_000, seed=0, size="normal", mu=1.0, std=1.0, c=0.0):
        sz = _size(size)
        self.size = size
        # fixed draws ε ~ N(0, 1): (n, 1), float64 so that digests are stable
        gen = torch.Generator().manual_seed(seed)
        self.eps = torch.randn(n, 1, generator=gen, dtype=torch.float64)
        self.mu = slider("μ (mean)", -3.0, 3.0, mu, 0.1, size)
        self.sigma = slider("σ (std)", 0.2, 3.0, std, 0.1, size)
        self.c = slider("c (f = (z−c)²)", -4.0, 4.0, c, 0.5, size)
        self.image = ipywidgets.Image(format="png")
        self.dpi = sz["dpi"]
        for s in (self.mu, self.sigma, self.c):
            s.observe(lambda change: self.update(), names="value")
        self.widget = ipywidgets.VBox([self.mu, self.sigma, self.c, self.image])
        self.update()

    def gradients(self):
        """Per-sample estimates {"score": (g_mu, g_std), "reparam": (…)}, each (n,) NumPy."""
        from vae_teach.estimators import (
            quadratic,
            reparameterisation_gradients,
            score_function_gradients,
        )

        mu = torch.tensor([self.mu.value], dtype=torch.float64)
        std = torch.tensor([self.sigma.value], dtype=torch.float64)
        c = float(self.c.value)
        out = {}
        for name, fn in [
            ("score", score_function_gradients),
            ("reparam", reparameterisation_gradients),
        ]:
            g_mu, g_std = fn(lambda z: quadratic(z, c), mu, std, self.eps)
            out[name] = (g_mu[:, 0].numpy(), g_std[:, 0].numpy())
        return out

    def exact(self):
        """Exact gradients (d/dμ, d/dσ) of E[(z − c)²] = (μ − c)² + σ²."""
        # ∂/∂μ = 2(μ − c), ∂/∂σ = 2σ
        return 2 * (self.mu.value - self.c.value), 2 * self.sigma.value

    def closed_form_variances(self):
        """{"score": (var_mu, var_std), "reparam": (…)} of one sample, from the closed forms."""
        from vae_teach.estimators import reparameterisation_variance, score_function_variance

        mu = torch.tensor([self.mu.value], dtype=torch.float64)
        std = torch.tensor([self.sigma.value], dtype=torch.float64)
        out = {}
        for name, fn in [
            ("score", score_function_variance),
            ("reparam", reparameterisation_variance),
        ]:
            out[name] = tuple(v.item() for v in fn(mu, std, float(self.c.value)))
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
            score, reparam = grads["score"][i], grads["reparam"][i]
            # common bins: the central 98 % of both estimators' values
            both = np.concatenate([score, reparam])
            lo, hi = np.percentile(both, [1, 99])
            bins = np.linspace(min(lo, exact[i] - 1), max(hi, exact[i] + 1), 61)
            for values, colour, name in [
                (score, "tab:orange", "score"),
                (reparam, "tab:blue", "reparam"),
            ]:
                counts, edges = np.histogram(values, bins=bins, density=True)
                ax.stairs(
                    counts,
                    edges,
                    fill=True,
                    alpha=0.45,
                    color=colour,
                    label=f"{name}: var {values.var():.3g} (exact {closed[name][i]:.3g})",
                )
            ax.axvline(exact[i], color="black", lw=1.5, label=f"exact {exact[i]:.3g}")
            ax.set_title(f"single-sample estimates of {label} E[f]", fontsize=10)
            ax.set_yticks([])
            ax.legend(fontsize=8, loc="upper right")
        return fig

    def update(self):
        """Redraw the histograms for the current slider values."""
        self.image.value = figure_to_png(self.figure(), self.dpi, close=False, tight=False)

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


# --- 05 KL ---


class KLExplorer(Widget):
    """q = N(μ, σ²) drawn against the prior N(0, 1), with KL(q ‖ p) in closed form (05).

    Args:
        size: "normal" or "presenter".
    """

    def __init__(self, size="normal"):
        self.dpi = _size(size)["dpi"]
        self.mu = slider("μ (mean)", -3.0, 3.0, 1.0, 0.1, size)
        self.sigma = slider("σ (std)", 0.1, 3.0, 0.5, 0.05, size)
        self.image = ipywidgets.Image(format="png")
        for s in (self.mu, self.sigma):
            s.observe(lambda change: self.update(), names="value")
        self.widget = ipywidgets.VBox([self.mu, self.sigma, self.image])
        self.update()

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
        ax.fill_between(z, np.exp(log_p), color="tab:gray", alpha=0.3, label="p = N(0, 1)")
        ax.plot(z, np.exp(log_q), color="tab:blue", lw=2, label=f"q = N({mu:.2f}, {sigma:.2f}²)")
        # the integrand of KL(q ‖ p) = ∫ q (log q − log p) dz
        integrand = np.exp(log_q) * (log_q - log_p)
        ax.plot(z, integrand, color="tab:red", lw=1, ls="--", label="q log(q/p)")
        ax.axhline(0, color="black", lw=0.5)
        top = max(0.45, np.exp(log_q).max(), integrand.max())
        ax.set_ylim(min(-0.1, 1.1 * integrand.min()), 1.1 * top)
        ax.set_xlabel("z")
        ax.set_title(f"KL(q ‖ p) = {self.kl():.3f} nats", fontsize=11)
        ax.legend(fontsize=8, loc="upper left")
        return fig

    def update(self):
        """Redraw for the current slider values."""
        self.image.value = figure_to_png(self.figure(), self.dpi, close=False, tight=False)

    def digest(self) -> str:
        """The slider values and the KL shown."""
        return f"μ={self.mu.value:.2f} σ={self.sigma.value:.2f} KL={self.kl():.3f} nats"


# --- 06 VAE ---
# The latent explorer of notebook 06, `LatentExplorer`, lives in `widgets/latent_explorer.py`
# (anywidget).


# --- 07 beta-VAE ---
# The traversal widget of notebook 07, `TraversalExplorer`, lives in `widgets/traversal.py`
# (anywidget), with `traversal_grid`; notebook 09's `ConditionalExplorer` in
# `widgets/conditional.py`.
