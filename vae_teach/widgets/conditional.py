"""Notebook 09's widget: pick the digit, move the style z, see that digit and all ten.

The decoder p_θ(x|z, y) of vae_teach.conditional's ConditionalVAE is an MLP on the input
[z, one_hot(y)] (`condition`), so it runs in the browser (js/conditional.js): a digit button
or a slider redraws the large image and the row of ten digits at once. The kernel keeps the
same pictures as tensors (`.current`, `.all_digits`) for checks and `digest()`.
"""

import numpy as np
import torch

from vae_teach.conditional import condition
from vae_teach.widgets.base import Widget, choice, decoder_traits, describe_image, slider

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@torch.no_grad()
def _check_model(model) -> None:
    """TypeError unless `model` decodes as the browser will: sigmoid(decoder([z, one_hot(y)]))."""
    dims = getattr(model, "latent_dim", None), getattr(model, "n_classes", None)
    if not all(isinstance(d, int) for d in dims) or not hasattr(model, "decode_image"):
        raise TypeError(
            "model must be a conditional VAE (latent_dim, n_classes, decoder, decode_image(z, "
            f"y)) like vae_teach.conditional.ConditionalVAE, got {type(model).__name__}"
        )
    z, y = torch.zeros(1, dims[0]), torch.zeros(1, dtype=torch.long)
    same = decoder_traits(getattr(model, "decoder", None), sum(dims)) and torch.allclose(
        torch.sigmoid(model.decoder(condition(z, y, dims[1]))).reshape(-1),
        model.decode_image(z, y).reshape(-1),
    )
    if not same:
        raise TypeError(
            "model.decode_image(z, y) must be sigmoid(model.decoder([z, one_hot(y)])) with an "
            "MLP decoder (Linear and ReLU layers), which the browser runs"
        )


class ConditionalExplorer(Widget):
    """Pick a digit, move the style (z₁, z₂): the decoded image, and the ten digits at that z.

    Args:
        model: a conditional VAE such as vae_teach.conditional.ConditionalVAE, whose image
            is sigmoid(decoder([z, one_hot(y)])) with an MLP decoder.
        digit: the digit chosen at the start, 0..n_classes − 1.
        z: where the sliders start, one number per latent in [−3, 3].
        size: "normal" or "presenter".
    """

    NAME = "conditional"

    def __init__(self, model, digit=0, z=(0.0, 0.0), size="normal"):
        _check_model(model)
        z = [float(v) for v in z]
        if len(z) != model.latent_dim:
            raise ValueError(f"z must have {model.latent_dim} numbers (one per latent), got {z}")
        self.model = model
        controls = [choice("digit", "digit", range(model.n_classes))]
        controls += [
            slider(f"z{i + 1}", f"z{str(i + 1).translate(SUBSCRIPTS)}", -3.0, 3.0, 0.05, True)
            for i in range(model.latent_dim)
        ]
        values = {"digit": digit, **{f"z{i + 1}": v for i, v in enumerate(z)}}
        # the decoder's input is [z, one_hot(y)]: latent_dim + n_classes numbers
        traits = decoder_traits(model.decoder, model.latent_dim + model.n_classes)
        spec = {"n_classes": model.n_classes, "latent_dim": model.latent_dim, "side": 28}
        self._build(controls, values, size, spec=spec, **traits)
        self.buttons = self.controls["digit"]
        self.sliders = [self.controls[f"z{i + 1}"] for i in range(model.latent_dim)]
        self.update()

    @property
    def z(self) -> torch.Tensor:
        """The style shown now, (1, latent_dim)."""
        return torch.tensor([[s.value for s in self.sliders]], dtype=torch.float32)

    def update(self) -> None:
        """Decode the chosen digit (`.current`, (28, 28)) and all ten (`.all_digits`) at z."""
        z, digits = self.z, torch.arange(self.model.n_classes)
        self.current = self.model.decode_image(z, torch.tensor([self.buttons.value]))[0, 0]
        # (10, 1, 28, 28): every digit at the same z
        self.all_digits = self.model.decode_image(z.expand(len(digits), -1), digits)

    def digest(self) -> str:
        """The digit, z, the large image's summary and the ink of each of the ten."""
        z = ", ".join(f"{v:+.2f}" for v in self.z[0].tolist())
        ink = np.round([(img > 0.5).float().mean().item() for img in self.all_digits], 2)
        return (
            f"digit {self.buttons.value}, z = ({z}): {describe_image(self.current.numpy())}"
            f" | ink of the ten digits at this z: {ink.tolist()}"
        )
