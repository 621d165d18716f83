"""Retrain the pretrained models shipped in `vae_teach/weights/`, reproducibly.

    VAE_TEACH_DATA=... python scripts/train_weights.py            # all of them
    python scripts/train_weights.py vae2 vae20 --out /tmp/weights  # some, elsewhere
    python scripts/train_weights.py vae20 --force                  # retrain even if current

Every model trains on the full MNIST training split (60,000 images) with
`vae_teach.train.fit`, a fixed seed, a fixed number of epochs and one CPU thread, then is
written by `vae_teach.pretrained.save_pretrained` (float16 weights + SHA-256) with its
training history and final test losses. Same machine, same torch: the same numbers.

The two VAEs (vae2, vae20) have a Bernoulli decoder, which is a probability only for binary
pixels: they train on dynamically binarised digits (a fresh x_bin ~ Bernoulli(x) each epoch)
and are evaluated on one fixed binarisation of the test split (`load_binarized_mnist`). For
them the script then estimates, on the shipped float16 weights, the test −ELBO and the
importance-weighted bound 𝓛_K (K = 5000, as Burda et al. 2016), and stores both in the
weights' metadata under "eval" (notebook 06 quotes them; it recomputes a cheap version).

Resumable, one model at a time: a model whose file already holds the current recipe is not
retrained, and one whose evaluation is already stored is not re-evaluated (--force redoes
both). Each model's file is written as soon as it is trained, and again once evaluated.
"""

import argparse
import os
import time
from pathlib import Path

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
from vae_teach.elbo import importance_weighted_log_px  # noqa: E402
from vae_teach.models import VAE, Autoencoder  # noqa: E402
from vae_teach.pretrained import DESCRIPTIONS, FORMAT, save_pretrained, weights_folder  # noqa: E402
from vae_teach.train import evaluate, fit  # noqa: E402

# One hidden layer of 256 units everywhere: about 0.8 MB per model in float16.
HIDDEN = (256,)
# Gaussian input noise of the denoising autoencoder (notebook 02).
DAE_NOISE_STD = 0.5
# Epochs of the two VAEs (binarised MNIST).
VAE2_EPOCHS = 50
VAE20_EPOCHS = 100


def dae_corrupt(x, generator):
    """x_tilde = clip(x + 0.5·ε, 0, 1): the denoising autoencoder's input."""
    return gaussian_noise(x, DAE_NOISE_STD, generator)


# name -> (make the model, fit keyword arguments)
# Batch size and learning rate are pinned here (not taken from `fit`'s defaults), so that a
# change of those defaults never silently changes the shipped weights.
OPTIMISER = {"batch_size": 256, "lr": 2e-3}
# The VAEs: longer runs with the warm-up + cosine schedule (train.RECOMMENDED, pinned here).
VAE_OPTIMISER = {"batch_size": 256, "lr": 8e-3, "schedule": "cosine"}
RECIPES = {
    "vae2": (
        lambda: VAE(hidden=HIDDEN, latent_dim=2),
        {"epochs": VAE2_EPOCHS, "transform": dynamic_binarize, **VAE_OPTIMISER},
    ),
    "ae2": (lambda: Autoencoder(hidden=HIDDEN, latent_dim=2), {"epochs": 5, **OPTIMISER}),
    "vae20": (
        lambda: VAE(hidden=HIDDEN, latent_dim=20),
        {"epochs": VAE20_EPOCHS, "transform": dynamic_binarize, **VAE_OPTIMISER},
    ),
    "dae2": (
        lambda: Autoencoder(hidden=HIDDEN, latent_dim=2),
        {"epochs": 5, "corrupt": dae_corrupt, **OPTIMISER},
    ),
}
SEED = 0
# Importance samples of the stored test bound 𝓛_K (Burda et al. 2016 report K = 5000).
EVAL_K = 5000
EVAL_BATCH = 50


def plain(history) -> dict:
    """History -> a plain {key: [float, ...]} without wall times (weights_only-loadable)."""
    return {k: [float(v) for v in values] for k, values in history.items() if k != "epoch_time"}


def recipe_settings(name) -> dict:
    """The recipe of `name` as plain data: what its weights file records under "train"."""
    fit_kwargs = RECIPES[name][1]
    settings = {k: v for k, v in fit_kwargs.items() if k not in ("corrupt", "transform")}
    if "corrupt" in fit_kwargs:
        settings["corrupt"] = f"gaussian_noise(std={DAE_NOISE_STD})"
    if "transform" in fit_kwargs:
        settings["train_data"] = "dynamically binarised (x_bin ~ Bernoulli(x), fresh each epoch)"
        settings["test_data"] = f"load_binarized_mnist('test', seed={BINARIZATION_SEED})"
    return dict(settings, seed=SEED, profile="full", n_train=60000, threads=1)


def holds_recipe(stored: dict, name) -> bool:
    """Whether stored training settings match `name`'s recipe: every key stored agrees, and
    the data keys (binarised or not) are the recipe's. Older files that stored fewer keys
    (no batch_size, lr) still count as current if what they did store agrees."""
    recipe = recipe_settings(name)
    data_keys = ("train_data", "test_data", "corrupt")
    same_data = all(stored.get(k) == recipe.get(k) for k in data_keys if k in recipe)
    return same_data and all(recipe.get(k) == v for k, v in stored.items())


def stored_meta(name, folder):
    """The metadata in the existing `NAME.pt` of `folder`, or None if there is none."""
    path = Path(str(folder)) / f"{name}.pt"
    if not path.is_file():
        return None
    payload = torch.load(path, map_location="cpu", weights_only=True)
    return payload.get("meta") if payload.get("format") == FORMAT else None


def stored_model(name, folder):
    """The model in `folder`'s `NAME.pt`, as the notebooks load it (float16 -> float32)."""
    payload = torch.load(Path(str(folder)) / f"{name}.pt", map_location="cpu", weights_only=True)
    model = RECIPES[name][0]()
    model.load_state_dict(payload["state_dict"])
    return model.eval()


def train_one(name, train_x, test_x, folder):
    """Train the model called `name`, save it, print and return its metadata."""
    make_model, fit_kwargs = RECIPES[name]
    torch.manual_seed(SEED)
    model = make_model()
    start = time.perf_counter()
    history = fit(model, train_x, test_x, seed=SEED, progress=False, **fit_kwargs)
    seconds = time.perf_counter() - start
    test = {k[len("test_") :]: round(v[-1], 3) for k, v in history.items() if k.startswith("test_")}
    meta = {
        "description": DESCRIPTIONS[name],
        "history": plain(history),
        "test": test,
        "train": recipe_settings(name),
        "train_seconds": round(seconds),
        "torch_version": torch.__version__.split("+")[0],
    }
    path = save_pretrained(model, name, folder=folder, **meta)
    losses = ", ".join(f"{k} {v:.2f}" for k, v in test.items())
    print(
        f"{name}: test {losses} | {fit_kwargs['epochs']} epochs in {seconds:.0f} s | "
        f"{path.stat().st_size / 1024:.0f} KB",
        flush=True,
    )
    return meta


@torch.no_grad()
def evaluate_bounds(model, x_bin, k=EVAL_K, batch=EVAL_BATCH) -> dict:
    """Test −ELBO (closed-form KL, one z per digit) and −𝓛_K, means over x_bin, in nats."""
    start = time.perf_counter()
    nelbo = evaluate(model, x_bin, seed=SEED)["loss"]
    generator = torch.Generator().manual_seed(SEED)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"some of {list(RECIPES)} (default: all)")
    parser.add_argument("--out", default=None, help="folder (default: vae_teach/weights)")
    parser.add_argument("--force", action="store_true", help="retrain and re-evaluate")
    parser.add_argument("--k", type=int, default=EVAL_K, help="importance samples of 𝓛_K")
    args = parser.parse_args()
    names = args.names or list(RECIPES)
    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        parser.error(f"names must be among {list(RECIPES)}, got {unknown}")
    folder = Path(args.out) if args.out else Path(str(weights_folder()))
    torch.set_num_threads(1)
    train_x, _ = load_mnist("train", profile="full")
    grey_test_x, _ = load_mnist("test")
    binary_test_x, _ = load_binarized_mnist("test")
    print(f"train {tuple(train_x.shape)}, test {tuple(grey_test_x.shape)}, threads 1, seed {SEED}")
    for name in names:
        binary = "transform" in RECIPES[name][1]
        test_x = binary_test_x if binary else grey_test_x
        meta = stored_meta(name, folder)
        if args.force or meta is None or not holds_recipe(meta.get("train", {}), name):
            meta = train_one(name, train_x, test_x, folder)
        else:
            print(f"{name}: {folder / name}.pt already holds this recipe; not retrained")
        if binary and (args.force or meta.get("eval", {}).get("k") != args.k):
            model = stored_model(name, folder)
            meta["eval"] = evaluate_bounds(model, binary_test_x, args.k)
            save_pretrained(model, name, folder=folder, **meta)
            print(f"{name}: {meta['eval']}", flush=True)


if __name__ == "__main__":
    main()
