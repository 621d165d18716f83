"""The conditional VAE of notebook 09: pick the digit, move the style.

Both networks see the label y as a one-hot vector (Sohn et al. 2015):

    q_φ(z | x, y) = N(μ(x, y), diag σ²(x, y)),   p_θ(x | z, y) = Bernoulli(sigmoid(f_θ(z, y))),

with the prior p(z) = N(0, I) left unconditioned, so the ELBO bounds log p(x | y):

    log p(x | y) ≥ E_q[log p_θ(x | z, y)] − KL(q_φ(z | x, y) ‖ N(0, I)).

Since y already says which digit it is, z is free to hold the rest: the style.
`fit` hands the model one tensor per batch, so images and labels travel together as
`pack(x, y)`: (N, 784 + 1), the label in the last column. The widget of the notebook,
`ConditionalExplorer`, is vae_teach.widgets.conditional's.
"""

import torch
from torch import nn

from vae_teach.elbo import reparameterize
from vae_teach.kl import gaussian_kl
from vae_teach.likelihoods import bernoulli_log_likelihood
from vae_teach.models import mlp

N_CLASSES = 10
PIXELS = 784


def condition(x, y, n_classes=N_CLASSES):
    """[x, one_hot(y)]: (B, 1, 28, 28) or (B, D) images, (B,) labels -> (B, D + n_classes)."""
    one_hot = torch.nn.functional.one_hot(y.long(), n_classes).to(x.dtype)
    return torch.cat([x.reshape(len(x), -1), one_hot], dim=1)


def pack(x, y) -> torch.Tensor:
    """Images (N, 1, 28, 28) and labels (N,) as one tensor (N, 785) for `fit`."""
    return torch.cat([x.reshape(len(x), -1), y.to(x.dtype)[:, None]], dim=1)


def unpack(data):
    """(N, 785) -> images (N, 784), labels (N,) int64: the inverse of `pack`."""
    return data[:, :-1], data[:, -1].long()


class ConditionalVAE(nn.Module):
    """Encoder q_φ(z|x, y), decoder p_θ(x|z, y) (Bernoulli), prior N(0, I); loss = −ELBO."""

    def __init__(self, hidden=256, latent_dim=2, n_classes=N_CLASSES):
        super().__init__()
        self.latent_dim, self.n_classes = latent_dim, n_classes
        # (B, 784 + 10) -> (B, H) -> μ, log σ²: (B, d) each
        self.encoder = mlp((PIXELS + n_classes, hidden))
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        # (B, d + 10) -> (B, H) -> (B, 784) logits
        self.decoder = mlp((latent_dim + n_classes, hidden, PIXELS), final_activation=False)

    def encode(self, x, y):
        """(B, 1, 28, 28), (B,) -> mu, logvar: (B, d) each."""
        h = self.encoder(condition(x, y, self.n_classes))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z, y):
        """(B, d), (B,) -> logits (B, 1, 28, 28) of p_θ(x|z, y)."""
        return self.decoder(condition(z, y, self.n_classes)).reshape(len(z), 1, 28, 28)

    def decode_image(self, z, y):
        """The mean image sigmoid(logits), pixels in [0, 1]: (B, 1, 28, 28)."""
        with torch.no_grad():
            return torch.sigmoid(self.decode(z, y))

    def loss(self, data, target=None):
        """Batch means of −ELBO = −log p_θ(x|z, y) + KL(q_φ(z|x, y) ‖ N(0, I)), in nats.

        Args:
            data: (B, 785) from `pack`: binary pixels and the label.
        """
        x, y = unpack(data)
        mu, logvar = self.encode(x, y)
        z = reparameterize(mu, logvar)
        # log p_θ(x|z, y), summed over the 784 pixels: (B,)
        recon = bernoulli_log_likelihood(x, self.decode(z, y).flatten(1))
        kl = gaussian_kl(mu, logvar)  # KL(q ‖ N(0, I)), summed over the d latents: (B,)
        return {"loss": (kl - recon).mean(), "recon": -recon.mean(), "kl": kl.mean()}
