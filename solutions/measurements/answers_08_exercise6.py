"""Measures the number of the worked answer to notebook 08 exercise 6: section 5's comparison
(wake-sleep against the VAE, diagonal and isotropic q) trained on Monte Carlo estimates
instead of exact expected gradients.

Run from the repository root with OMP_NUM_THREADS=1:
`python solutions/measurements/answers_08_exercise6.py` (about half a minute). It prints what
solutions/08_beyond.md quotes, next to section 5's exact-gradient numbers.
"""

import time

import torch

from vae_teach import linear_gaussian as lg
from vae_teach import wake_sleep


def mc_step(learner, x, method, optimizer, generator):
    """One step of `method` on Monte Carlo estimates (one z per point, 2,000 dreams)."""
    optimizer.zero_grad()
    if method == "vae":
        # one objective, reparameterised: the gradient reaches θ and φ through z = μ + σ ε
        (-learner.elbo_mc(x, 1, generator).mean()).backward()
    else:
        # wake: θ up the one-sample ELBO on the data (φ's gradients are not kept)
        (-learner.elbo_mc(x, 1, generator).mean()).backward(inputs=learner.decoder_parameters())
        # sleep: φ up the mean log q(z|x) on 2,000 fresh dreams (θ's gradients are not kept)
        (-learner.sleep_objective_mc(2000, generator)).backward(inputs=learner.encoder_parameters())
    optimizer.step()


def mc_fit(X, method, isotropic, steps=1000, lr=2e-2, seed=0):
    """wake_sleep.fit's recipe (same start, Adam, full batch), with the MC step."""
    generator = torch.Generator().manual_seed(seed)
    learner = wake_sleep.LinearGaussianLearner(6, 2, generator=generator, isotropic=isotropic)
    with torch.no_grad():
        learner.b.copy_(X.mean(0))
    optimizer = torch.optim.Adam(learner.parameters(), lr=lr)
    noise = torch.Generator().manual_seed(seed + 1)
    for _ in range(steps):
        mc_step(learner, X, method, optimizer, noise)
    return learner


t0 = time.time()
# section 5's data, exactly as the notebook makes it (sigma = 0.2)
g = torch.Generator().manual_seed(3)
W_true = torch.randn(6, 2, generator=g, dtype=torch.float64)
W_true[:, 1] = 0.8 * W_true[:, 0] + 0.2 * W_true[:, 1]
truth = lg.LinearGaussian(W_true, torch.randn(6, generator=g, dtype=torch.float64), sigma=0.2)
_, X = truth.sample(2000, generator=g)
best = lg.log_px(wake_sleep.ppca_mle(X, 2), X).mean().item()
print(f"maximum likelihood (PPCA): {best:.3f} nats", flush=True)
scores = {}
for family in ["diagonal", "isotropic"]:
    for method in wake_sleep.METHODS:
        iso = family == "isotropic"
        exact = wake_sleep.evaluate(
            wake_sleep.fit(X, 2, method, steps=1000, seed=0, isotropic=iso), X
        )
        for seed in (0, 1):
            s = wake_sleep.evaluate(mc_fit(X, method, iso, seed=seed), X)
            scores[family, method, seed] = s
            print(
                f"{family:>9} q, {method:>10}, MC seed {seed}: MLE − log p(x) "
                f"{best - s['log_px']:.3f} (exact gradients {best - exact['log_px']:.3f}), "
                f"KL(q ‖ p(z|x)) {s['kl']:.3f} (exact {exact['kl']:.3f}) "
                f"({time.time() - t0:.0f}s)",
                flush=True,
            )
for seed in (0, 1):
    vae, ws = scores["isotropic", "vae", seed], scores["isotropic", "wake-sleep", seed]
    print(
        f"MC seed {seed}, isotropic q: wake–sleep ends {vae['log_px'] - ws['log_px']:.2f} nats "
        f"below the VAE, with {ws['kl'] / vae['kl']:.1f}× its KL to the posterior",
        flush=True,
    )
