"""The shared base of the notebook widgets: one shape for all of them, on anywidget.

Every widget has the same four parts:

- **controls**: described in Python (`slider`, `choice`, `number`, `button` below) and built
  in the browser as labelled, keyboard-operable HTML controls;
- **state**: `values`, one entry per control, shared by the browser and the kernel. Python
  reads it (`widget.values`, `widget.controls[name].value`) and sets it (`set_values`), and a
  move in the browser arrives in the kernel at most every 100 ms;
- **render**: in the browser wherever the picture is a function of the controls (a decoder
  sent once as float32 weights and run in JavaScript; closed-form curves drawn on a canvas),
  so a slider move redraws at once and never waits for the kernel; otherwise the kernel
  computes the picture and sends its pixels;
- **layout**: one front-end module per widget (`js/<name>.js`), after the shared `js/base.js`.

`Widget` is the Python object a notebook holds: `.widget` is what is displayed, `digest()`
a one-line description of what it shows (for tests and nbval), and `.image` and friends hold
the same pictures as arrays, computed in Python, so a cell can check them without a browser.
"""

from importlib import resources

import anywidget
import numpy as np
import torch
import traitlets
from torch import nn

from vae_teach import _checks

# Display sizes: "presenter" is for a projector at the back of a lecture hall.
# font_px: text and controls; scale: screen pixels per image pixel; map_px: the latent map's
# side; dpi: resolution of figures the kernel draws with matplotlib.
SIZES = {
    "normal": {"font_px": 15, "scale": 10, "map_px": 340, "dpi": 80},
    "presenter": {"font_px": 28, "scale": 16, "map_px": 480, "dpi": 120},
}


def check_size(size) -> dict:
    """The SIZES entry for `size`; ValueError naming the argument otherwise."""
    if not isinstance(size, str) or size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}, got {size!r}")
    return SIZES[size]


# --------------------------------------------------------------------------- arrays


def to_numpy(image) -> np.ndarray:
    """A torch tensor or array -> float32 NumPy array (detached, on the CPU)."""
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


def describe_image(img, decimals=2) -> str:
    """A short, stable text summary of an image in [0, 1], for digests."""
    img = to_numpy(img)
    return (
        f"{'x'.join(map(str, img.shape))} image, mean {img.mean():.{decimals}f}, "
        f"ink {(img > 0.5).mean():.{decimals}f}"
    )


def grey_bytes(image) -> bytes:
    """An image (H, W) in [0, 1] -> H·W bytes 0..255 (ink), what the browser draws raw."""
    pixels = np.clip(np.nan_to_num(to_numpy(image)), 0.0, 1.0)
    return np.round(pixels * 255).astype(np.uint8).tobytes()


# --------------------------------------------------------------------------- the decoder


def mlp_spec(decoder: nn.Module, input_dim: int):
    """What the browser needs to run `decoder` itself: (layers, float32 weight bytes), or None.

    Supported: an `nn.Sequential` of `nn.Linear` layers with `nn.ReLU` between them and a
    sigmoid applied after the last (the decoders of vae_teach's VAE, Autoencoder and
    ConditionalVAE). Anything else returns None and the widget decodes in the kernel.
    """
    if not isinstance(decoder, nn.Sequential):
        return None
    layers, chunks, width = [], [], input_dim
    for module in decoder:
        if isinstance(module, nn.ReLU) and layers and not layers[-1]["relu"]:
            layers[-1]["relu"] = True
        elif isinstance(module, nn.Linear) and module.in_features == width:
            layers.append({"in": module.in_features, "out": module.out_features, "relu": False})
            # W (out × in), row-major as torch stores it, then b (out)
            chunks += [module.weight.detach().float().reshape(-1), module.bias.detach().float()]
            width = module.out_features
        else:
            return None
    if not layers:
        return None
    return layers, torch.cat(chunks).numpy().astype("<f4").tobytes()


def decoder_traits(decoder: nn.Module, input_dim: int) -> dict:
    """View traits that let the browser decode: {"decoder": {"layers": …}, "weights": bytes}.

    A `BroadcastDecoder` is sent as its per-pixel MLP plus the image size ("broadcast"): the
    browser runs the MLP on [z, u, v] at every pixel. Empty ({}) when `decoder` is not an MLP
    `mlp_spec` understands: the widget then decodes in
    the kernel and sends the pixels (see `grey_bytes`).
    """
    from vae_teach.models import BroadcastDecoder

    if isinstance(decoder, BroadcastDecoder):
        # the same MLP at every pixel, on [z, u, v]
        spec = mlp_spec(decoder.net, input_dim + 2)
        channels, height, width = decoder.image_shape
        grid = {"broadcast": {"channels": channels, "height": height, "width": width}}
    else:
        spec, grid = mlp_spec(decoder, input_dim), {}
    if spec is None:
        return {}
    layers, weights = spec
    return {"decoder": {"layers": layers, "input_dim": input_dim, **grid}, "weights": weights}


# --------------------------------------------------------------------------- controls


def slider(name, label, low, high, step, signed=False, aria_label=None) -> dict:
    """A range slider for `values[name]`, labelled `label` (its aria-label too, unless given)."""
    low, high = (
        _checks.real(low, f"the minimum of {name}"),
        _checks.real(high, f"the maximum of {name}"),
    )
    if not low < high:
        raise ValueError(f"the range of {name} must have min < max, got [{low}, {high}]")
    step = _checks.positive(step, f"the step of {name}")
    # whole-number bounds and step: the slider moves through ints (e.g. a digit index)
    whole = all(float(v).is_integer() for v in (low, high, step))
    return {
        "kind": "slider",
        "whole": whole,
        "name": name,
        "label": label,
        "min": low,
        "max": high,
        "step": step,
        "signed": signed,
        "aria_label": aria_label or label,
    }


def choice(name, label, options) -> dict:
    """Radio buttons choosing one of `options` (strings or ints) for `values[name]`."""
    return {"kind": "choice", "name": name, "label": label, "options": list(options)}


def number(name, label, low, high) -> dict:
    """A whole-number box low..high for `values[name]`."""
    return {"kind": "number", "name": name, "label": label, "min": int(low), "max": int(high)}


def button(name, label) -> dict:
    """A push button; `values[name]` counts its clicks."""
    return {"kind": "button", "name": name, "label": label}


def check_value(spec: dict, value):
    """`value` if the control `spec` can show it; ValueError naming the control otherwise."""
    name = spec["name"]
    if spec["kind"] == "slider":
        value = _checks.real(value, name, low=spec["min"], high=spec["max"])
        return int(value) if spec.get("whole") and value.is_integer() else value
    if spec["kind"] == "choice":
        if value not in spec["options"]:
            raise ValueError(f"{name} must be one of {spec['options']}, got {value!r}")
        return value
    if spec["kind"] == "number":
        value = _checks.integer(value, name, minimum=spec["min"])
        if value > spec["max"]:
            raise ValueError(f"{name} must be an int in {spec['min']}..{spec['max']}, got {value}")
        return value
    return _checks.integer(value, name, minimum=0)


class Control:
    """One control seen from Python: `.value` reads and moves it (like an ipywidgets slider)."""

    def __init__(self, owner: "Widget", spec: dict):
        self._owner, self.spec = owner, spec
        self.description = spec["label"]
        self.min, self.max, self.step = spec.get("min"), spec.get("max"), spec.get("step")

    @property
    def value(self):
        # the view's trait, not `owner.values`: a widget may name a method so (ELBOLab.values())
        return self._owner.view.values[self.spec["name"]]

    @value.setter
    def value(self, value) -> None:
        self._owner.set_values(**{self.spec["name"]: value})

    def __repr__(self) -> str:
        return f"Control({self.spec['name']!r}, value={self.value!r})"


# --------------------------------------------------------------------------- the view


def front_end(name: str) -> tuple[str, str]:
    """(ES module, CSS) of widget `name`: js/base.js then js/<name>.js; base.css (+ <name>.css)."""
    folder = resources.files("vae_teach.widgets") / "js"
    module = (folder / "base.js").read_text() + "\n" + (folder / f"{name}.js").read_text()
    css = (folder / "base.css").read_text()
    own = folder / f"{name}.css"
    return module, css + (own.read_text() if own.is_file() else "")


class View(anywidget.AnyWidget):
    """The one anywidget model class; each widget module makes a subclass with its _esm/_css.

    Traits: `spec` (controls, sizes and what the picture needs, sent once), `values` (the
    controls' state, both ways), `decoder` + `weights` (an MLP the browser runs, sent once),
    `pixels` + `data` (what the kernel computed, for pictures it draws itself).
    """

    spec = traitlets.Dict().tag(sync=True)
    # set by the browser on every move: not echoed back to it (ipywidgets 8)
    values = traitlets.Dict().tag(sync=True, echo_update=False)
    decoder = traitlets.Dict().tag(sync=True)
    weights = traitlets.Bytes(b"").tag(sync=True)
    pixels = traitlets.Bytes(b"").tag(sync=True)
    data = traitlets.Dict().tag(sync=True)

    def __repr__(self) -> str:
        # no memory address in a saved notebook's text/plain fallback
        return f"{type(self).__name__}()"


def view_class(name: str) -> type:
    """A View subclass carrying widget `name`'s front end (js/<name>.js)."""
    module, css = front_end(name)
    title = "".join(part.title() for part in name.split("_")) + "View"
    return type(title, (View,), {"_esm": module, "_css": css, "__module__": __name__})


# --------------------------------------------------------------------------- the widget


class Widget:
    """Base of every notebook widget: controls, state, render, layout (see the module doc).

    A subclass sets NAME (its front-end module, js/<NAME>.js), calls `_build(controls, values,
    size)` in its __init__, and overrides `update()` (what the kernel recomputes when the
    values change) and `digest()`.
    """

    NAME = ""
    _views: dict = {}

    def _build(self, controls, values, size, **traits) -> None:
        self.size, self.sizes = size, check_size(size)
        self.controls = {c["name"]: Control(self, c) for c in controls}
        values = {c["name"]: check_value(c, values[c["name"]]) for c in controls}
        if self.NAME not in Widget._views:
            Widget._views[self.NAME] = view_class(self.NAME)
        spec = {"controls": list(controls), "size": size, **self.sizes, **traits.pop("spec", {})}
        self.view = Widget._views[self.NAME](spec=spec, values=values, **traits)
        self.view.observe(lambda change: self.update(), names="values")

    @property
    def values(self) -> dict:
        """The controls' values now (a copy)."""
        return dict(self.view.values)

    def set_values(self, **changes) -> None:
        """Move controls by name (checked against their ranges); picture and Python follow."""
        for name, value in changes.items():
            if name not in self.controls:
                raise ValueError(f"no control named {name!r}; the controls: {list(self.controls)}")
            changes[name] = check_value(self.controls[name].spec, value)
        self.view.values = {**self.view.values, **changes}

    def update(self) -> None:
        """Recompute what the kernel keeps (arrays, numbers) for the current values."""

    @property
    def widget(self) -> anywidget.AnyWidget:
        return self.view

    def digest(self) -> str:
        raise NotImplementedError

    def _ipython_display_(self):
        from IPython.display import display

        display(self.view)
