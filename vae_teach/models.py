"""The two models of the course: a plain MLP autoencoder and an MLP variational autoencoder.

Autoencoder: x -> encoder -> z -> decoder -> x_hat, trained to reconstruct x (01, 02).
VAE: the encoder outputs q_φ(z|x) = N(mu, diag exp(logvar)); z is sampled with the
reparameterisation trick; the decoder p_θ(x|z) gives logits (Bernoulli) or means
(Gaussian); the loss is −ELBO (06, 07). Names follow pytorch/examples `vae/main.py`.
Both accept images (B, C, H, W) or flat vectors (B, C·H·W).

One convention for both models: `decode(z)` returns the decoder's distribution parameters,
shape (B, C, H, W): logits for a Bernoulli decoder, the mean for a Gaussian one;
`decode_image(z)` returns pixels in [0, 1] (the sigmoid of the logits, the clamped mean).
"""

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from vae_teach import _checks
from vae_teach.disentanglement import kl_terms
from vae_teach.elbo import LIKELIHOODS, elbo, reparameterize


def mlp(sizes, final_activation=True) -> nn.Sequential:
    """Linear layers with ReLU between them, e.g. sizes (784, 400, 20): 784 -> 400 -> 20."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if final_activation or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class BroadcastDecoder(nn.Module):
    """p_θ(x|z) one pixel at a time: logit(u, v) = f_θ([z, u, v]), one small MLP for every pixel.

    The spatial broadcast decoder of Watters et al. (2019) with 1 × 1 convolutions: z is copied
    to every pixel, the pixel's coordinates (u, v) ∈ [−1, 1]² are appended, and the same MLP
    maps each [z, u, v] to that pixel's logits. A position is then something the decoder
    compares with (u, v), which favours latents that each hold one coordinate.

    Args:
        latent_dim: Z. image_shape: (C, H, W). hidden: the MLP's hidden sizes.
    """

    def __init__(self, latent_dim, image_shape, hidden=(48, 48)):
        super().__init__()
        channels, height, width = image_shape
        self.image_shape = tuple(image_shape)
        # (P, 2): (u, v) of every pixel, row by row; u across, v down
        v, u = torch.meshgrid(
            torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij"
        )
        # not saved with the weights: a file in float16 would round the grid (the browser, and
        # training, use the exact one); recomputed from the image shape instead
        self.register_buffer(
            "coords", torch.stack([u.reshape(-1), v.reshape(-1)], 1), persistent=False
        )
        # (B, P, Z + 2) -> (B, P, C)
        self.net = mlp((latent_dim + 2, *hidden, channels), final_activation=False)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # files written before the grid was left out hold a float16 copy of it: ignored
        state_dict.pop(prefix + "coords", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, z):
        """z (B, Z) -> logits (B, C·H·W), channel by channel as the images are stored."""
        batch, pixels = len(z), len(self.coords)
        # [z, u, v] at every pixel: (B, P, Z + 2)
        inputs = torch.cat(
            [z[:, None, :].expand(-1, pixels, -1), self.coords.expand(batch, -1, -1)], dim=2
        )
        # (B, P, C) -> (B, C, P) -> (B, C·P)
        return self.net(inputs).transpose(1, 2).reshape(batch, -1)


# The largest model a config (or a checkpoint file) may ask for: 100 M parameters, 400 MB in
# float32, about 100 times the course's models. A file asking for more is refused before
# anything is allocated.
MAX_PARAMETERS = 100_000_000


def _positive_ints(values, name: str, length=None) -> tuple:
    try:
        values = tuple(values)
        if length is not None and len(values) != length:
            raise ValueError
        return tuple(_checks.positive_int(n, name) for n in values)
    except (TypeError, ValueError):
        what = f"{length} positive ints" if length else "a sequence of positive ints"
        raise ValueError(f"{name} must be {what}, got {values!r}") from None


def _check_config(image_shape, hidden, latent_dim):
    image_shape = _positive_ints(image_shape, "image_shape (C, H, W)", length=3)
    hidden = _positive_ints(hidden, "hidden")
    try:
        latent_dim = _checks.positive_int(latent_dim, "latent_dim")
    except TypeError as err:
        raise ValueError(str(err)) from None
    # weights and biases of the encoder D -> hidden -> Z and the mirrored decoder
    sizes = (math.prod(image_shape), *hidden, latent_dim)
    count = 2 * sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"image_shape {image_shape}, hidden {hidden} and latent_dim {latent_dim} ask for "
            f"about {count:,} parameters ({4 * count / 1e9:.1f} GB), more than the limit "
            f"MAX_PARAMETERS = {MAX_PARAMETERS:,}"
        )
    return image_shape, hidden, latent_dim


class _ImageModel(nn.Module):
    """Shared input handling: accept (B, C, H, W) or (B, C·H·W), give (B, D)."""

    def __init__(self, image_shape):
        super().__init__()
        self.image_shape = image_shape
        self.input_dim = math.prod(image_shape)

    def flatten(self, x: torch.Tensor, name: str = "x") -> torch.Tensor:
        """(B, C, H, W) or (B, D) -> (B, D), with a clear error on any other size."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if tuple(x.shape[1:]) not in (self.image_shape, (self.input_dim,)):
            raise ValueError(
                f"{name} must have shape (B, {', '.join(map(str, self.image_shape))}) or "
                f"(B, {self.input_dim}), got {tuple(x.shape)}"
            )
        _checks.tensor(x, name)
        # float64 data into float32 weights (or the reverse): use the weights' dtype
        dtype = next(self.parameters()).dtype
        return x.reshape(len(x), self.input_dim).to(dtype)

    def _check_z(self, z: torch.Tensor) -> None:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (B, {self.latent_dim}), got {shape}")

    def _target(self, x, target):
        """The clean image to reconstruct: x itself, or `target` (denoising)."""
        return self.flatten(x if target is None else target, "x" if target is None else "target")


class Autoencoder(nn.Module):
    """Deterministic MLP autoencoder: the code z = f_φ(x), the decoder's logits g_θ(z).

    Written out in full in notebook 01 (tests/test_taught_then_imported.py keeps the two
    copies identical); the argument checks are added after the class, kept apart from the maths.

    Args:
        image_shape: (C, H, W) of the images.
        hidden: hidden layer sizes of the encoder; the decoder mirrors them.
        latent_dim: d, the size of the code z.
    """

    def __init__(self, image_shape=(1, 28, 28), hidden=(512, 256), latent_dim=2):
        super().__init__()
        self.image_shape, self.latent_dim = tuple(image_shape), latent_dim
        self.input_dim = math.prod(image_shape)  # D pixels
        # encoder f_φ: (B, D) -> (B, d), no activation on the code
        self.encoder = mlp((self.input_dim, *hidden, latent_dim), final_activation=False)
        # decoder g_θ: (B, d) -> (B, D), the logits of the pixels
        self.decoder = mlp((latent_dim, *hidden[::-1], self.input_dim), final_activation=False)

    def encode(self, x):
        """x (B, C, H, W) or (B, D) -> z (B, d)."""
        return self.encoder(x.flatten(1))

    def decode(self, z):
        """z (B, d) -> logits (B, C, H, W): the decoder's parameters, as for the VAE."""
        return self.decoder(z).reshape(len(z), *self.image_shape)

    def decode_image(self, z):
        """z (B, d) -> x̂ = sigmoid(logits), (B, C, H, W), pixels in [0, 1]."""
        return torch.sigmoid(self.decode(z))

    def forward(self, x):
        """x -> the reconstruction x̂ in [0, 1], same shape as x."""
        return self.decode_image(self.encode(x)).reshape(x.shape)

    def loss(self, x, target=None):
        """Binary cross-entropy, summed over the D pixels, averaged over the batch.

        Args:
            x: (B, C, H, W) or (B, D) input (possibly corrupted, notebook 02).
            target: the clean images to reconstruct; x itself when None.
        Returns:
            {"loss", "recon"}: the same scalar twice, in nats per image (the VAE adds "kl").
        """
        target = x if target is None else target
        logits = self.decode(self.encode(x)).flatten(1)  # (B, D)
        # recon = (1/B) Σ_b −Σ_j [x_bj log x̂_bj + (1 − x_bj) log(1 − x̂_bj)], x̂ = sigmoid(logits)
        bce = F.binary_cross_entropy_with_logits(logits, target.flatten(1), reduction="sum")
        recon = bce / len(x)
        return {"loss": recon, "recon": recon}


def _with_checks(cls, checks):
    """Run `checks[name](model, *args, **kwargs) -> (args, kwargs)` before each method `name`.

    Keeps the argument checks out of the class body, so the class reads as the maths that
    notebook 01 teaches; a check raises a clear error or returns the cleaned arguments.
    """
    for name, check in checks.items():
        method = getattr(cls, name)

        @functools.wraps(method)
        def checked(self, *args, _method=method, _check=check, **kwargs):
            args, kwargs = _check(self, *args, **kwargs)
            return _method(self, *args, **kwargs)

        setattr(cls, name, checked)
    return cls


def _autoencoder_init(model, image_shape=(1, 28, 28), hidden=(512, 256), latent_dim=2):
    image_shape, hidden, latent_dim = _check_config(image_shape, hidden, latent_dim)
    # what save_checkpoint stores and build_model rebuilds from
    model.__dict__["config"] = {
        "model": "Autoencoder",
        "image_shape": list(image_shape),
        "hidden": list(hidden),
        "latent_dim": latent_dim,
    }
    return (image_shape, hidden, latent_dim), {}


def _autoencoder_images(model, x):
    return (_ImageModel.flatten(model, x),), {}


def _autoencoder_codes(model, z):
    _ImageModel._check_z(model, z)
    return (z.to(next(model.parameters()).dtype),), {}


def _autoencoder_forward(model, x):
    _ImageModel.flatten(model, x)
    return (x.to(next(model.parameters()).dtype),), {}


def _autoencoder_loss(model, x, target=None):
    x = _checks.pixels(_ImageModel.flatten(model, x, "x"), "x")
    if target is not None:
        target = _checks.pixels(_ImageModel.flatten(model, target, "target"), "target")
        if len(target) != len(x):
            raise ValueError(f"target must hold {len(x)} images like x, got {len(target)}")
    return (x, target), {}


_with_checks(
    Autoencoder,
    {
        "__init__": _autoencoder_init,
        "encode": _autoencoder_images,
        "decode": _autoencoder_codes,
        "forward": _autoencoder_forward,
        "loss": _autoencoder_loss,
    },
)


def _check_vae_args(likelihood, beta, logvar_x):
    """(beta, logvar_x, learned) for the VAE, or a clear error naming the argument."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    beta = _checks.non_negative(beta, "beta")
    learned = isinstance(logvar_x, str) and logvar_x == "learned"
    if not learned:
        try:
            logvar_x = _checks.real(logvar_x, "logvar_x")
        except (TypeError, ValueError):
            raise ValueError(
                f"logvar_x must be a finite number or 'learned', got {logvar_x!r}"
            ) from None
    return beta, logvar_x, learned


class VAE(_ImageModel):
    """MLP variational autoencoder; loss = −ELBO_β per example, averaged over the batch.

    Args:
        image_shape: (C, H, W) of the images.
        hidden: hidden layer sizes of the encoder; the decoder mirrors them.
        latent_dim: size of z.
        likelihood: "bernoulli" (decoder gives logits) or "gaussian" (decoder gives means).
        beta: weight on the KL term (1: VAE; > 1: β-VAE).
        logvar_x: Gaussian decoder log-variance: a float (fixed), or "learned" (one
            learned scalar shared by all pixels). Ignored for Bernoulli.
        broadcast: None (the decoder mirrors the encoder), or the hidden sizes of a
            `BroadcastDecoder`, e.g. (48, 48): one small MLP applied at every pixel.
    """

    def __init__(
        self,
        image_shape=(1, 28, 28),
        hidden=(512, 256),
        latent_dim=2,
        likelihood="bernoulli",
        beta=1.0,
        logvar_x=0.0,
        broadcast=None,
    ):
        image_shape, hidden, latent_dim = _check_config(image_shape, hidden, latent_dim)
        if broadcast is not None:
            broadcast = _positive_ints(broadcast, "broadcast")
        beta, logvar_x, learned = _check_vae_args(likelihood, beta, logvar_x)
        super().__init__(image_shape)
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.beta = float(beta)
        self.config = {
            "model": "VAE",
            "image_shape": list(image_shape),
            "hidden": list(hidden),
            "latent_dim": latent_dim,
            "likelihood": likelihood,
            "beta": float(beta),
            "logvar_x": "learned" if learned else float(logvar_x),
        }
        if broadcast is not None:
            self.config["broadcast"] = list(broadcast)
        # log σ_x² of the Gaussian decoder: a learned scalar, or a fixed float
        self.logvar_x = nn.Parameter(torch.zeros(())) if learned else float(logvar_x)
        # (B, D) -> (B, H_last): shared trunk of the encoder
        self.encoder = mlp((self.input_dim, *hidden))
        # (B, H_last) -> (B, Z) each: the two heads of q_φ(z|x)
        self.fc_mu = nn.Linear(hidden[-1] if hidden else self.input_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden[-1] if hidden else self.input_dim, latent_dim)
        # (B, Z) -> (B, D): logits or means before the sigmoid
        if broadcast is None:
            self.decoder = mlp((latent_dim, *hidden[::-1], self.input_dim), final_activation=False)
        else:
            self.decoder = BroadcastDecoder(latent_dim, image_shape, broadcast)

    def encode(self, x: torch.Tensor):
        """(B, C, H, W) or (B, D) -> mu (B, Z), logvar (B, Z)."""
        h = self.encoder(self.flatten(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar, generator=None) -> torch.Tensor:
        """z = mu + exp(½ logvar) ⊙ eps, eps ~ N(0, I): (B, Z)."""
        return reparameterize(mu, logvar, generator=generator)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, Z) -> x_hat (B, C, H, W): logits (Bernoulli) or means in [0, 1] (Gaussian)."""
        self._check_z(z)
        out = self.decoder(z).reshape(len(z), *self.image_shape)
        # Gaussian means live in the pixel range [0, 1]
        return torch.sigmoid(out) if self.likelihood == "gaussian" else out

    def decode_image(self, z: torch.Tensor) -> torch.Tensor:
        """(B, Z) -> images (B, C, H, W) in [0, 1]: sigmoid(logits), or the clamped mean."""
        x_hat = self.decode(z)
        return torch.sigmoid(x_hat) if self.likelihood == "bernoulli" else x_hat.clamp(0, 1)

    def forward(self, x: torch.Tensor):
        """x -> (x_hat, mu, logvar); x_hat has the shape of x, z is sampled."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z).reshape(x.shape), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator=None) -> torch.Tensor:
        """n images (n, C, H, W) in [0, 1]: z ~ N(0, I), then the decoder's mean image."""
        n = _checks.positive_int(n, "n")
        device = self.fc_mu.weight.device
        z = torch.randn((n, self.latent_dim), generator=generator).to(device)
        return self.decode_image(z)

    def loss(self, x: torch.Tensor, target=None) -> dict:
        """−ELBO_β of the batch: per example, averaged over the batch.

        Args:
            x: (B, C, H, W) or (B, D) input (possibly corrupted).
            target: the clean images to reconstruct (denoising); x itself when None.
        Returns:
            {"loss", "recon", "kl"}: scalar tensors; loss = recon + beta · kl, where
            recon = −log p_θ(x|z) and kl = KL(q_φ(z|x) ‖ N(0, I)).
        """
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        x_hat = self.decode(z).reshape(len(z), -1)
        terms = elbo(
            self._target(x, target), x_hat, mu, logvar, self.beta, self.likelihood, self.logvar_x
        )
        # loss = −ELBO_β = −recon + β·KL, per example, batch mean
        return {"loss": -terms.elbo.mean(), "recon": -terms.recon.mean(), "kl": terms.kl.mean()}


class BetaTCVAE(VAE):
    """β-TCVAE (Chen et al. 2018): a VAE whose loss puts the weight β on the total correlation only.

    loss = −E_q[log p_θ(x|z)] + MI + β · TC + dimension-wise KL, the three KL terms estimated
    on the batch by minibatch weighted sampling (`disentanglement.kl_terms`; its constant
    offsets, multiples of log NM, move no gradient).

    Args:
        dataset_size: N, the size of the training set (the estimator's weights need it).
        Others as `VAE`.
    """

    def __init__(self, *args, dataset_size, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset_size = _checks.positive_int(dataset_size, "dataset_size")
        self.config.update(model="BetaTCVAE", dataset_size=self.dataset_size)

    def loss(self, x: torch.Tensor, target=None) -> dict:
        """{"loss", "recon", "kl", "tc"}: batch means; kl is the closed-form KL, tc the estimate."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        x_hat = self.decode(z).reshape(len(z), -1)
        target = self._target(x, target)
        terms = elbo(target, x_hat, mu, logvar, 1.0, self.likelihood, self.logvar_x)
        kl = kl_terms(z, mu, logvar, self.dataset_size, estimator="mws")
        # loss = −log p_θ(x|z) + MI + β·TC + dimension-wise KL, per example, batch mean
        loss = -terms.recon + kl["mi"] + self.beta * kl["tc"] + kl["dwkl"]
        return {
            "loss": loss.mean(),
            "recon": -terms.recon.mean(),
            "kl": terms.kl.mean(),
            "tc": kl["tc"].mean(),
        }


MODELS = {"Autoencoder": Autoencoder, "VAE": VAE, "BetaTCVAE": BetaTCVAE}


def build_model(config: dict) -> nn.Module:
    """Rebuild a model (untrained) from its `.config` dict."""
    config = dict(config)
    name = config.pop("model", None)
    if name not in MODELS:
        raise ValueError(f"config['model'] must be one of {list(MODELS)}, got {name!r}")
    return MODELS[name](**config)
