"""Measures the numbers of the worked answers: notebook 01 exercises 2-5 (seed, fitted scale, bins, 20 epochs) and 07 exercises 5 (free bits) and 6 (40 epochs of collapse).

Run from the repository root, one at a time, with VAE_TEACH_DATA set and OMP_NUM_THREADS=1:
`python solutions/measurements/answers_01_and_07_training.py`. It prints what the answers in solutions/NN_name.md quote.
"""

# Training-based numbers for the worked answers (notebook 01 exercises 2-5, 07 exercises 5-6).
import time

import numpy as np
import torch

from vae_teach import set_seed
from vae_teach.data import load_mnist
from vae_teach.models import Autoencoder
from vae_teach.train import fit

t0 = time.time()
x_train, y_train = load_mnist("train")
x_test, y_test = load_mnist("test")


def holes(z_train, y_train, bins, z):
    lo, hi = z_train.min(0).values, z_train.max(0).values
    counts, e1, e2 = np.histogram2d(
        z_train[:, 0].numpy(),
        z_train[:, 1].numpy(),
        bins=bins,
        range=[[lo[0], hi[0]], [lo[1], hi[1]]],
    )
    empty = counts == 0
    i = np.digitize(z[:, 0].numpy(), e1) - 1
    j = np.digitize(z[:, 1].numpy(), e2) - 1
    inside = (i >= 0) & (i < bins) & (j >= 0) & (j < bins)
    hole = ~inside
    hole[inside] = empty[i[inside], j[inside]]
    return empty.mean(), hole.mean()


def tv(labels):
    p = torch.bincount(labels, minlength=10) / len(labels)
    q = torch.bincount(y_train, minlength=10) / len(y_train)
    return 0.5 * (p - q).abs().sum().item()


res = {}
for seed, epochs in [(0, 8), (1, 8), (0, 20)]:
    set_seed(seed)
    model = Autoencoder(hidden=(256, 128), latent_dim=2)
    h = fit(
        model, x_train, x_test, epochs=epochs, batch_size=64, lr=2e-3, seed=seed, progress=False
    )
    with torch.no_grad():
        z = model.encode(x_train)
    means = [z[y_train == k].mean(0).numpy().round(1).tolist() for k in (0, 1, 7)]
    g = torch.Generator().manual_seed(0)
    m, s = z.mean(0), z.std(0)
    zn = torch.randn(1000, 2, generator=g)
    zf = m + s * torch.randn(1000, 2, generator=g)
    _, idx_n = torch.cdist(zn, z).min(1)
    _, idx_f = torch.cdist(zf, z).min(1)
    row = dict(
        test_loss=h.last("test_loss"),
        mean=z.mean(0).numpy().round(2).tolist(),
        std=s.numpy().round(2).tolist(),
        digit_means_0_1_7=means,
        empty={b: holes(z, y_train, b, zn)[0] for b in (10, 30, 60)},
        hole_N01=holes(z, y_train, 30, zn)[1],
        hole_fitted=holes(z, y_train, 30, zf)[1],
        tv_N01=tv(y_train[idx_n]),
        tv_fitted=tv(y_train[idx_f]),
        nn_dist_median=torch.cdist(z[:2000], z[2000:]).min(1).values.median().item(),
        cell_size=((z.max(0).values - z.min(0).values) / 30).numpy().round(3).tolist(),
    )
    res[(seed, epochs)] = row
    print((seed, epochs), row, f"{time.time() - t0:.0f}s", flush=True)

# 07 exercise 5: free bits λ = 3 against λ = 0 (β = 1, 40 epochs on x_small): KL and prior samples
from vae_teach.disentanglement import free_bits_kl, kl_per_dimension
from vae_teach.likelihoods import bernoulli_log_likelihood
from vae_teach.models import VAE
from vae_teach.sprites import make_sprites


class FreeBitsVAE(VAE):  # as notebook 07 writes it
    def __init__(self, *args, free_bits=0.5, **kwargs):
        super().__init__(*args, **kwargs)
        self.free_bits = free_bits

    def loss(self, x, target=None):
        mu, logvar = self.encode(x)
        x_hat = self.decode(self.reparameterize(mu, logvar)).reshape(len(x), -1)
        recon = -bernoulli_log_likelihood(self.flatten(x), x_hat).mean()
        penalty = free_bits_kl(mu, logvar, self.free_bits)
        kl = kl_per_dimension(mu, logvar).sum()
        return {"loss": recon + self.beta * penalty, "recon": recon, "kl": kl}


import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


ARCH = dict(image_shape=(1, 24, 24), hidden=(96, 48), latent_dim=8)
x_small = make_sprites(2048, seed=1).images
samples = {}
for lam in (0.0, 3.0):
    torch.manual_seed(0)
    fb = FreeBitsVAE(**ARCH, beta=1.0, free_bits=lam)
    h = fit(fb, x_small, epochs=40, batch_size=64, lr=2e-3, seed=0, progress=False)
    with torch.no_grad():
        kl_j = kl_per_dimension(*fb.encode(x_small[:512]))
        torch.manual_seed(0)
        samples[lam] = fb.sample(64)
    ink = samples[lam].flatten(1).sum(1).mean()
    peak = samples[lam].flatten(1).max(1).values.mean()
    print(
        f"λ = {lam:g}: KL per latent {kl_j.numpy().round(2).tolist()}, total {kl_j.sum():.1f} nats, "
        f"D {h.last('train_recon'):.1f}; 64 prior samples: ink {ink:.1f} px, peak grey {peak:.2f}"
    )
print(f"the sprites themselves: ink {x_small.flatten(1).sum(1).mean():.1f} px")
fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for row, lam in enumerate((0.0, 3.0)):
    for c in range(8):
        axes[row, c].imshow(samples[lam][c, 0], cmap="gray", vmin=0, vmax=1)
        axes[row, c].set_xticks([]), axes[row, c].set_yticks([])
    axes[row, 0].set_title(f"λ = {lam:g}", fontsize=8, loc="left")
fig.savefig("solutions/figures/07_exercise5.png", dpi=70)

# 07 exercise 6: constant β = 16 for 40 epochs, seeds 0-2
for seed in range(3):
    torch.manual_seed(seed)
    vae = VAE(**ARCH, beta=16.0)
    h = fit(vae, x_small, epochs=40, batch_size=64, lr=2e-3, seed=seed, progress=False)
    with torch.no_grad():
        kl_j = kl_per_dimension(*vae.encode(x_small[:512]))
    rates = np.array(h["train_kl"])
    # the first epoch (counted from 1) after the first two whose rate exceeds 0.3 nats
    leaves = int(np.argmax(rates[2:] > 0.3)) + 3 if (rates[2:] > 0.3).any() else None
    objective = h.last("train_recon") + 16 * h.last("train_kl")
    print(
        f"seed {seed}: leaves the plateau in epoch {leaves}; final KL {kl_j.sum():.2f} nats, "
        f"{int((kl_j > 0.1).sum())} active latents, D {h.last('train_recon'):.1f}, D + 16 R {objective:.1f}"
    )
print(f"done {time.time() - t0:.0f}s")
