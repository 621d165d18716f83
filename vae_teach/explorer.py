"""The latent explorer: slide a trained model's latent coordinates and watch the decoded digit.

Reusable pieces, each usable without a browser:

- `png_bytes`: a fast PNG encoder for uint8 arrays (grey, RGB or palette), no filters, zlib 1;
  `BandedPNG`: the same for an image that changes in a few rows per frame (only the bands
  that changed are compressed again).
- `DecoderSliders`: one slider per chosen latent coordinate -> decode -> a large PNG image.
  It holds the full latent vector z, so other coordinates keep their value (a traversal
  widget is a DecoderSliders over every coordinate, starting from an encoded image).
- `LatentMap`: a 2-D latent scatter drawn once by matplotlib into palette pixels; each frame
  only restores the rows the last marker touched and stamps a new marker with array
  operations (no matplotlib per frame).

`LatentExplorer` puts them together (notebook 06). Everything shown is kept as arrays
(`.image`, `.map_image`), and `digest()` describes it in one short line for tests and nbval.
Widgets are plain ipywidgets that exist in both 7.7 and 8 (sliders take keyboard focus:
click one, then use the arrow keys); large fonts are set with inline HTML.
"""

import html
import re
import struct
import zlib

import ipywidgets
import matplotlib
import numpy as np
import torch
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vae_teach import _checks
from vae_teach.widgets_legacy import Widget

# Pixel sizes of the two layouts: "presenter" is for a projector at the back of a room.
LAYOUT = {
    "normal": {"scale": 10, "map_px": 340, "font_px": 15, "slider_px": 300, "thumb": 3},
    "presenter": {"scale": 16, "map_px": 480, "font_px": 28, "slider_px": 520, "thumb": 6},
}


def check_size(size) -> dict:
    """The LAYOUT entry for `size`; ValueError naming the argument otherwise."""
    if not isinstance(size, str) or size not in LAYOUT:
        raise ValueError(f"size must be one of {list(LAYOUT)}, got {size!r}")
    return LAYOUT[size]


# ------------------------------------------------------------------------------- pixels


def _chunk(tag: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, tag, data, CRC-32 of tag + data."""
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _colour_type(pixels, palette) -> int:
    """PNG colour type of a uint8 array: 0 grey, 2 RGB, 3 palette indices."""
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        kind = getattr(pixels, "dtype", type(pixels).__name__)
        raise TypeError(f"pixels must be a uint8 numpy array, got {kind}")
    if pixels.ndim == 3 and pixels.shape[2] == 3 and palette is None:
        return 2
    if pixels.ndim == 2:
        return 0 if palette is None else 3
    raise ValueError(f"pixels must have shape (H, W) or (H, W, 3), got {pixels.shape}")


def png_from_zlib(width, height, colour_type, zdata: bytes, palette=None) -> bytes:
    """Wrap an already compressed zlib stream of filtered rows into a PNG file."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    if palette is not None:
        chunks.append(_chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes()))
    chunks += [_chunk(b"IDAT", zdata), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def png_bytes(pixels: np.ndarray, palette=None) -> bytes:
    """Encode a uint8 image as PNG, fast: no row filters, zlib level 1.

    Args:
        pixels: uint8 (H, W) grey levels or palette indices, or (H, W, 3) RGB.
        palette: optional (N, 3) uint8 colours, N ≤ 256: then `pixels` are indices into it.
    """
    colour_type = _colour_type(pixels, palette)
    height, width = pixels.shape[:2]
    # each row starts with its filter type, 0 = none: (H, 1 + W·channels)
    raw = np.zeros((height, 1 + pixels[0].size), dtype=np.uint8)
    raw[:, 1:] = pixels.reshape(height, -1)
    zdata = zlib.compress(raw.tobytes(), 1)
    return png_from_zlib(width, height, colour_type, zdata, palette)


class BandedPNG:
    """PNG encoding of an image that changes in a few rows per frame: compress only those.

    The image is cut into bands of rows; each band is compressed on its own (raw deflate,
    ended by a full flush, so no band refers back to another) and the pieces are joined into
    one zlib stream, the way pigz compresses in parallel. A frame re-compresses the bands it
    changed and reuses the cached bytes of the others.

    Args:
        pixels: uint8 (H, W) palette indices (the starting image).
        palette: (N, 3) uint8 colours.
        band: rows per band.
    """

    def __init__(self, pixels: np.ndarray, palette, band=16):
        _colour_type(pixels, palette)
        self.palette, self.band = palette, band
        height, width = pixels.shape
        # filtered rows: a 0 (no filter) then the pixels; `image` is a view of the pixels
        self.raw = np.zeros((height, 1 + width), dtype=np.uint8)
        self.image = self.raw[:, 1:]
        self.image[:] = pixels
        self.cache = [self._compress(i) for i in range(self.n_bands)]

    @property
    def n_bands(self) -> int:
        return -(-self.raw.shape[0] // self.band)

    def _compress(self, i: int) -> bytes:
        packer = zlib.compressobj(1, zlib.DEFLATED, -15)
        rows = self.raw[i * self.band : (i + 1) * self.band]
        return packer.compress(rows.tobytes()) + packer.flush(zlib.Z_FULL_FLUSH)

    def cache_all(self) -> None:
        """Compress every band of the current image and keep them as the cached bytes."""
        self.cache = [self._compress(i) for i in range(self.n_bands)]

    def png(self, dirty_rows=()) -> bytes:
        """PNG bytes of the current image.

        Args:
            dirty_rows: every row that differs from the image as it was at the last
                `cache_all()` (or construction); their bands are compressed afresh.
        """
        dirty = {int(r) // self.band for r in dirty_rows if 0 <= r < self.raw.shape[0]}
        parts = [self._compress(i) if i in dirty else data for i, data in enumerate(self.cache)]
        # zlib stream: header 78 01, the deflate bands, an empty final block, Adler-32 of all rows
        final = zlib.compressobj(1, zlib.DEFLATED, -15).flush()
        adler = struct.pack(">I", zlib.adler32(self.raw) & 0xFFFFFFFF)
        zdata = b"\x78\x01" + b"".join(parts) + final + adler
        height, width = self.image.shape
        return png_from_zlib(width, height, 3, zdata, self.palette)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] -> uint8 0..255 (clipped, rounded)."""
    return (np.clip(image, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def upscale(pixels: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling: (H, W[, C]) -> (H·scale, W·scale[, C]), pixels stay sharp."""
    return pixels.repeat(scale, axis=0).repeat(scale, axis=1)


def html_text(text: str, font_px: int, bold=False) -> str:
    """Inline-styled HTML for an ipywidgets.HTML (font sizes that work in ipywidgets 7 and 8)."""
    weight = "bold" if bold else "normal"
    # a block with its own line height, so wrapped small text is not spaced like widget rows
    style = f"font-size:{font_px}px; font-weight:{weight}; line-height:1.25"
    return f'<div style="{style}">{text}</div>'


def slider_style(sliders, layout) -> list:
    """Large slider labels and readouts for the presenter size: [] or [one HTML <style> widget].

    ipywidgets (7 and 8) has no font size for a slider's label, so the sliders get a CSS
    class and a style sheet scoped to that class does the rest, in JupyterLab, Notebook,
    VS Code and Colab alike.
    """
    if layout["font_px"] <= LAYOUT["normal"]["font_px"]:
        return []
    for s in sliders:
        s.add_class("vae-teach-presenter")
    font = layout["font_px"]
    css = (
        f".vae-teach-presenter .widget-label, .vae-teach-presenter .widget-readout "
        f"{{font-size: {font}px !important; line-height: {round(1.3 * font)}px !important; "
        f"height: auto !important; min-width: {2 * font}px;}}"
        f" .vae-teach-presenter {{height: {round(1.6 * font)}px !important;}}"
    )
    return [ipywidgets.HTML(f"<style>{css}</style>")]


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def plain_text(label: str) -> str:
    """A short HTML label as plain text for a widget description: z<sub>1</sub> -> z₁."""
    label = re.sub(r"<sub>(\d+)</sub>", lambda m: m.group(1).translate(SUBSCRIPTS), label)
    return html.unescape(re.sub(r"<[^>]+>", "", label))


# ------------------------------------------------------------------------------- decoding


class DecoderSliders(Widget):
    """Sliders over some latent coordinates -> decode -> one large PNG image.

    Args:
        model: anything with `decode_image(z (1, Z)) -> (1, C, H, W)` in [0, 1] and an int
            `latent_dim` (vae_teach's Autoencoder and VAE).
        dims: which coordinates get a slider, e.g. (0, 1); the others keep `base_z`.
        z_range: (low, high) of every slider.
        base_z: starting latent vector (Z,); zeros (the prior mean) when None.
        size: "normal" or "presenter".
        step: slider step (keyboard arrows move by one step).
        names: slider labels; default z₁, z₂, …
    """

    def __init__(
        self,
        model,
        dims=(0, 1),
        z_range=(-3.0, 3.0),
        base_z=None,
        size="normal",
        step=0.05,
        names=None,
    ):
        self.layout = check_size(size)
        self.size = size
        latent_dim = getattr(model, "latent_dim", None)
        if not hasattr(model, "decode_image") or not isinstance(latent_dim, int):
            raise TypeError("model must have decode_image(z) and an int latent_dim (AE or VAE)")
        dims = tuple(int(d) for d in dims)
        if not dims or any(not 0 <= d < latent_dim for d in dims) or len(set(dims)) < len(dims):
            raise ValueError(
                f"dims must be distinct coordinates in 0..{latent_dim - 1}, got {dims}"
            )
        low, high = (float(v) for v in z_range)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"z_range must be two finite numbers low < high, got {z_range}")
        step = _checks.positive(step, "step")
        self.model, self.dims, self.z_range, self.latent_dim = model, dims, (low, high), latent_dim
        self._z = np.zeros(latent_dim, dtype=np.float32)
        if base_z is not None:
            self._z[:] = self._check_vector(base_z, "base_z")
        self._z[list(dims)] = np.clip(self._z[list(dims)], low, high)
        names = names or [f"z<sub>{d + 1}</sub>" for d in dims]
        self.sliders = []
        for d, name in zip(dims, names, strict=True):
            # the description labels the slider for keyboards, screen readers and tests
            s = ipywidgets.FloatSlider(
                value=float(self._z[d]),
                min=low,
                max=high,
                step=step,
                description=plain_text(name),
                style={"description_width": "initial"},
                continuous_update=True,
                readout=True,
                readout_format="+.2f",
                layout=ipywidgets.Layout(width=f"{self.layout['slider_px']}px"),
            )
            s.observe(self._on_slider, names="value")
            self.sliders.append(s)
        self.slider_box = ipywidgets.VBox(slider_style(self.sliders, self.layout) + self.sliders)
        self.image_view = ipywidgets.Image(format="png")
        self.readout = ipywidgets.HTML()
        self._holding = False
        self.image = None  # (H, W) or (H, W, 3) float in [0, 1]: the decoded image shown
        self.png = b""
        self.frames = 0

    # -- reading and setting z ------------------------------------------------------------
    def _check_vector(self, z, name) -> np.ndarray:
        z = z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else np.asarray(z)
        z = z.astype(np.float32).reshape(-1)
        if z.shape != (self.latent_dim,) or not np.isfinite(z).all():
            raise ValueError(f"{name} must be {self.latent_dim} finite numbers, got {z.shape}")
        return z

    @property
    def z(self) -> np.ndarray:
        """The full latent vector shown now, (Z,) float32 (a copy)."""
        return self._z.copy()

    def set_z(self, *values) -> None:
        """Set the slider coordinates (one value per slider, clipped to z_range) and redraw."""
        if len(values) != len(self.dims):
            raise ValueError(
                f"set_z needs {len(self.dims)} values (one per slider), got {len(values)}"
            )
        values = np.asarray(values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"values must be finite numbers, got {tuple(values)}")
        self._set(self.dims, np.clip(values, *self.z_range))

    def set_base(self, z) -> None:
        """Set the whole latent vector (Z,), e.g. an encoded image; slider coordinates clipped."""
        z = self._check_vector(z, "z")
        z[list(self.dims)] = np.clip(z[list(self.dims)], *self.z_range)
        self._z[:] = z
        self._set(self.dims, z[list(self.dims)])

    def _set(self, dims, values) -> None:
        """Move the sliders without redrawing once per slider, then draw one frame."""
        self._holding = True
        try:
            for d, v in zip(dims, values, strict=True):
                self._z[d] = v
                self.sliders[self.dims.index(d)].value = float(v)
        finally:
            self._holding = False
        self.render()

    def _on_slider(self, change) -> None:
        if self._holding:
            return
        index = self.sliders.index(change["owner"])
        self._z[self.dims[index]] = change["new"]
        self.render()

    # -- drawing --------------------------------------------------------------------------
    @torch.inference_mode()
    def decode(self, z) -> np.ndarray:
        """Decode one latent vector (Z,) -> image (H, W) or (H, W, 3) float in [0, 1]."""
        x = self.model.decode_image(torch.as_tensor(z, dtype=torch.float32).reshape(1, -1))[0]
        # (C, H, W) -> (H, W) grey or (H, W, C) colour
        return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()

    def render(self) -> None:
        """Decode the current z and show it (one frame)."""
        self.image = self.decode(self._z)
        self.png = png_bytes(upscale(to_uint8(self.image), self.layout["scale"]))
        self.image_view.value = self.png
        values = ", ".join(f"{self._z[d]:+.2f}" for d in self.dims)
        self.readout.value = html_text(f"z = ({values})", self.layout["font_px"], bold=True)
        self.frames += 1
        self._after_render()

    def _after_render(self) -> None:
        """Hook for subclasses: update what else depends on z."""

    @property
    def widget(self) -> ipywidgets.Widget:
        if self.image is None:
            self.render()
        return ipywidgets.VBox([self.image_view, self.readout, self.slider_box])

    def describe(self) -> str:
        """z and a coarse description of the decoded image (ink mean; ink centre as row, column)."""
        image = self.image if self.image is not None else self.decode(self._z)
        grey = image if image.ndim == 2 else image.mean(axis=2)
        rows, cols = np.indices(grey.shape)
        ink = grey.sum()
        centre = (rows * grey).sum() / max(ink, 1e-8), (cols * grey).sum() / max(ink, 1e-8)
        values = ", ".join(f"{self._z[d]:+.2f}" for d in self.dims)
        return (
            f"z=({values}); image {'x'.join(map(str, grey.shape))}, mean ink {grey.mean():.2f}, "
            f"ink centre at row {centre[0]:.0f}, column {centre[1]:.0f}"
        )

    def digest(self) -> str:
        return f"{self.describe()}; size {self.size}"


# ------------------------------------------------------------------------------- the map


class LatentMap:
    """A 2-D latent scatter rendered once to palette pixels, with a marker drawn per frame.

    Args:
        codes: (N, 2) points (e.g. encoder means of test digits), or None for an empty map.
        labels: (N,) integer labels colouring the points, or None.
        z_range: (low, high) of both axes.
        side: image side in pixels.
        font_px: font size of the axis labels and digit names.
        prior_contours: draw the N(0, I) density contours at 1, 2, 3 standard deviations.
    """

    MARKER, HALO, ELLIPSE, TICK = 252, 253, 254, 255  # reserved palette entries

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
        rgb, self._affine = self._draw(codes, labels, z_range, side, font_px, prior_contours)
        self.background, self.palette = self._quantise(rgb)
        self.base = self.background.copy()  # background + ellipse; the marker goes on a copy
        # the frame shown is the encoder's own pixel buffer: stamps go straight into it
        self.encoder = BandedPNG(self.base, self.palette)
        self.frame = self.encoder.image
        self._dirty = np.arange(0)  # rows that differ from base in the current frame
        radius = max(6, side // 30)
        self._reach = radius + 5  # rows a marker spans above and below its centre
        dy, dx = np.mgrid[-radius - 5 : radius + 6, -radius - 5 : radius + 6]
        dist = np.hypot(dy, dx)
        # a black ring with a white halo around it, and a centre dot: offsets and colour
        width = max(1.2, radius / 8)  # half the ring's thickness
        halo = (dist > radius + width) & (dist <= radius + width + 2)
        ring = (dist >= radius - width) & (dist <= radius + width)
        dot = dist <= 1.5
        self._marker = [
            (dy[m], dx[m], c)
            for m, c in [(halo, self.HALO), (ring, self.MARKER), (dot, self.MARKER)]
        ]
        self.marker_px = None

    @staticmethod
    def _draw(codes, labels, z_range, side, font_px, prior_contours):
        """Draw the scatter with matplotlib once: RGB pixels and the data -> pixel mapping."""
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
            codes = np.asarray(codes, dtype=np.float64)
            labels = np.zeros(len(codes), int) if labels is None else np.asarray(labels)
            cmap = matplotlib.colormaps["tab10"]
            ax.scatter(
                codes[:, 0],
                codes[:, 1],
                s=side / 120,
                c=cmap(labels % 10),
                alpha=0.6,
                linewidths=0,
                zorder=2,
                rasterized=True,
            )
            outline = [patheffects.withStroke(linewidth=3, foreground="white")]
            for label in np.unique(labels):
                centre = np.median(codes[labels == label], axis=0)
                if low < centre[0] < high and low < centre[1] < high:
                    ax.text(
                        *centre,
                        str(label),
                        fontsize=1.1 * font_px,
                        weight="bold",
                        color=cmap(label % 10),
                        ha="center",
                        va="center",
                        zorder=3,
                        path_effects=outline,
                    )
        fig.canvas.draw()
        rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
        # data -> display pixels (origin bottom left); rows count from the top
        (x0, y0), (x1, y1) = ax.transData.transform([(low, low), (high, high)])
        height = rgb.shape[0]
        affine = (x0, (x1 - x0) / (high - low), height - y0, -(y1 - y0) / (high - low))
        return rgb, affine

    def _quantise(self, rgb):
        """RGB -> ≤ 252 palette colours (indices), keeping 4 entries for the overlays."""
        from PIL import Image

        indexed = Image.fromarray(rgb).quantize(colors=252, method=0, dither=0)
        indices = np.asarray(indexed, dtype=np.uint8).copy()
        palette = np.zeros((256, 3), dtype=np.uint8)
        colours = np.asarray(indexed.getpalette()[: 3 * 252], dtype=np.uint8).reshape(-1, 3)
        palette[: len(colours)] = colours
        palette[self.MARKER] = (0, 0, 0)
        palette[self.HALO] = (255, 255, 255)
        palette[self.ELLIPSE] = (200, 0, 0)
        palette[self.TICK] = (0, 0, 0)
        return indices, palette

    def to_pixel(self, z1, z2):
        """Latent coordinates -> (row, col) pixel position on the map (floats)."""
        cx, sx, cy, sy = self._affine
        low = self.z_range[0]
        return cy + sy * (z2 - low), cx + sx * (z1 - low)

    def _stamp(self, target, rows, cols, colour) -> None:
        keep = (rows >= 0) & (rows < target.shape[0]) & (cols >= 0) & (cols < target.shape[1])
        target[rows[keep], cols[keep]] = colour

    def set_ellipse(self, mu=None, std=None, n_std=2.0) -> None:
        """Draw the axis-aligned ellipse mu ± n_std·std (a diagonal Gaussian); None clears it."""
        self.base = self.background.copy()
        if mu is not None:
            t = np.linspace(0, 2 * np.pi, 720)
            z1 = mu[0] + n_std * std[0] * np.cos(t)
            z2 = mu[1] + n_std * std[1] * np.sin(t)
            rows, cols = (np.round(v).astype(int) for v in self.to_pixel(z1, z2))
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    self._stamp(self.base, rows + dr, cols + dc, self.ELLIPSE)
        np.copyto(self.frame, self.base)
        self.encoder.cache_all()
        self._dirty = np.arange(0)

    def draw(self, z1, z2) -> np.ndarray:
        """The map with a marker at (z1, z2) and ticks on both axes: palette indices (H, W)."""
        frame = self.frame
        # undo the last frame's marks: only the rows they touched
        frame[self._dirty] = self.base[self._dirty]
        row, col = (int(round(v)) for v in self.to_pixel(z1, z2))
        for dy, dx, colour in self._marker:
            self._stamp(frame, row + dy, col + dx, colour)
        # ticks just inside the axes: where z₁ is on the bottom edge, z₂ on the left edge
        cx, _, cy, _ = self._affine
        left, bottom, length = int(round(cx)), int(round(cy)), max(6, frame.shape[0] // 40)
        tick_rows = np.arange(bottom - length, bottom)
        for d in (-1, 0, 1):
            self._stamp(frame, tick_rows, np.full(length, col + d), self.TICK)
            self._stamp(
                frame,
                np.full(length, row + d),
                np.arange(left + 1, left + 1 + length),
                self.TICK,
            )
        reach = self._reach
        self._dirty = np.unique(np.r_[np.arange(row - reach, row + reach + 1), tick_rows])
        self._dirty = self._dirty[(self._dirty >= 0) & (self._dirty < frame.shape[0])]
        self.marker_px = (row, col)
        return frame

    def png(self) -> bytes:
        """PNG bytes of the last frame drawn (only the bands it changed are compressed)."""
        return self.encoder.png(self._dirty)

    def rgb(self) -> np.ndarray:
        """The last frame as RGB (H, W, 3) uint8."""
        return self.palette[self.frame]


# ------------------------------------------------------------------------------- the explorer


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


class LatentExplorer(DecoderSliders):
    """Sliders for (z₁, z₂), the decoded digit (large), and the latent map with a marker at z.

    Args:
        model: a trained VAE or Autoencoder with latent_dim ≥ 2; the sliders move z₁ and z₂,
            further coordinates stay at 0 (or at the code of the digit last jumped to).
        codes: (N, 2) points for the map; default: encoder means of `test_images`.
        labels: (N,) digit labels that colour the map and are named after a jump.
        test_images: (N, C, H, W) images you can jump to (their code and, for a VAE, the
            ellipse mean ± 2σ of their posterior q(z|x)).
        size: "normal" or "presenter" (large image and fonts for a projector).
        z_range: range of the sliders and the map; default ±3 (three prior standard
            deviations) for a VAE, the middle 99 % of the codes for an autoencoder.
    """

    def __init__(
        self, model, codes=None, labels=None, test_images=None, size="normal", z_range=None
    ):
        layout = check_size(size)
        if getattr(model, "latent_dim", 0) < 2:
            raise ValueError("model must have a latent_dim of at least 2 for the explorer")
        self.test_images = None
        self._posterior = None
        if test_images is not None:
            if not isinstance(test_images, torch.Tensor):
                test_images = torch.as_tensor(np.asarray(test_images), dtype=torch.float32)
            if test_images.dim() < 2 or len(test_images) == 0:
                raise ValueError(
                    f"test_images must be (N, C, H, W), got {tuple(test_images.shape)}"
                )
            self.test_images = test_images.float()
            self._posterior = encode_codes(model, self.test_images)
            if codes is None:
                codes = self._posterior[0][:, :2]
        if codes is not None:
            codes = np.asarray(codes, dtype=np.float64)
            if codes.ndim != 2 or codes.shape[1] != 2 or not np.isfinite(codes).all():
                raise ValueError(f"codes must be finite (N, 2), got shape {codes.shape}")
        if labels is not None:
            labels = np.asarray(labels).astype(int).reshape(-1)
            n = len(codes) if codes is not None else 0
            if len(labels) != n:
                raise ValueError(f"labels must have one entry per code ({n}), got {len(labels)}")
        self.labels = labels
        self.is_vae = "likelihood" in getattr(model, "config", {}) or hasattr(model, "fc_mu")
        if z_range is None:
            z_range = (-3.0, 3.0)
            if not self.is_vae and codes is not None:
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
        super().__init__(model, dims=(0, 1), z_range=z_range, size=size)
        font = layout["font_px"]
        self.map = LatentMap(
            codes, labels, self.z_range, layout["map_px"], font, prior_contours=self.is_vae
        )
        self.map_view = ipywidgets.Image(format="png")
        legend = ["ring and axis ticks: the current z"]
        if codes is not None:
            legend.append(
                "dots: codes of test digits" + (", by label" if labels is not None else "")
            )
        if self.is_vae:
            legend.append("dashed: prior N(0, I) at 1, 2, 3σ")
        if self._posterior is not None and self._posterior[1] is not None:
            legend.append("red: q(z|x) mean ± 2σ of the chosen digit")
        self.map_caption = ipywidgets.HTML(
            html_text(" · ".join(legend), int(0.7 * font)),
            layout=ipywidgets.Layout(width=f"{layout['map_px']}px"),
        )
        self.jumped = None  # index of the test digit last jumped to
        # the chosen input digit: hidden until a first jump (an empty image shows as broken)
        self.thumb_view = ipywidgets.Image(format="png", layout=ipywidgets.Layout(display="none"))
        self.thumb_caption = ipywidgets.HTML()
        self.index_box = None
        if self.test_images is not None:
            self.index_box = ipywidgets.BoundedIntText(
                value=0,
                min=0,
                max=len(self.test_images) - 1,
                step=1,
                description="",
                layout=ipywidgets.Layout(width=f"{6 * font}px"),
            )
            self.index_box.observe(self._on_index, names="value")
        self.render()

    def _on_index(self, change) -> None:
        if not self._holding:
            self.jump_to(change["new"])

    def jump_to(self, index: int) -> None:
        """Set z to the encoder mean of test digit `index` (and draw its posterior ellipse)."""
        if self.test_images is None:
            raise ValueError("jump_to needs the explorer to be built with test_images")
        n = len(self.test_images)
        if (
            isinstance(index, bool)
            or not isinstance(index, (int, np.integer))
            or not 0 <= index < n
        ):
            raise ValueError(f"index must be an int in 0..{n - 1}, got {index!r}")
        index = int(index)
        mu, std = self._posterior
        if std is None:
            self.map.set_ellipse(None)
        else:
            self.map.set_ellipse(mu[index, :2], std[index, :2])
        self.jumped = index
        image = self.test_images[index].reshape(self.test_images.shape[1:]).numpy()
        image = image[0] if image.ndim == 3 and image.shape[0] == 1 else image
        self.thumb_view.value = png_bytes(upscale(to_uint8(image), self.layout["thumb"]))
        self.thumb_view.layout.display = ""
        label = "" if self.labels is None else f", label {self.labels[index]}"
        self.thumb_caption.value = html_text(f"input: test #{index}{label}", self.layout["font_px"])
        if self.index_box is not None and self.index_box.value != index:
            self._holding = True
            try:
                self.index_box.value = index
            finally:
                self._holding = False
        self.set_base(mu[index])

    def _after_render(self) -> None:
        self.map.draw(float(self._z[0]), float(self._z[1]))
        self.map_view.value = self.map.png()
        if self.is_vae:
            # ‖z‖ in prior standard deviations: how far from the origin of N(0, I)
            norm = float(np.linalg.norm(self._z))
            values = f"{self._z[0]:+.2f}, {self._z[1]:+.2f}"
            self.readout.value = html_text(
                f"z = ({values}) &nbsp; ‖z‖ = {norm:.2f}", self.layout["font_px"], bold=True
            )

    @property
    def map_image(self) -> np.ndarray:
        """The latent map shown now, RGB (H, W, 3) uint8."""
        return self.map.rgb()

    @property
    def widget(self) -> ipywidgets.Widget:
        font = self.layout["font_px"]
        left = ipywidgets.VBox([self.image_view, self.readout])
        right = ipywidgets.VBox([self.map_view, self.map_caption])
        parts = [ipywidgets.HBox([left, right]), self.slider_box]
        if self.index_box is not None:
            label = ipywidgets.HTML(html_text("jump to test digit #", font))
            parts.append(
                ipywidgets.HBox([label, self.index_box, self.thumb_view, self.thumb_caption])
            )
        return ipywidgets.VBox(parts)

    def digest(self) -> str:
        row, col = self.map.marker_px
        height, width = self.map.frame.shape
        jumped = "" if self.jumped is None else f"; test #{self.jumped}"
        if self.jumped is not None and self.labels is not None:
            jumped += f" (label {self.labels[self.jumped]})"
        return (
            f"{self.describe()}; marker at row {row}, column {col} of the {height}x{width} map"
            f"{jumped}; "
            f"size {self.size}"
        )


# --- traversals (notebook 07) ---


@torch.inference_mode()
def traversal_grid(model, z, dims, values) -> torch.Tensor:
    """Decode z with one coordinate replaced at a time: row i moves dims[i] through values.

    Args:
        model: anything with `decode_image` and `latent_dim` (AE or VAE).
        z: (Z,) base latent vector, e.g. the encoder mean of an image.
        dims: the coordinates to traverse, one row each.
        values: the values each traversed coordinate takes, one column each.
    Returns:
        (len(dims) · len(values), C, H, W) images in [0, 1], row by row.
    """
    z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1)
    if z.shape != (model.latent_dim,):
        raise ValueError(f"z must have {model.latent_dim} numbers, got {tuple(z.shape)}")
    dims, values = [int(d) for d in dims], torch.as_tensor(values, dtype=torch.float32)
    if any(not 0 <= d < model.latent_dim for d in dims):
        raise ValueError(f"dims must be coordinates in 0..{model.latent_dim - 1}, got {dims}")
    # (R·V, Z): copies of z with z[dims[r]] = values[v]
    grid = z.repeat(len(dims) * len(values), 1)
    for r, d in enumerate(dims):
        grid[r * len(values) : (r + 1) * len(values), d] = values
    return model.decode_image(grid)


class TraversalExplorer(DecoderSliders):
    """A slider per latent over an encoded base image: move one, the others stay (07).

    Args:
        model: a trained VAE (or AE) with `encode`, `decode_image` and `latent_dim`.
        images: (N, C, H, W) base images to choose from; each is encoded to its mean μ(x).
        index: the base image at the start.
        dims: the latents that get a slider (default all), e.g. the active ones.
        kl: optional (Z,) average KL per latent, shown next to its name (active or not).
        z_range: range of every slider; ±3 prior standard deviations by default.
        size: "normal" or "presenter".
    """

    def __init__(
        self, model, images, index=0, dims=None, kl=None, z_range=(-3.0, 3.0), size="normal"
    ):
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
            raise ValueError(f"images must be a (N, C, H, W) tensor with N > 0, got {shape}")
        dims = tuple(range(model.latent_dim)) if dims is None else tuple(dims)
        names = [f"z<sub>{d + 1}</sub>" for d in dims]
        if kl is not None:
            kl = np.asarray(kl.detach() if isinstance(kl, torch.Tensor) else kl, dtype=float)
            if kl.shape != (model.latent_dim,):
                raise ValueError(f"kl must have {model.latent_dim} numbers, got {kl.shape}")
            names = [f"{n} (KL {kl[d]:.1f})" for n, d in zip(names, dims, strict=True)]
        self.images, self.kl, self.index = images.float(), kl, None
        # encoder means of all base images: (N, Z)
        self.codes = encode_codes(model, self.images)[0]
        super().__init__(model, dims=dims, z_range=z_range, size=size, names=names)
        font = self.layout["font_px"]
        self.input_view = ipywidgets.Image(format="png")
        self.input_caption = ipywidgets.HTML()
        self.index_box = ipywidgets.BoundedIntText(
            value=index, min=0, max=len(images) - 1, layout=ipywidgets.Layout(width=f"{6 * font}px")
        )
        self.index_box.observe(lambda change: self.choose(change["new"]), names="value")
        self.reset_button = ipywidgets.Button(description="back to the base image")
        self.reset_button.on_click(lambda _: self.reset())
        self.choose(index)

    def choose(self, index: int) -> None:
        """Make image `index` the base: every slider jumps to its encoder mean."""
        n = len(self.images)
        bad = isinstance(index, bool) or not isinstance(index, (int, np.integer))
        if bad or not 0 <= index < n:
            raise ValueError(f"index must be an int in 0..{n - 1}, got {index!r}")
        self.index = int(index)
        image = self.images[self.index, 0].numpy()
        scale = self.layout["scale"]
        self.input_view.value = png_bytes(upscale(to_uint8(image), scale))
        self.input_caption.value = html_text(f"input #{self.index}", self.layout["font_px"])
        if self.index_box.value != self.index:
            self.index_box.value = self.index
        self.set_base(self.codes[self.index])

    def reset(self) -> None:
        """Put every slider back at the base image's code."""
        self.set_base(self.codes[self.index])

    def moved(self) -> dict:
        """{latent index: value} for the coordinates that differ from the base code."""
        base = np.clip(self.codes[self.index], *self.z_range)
        return {d: float(self._z[d]) for d in self.dims if abs(self._z[d] - base[d]) > 1e-6}

    def traverse(self, dim: int, n: int = 7) -> torch.Tensor:
        """Images (n, C, H, W) with latent `dim` swept over z_range, the rest at the current z."""
        return traversal_grid(self.model, self._z, [dim], np.linspace(*self.z_range, n))

    @property
    def widget(self) -> ipywidgets.Widget:
        font = self.layout["font_px"]
        decoded = ipywidgets.VBox([self.image_view, self.readout])
        inputs = ipywidgets.VBox([self.input_view, self.input_caption])
        choose = ipywidgets.HBox(
            [ipywidgets.HTML(html_text("base image #", font)), self.index_box, self.reset_button]
        )
        return ipywidgets.VBox([ipywidgets.HBox([inputs, decoded]), choose, self.slider_box])

    def digest(self) -> str:
        moved = ", ".join(f"z{d + 1}={v:+.2f}" for d, v in self.moved().items()) or "none"
        image = self.image
        rows, cols = np.indices(image.shape)
        ink = max(image.sum(), 1e-8)
        centre = (rows * image).sum() / ink, (cols * image).sum() / ink
        return (
            f"base #{self.index}; moved: {moved}; image {'x'.join(map(str, image.shape))}, "
            f"ink {image.sum():.0f} px, centre ({centre[0]:.1f}, {centre[1]:.1f}); "
            f"{len(self.dims)} sliders; size {self.size}"
        )
