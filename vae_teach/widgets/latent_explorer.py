"""Notebook 06's latent explorer: slide (z₁, z₂) of a trained model and watch the decoded digit.

The decoder p_θ(x|z) runs in the browser (js/latent_explorer.js) from float32 weights sent
once, so a slider move redraws the digit at once. The map (the codes of test digits and, for a
VAE, the prior's contours) is drawn once by matplotlib here and sent as RGB bytes; the ring at
z, its axis ticks and the posterior ellipse of a chosen digit are drawn over it in the browser.
The kernel hears the slider values and keeps `.z`, `.image`, `.map_image` and `digest()` in
step; a jump to a test digit needs the encoder q_φ(z|x), so the kernel does it. For a decoder
the browser cannot run (not an MLP), the kernel decodes every change and sends the pixels.
"""

import numpy as np
import torch
import traitlets
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vae_teach.widgets.base import (
    Widget,
    check_size,
    decoder_traits,
    grey_bytes,
    number,
    slider,
    to_numpy,
    view_class,
)

# The scatter's colours, digit d -> PALETTE[d % 10]: the 8 Okabe–Ito colours (colour-blind
# safe) and two greys; the digit names are printed at the cluster medians, so colour is never
# the only cue. The overlays: ring and ticks black on a white halo, the ellipse vermillion.
PALETTE = [
    "#E69F00",  # 0 orange
    "#56B4E9",  # 1 sky blue
    "#009E73",  # 2 bluish green
    "#F0E442",  # 3 yellow
    "#0072B2",  # 4 blue
    "#D55E00",  # 5 vermillion
    "#CC79A7",  # 6 reddish purple
    "#000000",  # 7 black
    "#999999",  # 8 grey
    "#555555",  # 9 dark grey
]
RING, HALO, ELLIPSE = (0, 0, 0), (255, 255, 255), (0xD5, 0x5E, 0x00)
THUMB_SCALE = {"normal": 3, "presenter": 6}


@torch.inference_mode()
def encode_codes(model, images, batch_size=2000):
    """Encode images (N, C, H, W): (mu (N, Z), std (N, Z)) for a VAE, (z (N, Z), None) for an AE."""
    mus, stds = [], []
    for start in range(0, len(images), batch_size):
        out = model.encode(images[start : start + batch_size])
        if isinstance(out, tuple):
            mu, logvar = out
            # σ = exp(½ log σ²)
            mus.append(mu), stds.append(torch.exp(0.5 * logvar))
        else:
            mus.append(out)
    mu = torch.cat(mus).numpy()
    return mu, (torch.cat(stds).numpy() if stds else None)


# ------------------------------------------------------------------------------- the map


class LatentMap:
    """A 2-D latent scatter drawn once by matplotlib, and the marks drawn over it per frame.

    The browser draws the same marks (ring at z, axis ticks, ellipse) with the numbers of
    `geometry()`; `draw()` stamps them into a copy of the RGB pixels, for a saved notebook.

    Args:
        codes: (N, 2) points (e.g. encoder means of test digits), or None for an empty map.
        labels: (N,) integer labels colouring the points, or None.
        z_range: (low, high) of both axes.
        side: image side in pixels.
        font_px: font size of the axis labels and digit names.
        prior_contours: draw the N(0, I) density contours at 1, 2, 3 standard deviations.
    """

    def __init__(
        self,
        codes=None,
        labels=None,
        z_range=(-3.0, 3.0),
        side=340,
        font_px=15,
        prior_contours=True,
    ):
        self.z_range = z_range
        self.rgb, self.affine = _draw_map(codes, labels, z_range, side, font_px, prior_contours)
        self.radius = max(6, side // 30)  # the ring's radius, pixels
        self.ring = max(1.2, self.radius / 8)  # half the ring's thickness
        self.tick = max(6, self.rgb.shape[0] // 40)  # the ticks' length

    def to_pixel(self, z1, z2):
        """Latent coordinates -> (row, col) pixel position on the map (floats)."""
        cx, sx, cy, sy = self.affine
        low = self.z_range[0]
        return cy + sy * (z2 - low), cx + sx * (z1 - low)

    def marker_px(self, z1, z2) -> tuple:
        """The pixel (row, col) the ring is centred on for (z1, z2): to_pixel, rounded."""
        return tuple(int(round(v)) for v in self.to_pixel(z1, z2))

    def geometry(self) -> dict:
        """What the browser needs to draw the marks as `draw` does (sent once)."""
        height, width = self.rgb.shape[:2]
        return {
            "width": width,
            "height": height,
            "affine": [float(v) for v in self.affine],
            "low": float(self.z_range[0]),
            "radius": self.radius,
            "ring": self.ring,
            "tick": self.tick,
        }

    def draw(self, z1, z2, ellipse=None) -> np.ndarray:
        """The map with the ellipse (mu₁, mu₂, r₁, r₂), ring and ticks at (z1, z2): (H, W, 3)."""
        frame = self.rgb.copy()
        if ellipse is not None:
            self._ellipse(frame, *ellipse)
        row, col = self.marker_px(z1, z2)
        dy, dx = np.mgrid[-self.radius - 5 : self.radius + 6, -self.radius - 5 : self.radius + 6]
        dist = np.hypot(dy, dx)
        outer = self.radius + self.ring
        halo = (dist > outer) & (dist <= outer + 2)
        ring = (np.abs(dist - self.radius) <= self.ring) | (dist <= 1.5)
        _stamp(frame, row + dy[halo], col + dx[halo], HALO)
        _stamp(frame, row + dy[ring], col + dx[ring], RING)
        # ticks just inside the axes: where z₁ is on the bottom edge, z₂ on the left edge
        cx, _, cy, _ = self.affine
        left, bottom = int(round(cx)), int(round(cy))
        along = np.arange(self.tick)
        for d in (-1, 0, 1):
            _stamp(frame, bottom - self.tick + along, np.full(self.tick, col + d), RING)
            _stamp(frame, np.full(self.tick, row + d), left + 1 + along, RING)
        return frame

    def _ellipse(self, frame, mu1, mu2, r1, r2) -> None:
        """Stamp the axis-aligned ellipse (mu₁ + r₁ cos t, mu₂ + r₂ sin t), on a white halo."""
        t = np.linspace(0, 2 * np.pi, 720)
        rows, cols = self.to_pixel(mu1 + r1 * np.cos(t), mu2 + r2 * np.sin(t))
        rows, cols = np.round(rows).astype(int), np.round(cols).astype(int)
        for reach, colour in ((2, HALO), (1, ELLIPSE)):
            for dr in range(-reach, reach + 1):
                for dc in range(-reach, reach + 1):
                    _stamp(frame, rows + dr, cols + dc, colour)


def _stamp(target, rows, cols, colour) -> None:
    """Set the pixels (rows, cols) of an (H, W, 3) image that lie inside it to `colour`."""
    keep = (rows >= 0) & (rows < target.shape[0]) & (cols >= 0) & (cols < target.shape[1])
    target[rows[keep], cols[keep]] = colour


def _draw_map(codes, labels, z_range, side, font_px, prior_contours):
    """Draw the scatter with matplotlib once: RGB pixels (side, side, 3) and the data -> pixel
    mapping (column at z₁ = low, columns per unit, row at z₂ = low, rows per unit)."""
    low, high = z_range
    fig = Figure(figsize=(side / 100, side / 100), dpi=100)
    FigureCanvasAgg(fig)
    margin = 3.2 * font_px / side
    ax = fig.add_axes((margin, margin, 1 - margin - 0.02, 1 - margin - 0.02))
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.tick_params(labelsize=0.7 * font_px, length=3, pad=1)
    ax.set_xlabel("$z_1$", fontsize=font_px, labelpad=0)
    ax.set_ylabel("$z_2$", fontsize=font_px, labelpad=0)
    if prior_contours:
        t = np.linspace(0, 2 * np.pi, 200)
        for r in (1, 2, 3):
            ax.plot(r * np.cos(t), r * np.sin(t), color="0.45", lw=0.8, ls="--", zorder=1)
    if codes is not None:
        _scatter(ax, np.asarray(codes, dtype=np.float64), labels, z_range, side, font_px)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    # data -> display pixels (origin bottom left); rows count from the top
    (x0, y0), (x1, y1) = ax.transData.transform([(low, low), (high, high)])
    affine = (x0, (x1 - x0) / (high - low), rgb.shape[0] - y0, -(y1 - y0) / (high - low))
    return rgb, affine


def _scatter(ax, codes, labels, z_range, side, font_px) -> None:
    """The codes as dots coloured by label, each label's name at its median (black on white)."""
    low, high = z_range
    labels = np.zeros(len(codes), int) if labels is None else np.asarray(labels)
    colours = [PALETTE[label % 10] for label in labels]
    ax.scatter(*codes.T, s=side / 120, c=colours, alpha=0.6, linewidths=0, zorder=2)
    outline = [patheffects.withStroke(linewidth=3, foreground="white")]
    for label in np.unique(labels):
        centre = np.median(codes[labels == label], axis=0)
        if low < centre[0] < high and low < centre[1] < high:
            ax.text(
                *centre,
                str(label),
                fontsize=1.1 * font_px,
                weight="bold",
                color="black",
                ha="center",
                va="center",
                zorder=3,
                path_effects=outline,
            )


# ------------------------------------------------------------------------------- checks


def _check_model(model) -> int:
    """The model's latent_dim; TypeError/ValueError naming what is missing."""
    latent_dim = getattr(model, "latent_dim", None)
    if not hasattr(model, "decode_image") or not isinstance(latent_dim, int):
        raise TypeError("model must have decode_image(z) and an int latent_dim (AE or VAE)")
    if latent_dim < 2:
        raise ValueError("model must have a latent_dim of at least 2 for the explorer")
    return latent_dim


def _check_images(test_images):
    """test_images as a float tensor (N, C, H, W), or None."""
    if test_images is None:
        return None
    if not isinstance(test_images, torch.Tensor):
        test_images = torch.as_tensor(np.asarray(test_images), dtype=torch.float32)
    if test_images.dim() < 2 or len(test_images) == 0:
        raise ValueError(f"test_images must be (N, C, H, W), got {tuple(test_images.shape)}")
    return test_images.float()


def _check_codes(codes, labels):
    """codes (N, 2) float64 and labels (N,) int, each or both None; ValueError otherwise."""
    if codes is not None:
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2 or codes.shape[1] != 2 or not np.isfinite(codes).all():
            raise ValueError(f"codes must be finite (N, 2), got shape {codes.shape}")
    if labels is not None:
        labels = np.asarray(labels).astype(int).reshape(-1)
        n = len(codes) if codes is not None else 0
        if len(labels) != n:
            raise ValueError(f"labels must have one entry per code ({n}), got {len(labels)}")
    return codes, labels


def _z_range(z_range, codes, is_vae) -> tuple:
    """The sliders' and the map's range: given, ±3 for a VAE, else the codes' middle 99 %."""
    if z_range is None and not is_vae and codes is not None:
        # the middle 99 % of the codes, widened by 10 %, the same for both axes
        low, high = np.percentile(codes, [0.5, 99.5])
        if high - low < 1e-6:
            raise ValueError(
                f"the codes have collapsed: nearly all of the {len(codes)} codes lie "
                f"within [{low:.4g}, {high:.4g}], so they give no range for the sliders "
                "and the map. The autoencoder probably did not train (check its loss); "
                "to explore it anyway, pass z_range=(low, high)."
            )
        pad = 0.1 * (high - low)
        z_range = (float(low - pad), float(high + pad))
    low, high = (float(v) for v in (z_range or (-3.0, 3.0)))
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"z_range must be two finite numbers low < high, got {z_range}")
    return low, high


@torch.inference_mode()
def browser_decoder(model) -> dict:
    """decoder_traits of the model's decoder if the browser draws what decode_image gives.

    The browser computes sigmoid(MLP(z)); that is decode_image for vae_teach's VAE (Bernoulli
    and Gaussian) and Autoencoder, checked here on two probe codes. Grey images only.
    """
    decoder, latent_dim = getattr(model, "decoder", None), model.latent_dim
    traits = decoder_traits(decoder, latent_dim)
    if not traits:
        return {}
    # (2, Z) probe codes -> (2, C, H, W) images
    probe = torch.linspace(-1.5, 1.5, 2 * latent_dim).reshape(2, latent_dim)
    images = model.decode_image(probe)
    mlp = torch.sigmoid(decoder(probe)).reshape(images.shape)
    if images.dim() != 4 or images.shape[1] != 1 or not torch.allclose(images, mlp, atol=1e-6):
        return {}
    return traits


def _view_class():
    """The explorer's View: the base traits plus the map (RGB bytes) and the chosen digit."""
    name = LatentExplorer.NAME
    if name not in Widget._views:
        Widget._views[name] = type(
            "LatentExplorerView",
            (view_class(name),),
            {
                "map_rgb": traitlets.Bytes(b"").tag(sync=True),
                "thumb": traitlets.Bytes(b"").tag(sync=True),
                "__module__": __name__,
            },
        )
    return Widget._views[name]


# ------------------------------------------------------------------------------- the explorer


class LatentExplorer(Widget):
    """Sliders for (z₁, z₂), the decoded digit (large), and the latent map with a marker at z.

    Args:
        model: a trained VAE or Autoencoder with latent_dim ≥ 2; the sliders move z₁ and z₂,
            further coordinates stay at 0 (or at the code of the digit last jumped to).
        codes: (N, 2) points for the map; default: encoder means of `test_images`.
        labels: (N,) digit labels that colour the map and are named after a jump.
        test_images: (N, C, H, W) images you can jump to (their code and, for a VAE, the
            ellipse mean ± 2σ of their posterior q_φ(z|x)).
        size: "normal" or "presenter" (large image and fonts for a projector).
        z_range: range of the sliders and the map; default ±3 (three prior standard
            deviations) for a VAE, the middle 99 % of the codes for an autoencoder.
    """

    NAME = "latent_explorer"

    def __init__(
        self, model, codes=None, labels=None, test_images=None, size="normal", z_range=None
    ):
        sizes = check_size(size)
        self.model, self.latent_dim = model, _check_model(model)
        self.test_images = _check_images(test_images)
        self._posterior = None if self.test_images is None else encode_codes(model, test_images)
        if codes is None and self._posterior is not None:
            codes = self._posterior[0][:, :2]
        codes, self.labels = _check_codes(codes, labels)
        self.is_vae = "likelihood" in getattr(model, "config", {}) or hasattr(model, "fc_mu")
        self.z_range = _z_range(z_range, codes, self.is_vae)
        self.map = LatentMap(
            codes, self.labels, self.z_range, sizes["map_px"], sizes["font_px"], self.is_vae
        )
        self._base = np.zeros(self.latent_dim, dtype=np.float32)  # z beyond z₁, z₂
        self._base[:2] = np.clip(self._base[:2], *self.z_range)
        self.jumped, self._ellipse, self._cache = None, None, (None, None)
        self._build_view(size, codes)
        self.sliders = [self.controls["z1"], self.controls["z2"]]
        self.update()

    def _build_view(self, size, codes) -> None:
        low, high = self.z_range
        controls = [
            slider(f"z{i}", f"z{'₁₂'[i - 1]}", low, high, 0.05, signed=True) for i in (1, 2)
        ]
        values = {"z1": float(self._base[0]), "z2": float(self._base[1])}
        if self.test_images is not None:
            n = len(self.test_images)
            controls.append(
                {**number("index", "jump to test digit #", 0, n - 1), "kernel_only": True}
            )
            values["index"] = 0
        traits = browser_decoder(self.model)
        self.render_mode = "browser" if traits else "kernel"
        image = self.decode(self._base)  # (H, W) or (H, W, 3)
        spec = {
            "render": self.render_mode,
            "image": list(image.shape[:2]),
            "channels": 1 if image.ndim == 2 else image.shape[2],
            "map": self.map.geometry(),
            "legend": self._legend(codes),
            "is_vae": self.is_vae,
            "thumb_scale": THUMB_SCALE[size],
        }
        _view_class()
        self._build(controls, values, size, spec=spec, map_rgb=self.map.rgb.tobytes(), **traits)
        self.view.data = self._data()

    def _legend(self, codes) -> str:
        legend = ["ring and axis ticks: the current z"]
        if codes is not None:
            by_label = ", by label (Okabe–Ito colours, names at the medians)"
            legend.append(
                "dots: codes of test digits" + (by_label if self.labels is not None else "")
            )
        if self.is_vae:
            legend.append("dashed: prior N(0, I) at 1, 2, 3σ")
        if self._posterior is not None and self._posterior[1] is not None:
            legend.append("vermillion: q(z|x) mean ± 2σ of the chosen digit")
        return " · ".join(legend)

    def _data(self) -> dict:
        """What the browser needs besides the sliders: the rest of z, the ellipse, the digit."""
        caption = ""
        if self.jumped is not None:
            label = "" if self.labels is None else f", label {self.labels[self.jumped]}"
            caption = f"input: test #{self.jumped}{label}"
        return {
            "base": [float(v) for v in self._base],
            "ellipse": None if self._ellipse is None else [float(v) for v in self._ellipse],
            "jumped": self.jumped,
            "caption": caption,
        }

    # -- reading and setting z ------------------------------------------------------------
    @property
    def z(self) -> np.ndarray:
        """The full latent vector shown now, (Z,) float32 (a copy)."""
        z = self._base.copy()
        z[:2] = self.view.values["z1"], self.view.values["z2"]
        return z

    def set_z(self, *values) -> None:
        """Set z₁ and z₂ (clipped to z_range); the picture follows."""
        if len(values) != 2:
            raise ValueError(f"set_z needs 2 values (one per slider), got {len(values)}")
        values = np.asarray(values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"values must be finite numbers, got {tuple(values)}")
        z1, z2 = (float(v) for v in np.clip(values, *self.z_range))
        self.set_values(z1=z1, z2=z2)

    def set_base(self, z) -> None:
        """Set the whole latent vector (Z,), e.g. an encoded image; z₁, z₂ clipped."""
        z = z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else np.asarray(z)
        z = z.astype(np.float32).reshape(-1)
        if z.shape != (self.latent_dim,) or not np.isfinite(z).all():
            raise ValueError(f"z must be {self.latent_dim} finite numbers, got {z.shape}")
        self._set_base(z)

    def _set_base(self, z, **changes) -> None:
        """Make z (Z,) the latent vector shown, z₁, z₂ clipped; one message to the browser."""
        z[:2] = np.clip(z[:2], *self.z_range)
        self._base = z
        with self.view.hold_sync():
            self.view.data = self._data()
            self.set_values(z1=float(z[0]), z2=float(z[1]), **changes)

    def jump_to(self, index: int) -> None:
        """Set z to the encoder mean of test digit `index` (and draw its posterior ellipse)."""
        if self.test_images is None:
            raise ValueError("jump_to needs the explorer to be built with test_images")
        n = len(self.test_images)
        bad = isinstance(index, bool) or not isinstance(index, (int, np.integer))
        if bad or not 0 <= index < n:
            raise ValueError(f"index must be an int in 0..{n - 1}, got {index!r}")
        self.jumped = index = int(index)
        mu, std = self._posterior
        # the ellipse mu ± 2σ along z₁ and z₂: (mu₁, mu₂, 2σ₁, 2σ₂)
        self._ellipse = None if std is None else (*mu[index, :2], *(2 * std[index, :2]))
        image = self.test_images[index].reshape(self.test_images.shape[1:]).numpy()
        with self.view.hold_sync():
            self.view.thumb = grey_bytes(image[0] if image.ndim == 3 else image)
            self._set_base(mu[index].astype(np.float32).copy(), index=index)

    def update(self) -> None:
        """A number typed in the box jumps; without a browser decoder, decode and send."""
        index = self.view.values.get("index")
        if index is not None and index != (self.jumped or 0):
            self.jump_to(index)
        elif self.render_mode == "kernel":
            self.view.pixels = grey_bytes(self.image)

    # -- what is shown, as arrays ---------------------------------------------------------
    @torch.inference_mode()
    def decode(self, z) -> np.ndarray:
        """Decode one latent vector (Z,) -> image (H, W) or (H, W, 3) float in [0, 1]."""
        x = self.model.decode_image(torch.as_tensor(z, dtype=torch.float32).reshape(1, -1))[0]
        # (C, H, W) -> (H, W) grey or (H, W, C) colour
        return to_numpy(x[0] if x.shape[0] == 1 else x.permute(1, 2, 0))

    @property
    def image(self) -> np.ndarray:
        """The decoded image at the current z, (H, W) in [0, 1]: what the browser draws."""
        z = self.z
        if self._cache[0] is None or not np.array_equal(self._cache[0], z):
            self._cache = (z, self.decode(z))
        return self._cache[1]

    @property
    def map_image(self) -> np.ndarray:
        """The latent map shown now, with the ellipse, ring and ticks: RGB (H, W, 3) uint8."""
        z = self.z
        return self.map.draw(float(z[0]), float(z[1]), self._ellipse)

    def describe(self) -> str:
        """z and a coarse description of the decoded image (ink mean; ink centre as row, column)."""
        image = self.image
        grey = image if image.ndim == 2 else image.mean(axis=2)
        rows, cols = np.indices(grey.shape)
        ink = max(grey.sum(), 1e-8)
        centre = (rows * grey).sum() / ink, (cols * grey).sum() / ink
        z = self.z
        return (
            f"z=({z[0]:+.2f}, {z[1]:+.2f}); image {'x'.join(map(str, grey.shape))}, "
            f"mean ink {grey.mean():.2f}, ink centre at row {centre[0]:.0f}, column {centre[1]:.0f}"
        )

    def digest(self) -> str:
        """z, the decoded image, the marker's pixel on the map, the digit jumped to, the size."""
        z = self.z
        row, col = self.map.marker_px(float(z[0]), float(z[1]))
        height, width = self.map.rgb.shape[:2]
        jumped = "" if self.jumped is None else f"; test #{self.jumped}"
        if self.jumped is not None and self.labels is not None:
            jumped += f" (label {self.labels[self.jumped]})"
        return (
            f"{self.describe()}; marker at row {row}, column {col} of the {height}x{width} map"
            f"{jumped}; size {self.size}"
        )
