"""Measures the numbers of the worked answers: notebooks 03-07: the closed-form and Monte Carlo answers, and figures 05_exercise3, 06_exercise1.

Run from the repository root, one at a time, with VAE_TEACH_DATA set and OMP_NUM_THREADS=1:
`python solutions/measurements/answers_03_to_07.py`. It prints what the answers in solutions/NN_name.md quote.
"""

import math

import matplotlib
import numpy as np
import torch
from scipy import optimize, stats

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from vae_teach import linear_gaussian as lg

torch.set_default_dtype(torch.float32)
out = {}
# ---- 03
model = lg.LinearGaussian(W=[[1.2], [-0.7]], b=[0.3, -0.2], sigma=0.8)
x = torch.tensor([1.5, -1.0], dtype=torch.float64)
m, S = lg.posterior(model, x)
s = S.item() ** 0.5
for f in (2.0, 0.5):
    cov = torch.tensor([[(f * s) ** 2]], dtype=torch.float64)
    out[f"03e2 gap f={f}"] = lg.kl_to_posterior(model, x, m.reshape(1), cov).item()
out["03e2 post"] = (m.item(), s)
for sig in (0.8, 0.2):
    mo = lg.LinearGaussian(W=[[1.2], [-0.7]], b=[0.3, -0.2], sigma=sig)
    mm, SS = lg.posterior(mo, x)
    gap = lg.kl_to_posterior(
        mo, x, torch.zeros(1, dtype=torch.float64), torch.eye(1, dtype=torch.float64)
    ).item()
    out[f"03e3 sigma={sig}"] = (
        round(mm.item(), 4),
        round(SS.item() ** 0.5, 4),
        round(gap, 3),
        round(lg.log_px(mo, x).item(), 3),
    )
# 03 e4: diagonal q for a correlated posterior (a model2-like model: W (5, 2) random, sigma 0.5)
g = torch.Generator().manual_seed(0)
W2 = torch.randn(5, 2, dtype=torch.float64, generator=g)
model2 = lg.LinearGaussian(W=W2, b=torch.zeros(5), sigma=0.5)
_, x2 = model2.sample(1, generator=g)
x2 = x2[0]
m2, S2 = lg.posterior(model2, x2)


def neg(p):
    mu = torch.tensor(p[:2], dtype=torch.float64)
    cov = torch.diag(torch.exp(torch.tensor(p[2:], dtype=torch.float64)))
    return -lg.exact_elbo(model2, x2, mu, cov).item()


r = optimize.minimize(
    neg,
    np.zeros(4),
    method="Nelder-Mead",
    options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20000},
)
var_best = np.exp(r.x[2:])
prec = torch.linalg.inv(S2).numpy()
rho = (S2[0, 1] / (S2[0, 0] * S2[1, 1]) ** 0.5).item()
out["03e4"] = dict(
    rho=rho,
    gap=lg.log_px(model2, x2).item() + r.fun,
    closed=-0.5 * math.log(1 - rho**2),
    var_best=var_best.round(4).tolist(),
    one_over_prec=(1 / np.diag(prec)).round(4).tolist(),
    post_var=np.diag(S2.numpy()).round(4).tolist(),
    mean_best=r.x[:2].round(4).tolist(),
    post_mean=m2.numpy().round(4).tolist(),
)
# 03 e5 mode-seeking
t = np.linspace(-8, 8, 4001)
dt = t[1] - t[0]


def log_normal(t, mean, std):
    return -0.5 * ((t - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi))


for mode in (2.0, 1.0, 0.5):
    log_p = np.logaddexp(log_normal(t, -mode, 0.6), log_normal(t, mode, 0.6)) + np.log(0.5)
    rk = lambda p: (
        np.sum(
            np.exp(log_normal(t, p[0], np.exp(p[1]))) * (log_normal(t, p[0], np.exp(p[1])) - log_p)
        )
        * dt
    )
    fits = {}
    for start in (0.5, 0.0, 1.5):
        f_ = optimize.minimize(
            rk,
            np.array([start, 0.0]),
            method="Nelder-Mead",
            options={"xatol": 1e-6, "fatol": 1e-10},
        )
        fits[start] = (round(f_.x[0], 2) + 0.0, round(np.exp(f_.x[1]), 2))
    out[f"03e5 mode={mode}"] = fits
# separation where one-mode stops: scan
sep = []
for mode in np.arange(0.3, 1.01, 0.05):
    log_p = np.logaddexp(log_normal(t, -mode, 0.6), log_normal(t, mode, 0.6)) + np.log(0.5)
    rk = lambda p: (
        np.sum(
            np.exp(log_normal(t, p[0], np.exp(p[1]))) * (log_normal(t, p[0], np.exp(p[1])) - log_p)
        )
        * dt
    )
    f_ = optimize.minimize(
        rk, np.array([0.5, 0.0]), method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-10}
    )
    sep.append((round(mode, 2), round(f_.x[0], 3)))
out["03e5 scan (mode, fitted mean from 0.5)"] = sep
# ---- 04
from vae_teach.estimators import (
    reparameterisation_gradients,
    reparameterisation_variance,
    score_function_gradients,
    score_function_variance,
)

mu1 = torch.tensor([1.0], dtype=torch.float64)
std1 = torch.tensor([1.0], dtype=torch.float64)
sf, rp = score_function_variance(mu1, std1, 1.0), reparameterisation_variance(mu1, std1, 1.0)
out["04e1 ratio mu, std"] = ((sf[0] / rp[0]).item(), (sf[1] / rp[1]).item())
eps = torch.randn(200_000, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
k = 3.0
b = (1.0 - k) ** 2 + 1.0
f = lambda z: ((z - k) ** 2).sum(-1)
g_mu, g_std = score_function_gradients(f, mu1, std1, eps)
g_mu_b, g_std_b = score_function_gradients(lambda z: f(z) - b, mu1, std1, eps)
out["04e3 var mu no baseline, baseline; std"] = (
    g_mu.var().item(),
    g_mu_b.var().item(),
    g_std.var().item(),
    g_std_b.var().item(),
    "means",
    g_mu.mean().item(),
    g_mu_b.mean().item(),
)
out["04e3 reparam var mu"] = reparameterisation_gradients(f, mu1, std1, eps)[0].var().item()
step = lambda z: (z[:, 0] > 0).double()
rg = reparameterisation_gradients(step, mu1, std1, eps[:1000])
sg = score_function_gradients(step, mu1, std1, eps)
out["04e4 reparam mean, score mean ± se, true"] = (
    rg[0].mean().item(),
    sg[0].mean().item(),
    (sg[0].std() / math.sqrt(len(eps))).item(),
    stats.norm.pdf(1.0),
)
from vae_teach.pretrained import load_pretrained

vae2 = load_pretrained("vae2")
enc = sum(p.numel() for n_, p in vae2.named_parameters() if not n_.startswith("decoder"))
out["04e5 encoder params vae2"] = enc
# ---- 05
kl1 = lambda mu, s: 0.5 * (mu**2 + s**2 - 1 - math.log(s**2))
out["05e1 N(0,2^2), N(0,0.5^2)"] = (kl1(0, 2), kl1(0, 0.5))
from vae_teach.kl import gaussian_kl_between

q = (torch.tensor([1.0]), torch.tensor([math.log(0.25)]))
p = (torch.tensor([0.0]), torch.tensor([0.0]))
try:
    out["05e3 KL(q||p), KL(p||q)"] = (
        gaussian_kl_between(*q, *p).item(),
        gaussian_kl_between(*p, *q).item(),
    )
except Exception as e:
    out["05e3 err"] = repr(e)
out["05e3 by formula"] = (kl1(1, 0.5), math.log(0.5) + (1 + 1) / (2 * 0.25) - 0.5)
zz = np.linspace(-4, 5, 2000)
qd, pd = stats.norm.pdf(zz, 1, 0.5), stats.norm.pdf(zz, 0, 1)
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.fill_between(zz, pd, color="0.85", label="p = N(0, 1)")
ax.plot(zz, qd, "C0", label="q = N(1, 0.5²)")
ax.plot(zz, qd * np.log(qd / pd), "C3--", label="q log(q/p): KL(q‖p) = %.2f" % kl1(1, 0.5))
ax.plot(
    zz, pd * np.log(pd / qd), "C2-.", label="p log(p/q): KL(p‖q) = %.2f" % (math.log(0.5) + 4 - 0.5)
)
ax.axhline(0, color="k", lw=0.5)
ax.set_xlabel("z")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig("solutions/figures/05_exercise3.png", dpi=80)
out["05e3 where"] = dict(
    qlogqp_area_left_of_0=float(np.sum((qd * np.log(qd / pd))[zz < 0]) * (zz[1] - zz[0])),
    plogpq_area_left_of_0=float(np.sum((pd * np.log(pd / qd))[zz < 0]) * (zz[1] - zz[0])),
)
# 05 e5: MC for a 10-D q
gg = torch.Generator().manual_seed(0)
mu10 = torch.randn(10, generator=gg, dtype=torch.float64)
s10 = torch.exp(0.5 * torch.randn(10, generator=gg, dtype=torch.float64))
exact = 0.5 * (mu10**2 + s10**2 - 1 - torch.log(s10**2)).sum().item()
rows = []
for n in (100, 1000, 10000):
    ests = []
    for rep in range(200):
        z = mu10 + s10 * torch.randn(n, 10, generator=gg, dtype=torch.float64)
        lq = (-0.5 * ((z - mu10) / s10) ** 2 - torch.log(s10) - 0.5 * math.log(2 * math.pi)).sum(1)
        lp = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1)
        ests.append((lq - lp).mean().item())
    ests = np.array(ests)
    rows.append((n, ests.mean() - exact, ests.std(), ests.std() * math.sqrt(n)))
out["05e5 exact"] = exact
out["05e5 rows n, bias, sd, sd*sqrt(n)"] = rows
# 1-D for comparison (q = N(1, 0.5^2))
ests = []
for rep in range(200):
    z = 1 + 0.5 * torch.randn(1000, generator=gg, dtype=torch.float64)
    ests.append((stats.norm.logpdf(z.numpy(), 1, 0.5) - stats.norm.logpdf(z.numpy(), 0, 1)).mean())
out["05e5 1-D sd*sqrt(n)"] = float(np.std(ests) * math.sqrt(1000))
# ---- 06 e1
from vae_teach.plots import show_images

ae2 = load_pretrained("ae2")
with torch.no_grad():
    far = vae2.decode_image(torch.tensor([[6.0, 6.0]]))
    from vae_teach.data import load_mnist

    tx, ty = load_mnist("test")
    za = ae2.encode(tx[:5000])
    lo, hi = za.min(0).values, za.max(0).values
    zfar = (hi + 0.5 * (hi - lo)).reshape(1, 2)
    far_ae = ae2.decode_image(zfar)
    centre = vae2.decode_image(torch.zeros(1, 2))
    mu_v, _ = vae2.encode(tx[:5000])
out["06e1 ink (sum of pixels) at (6,6), at 0, mean test digit"] = (
    far.sum().item(),
    centre.sum().item(),
    tx[:5000].sum((1, 2, 3)).mean().item(),
)
out["06e1 nearest test code to (6,6)"] = torch.cdist(torch.tensor([[6.0, 6.0]]), mu_v).min().item()
out["06e1 ae far point, ink"] = (
    zfar.numpy().round(1).tolist(),
    far_ae.sum().item(),
    "ae box",
    lo.numpy().round(1).tolist(),
    hi.numpy().round(1).tolist(),
)
fig = show_images(
    torch.cat([centre, far, far_ae]),
    titles=["VAE z = (0, 0)", "VAE z = (6, 6)", "AE far outside"],
    scale=1.4,
)
fig.savefig("solutions/figures/06_exercise1.png", dpi=80)
# ---- 07
from vae_teach.disentanglement import kl_per_dimension, mig
from vae_teach.sprites import SPRITES32, make_sprites
from vae_teach.widgets import traversal_grid

data = make_sprites(grid=True, **SPRITES32)
xs = data.images
factors = data.factors.numpy()
# exercise 1: the traversal widget switched to β=8 s1, on base image 20 of x[::97]
m8 = load_pretrained("betavae_b8_s1")
with torch.no_grad():
    mu8, lv8 = m8.encode(xs)
kl8 = kl_per_dimension(mu8, lv8)
active = [j for j in range(10) if kl8[j] > 0.1]
out["07e1 kl_j b8 s1"] = kl8.numpy().round(2).tolist()
names = mig(mu8, factors).mi.argmax(1)
out["07e1 active latents and the factor each knows most about"] = {
    f"z{j + 1}": ["shape", "scale", "rotation", "pos_x", "pos_y"][names[j]] for j in active
}
base = mu8[::97][20]
changes = {}
for j in range(10):
    images = traversal_grid(m8, base, [j], np.linspace(-3, 3, 7))
    changes[f"z{j + 1}"] = round((images - images[3:4]).abs().max().item(), 3)
out["07e1 max |change| of a pixel, each latent swept over -3..3"] = changes
# exercise 4: bins, on the model of section 4 (β=4 s0)
m4 = load_pretrained("betavae_b4_s0")
with torch.no_grad():
    mu4, _ = m4.encode(xs)
r = {bins: mig(mu4, factors, bins=bins) for bins in (5, 10, 20, 50)}
out["07e4 MIG b4 s0 by bins (score, per factor)"] = {
    b: (round(v.score, 3), np.round(v.per_factor, 3).tolist()) for b, v in r.items()
}
noise = np.random.default_rng(1).normal(size=(len(factors), 10))
out["07e4 MIG noise by bins"] = {
    b: round(mig(noise, factors, bins=b).score, 4) for b in (5, 10, 20, 50)
}
out["07e4 largest plug-in MI of noise by bins"] = {
    b: round(float(mig(noise, factors, bins=b).mi.max()), 4) for b in (5, 20, 50)
}
for kk, v in out.items():
    print(kk, "=>", v)
