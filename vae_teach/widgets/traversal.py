"""Notebook 07's traversal widget: one slider per latent over an encoded base image.

Move one slider and only that latent changes; the others keep the base image's code μ(x).
The codes of all base images (N, Z) and their pixels (N·H·W bytes) are sent once, and the
decoder runs in the browser (js/traversal.js), so choosing a base image, moving a slider and
going back to the base all redraw there, with no kernel (a static HTML export works too). The
kernel keeps the same picture as an array (`.image`) for checks and `digest()`.

Given a dict of models (e.g. one per β and seed), a "model" radio group switches between them:
the kernel encodes the base images with the chosen model and sends its decoder, once per switch.
"""

import numpy as np
import torch

from vae_teach.widgets.base import (
    Widget,
    button,
    choice,
    grey_bytes,
    number,
    slider,
    to_numpy,
)
from vae_teach.widgets.latent_explorer import browser_decoder, encode_codes

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


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


def _check_models(model, kl) -> tuple[dict, dict]:
    """({label: model}, {label: kl or None}) from one model or a dict of them (same latent size)."""
    if not isinstance(model, dict):
        return {None: model}, {None: kl}
    if not model or not all(isinstance(k, str) for k in model):
        raise ValueError(f"a dict of models must map str labels to models, got {list(model)}")
    if kl is not None and (not isinstance(kl, dict) or set(kl) != set(model)):
        raise ValueError(
            f"with a dict of models, kl must be a dict with the same labels {list(model)}"
        )
    sizes = {getattr(m, "latent_dim", None) for m in model.values()}
    if len(sizes) != 1:
        raise ValueError(f"the models must have one latent size, got {sorted(map(str, sizes))}")
    return dict(model), {k: None if kl is None else kl[k] for k in model}


def _check_arguments(model, images, dims, kl, z_range):
    """(latent_dim, dims, kl, (low, high)) checked; ValueError/TypeError naming the argument."""
    latent_dim = getattr(model, "latent_dim", None)
    if not hasattr(model, "decode_image") or not isinstance(latent_dim, int):
        raise TypeError("model must have encode, decode_image(z) and an int latent_dim (a VAE)")
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
        raise ValueError(f"images must be a (N, 1, H, W) tensor with N > 0, got {shape}")
    if images.shape[1] != 1:
        raise ValueError(f"images must be grey, (N, 1, H, W), got {tuple(images.shape)}")
    dims = tuple(range(latent_dim)) if dims is None else tuple(int(d) for d in dims)
    if not dims or any(not 0 <= d < latent_dim for d in dims) or len(set(dims)) < len(dims):
        raise ValueError(f"dims must be distinct coordinates in 0..{latent_dim - 1}, got {dims}")
    if kl is not None:
        kl = to_numpy(kl).astype(float)
        if kl.shape != (latent_dim,):
            raise ValueError(f"kl must have {latent_dim} numbers, got {kl.shape}")
    low, high = (float(v) for v in z_range)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"z_range must be two finite numbers low < high, got {z_range}")
    return latent_dim, dims, kl, (low, high)


def _sliders(dims, kl, z_range) -> list:
    """One slider per latent in `dims`: "z₁ (KL 2.3)" on screen, "z₁" for screen readers."""
    out = []
    for d in dims:
        name = f"z{str(d + 1).translate(SUBSCRIPTS)}"
        label = name if kl is None else f"{name} (KL {kl[d]:.1f})"
        out.append(slider(f"z{d + 1}", label, *z_range, 0.05, signed=True, aria_label=name))
    return out


class TraversalExplorer(Widget):
    """A slider per latent over an encoded base image: move one, the others stay (07).

    Args:
        model: a trained VAE (or AE) with `encode`, `decode_image` and `latent_dim`; or a dict
            {label: model} of models with the same latent size, switched by a radio group
            (the first is shown at the start).
        images: (N, 1, H, W) base images to choose from; each is encoded to its mean μ(x).
        index: the base image at the start.
        dims: the latents that get a slider (default all), e.g. the active ones.
        kl: optional (Z,) average KL per latent, shown next to its name (active or not); with
            a dict of models, a dict {label: (Z,) KL} with the same labels.
        z_range: range of every slider; ±3 prior standard deviations by default.
        size: "normal" or "presenter".
    """

    NAME = "traversal"

    def __init__(
        self, model, images, index=0, dims=None, kl=None, z_range=(-3.0, 3.0), size="normal"
    ):
        self.models, self.kls = _check_models(model, kl)
        self.label = next(iter(self.models))
        for label, m in self.models.items():
            _, self.dims, self.kls[label], self.z_range = _check_arguments(
                m, images, dims, self.kls[label], z_range
            )
        self.latent_dim, self.images = self.model.latent_dim, images.detach().float()
        self.index = self._check_index(index)
        self._clicks, self._cache = 0, (None, None)
        traits = self._load_model()
        n = len(self.images)
        controls = [number("index", "base image #", 0, n - 1)]
        controls += [button("reset", "back to the base image")]
        if len(self.models) > 1:
            # the kernel encodes with the new model and sends its decoder: wait for it
            controls.insert(0, {**choice("model", "model", list(self.models)), "kernel_only": True})
        controls += _sliders(self.dims, self.kl, self.z_range)
        values = {"model": self.label, "index": self.index, "reset": 0}
        values |= self._slider_values(self._base)
        _, _, h, w = self.images.shape
        spec = {"height": h, "width": w, "latent_dim": self.latent_dim, "dims": list(self.dims)}
        spec["render"] = "kernel" if self._kernel else "browser"
        # every base image's pixels (N·H·W bytes), sent once
        traits["pixels"] = grey_bytes(self.images[:, 0].reshape(n * h, w))
        self._build(controls, values, size, spec=spec, **traits)
        self._publish()
        self.sliders = [self.controls[f"z{d + 1}"] for d in self.dims]
        self.index_box, self.reset_button = self.controls["index"], self.controls["reset"]

    @property
    def model(self):
        """The model shown now."""
        return self.models[self.label]

    @property
    def kl(self):
        """The (Z,) average KL per latent of the model shown now, or None."""
        return self.kls[self.label]

    def _load_model(self) -> dict:
        """Encode the base images with the current model; its decoder traits for the browser."""
        # encoder means of all base images: (N, Z), sent as a flat N·Z list
        self.codes = encode_codes(self.model, self.images)[0].astype(np.float32)
        self._codes = [float(v) for v in self.codes.reshape(-1)]
        self._base, self._cache = self.codes[self.index].copy(), (None, None)
        traits = browser_decoder(self.model)
        # no MLP the browser can run: the kernel decodes and sends the pixels
        self._kernel = not traits
        return traits

    def _show_model(self, label) -> None:
        """Encode with model `label` and send its decoder, codes and labels in one message."""
        self.label = label
        with self.view.hold_sync():
            # a model the browser cannot run sends no decoder: the kernel draws its pictures
            traits = {"decoder": {}, "weights": b""} | self._load_model()
            for name, value in traits.items():
                setattr(self.view, name, value)
            self._rebase(self.codes[self.index])

    def switch(self, label: str) -> None:
        """Show model `label` (one of the dict's labels) on the same base image."""
        self.set_values(model=label)

    # -- reading and setting z ------------------------------------------------------------
    def _check_index(self, index) -> int:
        n = len(self.images)
        bad = isinstance(index, bool) or not isinstance(index, (int, np.integer))
        if bad or not 0 <= index < n:
            raise ValueError(f"index must be an int in 0..{n - 1}, got {index!r}")
        return int(index)

    def _check_vector(self, z, name) -> np.ndarray:
        z = to_numpy(z).reshape(-1)
        if z.shape != (self.latent_dim,) or not np.isfinite(z).all():
            raise ValueError(f"{name} must be {self.latent_dim} finite numbers, got {z.shape}")
        return z

    def _slider_values(self, z) -> dict:
        """{slider name: z[d] clipped to z_range} for the slider coordinates of z (Z,)."""
        return {f"z{d + 1}": float(np.clip(z[d], *self.z_range)) for d in self.dims}

    @property
    def z(self) -> np.ndarray:
        """The full latent vector shown now, (Z,) float32 (a copy)."""
        z = self._base.copy()
        values = self.values
        for d in self.dims:
            z[d] = values[f"z{d + 1}"]
        return z

    def set_z(self, *values) -> None:
        """Set the slider coordinates (one value per slider, clipped to z_range)."""
        if len(values) != len(self.dims):
            raise ValueError(
                f"set_z needs {len(self.dims)} values (one per slider), got {len(values)}"
            )
        values = np.asarray(values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"values must be finite numbers, got {tuple(values)}")
        z = self._base.copy()
        z[list(self.dims)] = values
        self.set_values(**self._slider_values(z))

    def set_base(self, z) -> None:
        """Set the whole latent vector (Z,), e.g. an encoded image; slider coordinates clipped."""
        self._rebase(self._check_vector(z, "z"))

    def _rebase(self, z) -> None:
        """Base vector z (Z,): the sliders jump to it, the other coordinates keep it."""
        self._base = np.asarray(z, dtype=np.float32).copy()
        changes = {"index": self.index, **self._slider_values(self._base)}
        if any(self.view.values.get(k) != v for k, v in changes.items()):
            self.view.values = {**self.view.values, **changes}
        self._publish()

    def _publish(self) -> None:
        """Send what the browser needs besides the controls: codes, base, labels, kernel pixels."""
        data = {"codes": self._codes, "base": [float(v) for v in self._base]}
        data["labels"] = {c["name"]: c["label"] for c in _sliders(self.dims, self.kl, self.z_range)}
        if self._kernel:
            data["decoded"] = list(grey_bytes(self.image))
        if data != self.view.data:
            self.view.data = data

    def choose(self, index: int) -> None:
        """Make image `index` the base: every slider jumps to its encoder mean."""
        self.index = self._check_index(index)
        self._rebase(self.codes[self.index])

    def reset(self) -> None:
        """Put every slider back at the base image's code."""
        self._rebase(self.codes[self.index])

    def update(self) -> None:
        """A new base image or a reset click (from the browser or code): rebase; then redraw."""
        values = self.view.values
        if values.get("model", self.label) != self.label:
            self._show_model(values["model"])
        elif values["index"] != self.index or values["reset"] != self._clicks:
            self.index, self._clicks = values["index"], values["reset"]
            self._rebase(self.codes[self.index])
        elif self._kernel:
            self._publish()

    def moved(self) -> dict:
        """{latent index: value} for the coordinates that differ from the base code."""
        base, z = np.clip(self.codes[self.index], *self.z_range), self.z
        return {d: float(z[d]) for d in self.dims if abs(z[d] - base[d]) > 1e-6}

    def traverse(self, dim: int, n: int = 7) -> torch.Tensor:
        """Images (n, 1, H, W) with latent `dim` swept over z_range, the rest at the current z."""
        return traversal_grid(self.model, self.z, [dim], np.linspace(*self.z_range, n))

    # -- what is shown --------------------------------------------------------------------
    @property
    def image(self) -> np.ndarray:
        """The decoded image at the current z, (H, W) in [0, 1], as the browser draws it."""
        z = self.z
        if self._cache[0] is None or not np.array_equal(self._cache[0], z):
            with torch.inference_mode():
                x = self.model.decode_image(torch.as_tensor(z).reshape(1, -1))
            self._cache = (z, x[0, 0].numpy())
        return self._cache[1]

    def digest(self) -> str:
        """Base image, moved latents, the decoded image's ink and centre, sliders and size."""
        moved = ", ".join(f"z{d + 1}={v:+.2f}" for d, v in self.moved().items()) or "none"
        image = self.image
        rows, cols = np.indices(image.shape)
        ink = max(image.sum(), 1e-8)
        centre = (rows * image).sum() / ink, (cols * image).sum() / ink
        model = "" if self.label is None else f"model {self.label}; "
        return (
            f"{model}base #{self.index}; moved: {moved}; image {'x'.join(map(str, image.shape))}, "
            f"ink {image.sum():.0f} px, centre ({centre[0]:.1f}, {centre[1]:.1f}); "
            f"{len(self.dims)} sliders; size {self.size}"
        )
