"""The ipywidgets versions of the decoder sliders and notebook 07's traversal widget.

Notebook 06's latent explorer is `vae_teach.widgets.LatentExplorer` (anywidget, decoded in the
browser), and notebook 07's traversal widget `vae_teach.widgets.TraversalExplorer`; this module
keeps the older ipywidgets pieces until nothing imports them:

- `DecoderSliders`: one slider per chosen latent coordinate -> decode -> a large PNG image.
  It holds the full latent vector z, so other coordinates keep their value (a traversal
  widget is a DecoderSliders over every coordinate, starting from an encoded image).
- `TraversalExplorer`, `traversal_grid` (notebook 07).

Widgets are plain ipywidgets that exist in both 7.7 and 8 (sliders take keyboard focus:
click one, then use the arrow keys); large fonts are set with inline HTML.
"""

import html
import re

import ipywidgets
import numpy as np
import torch

from vae_teach import _checks
from vae_teach.widgets.latent_explorer import encode_codes
from vae_teach.widgets_legacy import Widget, image_to_png

__all__ = ["DecoderSliders", "TraversalExplorer", "check_size", "encode_codes", "traversal_grid"]

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


def png(image: np.ndarray, scale: int) -> bytes:
    """PNG bytes of an image (H, W) or (H, W, 3) in [0, 1], upscaled `scale` times (sharp)."""
    if image.ndim == 3:
        image = image.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W), as image_to_png takes it
    return image_to_png(image, scale=scale)


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
        self.png = png(self.image, self.layout["scale"])
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
        self.input_view.value = png(image, scale)
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
