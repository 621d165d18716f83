"""Retrain the pretrained models of `vae_teach/weights/`, reproducibly: one script, each model a
row of `RECIPES`.

    VAE_TEACH_DATA=... python scripts/train_weights.py   # every recipe not yet current
    python scripts/train_weights.py mnist                # one family: mnist, betavae, sprites
    python scripts/train_weights.py vae2 vae20 --out /tmp/weights
    python scripts/train_weights.py betavae_b4_s0 --force   # retrain even if current

A recipe names its family (the data it trains on and what is measured afterwards), the
model class, its architecture and `fit` settings, β and the seed. Every model trains with
`vae_teach.train.fit` on one CPU thread with a fixed seed, then is written by
`vae_teach.pretrained.save_pretrained` (float16 weights + SHA-256) with its training
history and measurements. Same machine, same torch: the same numbers.

- mnist (notebooks 01–06): on the full MNIST training split (60,000 images). The two VAEs
  (vae2, vae20) have a Bernoulli decoder, a probability only for binary pixels: they train
  on dynamically binarised digits (a fresh x_bin ~ Bernoulli(x) each epoch) and are
  evaluated on one fixed binarisation of the test split (`load_binarized_mnist`); their test
  −ELBO and the importance-weighted bound 𝓛_K (K = 5000, as Burda et al. 2016) are then
  estimated on the shipped float16 weights and stored under "eval" (notebook 06 quotes them).
- betavae (notebook 07, section 7): betavae_b16, a small MLP VAE (24×24 sprites -> 96 -> 48
  -> 8 latents) with β = 16 on the full 24×24 sprite factor grid (13,824 images): the point of
  the β = 16 objective that the posterior-collapse runs are compared with.
- sprites (notebook 07, sections 2–6): 32×32 sprites -> 256 -> 128 -> 10 latents -> a
  broadcast decoder (48, 48), β-VAE (β = 1, 4, 8) and β-TCVAE (β = 6), three seeds each, on
  100,000 sprites drawn continuously (SPRITES32); measured on the factor grid (per-latent
  KL, MIG, the exact β-TCVAE decomposition of the KL).

Resumable, one model at a time: a model whose file already holds the current recipe is not
retrained (--force retrains), and a stored evaluation is not redone. Each model's file is
written as soon as it is trained. Several names may run as parallel processes.
"""

import argparse
import functools
import os
import time
from pathlib import Path
from typing import NamedTuple

# One thread, set before torch starts: float sums depend on how work is split between
# threads, and on a busy machine one thread is also the fastest for these small layers.
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402

from vae_teach.corruption import gaussian_noise  # noqa: E402
from vae_teach.data import (  # noqa: E402
    BINARIZATION_SEED,
    dynamic_binarize,
    load_binarized_mnist,
    load_mnist,
)
from vae_teach.disentanglement import kl_per_dimension, mig, tc_decomposition  # noqa: E402
from vae_teach.elbo import importance_weighted_log_px  # noqa: E402
from vae_teach.models import MODELS  # noqa: E402
from vae_teach.pretrained import DESCRIPTIONS, FORMAT, save_pretrained, weights_folder  # noqa: E402
from vae_teach.sprites import SPRITES32, make_sprites  # noqa: E402
from vae_teach.train import evaluate, fit  # noqa: E402


class Recipe(NamedTuple):
    """One shipped model: its family, class, architecture, `fit` settings, β and seed."""

    family: str
    model: str
    arch: dict
    fit: dict
    beta: float | None = None
    seed: int = 0


# --- the recipes ---

# MNIST: one hidden layer of 256 units everywhere, about 0.8 MB per model in float16.
MNIST_ARCH = {"hidden": (256,), "latent_dim": 2}
N_MNIST_TRAIN = 60_000  # the full training split
DAE_NOISE_STD = 0.5  # Gaussian input noise of the denoising autoencoder (notebook 02)


def dae_corrupt(x, generator):
    """x_tilde = clip(x + 0.5·ε, 0, 1): the denoising autoencoder's input."""
    return gaussian_noise(x, DAE_NOISE_STD, generator)


# Batch size and learning rate are pinned here (not taken from `fit`'s defaults), so that a
# change of those defaults never silently changes the shipped weights.
OPTIMISER = {"batch_size": 256, "lr": 2e-3}
# The VAEs: longer runs with the warm-up + cosine schedule (train.RECOMMENDED, pinned here).
VAE_OPTIMISER = {"batch_size": 256, "lr": 8e-3, "schedule": "cosine"}
BINARISED = {"transform": dynamic_binarize, **VAE_OPTIMISER}
# Sprites, 24×24, notebook 07's posterior-collapse reference (β = 16): the full factor grid.
BETAVAE_ARCH = {"image_shape": (1, 24, 24), "hidden": (96, 48), "latent_dim": 8}
BETAVAE_FIT = {"epochs": 50, "batch_size": 128, "lr": 1e-3}
# Sprites, 32×32, drawn continuously (SPRITES32).
# The encoder an MLP, the decoder a broadcast decoder (one MLP on [z, u, v] at every pixel,
# Watters et al. 2019): the inductive bias that gives position its own latents.
SPRITE_ARCH = {
    "image_shape": (1, SPRITES32["size"], SPRITES32["size"]),
    "hidden": (256, 128),
    "latent_dim": 10,
    "broadcast": (48, 48),
}
# 3 epochs of 1,562 steps: MIG of the β = 4 model was 0.31–0.46 over three seeds at 3,000
# steps and still 0.36–0.44 at 5,000 (exploratory runs with the same settings).
SPRITE_FIT = {"epochs": 3, "batch_size": 64, "lr": 1e-3}
N_SPRITES = 100_000
SPRITE_DATA_SEED = 1000


def betavae_name(beta: float) -> str:
    """betavae_b16 for β = 16, betavae_b0_5 for β = 0.5."""
    return "betavae_b" + f"{beta:g}".replace(".", "_")


RECIPES = {
    "vae2": Recipe("mnist", "VAE", MNIST_ARCH, {"epochs": 50, **BINARISED}),
    "ae2": Recipe("mnist", "Autoencoder", MNIST_ARCH, {"epochs": 5, **OPTIMISER}),
    "vae20": Recipe("mnist", "VAE", dict(MNIST_ARCH, latent_dim=20), {"epochs": 100, **BINARISED}),
    "dae2": Recipe(
        "mnist", "Autoencoder", MNIST_ARCH, {"epochs": 5, "corrupt": dae_corrupt, **OPTIMISER}
    ),
    **{
        betavae_name(beta): Recipe("betavae", "VAE", BETAVAE_ARCH, BETAVAE_FIT, beta)
        for beta in (16.0,)
    },
    **{
        f"betavae_b{beta}_s{seed}": Recipe(
            "sprites", "VAE", SPRITE_ARCH, SPRITE_FIT, float(beta), seed
        )
        for beta in (1, 4, 8)
        for seed in (0, 1, 2)
    },
    **{
        f"tcvae_b6_s{seed}": Recipe("sprites", "BetaTCVAE", SPRITE_ARCH, SPRITE_FIT, 6.0, seed)
        for seed in (0, 1, 2)
    },
}
FAMILIES = ("mnist", "betavae", "sprites")
# Importance samples of the stored test bound 𝓛_K (Burda et al. 2016 report K = 5000).
EVAL_K = 5000
EVAL_BATCH = 50


def build(recipe: Recipe):
    """An untrained model of the recipe (β-TCVAE: knows the training-set size)."""
    extra = {} if recipe.beta is None else {"beta": recipe.beta}
    if recipe.model == "BetaTCVAE":
        extra["dataset_size"] = N_SPRITES
    return MODELS[recipe.model](**recipe.arch, **extra)


# --- what each family trains on and records ---


@functools.cache
def family_data(family: str) -> dict:
    """The data sets of a family, loaded once: "train" and what its measurements need."""
    if family == "mnist":
        return {
            "train": load_mnist("train", profile="full")[0],
            "grey_test": load_mnist("test")[0],
            "binary_test": load_binarized_mnist("test")[0],
        }
    if family == "betavae":
        grid = make_sprites(grid=True)
        return {"train": grid.images, "grid": grid}
    data = make_sprites(N_SPRITES, seed=SPRITE_DATA_SEED, continuous=True, **SPRITES32)
    return {"train": data.images, "grid": make_sprites(grid=True, **SPRITES32)}


def is_binarised(name) -> bool:
    return "transform" in RECIPES[name].fit


def train_settings(name, n_train: int) -> dict:
    """The recipe of `name` as plain data: what its weights file records under "train"."""
    recipe = RECIPES[name]
    if recipe.family == "betavae":
        return dict(recipe.fit, seed=recipe.seed, data="make_sprites(grid=True)", n_train=n_train)
    if recipe.family == "sprites":
        return dict(recipe.fit, seed=recipe.seed, data_seed=SPRITE_DATA_SEED, n_train=n_train)
    settings = {k: v for k, v in recipe.fit.items() if k not in ("corrupt", "transform")}
    if "corrupt" in recipe.fit:
        settings["corrupt"] = f"gaussian_noise(std={DAE_NOISE_STD})"
    if is_binarised(name):
        settings["train_data"] = "dynamically binarised (x_bin ~ Bernoulli(x), fresh each epoch)"
        settings["test_data"] = f"load_binarized_mnist('test', seed={BINARIZATION_SEED})"
    return dict(settings, seed=recipe.seed, profile="full", n_train=n_train, threads=1)


def description(name) -> str:
    recipe = RECIPES[name]
    if recipe.family == "mnist":
        return DESCRIPTIONS[name]
    if recipe.family == "betavae":
        return f"β-VAE, β = {recipe.beta:g}, 8-D latent, 24×24 sprites (notebook 07)"
    return (
        f"{recipe.model}, β = {recipe.beta:g}, seed {recipe.seed}, "
        f"{recipe.arch['latent_dim']}-D latent, broadcast decoder, 32×32 sprites (notebook 07)"
    )


@torch.no_grad()
def measure(name, model, grid) -> dict:
    """Per-latent KL and MIG on the factor grid; the exact KL decomposition too (sprites)."""
    mu, logvar = model.encode(grid.images)
    result = mig(mu, grid.factors)
    if RECIPES[name].family == "betavae":
        kl = [round(v, 3) for v in kl_per_dimension(mu, logvar).tolist()]
        return {"kl_per_dim": kl, "mig": round(result.score, 4)}
    parts = tc_decomposition(mu, logvar, generator=torch.Generator().manual_seed(0))
    return {
        "kl_per_dim": [round(v, 4) for v in kl_per_dimension(mu, logvar).tolist()],
        "mig": round(result.score, 4),
        "mig_per_factor": [round(v, 4) for v in result.per_factor.tolist()],
        "tc_exact": {key: round(getattr(parts, key), 4) for key in ("mi", "tc", "dwkl", "kl")},
    }


# --- the skeleton every recipe shares ---


def train_one(name, data: dict, folder) -> dict:
    """Train the model called `name`, measure it, save it, print and return its metadata."""
    recipe = RECIPES[name]
    torch.manual_seed(recipe.seed)
    model = build(recipe)
    start = time.perf_counter()
    test_x = None
    if recipe.family == "mnist":
        test_x = data["binary_test"] if is_binarised(name) else data["grey_test"]
    history = fit(model, data["train"], test_x, seed=recipe.seed, progress=False, **recipe.fit)
    seconds = time.perf_counter() - start
    model.eval()
    meta = {
        "description": description(name),
        "history": {k: [float(v) for v in vs] for k, vs in history.items() if k != "epoch_time"},
        "train": train_settings(name, len(data["train"])),
        **last_losses(name, history),
        "torch_version": torch.__version__.split("+")[0],
    }
    if recipe.family == "mnist":
        meta["train_seconds"] = round(seconds)
    elif recipe.family == "sprites":
        meta["train"]["seconds"] = round(seconds)
    if recipe.family != "mnist":
        meta.update(measure(name, model, data["grid"]))
    path = save_pretrained(model, name, folder=folder, **meta)
    size = path.stat().st_size / 1024
    epochs = recipe.fit["epochs"]
    print(
        f"{name}: {summary(meta)} | {epochs} epochs in {seconds:.0f} s | {size:.0f} KB", flush=True
    )
    return meta


def last_losses(name, history) -> dict:
    """The final epoch's losses: on the test split (mnist), or on the training data."""
    if RECIPES[name].family == "mnist":
        prefix, key = "test_", "test"
    else:
        prefix, key = "train_", "final"
    return {
        key: {k[len(prefix) :]: round(v[-1], 3) for k, v in history.items() if k.startswith(prefix)}
    }


def summary(meta) -> str:
    if "test" in meta:
        return "test " + ", ".join(f"{k} {v:.2f}" for k, v in meta["test"].items())
    final = meta["final"]
    text = f"recon {final['recon']:.2f}, KL {final['kl']:.2f}, MIG {meta['mig']:.3f}"
    return text + (f" {meta['mig_per_factor']}" if "mig_per_factor" in meta else "")


# --- which recipes are current, and the evaluation of the binarised MNIST VAEs ---


def stored_meta(name, folder):
    """The metadata in the existing `NAME.pt` of `folder`, or None if there is none."""
    path = Path(str(folder)) / f"{name}.pt"
    if not path.is_file():
        return None
    payload = torch.load(path, map_location="cpu", weights_only=True)
    return payload.get("meta") if payload.get("format") == FORMAT else None


def holds_recipe(stored: dict, name) -> bool:
    """Whether stored training settings match `name`'s recipe.

    mnist: every key stored agrees, and the data keys (binarised or not) are the recipe's
    (older files that stored fewer keys, no batch_size or lr, still count as current);
    sprites: a file exists (it records the run's seconds); betavae: the same settings.
    """
    family = RECIPES[name].family
    if family == "sprites":
        return True
    if family == "betavae":
        return stored == train_settings(name, stored.get("n_train"))
    recipe = train_settings(name, N_MNIST_TRAIN)
    data_keys = ("train_data", "test_data", "corrupt")
    same_data = all(stored.get(k) == recipe.get(k) for k in data_keys if k in recipe)
    return same_data and all(recipe.get(k) == v for k, v in stored.items())


def stored_model(name, folder):
    """The model in `folder`'s `NAME.pt`, as the notebooks load it (float16 -> float32)."""
    payload = torch.load(Path(str(folder)) / f"{name}.pt", map_location="cpu", weights_only=True)
    model = build(RECIPES[name])
    model.load_state_dict(payload["state_dict"])
    return model.eval()


@torch.no_grad()
def evaluate_bounds(model, x_bin, k=EVAL_K, batch=EVAL_BATCH) -> dict:
    """Test −ELBO (closed-form KL, one z per digit) and −𝓛_K, means over x_bin, in nats."""
    start = time.perf_counter()
    nelbo = evaluate(model, x_bin, seed=0)["loss"]
    generator = torch.Generator().manual_seed(0)
    total = 0.0
    for i in range(0, len(x_bin), batch):
        # 𝓛_K(x) = log (1/K) Σ_k p_θ(x|z_k) p(z_k) / q_φ(z_k|x), z_k ~ q_φ(z|x): (batch,)
        total += importance_weighted_log_px(model, x_bin[i : i + batch], k, generator).sum().item()
        if i % 1000 == 0:
            print(f"  𝓛_K: {i + batch}/{len(x_bin)} digits", flush=True)
    return {
        "test_nelbo": round(nelbo, 3),
        "test_iwae_nll": round(-total / len(x_bin), 3),
        "k": k,
        "n_test": len(x_bin),
        "test_data": f"load_binarized_mnist('test', seed={BINARIZATION_SEED})",
        "seconds": round(time.perf_counter() - start),
    }


def chosen_names(parser, words) -> list:
    """Recipe names from the command line: names or family names; none means all."""
    names = []
    for word in words or FAMILIES:
        if word in FAMILIES:
            names += [n for n, recipe in RECIPES.items() if recipe.family == word]
        elif word in RECIPES:
            names.append(word)
        else:
            parser.error(f"names must be among {list(FAMILIES) + list(RECIPES)}, got {word!r}")
    return list(dict.fromkeys(names))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"recipes or families {FAMILIES} (default: all)")
    parser.add_argument("--out", default=None, help="folder (default: vae_teach/weights)")
    parser.add_argument("--force", action="store_true", help="retrain and re-evaluate")
    parser.add_argument("--k", type=int, default=EVAL_K, help="importance samples of 𝓛_K")
    args = parser.parse_args(argv)
    names = chosen_names(parser, args.names)
    folder = Path(args.out) if args.out else Path(str(weights_folder()))
    torch.set_num_threads(1)
    for name in names:
        meta = stored_meta(name, folder)
        if args.force or meta is None or not holds_recipe(meta.get("train", {}), name):
            meta = train_one(name, family_data(RECIPES[name].family), folder)
        else:
            print(f"{name}: {folder / name}.pt already holds this recipe; not retrained")
        if is_binarised(name) and (args.force or meta.get("eval", {}).get("k") != args.k):
            model = stored_model(name, folder)
            meta["eval"] = evaluate_bounds(model, family_data("mnist")["binary_test"], args.k)
            save_pretrained(model, name, folder=folder, **meta)
            print(f"{name}: {meta['eval']}", flush=True)


if __name__ == "__main__":
    main()
