"""Retrain the β-VAE sweep shipped as `vae_teach/weights/betavae_*` (notebook 07), reproducibly.

    python scripts/train_betavae_weights.py                 # all five β
    python scripts/train_betavae_weights.py betavae_b4 --out /tmp/weights

Every model is the same small MLP VAE (24×24 sprites -> 96 -> 48 -> 8 latents, Bernoulli
decoder), trained on the full sprite factor grid (13,824 images, `make_sprites(grid=True)`)
with `vae_teach.train.fit`, a fixed seed and 1 CPU thread, and written by
`vae_teach.pretrained.save_pretrained` (float16, about 245 KB each, 1.2 MB for the five)
with its history, final losses, per-latent KL and MIG. Names: betavae_b0_5, betavae_b1,
betavae_b2, betavae_b4, betavae_b16. Several names may run as parallel processes.
"""

import argparse
import os
import time

# One thread: on a shared CPU, two threads per process can be many times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from vae_teach.disentanglement import kl_per_dimension, mig  # noqa: E402
from vae_teach.models import VAE  # noqa: E402
from vae_teach.pretrained import save_pretrained  # noqa: E402
from vae_teach.sprites import make_sprites  # noqa: E402
from vae_teach.train import fit  # noqa: E402

BETAS = (0.5, 1.0, 2.0, 4.0, 16.0)
ARCH = {"image_shape": (1, 24, 24), "hidden": (96, 48), "latent_dim": 8}
FIT = {"epochs": 50, "batch_size": 128, "lr": 1e-3}
SEED = 0


def weights_name(beta: float) -> str:
    """betavae_b0_5 for β = 0.5, betavae_b4 for β = 4."""
    return "betavae_b" + f"{beta:g}".replace(".", "_")


RECIPES = {weights_name(beta): beta for beta in BETAS}


def train_one(name, data, folder=None) -> None:
    """Train the β-VAE called `name` on the sprite grid, save it, print a summary."""
    beta = RECIPES[name]
    torch.manual_seed(SEED)
    model = VAE(**ARCH, beta=beta)
    start = time.perf_counter()
    history = fit(model, data.images, seed=SEED, progress=False, **FIT)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        mu, logvar = model.encode(data.images)
    kl = [round(v, 3) for v in kl_per_dimension(mu, logvar).tolist()]
    score = mig(mu, data.factors).score
    final = {k[len("train_") :]: round(v[-1], 3) for k, v in history.items() if "train_" in k}
    path = save_pretrained(
        model,
        name,
        folder=folder,
        description=f"β-VAE, β = {beta:g}, 8-D latent, 24×24 sprites (notebook 07)",
        history={k: [float(v) for v in vs] for k, vs in history.items() if k != "epoch_time"},
        train=dict(FIT, seed=SEED, data="make_sprites(grid=True)", n_train=len(data.images)),
        final=final,
        kl_per_dim=kl,
        mig=round(score, 4),
        torch_version=torch.__version__.split("+")[0],
    )
    print(
        f"{name}: recon {final['recon']:.2f}, KL {final['kl']:.2f}, MIG {score:.3f} | "
        f"{FIT['epochs']} epochs in {seconds:.0f} s | {path.stat().st_size / 1024:.0f} KB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--out", default=None, help="folder (default: vae_teach/weights)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = make_sprites(grid=True)
    for name in args.names:
        train_one(name, data, args.out)


if __name__ == "__main__":
    main()
