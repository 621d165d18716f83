"""vae_teach: the helper package behind the vae-teach notebooks.

Each module holds one concept, in the form the notebooks first teach and then import:

| module | concept | taught in |
| --- | --- | --- |
| `gaussian` | Gaussian formulas, once: log-densities, KL to N(0, I), log-mean-exp | 03–07 |
| `data` | MNIST: which files, where they are looked for, load; profiles; binarisation | 00 |
| `seeding` | `set_seed` for Python, NumPy and torch | 00 |
| `corruption` | Gaussian noise, masking, salt-and-pepper | 02 |
| `likelihoods` | decoder log-likelihoods log p_θ(x|z) (Bernoulli, Gaussian) | 03 |
| `linear_gaussian` | a model where log p(x), the posterior and the ELBO are exact | 03 |
| `elbo` | the ELBO, `reparameterize`, the importance-weighted bound | 03, 04, 06 |
| `estimators` | score-function vs reparameterisation gradients | 04 |
| `kl` | KL divergences between Gaussians in closed form | 05 |
| `models` | `Autoencoder` and `VAE` | 01, 06 |
| `train` | `fit`, checkpoints, train-or-load | 01 |
| `plots` | image grids, reconstructions, latent scatter, training curves | 01 |
| `widgets` | the notebooks' widgets (anywidget, drawn in the browser), traversals | 02–09 |
| `pretrained` | shipped weights, checked by SHA-256 | 06 |
| `sprites`, `disentanglement` | shapes with known factors; MIG, β-TCVAE terms | 07 |
| `documents` | documents with known topics; the bag-of-words document VAE | 08 |
| `wake_sleep` | wake–sleep against the VAE on the exact linear-Gaussian model | 08 |
| `conditional` | the conditional VAE (its widget: `widgets.ConditionalExplorer`) | 09 |
| `sections` | `requires`: after a restart, a section says what to run first | all |
| `checkers` | exercise checkers that say right, close or wrong, and why | all |
| `links` | the repository name and the Binder/Colab links built from it | README |

Infrastructure, not taught, lives in private modules: `_checks` (argument checks with one
wording) and `_mnist_files` (MNIST download from mirrors, atomic writes, IDX decoding).
Instructor tools, not taught and not loaded by the notebooks: `cli` (the `vae-teach` command),
`present` (a widget alone in the browser, on Voilà) and `assign` (nbgrader assignments).
"""

import importlib

from vae_teach.seeding import set_seed

# Submodules load on first use (`vae_teach.models`, `from vae_teach import plots`), so that
# `import vae_teach` stays light: no ipywidgets or matplotlib until a widget or plot is used.
MODULES = (
    "checkers",
    "conditional",
    "corruption",
    "data",
    "disentanglement",
    "documents",
    "elbo",
    "estimators",
    "gaussian",
    "kl",
    "likelihoods",
    "linear_gaussian",
    "links",
    "models",
    "plots",
    "pretrained",
    "sections",
    "seeding",
    "sprites",
    "train",
    "wake_sleep",
    "widgets",
)


def __getattr__(name: str):
    if name in MODULES:
        return importlib.import_module(f"vae_teach.{name}")
    raise AttributeError(f"module 'vae_teach' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [*MODULES, "set_seed", "__version__"]
