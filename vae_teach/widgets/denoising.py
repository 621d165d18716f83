"""Notebook 02's widget: one digit four times, clean, corrupted, the plain AE's and the DAE's
reconstruction, for a chosen corruption, noise level and digit.

The two models run in the kernel (on seeded corruption noise), so this widget is kernel-rendered:
`update()` computes the four images and sends them as raw grey bytes (`pixels`, 4 × H·W) with
the two errors (`data`); js/denoising.js draws them on canvases with captions.
"""

import torch

from vae_teach import _checks
from vae_teach.corruption import KINDS, corrupt
from vae_teach.widgets.base import Widget, check_size, choice, grey_bytes, slider

TITLES = ("clean", "corrupted", "plain AE", "DAE")


def _check_images(images, labels) -> None:
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
        raise ValueError(f"images must be a tensor (N, C, H, W) with N > 0, got {shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"labels must have {len(images)} entries, got {len(labels)}")


class DenoisingExplorer(Widget):
    """One digit four times: clean, corrupted, the plain AE's and the DAE's reconstruction (02).

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

    NAME = "denoising"
    TITLES = TITLES

    def __init__(
        self, ae, dae, images, labels=None, kind="gaussian", level=0.5, index=0, seed=0,
        size="normal",
    ):  # fmt: skip
        _check_images(images, labels)
        self.ae, self.dae, self.images, self.labels, self.seed = ae, dae, images, labels, seed
        controls = [
            choice("kind", "corruption", KINDS),
            slider("level", "noise level", 0.0, 1.0, 0.05),
            slider("index", "digit #", 0, len(images) - 1, 1),
        ]
        for control in controls:
            control["kernel_only"] = True  # the kernel computes the picture
        height, width = images.shape[-2:]
        # four images side by side: a little smaller than one image alone
        scale = round(0.7 * check_size(size)["scale"])
        spec = {"render": "kernel", "height": height, "width": width, "titles": list(TITLES)}
        spec["scale"] = scale
        values = {"kind": kind, "level": level, "index": _checks.integer(index, "index")}
        self._build(controls, values, size, spec=spec)
        self.kind_picker, self.level_slider, self.index_slider = self.controls.values()
        self._frame = 0
        self.update()

    @property
    def index(self) -> int:
        """The digit shown, as an int (the slider's value)."""
        return int(round(self.index_slider.value))

    @torch.no_grad()
    def update(self) -> None:
        """Corrupt the chosen digit, reconstruct it with both models, send the four images."""
        generator = torch.Generator().manual_seed(self.seed)
        self.x = self.images[self.index : self.index + 1]  # (1, C, H, W)
        self.x_tilde = corrupt(self.x, self.kind_picker.value, self.level_slider.value, generator)
        self.x_hat = {"plain AE": self.ae(self.x_tilde), "DAE": self.dae(self.x_tilde)}
        # squared error to the clean digit, Σ_pixels (x̂ − x)², per model
        self.errors = {
            name: (x_hat - self.x).pow(2).sum().item() for name, x_hat in self.x_hat.items()
        }
        shown = [self.x, self.x_tilde, self.x_hat["plain AE"], self.x_hat["DAE"]]
        self._frame += 1
        with self.view.hold_sync():
            # (4, H, W) grey levels -> 4·H·W bytes, one image after the other
            self.view.pixels = b"".join(grey_bytes(image[0, 0]) for image in shown)
            # `frame` changes every time, so the browser redraws even for the same pixels
            self.view.data = {"errors": self.errors, "frame": self._frame}

    def digest(self) -> str:
        """The settings and the corrupted digit's statistics (they depend only on the seed)."""
        index = self.index
        label = "" if self.labels is None else f" (label {int(self.labels[index])})"
        changed = (self.x_tilde != self.x).float().mean().item()
        return (
            f"{self.kind_picker.value}, level {self.level_slider.value:.2f}, digit #{index}"
            f"{label}: {changed:.0%} of pixels changed, corrupted mean "
            f"{self.x_tilde.mean().item():.3f} (clean {self.x.mean().item():.3f})"
        )
