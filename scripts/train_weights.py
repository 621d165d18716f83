"""Retrain the pretrained models shipped in `vae_teach/weights/`, reproducibly.

    VAE_TEACH_DATA=... python scripts/train_weights.py            # all of them
    python scripts/train_weights.py vae2 vae20 --out /tmp/weights  # some, elsewhere

Every model trains on the full MNIST training split (60,000 grey-level images) with
`vae_teach.train.fit`, a fixed seed, a fixed number of epochs and one CPU thread, then is
written by `vae_teach.pretrained.save_pretrained` (float16 weights + SHA-256) with its
training history and final test losses. Same machine, same torch: the same numbers.
"""

import argparse
import os
import time

# One thread, set before torch starts: float sums depend on how work is split between
# threads, and on a busy machine one thread is also the fastest for these small layers.
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402

from vae_teach.corruption import gaussian_noise  # noqa: E402
from vae_teach.data import load_mnist  # noqa: E402
from vae_teach.models import VAE, Autoencoder  # noqa: E402
from vae_teach.pretrained import DESCRIPTIONS, save_pretrained  # noqa: E402
from vae_teach.train import fit  # noqa: E402

# One hidden layer of 256 units everywhere: about 0.8 MB per model in float16.
HIDDEN = (256,)
# Gaussian input noise of the denoising autoencoder (notebook 02).
DAE_NOISE_STD = 0.5


def dae_corrupt(x, generator):
    """x_tilde = clip(x + 0.5·ε, 0, 1): the denoising autoencoder's input."""
    return gaussian_noise(x, DAE_NOISE_STD, generator)


# name -> (make the model, fit keyword arguments)
# Batch size and learning rate are pinned here (not taken from `fit`'s defaults), so that a
# change of those defaults never silently changes the shipped weights.
OPTIMISER = {"batch_size": 256, "lr": 2e-3}
RECIPES = {
    "vae2": (lambda: VAE(hidden=HIDDEN, latent_dim=2), {"epochs": 12, **OPTIMISER}),
    "ae2": (lambda: Autoencoder(hidden=HIDDEN, latent_dim=2), {"epochs": 5, **OPTIMISER}),
    "vae20": (lambda: VAE(hidden=HIDDEN, latent_dim=20), {"epochs": 8, **OPTIMISER}),
    "dae2": (
        lambda: Autoencoder(hidden=HIDDEN, latent_dim=2),
        {"epochs": 5, "corrupt": dae_corrupt, **OPTIMISER},
    ),
}
SEED = 0


def plain(history) -> dict:
    """History -> a plain {key: [float, ...]} without wall times (weights_only-loadable)."""
    return {k: [float(v) for v in values] for k, values in history.items() if k != "epoch_time"}


def train_one(name, train_x, test_x, folder=None):
    """Train the model called `name`, save it, print and return its final test losses."""
    make_model, fit_kwargs = RECIPES[name]
    torch.manual_seed(SEED)
    model = make_model()
    start = time.perf_counter()
    history = fit(model, train_x, test_x, seed=SEED, progress=False, **fit_kwargs)
    seconds = time.perf_counter() - start
    test = {k[len("test_") :]: round(v[-1], 3) for k, v in history.items() if k.startswith("test_")}
    settings = {k: v for k, v in fit_kwargs.items() if k != "corrupt"}
    if "corrupt" in fit_kwargs:
        settings["corrupt"] = f"gaussian_noise(std={DAE_NOISE_STD})"
    path = save_pretrained(
        model,
        name,
        folder=folder,
        description=DESCRIPTIONS[name],
        history=plain(history),
        test=test,
        train=dict(settings, seed=SEED, profile="full", n_train=len(train_x), threads=1),
        torch_version=torch.__version__.split("+")[0],
    )
    size_kb = path.stat().st_size / 1024
    losses = ", ".join(f"{k} {v:.2f}" for k, v in test.items())
    print(
        f"{name}: test {losses} | {fit_kwargs['epochs']} epochs in {seconds:.0f} s | "
        f"{size_kb:.0f} KB"
    )
    return test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"some of {list(RECIPES)} (default: all)")
    parser.add_argument("--out", default=None, help="folder (default: vae_teach/weights)")
    args = parser.parse_args()
    names = args.names or list(RECIPES)
    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        parser.error(f"names must be among {list(RECIPES)}, got {unknown}")
    torch.set_num_threads(1)
    train_x, _ = load_mnist("train", profile="full")
    test_x, _ = load_mnist("test")
    print(f"train {tuple(train_x.shape)}, test {tuple(test_x.shape)}, threads 1, seed {SEED}")
    for name in names:
        train_one(name, train_x, test_x, args.out)


if __name__ == "__main__":
    main()
