"""Train the sprite models shipped for notebook 07 (β-VAE sweep and β-TCVAE), reproducibly.

    python scripts/train_sprite_weights.py                  # every recipe not yet trained
    python scripts/train_sprite_weights.py tcvae_b6_s0      # one model
    python scripts/train_sprite_weights.py --force --out /tmp/weights

Every model is the same MLP (32×32 sprites -> 128 -> 128 -> 8 latents and back, Bernoulli
decoder), trained with `vae_teach.train.fit` on 100,000 sprites whose scale, rotation and
position are drawn continuously (`make_sprites(..., continuous=True, **SPRITES32)`), and
written with `save_pretrained` (float16 + SHA-256, about 0.6 MB each). Each recipe below
is one row of data: the model class, β and the seed. The script is resumable: a model
whose weights already exist is skipped, so an interrupted run loses at most the model it
was training; commit each `.pt` / `.sha256` pair as soon as it appears. Several names may
run as parallel processes (one CPU thread each).

After training, each model is measured on the factor grid
(`make_sprites(grid=True, **SPRITES32)`, 15,552 images): per-latent KL, MIG on posterior
means, and the exact (M = N) β-TCVAE decomposition of its KL. The numbers go into the
weights' metadata, so the notebook and the benchmark read them without recomputing.
"""

import argparse
import os
import time

# One thread: on a shared CPU, two threads per process can be many times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from vae_teach.disentanglement import kl_per_dimension, mig, tc_decomposition  # noqa: E402
from vae_teach.models import MODELS  # noqa: E402
from vae_teach.pretrained import save_pretrained, weights_folder  # noqa: E402
from vae_teach.sprites import SPRITES32, make_sprites  # noqa: E402
from vae_teach.train import fit  # noqa: E402

ARCH = {
    "image_shape": (1, SPRITES32["size"], SPRITES32["size"]),
    "hidden": (128, 128),
    "latent_dim": 8,
}
FIT = {"epochs": 30, "batch_size": 512, "lr": 2e-3, "schedule": "cosine"}
N_TRAIN = 100_000
DATA_SEED = 1000
SEEDS = (0, 1, 2)
# name -> (model class, β, seed): the β-VAE sweep and the β-TCVAE, three seeds each
RECIPES = {
    **{
        f"betavae_b{beta}_s{seed}": ("VAE", float(beta), seed)
        for beta in (1, 4, 8, 16)
        for seed in SEEDS
    },
    **{f"tcvae_b6_s{seed}": ("BetaTCVAE", 6.0, seed) for seed in SEEDS},
}


def build(kind: str, beta: float):
    """An untrained model of the recipe's class."""
    extra = {"dataset_size": N_TRAIN} if kind == "BetaTCVAE" else {}
    return MODELS[kind](**ARCH, beta=beta, **extra)


@torch.no_grad()
def measure(model, grid) -> dict:
    """Per-latent KL, MIG and the exact KL decomposition of `model` on the factor grid."""
    mu, logvar = model.encode(grid.images)
    result = mig(mu, grid.factors)
    parts = tc_decomposition(mu, logvar, generator=torch.Generator().manual_seed(0))
    return {
        "kl_per_dim": [round(v, 4) for v in kl_per_dimension(mu, logvar).tolist()],
        "mig": round(result.score, 4),
        "mig_per_factor": [round(v, 4) for v in result.per_factor.tolist()],
        "tc_exact": {key: round(getattr(parts, key), 4) for key in ("mi", "tc", "dwkl", "kl")},
    }


def train_one(name, data, grid, folder) -> None:
    """Train the model called `name`, measure it, save it, print a summary."""
    kind, beta, seed = RECIPES[name]
    torch.manual_seed(seed)
    model = build(kind, beta)
    start = time.perf_counter()
    history = fit(model, data.images, seed=seed, progress=False, **FIT)
    seconds = time.perf_counter() - start
    model.eval()
    numbers = measure(model, grid)
    final = {k[len("train_") :]: round(v[-1], 3) for k, v in history.items() if "train_" in k}
    path = save_pretrained(
        model,
        name,
        folder=folder,
        description=f"{kind}, β = {beta:g}, seed {seed}, 8-D latent, 32×32 sprites (notebook 07)",
        history={k: [float(v) for v in vs] for k, vs in history.items() if k != "epoch_time"},
        train=dict(FIT, seed=seed, data_seed=DATA_SEED, n_train=N_TRAIN, seconds=round(seconds)),
        final=final,
        torch_version=torch.__version__.split("+")[0],
        **numbers,
    )
    print(
        f"{name}: recon {final['recon']:.2f}, KL {final['kl']:.2f}, MIG {numbers['mig']:.3f} "
        f"{numbers['mig_per_factor']} | {seconds:.0f} s | {path.stat().st_size / 1024:.0f} KB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--out", default=None, help="folder (default: vae_teach/weights)")
    parser.add_argument("--force", action="store_true", help="retrain models that exist")
    args = parser.parse_args()
    torch.set_num_threads(1)
    folder = args.out or str(weights_folder())
    todo = [n for n in args.names if args.force or not os.path.exists(f"{folder}/{n}.pt")]
    if not todo:
        print("every model asked for exists (use --force to retrain)")
        return
    data = make_sprites(N_TRAIN, seed=DATA_SEED, continuous=True, **SPRITES32)
    grid = make_sprites(grid=True, **SPRITES32)
    for name in todo:
        train_one(name, data, grid, folder)


if __name__ == "__main__":
    main()
