"""Measures the numbers of the worked answers: notebook 06 exercise 3: the amortisation gain after 30, 100, 300, 1000 steps.

Run from the repository root, one at a time, with VAE_TEACH_DATA set and OMP_NUM_THREADS=1:
`python solutions/measurements/answers_06_amortisation.py`. It prints what the answers in solutions/NN_name.md quote.
"""

# notebook 06 exercise 3: the amortisation gain after 30, 300 and 1000 Adam steps
import time

import torch
import torch.nn.functional as F

from vae_teach import set_seed
from vae_teach.data import load_binarized_mnist
from vae_teach.kl import gaussian_kl
from vae_teach.pretrained import load_pretrained

t0 = time.time()
set_seed(0)
test_bin = load_binarized_mnist("test")
if isinstance(test_bin, tuple):
    test_bin = test_bin[0]
vae20 = load_pretrained("vae20")
x_am = test_bin[:64]
vae20.requires_grad_(False)
with torch.no_grad():
    mu_enc, logvar_enc = vae20.encode(x_am)


def elbo_per_digit(mu, logvar, n, gen=None):
    z = mu + torch.exp(0.5 * logvar) * torch.randn((n, *mu.shape), generator=gen)
    logits = vae20.decode(z.flatten(0, 1)).flatten(1)
    recon = -F.binary_cross_entropy_with_logits(
        logits, x_am.flatten(1).repeat(n, 1), reduction="none"
    ).sum(1)
    return recon.reshape(n, -1).mean(0) - gaussian_kl(mu, logvar)


def mean_elbo(mu, logvar, n=1000, chunk=100):
    gen = torch.Generator().manual_seed(0)
    return sum(elbo_per_digit(mu, logvar, chunk, gen) for _ in range(n // chunk)) / (n // chunk)


with torch.no_grad():
    elbo_enc = mean_elbo(mu_enc, logvar_enc)
mu_opt = mu_enc.clone().requires_grad_()
logvar_opt = logvar_enc.clone().requires_grad_()
opt = torch.optim.Adam([mu_opt, logvar_opt], lr=1e-2)
done = 0
for target in (30, 100, 300, 1000):
    for _ in range(target - done):
        loss = -elbo_per_digit(mu_opt, logvar_opt, 4).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    done = target
    with torch.no_grad():
        gain = mean_elbo(mu_opt, logvar_opt) - elbo_enc
    print(
        f"steps {target}: gain {gain.mean():.2f} nats, positive for {(gain > 0).sum()} of 64; {time.time() - t0:.0f}s",
        flush=True,
    )
