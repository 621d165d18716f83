"""Measures the numbers of the worked answers: notebook 08 exercises 3 (sigma = 0.5) and 5
(Gumbel-softmax by hand).

Run from the repository root with OMP_NUM_THREADS=1:
`python solutions/measurements/answers_08.py`. It prints what solutions/08_beyond.md quotes.
"""

import time

import torch

from vae_teach import linear_gaussian as lg
from vae_teach import wake_sleep

t0 = time.time()
# ---- exercise 5: z̃ = sigmoid((logit p + log u − log(1 − u)) / τ), against RelaxedBernoulli
N, p0 = 100_000, 0.3
for tau in [2.0, 1.0, 0.5, 0.2, 0.1, 0.05]:
    p = torch.full((N,), p0, requires_grad=True)
    torch.manual_seed(0)
    u = torch.rand(N).clamp(1e-6, 1 - 1e-6)
    # logistic noise log u − log(1 − u), then the tempered sigmoid
    z_mine = torch.sigmoid((torch.log(p) - torch.log1p(-p) + torch.log(u) - torch.log1p(-u)) / tau)
    torch.manual_seed(0)
    z_torch = torch.distributions.RelaxedBernoulli(torch.tensor(tau), probs=p).rsample()
    (grad,) = torch.autograd.grad(((z_mine - 0.45) ** 2).sum(), p)
    print(
        f"tau {tau:<5}: max |mine - torch| {(z_mine - z_torch).abs().max():.1e}; "
        f"gradient mean {grad.mean():+.4f} (true +0.1000, bias {grad.mean() - 0.1:+.4f}), "
        f"std {grad.std():.3f}",
        flush=True,
    )

# ---- exercise 3: section 5 with sigma = 0.2 (as shipped) and 0.5
for sigma in (0.2, 0.5):
    g = torch.Generator().manual_seed(3)
    W_true = torch.randn(6, 2, generator=g, dtype=torch.float64)
    W_true[:, 1] = 0.8 * W_true[:, 0] + 0.2 * W_true[:, 1]
    truth = lg.LinearGaussian(W_true, torch.randn(6, generator=g, dtype=torch.float64), sigma=sigma)
    _, X = truth.sample(2000, generator=g)
    best = lg.log_px(wake_sleep.ppca_mle(X, 2), X).mean().item()
    for family in ["diagonal", "isotropic"]:
        for method in wake_sleep.METHODS:
            learned = wake_sleep.fit(
                X, 2, method, steps=1000, seed=0, isotropic=family == "isotropic"
            )
            s = wake_sleep.evaluate(learned, X)
            print(
                f"sigma {sigma}: {family:>9} q, {method:>10}: MLE − log p(x) "
                f"{best - s['log_px']:.3f}, KL(q ‖ p(z|x)) {s['kl']:.3f} nats "
                f"({time.time() - t0:.0f}s)",
                flush=True,
            )

# ---- exercise 1: the topics round the circle, seed 0 against seed 1 (section 3's recipe)
from vae_teach import documents as docs  # noqa: E402
from vae_teach.disentanglement import free_bits_kl  # noqa: E402
from vae_teach.kl import gaussian_kl  # noqa: E402
from vae_teach.train import fit  # noqa: E402

train, test = docs.make_documents(4000, seed=0), docs.make_documents(1000, seed=1)
angles = torch.arange(0, 360, 30)
circle = 2.0 * torch.stack([torch.cos(torch.deg2rad(angles)), torch.sin(torch.deg2rad(angles))], 1)
for seed in (0, 1):
    torch.manual_seed(seed)
    model = docs.DocumentVAE(latent_dim=2)
    history = fit(
        model, train.counts, test.counts, epochs=12, batch_size=64, lr=3e-3, seed=seed,
        progress=False,
    )  # fmt: skip
    with torch.no_grad():
        topical = torch.softmax(model.decode(circle.float()), -1)
    topical[:, -len(docs.COMMON) :] = 0
    order = []
    for angle, p in zip(angles.tolist(), topical, strict=True):
        owners = {docs.word_topic(w) for w in docs.top_words(p, 5)}
        order.append(f"{angle}°:{owners.pop()[:5] if len(owners) == 1 else '-'}")
    print(f"seed {seed}: test loss {history.last('test_loss'):.1f}; " + " ".join(order), flush=True)


# ---- exercise 4: free bits (λ = 0.5 per latent) for the autoregressive decoder, section 4
class FreeBitsAutoregressive(docs.AutoregressiveDocumentVAE):
    """The strong decoder, charged Σ_j max(λ, KL_j) instead of KL (as notebook 07's FreeBitsVAE)."""

    def loss(self, onehot, target=None):
        mu, logvar = self.encode(onehot.sum(1))
        recon = self.log_likelihood(onehot, docs.reparameterize(mu, logvar))
        kl = gaussian_kl(mu, logvar)
        penalty = free_bits_kl(mu, logvar, 0.5)
        return {
            "loss": -recon.mean() + self.beta * penalty,
            "recon": -recon.mean(),
            "kl": kl.mean(),
        }


small = dict(epochs=5, batch_size=64, lr=3e-3, seed=0, progress=False)
onehot_train, onehot_test = docs.one_hot_words(train.words[:1500]), docs.one_hot_words(test.words)
other = torch.roll(torch.arange(len(test.counts)), 1)
for name, cls in [("plain", docs.AutoregressiveDocumentVAE), ("free bits", FreeBitsAutoregressive)]:
    torch.manual_seed(0)
    m = cls(latent_dim=2)
    fit(m, onehot_train, **small)
    with torch.no_grad():
        mu, logvar = m.encode(test.counts)
        rate = gaussian_kl(mu, logvar).mean()
        worth = (
            m.log_likelihood(onehot_test, mu) - m.log_likelihood(onehot_test, mu[other])
        ).mean()
        recon = -m.log_likelihood(onehot_test, mu).mean()
    print(
        f"{name}: rate {rate:.2f} nats, a wrong code costs {worth:.1f} nats, "
        f"recon at mu {recon:.1f} ({time.time() - t0:.0f}s)",
        flush=True,
    )
