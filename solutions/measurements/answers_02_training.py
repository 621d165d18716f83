"""Measures the numbers of the worked answers: notebook 02 exercises 2-5 (masking, a masking DAE, training noise, 16 latents).

Run from the repository root, one at a time, with VAE_TEACH_DATA set and OMP_NUM_THREADS=1:
`python solutions/measurements/answers_02_training.py`. It prints what the answers in solutions/NN_name.md quote.
"""

# notebook 02 exercises 2-5: trained as section 2 trains (8 epochs, batch 64, lr 2e-3, seed 0)
import time

import torch

from vae_teach.corruption import corrupt
from vae_teach.data import load_mnist
from vae_teach.models import Autoencoder
from vae_teach.train import fit

t0 = time.time()
x_train, _ = load_mnist("train")
x_test, _ = load_mnist("test")
x_eval = x_test[:2000]


def sq(x, xh):
    return (xh - x).pow(2).flatten(1).sum(1)


def train(kind=None, level=None, latent_dim=2):
    m = Autoencoder(hidden=(256, 128), latent_dim=latent_dim)
    corrupt_fn = None if kind is None else (lambda x, g: corrupt(x, kind, level, g))
    fit(
        m,
        x_train,
        x_test,
        epochs=8,
        batch_size=64,
        lr=2e-3,
        seed=0,
        corrupt=corrupt_fn,
        progress=False,
    )
    return m


def table(models, rows):
    out = {}
    with torch.no_grad():
        for kind, level in rows:
            xt = (
                x_eval
                if level == 0
                else corrupt(x_eval, kind, level, torch.Generator().manual_seed(1))
            )
            out[(kind, level)] = {
                "input": round(sq(x_eval, xt).mean().item(), 1),
                **{n: round(sq(x_eval, m(xt)).mean().item(), 1) for n, m in models.items()},
            }
    return out


rows = [
    ("gaussian", 0.0),
    ("gaussian", 0.2),
    ("gaussian", 0.5),
    ("gaussian", 0.8),
    ("masking", 0.5),
    ("salt_and_pepper", 0.2),
]
ae = train()
dae = train("gaussian", 0.5)
print("base", table({"ae": ae, "dae": dae}, rows), f"{time.time() - t0:.0f}s", flush=True)
dae_mask = train("masking", 0.5)
print(
    "ex3 masking DAE",
    table({"ae": ae, "dae_g": dae, "dae_mask": dae_mask}, rows),
    f"{time.time() - t0:.0f}s",
    flush=True,
)
d2, d8 = train("gaussian", 0.2), train("gaussian", 0.8)
print(
    "ex4",
    table(
        {"ae": ae, "dae0.2": d2, "dae0.5": dae, "dae0.8": d8},
        [("gaussian", l) for l in (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9)],
    ),
    f"{time.time() - t0:.0f}s",
    flush=True,
)
ae16, dae16 = train(latent_dim=16), train("gaussian", 0.5, latent_dim=16)
print(
    "ex5",
    table(
        {"ae16": ae16, "dae16": dae16, "ae2": ae, "dae2": dae},
        [("gaussian", l) for l in (0.0, 0.2, 0.5, 0.8)],
    ),
    f"{time.time() - t0:.0f}s",
    flush=True,
)
