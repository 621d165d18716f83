"""MNIST, loaded the way a real library does it: find, download, verify, decode, cache.

`load_mnist(split)` returns `(images, labels)`: images float32 `(N, 1, 28, 28)` in [0, 1]
(pixel / 255), labels int64 `(N,)` in 0..9.

Where the files are looked for, in this order (the first folder holding the split's two
files wins; each is a *data root* with an `mnist/` folder holding the four standard files
`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`,
`t10k-labels-idx1-ubyte.gz`):

1. the `root` argument of `load_mnist`;
2. the environment variable `VAE_TEACH_DATA`;
3. the user cache, `$XDG_CACHE_HOME/vae_teach` (by default `~/.cache/vae_teach`).

Missing files are downloaded (unless `download=False`) into the `root` argument or, without
one, the user cache. The mirrors torchvision uses are tried in order (`MIRRORS`), each file is
checked against the official MD5 (`MD5`) and written atomically: a hidden temporary file in
the same folder, flushed to disk, then renamed, so an interrupted download never leaves a
file that looks complete. Files placed by hand are checked by structure (IDX magic number,
28 × 28 dimensions, counts, label range 0..9, as many labels as images), not by checksum: a
copy with the official images in another order is still MNIST.

Profiles (`VAE_TEACH_PROFILE`, or `set_profile` in code):

- `quick` (default): the test split in full (10,000) and a fixed 10,000-image subset of the
  training split, exactly 1,000 images per digit. The subset is defined by content, not by
  position, so it is the same on every machine whatever the order of the file: each image's
  key is the BLAKE2b hash (8 bytes) of its 784 pixel bytes; for each digit the 1,000 images
  with the smallest keys are kept, and the result is ordered by key (which mixes the digits).
- `full`: 60,000 training and 10,000 test images.

Decoded files are kept in memory per process (keyed on path, size and modification time),
so a second `load_mnist` in the same session skips the gunzip.
"""

import functools
import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from vae_teach import _checks, _mnist_files
from vae_teach._mnist_files import DEADLINE, MNISTNotFoundError, read_images, read_labels

__all__ = [
    "BINARIZATION_SEED",
    "DEADLINE",
    "ENV_DATA",
    "ENV_PROFILE",
    "FILES",
    "MD5",
    "MIRRORS",
    "MNISTNotFoundError",
    "PROFILES",
    "QUICK_PER_CLASS",
    "binarize",
    "cache_dir",
    "clear_cache",
    "describe_search",
    "download_mnist",
    "dynamic_binarize",
    "find_mnist",
    "get_profile",
    "image_keys",
    "load_binarized_mnist",
    "load_mnist",
    "quick_subset",
    "read_images",
    "read_labels",
    "search_places",
    "set_profile",
]

ENV_DATA = "VAE_TEACH_DATA"
ENV_PROFILE = "VAE_TEACH_PROFILE"
PROFILES = ("quick", "full")
QUICK_PER_CLASS = 1000

# The mirrors torchvision tries, in order; each ends with "/" and the file name is appended.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# Official MD5 of each gzipped file; downloads must match (hand-placed files need not).
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# ---------------------------------------------------------------------------- profiles


def _check_profile(name, what: str) -> str:
    if name not in PROFILES:
        raise ValueError(f"{what} must be one of {', '.join(map(repr, PROFILES))}, got {name!r}")
    return name


def get_profile() -> str:
    """The active profile: `VAE_TEACH_PROFILE` if set, else "quick"."""
    value = os.environ.get(ENV_PROFILE, "").strip()
    return _check_profile(value or "quick", f"environment variable {ENV_PROFILE}")


def set_profile(name: str) -> str:
    """Select "quick" or "full" for this process (and the processes it starts); return it."""
    os.environ[ENV_PROFILE] = _check_profile(name, "profile")
    return name


# ---------------------------------------------------------------------------- where the files are


def cache_dir() -> Path:
    """The per-user cache data root: `$XDG_CACHE_HOME/vae_teach`, else `~/.cache/vae_teach`."""
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vae_teach"


def search_places(root=None) -> list[tuple[str, Path | None]]:
    """The data roots searched, in order, as `(source, data_root)`; None where unset."""
    env = os.environ.get(ENV_DATA, "").strip()
    return [
        ("root argument", None if root is None else Path(root).expanduser()),
        (f"{ENV_DATA} environment variable", Path(env).expanduser() if env else None),
        ("user cache", cache_dir()),
    ]


def find_mnist(split: str = "train", root=None) -> Path | None:
    """The first `mnist/` folder in the search order holding both files of `split`, or None."""
    names = FILES[_check_split(split)]
    for _, data_root in search_places(root):
        if data_root is not None and all((data_root / "mnist" / n).is_file() for n in names):
            return data_root / "mnist"
    return None


def describe_search(split: str = "train", root=None) -> str:
    """A numbered report of where `split` was looked for and what each place holds."""
    names = FILES[_check_split(split)]
    lines = []
    for i, (source, data_root) in enumerate(search_places(root), start=1):
        if data_root is None:
            lines.append(f"  {i}. {source}: not set")
            continue
        folder = data_root / "mnist"
        missing = [n for n in names if not (folder / n).is_file()]
        state = "has both files" if not missing else "missing " + ", ".join(missing)
        lines.append(f"  {i}. {source}: {folder} ({state})")
    return "\n".join(lines)


def _how_to_provide() -> str:
    return (
        "Provide the files in one of three ways (FOLDER/mnist/ holding the four .gz files):\n"
        '  - pass root="FOLDER" to load_mnist;\n'
        f"  - set the environment variable {ENV_DATA}=FOLDER;\n"
        f"  - put them in the user cache {cache_dir() / 'mnist'} "
        "(load_mnist(download=True) downloads them there).\n"
        "The files: " + ", ".join(MD5) + f" (mirrors: {', '.join(MIRRORS)})."
    )


def _check_split(split) -> str:
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


# ---------------------------------------------------------------------------- downloading


def download_mnist(
    split: str = "train", root=None, mirrors=None, checksums=None, deadline=None
) -> Path:
    """Download the missing files of `split` into `root/mnist` (default: the user cache).

    Args:
        split: "train" or "test".
        root: the data root to fill; None for the user cache.
        mirrors: a list of base URLs tried in order (default `MIRRORS`).
        checksums: file name -> expected MD5 (default `MD5`).
        deadline: seconds one file may take from one mirror in all (default `DEADLINE`).
    Returns the `mnist/` folder.
    """
    if isinstance(mirrors, (str, bytes)):
        raise TypeError(
            f"mirrors must be a list of base URLs, got the single string {mirrors!r}: "
            f"write mirrors=[{mirrors!r}]"
        )
    mirrors = list(MIRRORS if mirrors is None else mirrors)
    if not all(isinstance(m, str) for m in mirrors):
        raise TypeError(f"mirrors must be a list of base URLs (strings), got {mirrors!r}")
    deadline = DEADLINE if deadline is None else _checks.positive(deadline, "deadline")
    checksums = MD5 if checksums is None else checksums
    folder = (cache_dir() if root is None else Path(root).expanduser()) / "mnist"
    for name in FILES[_check_split(split)]:
        if name not in checksums:
            raise ValueError(f"checksums has no MD5 for {name}")
        if not (folder / name).is_file():
            _mnist_files.download_file(
                name, folder, mirrors, checksums[name], deadline, advice=_NOT_WRITABLE
            )
    return folder


_NOT_WRITABLE = (
    f"Download it somewhere writable with load_mnist(root=...), or set {ENV_DATA} "
    "to a folder that already holds mnist/."
)


# ---------------------------------------------------------------------------- decoding


def _read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images `(N, 28, 28)` and labels `(N,)` of a split, uint8, checked to match."""
    images_name, labels_name = FILES[split]
    images = read_images(folder / images_name)
    labels = read_labels(folder / labels_name)
    if len(images) != len(labels):
        raise ValueError(
            f"{folder / labels_name} holds {len(labels)} labels but "
            f"{folder / images_name} holds {len(images)} images"
        )
    return images, labels


# ---------------------------------------------------------------------------- the quick subset


def image_keys(images: np.ndarray) -> np.ndarray:
    """Content key of each image: the first 8 bytes of BLAKE2b of its pixels, `(N,)` uint64."""
    rows = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1)
    digests = b"".join(hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in rows)
    return np.frombuffer(digests, dtype="<u8")


def quick_subset(images: np.ndarray, labels: np.ndarray, per_class: int = QUICK_PER_CLASS):
    """Indices of the quick subset: per digit the `per_class` smallest keys, ordered by key.

    Args:
        images: uint8 `(N, 28, 28)`.
        labels: `(N,)` digits.
    Returns `(M,)` int64 indices into the arrays (M = 10 · per_class on MNIST).
    """
    keys = image_keys(images)
    labels = np.asarray(labels)
    keep = []
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        # Equal keys mean identical images, so which of them is kept changes nothing.
        keep.append(members[np.argsort(keys[members], kind="stable")[:per_class]])
    keep = np.concatenate(keep)
    # Order by key, then label: the same order whatever the order of the input.
    return keep[np.lexsort((labels[keep], keys[keep]))].astype(np.int64)


@functools.lru_cache(maxsize=2)
def _quick_indices(images_stamp: tuple, labels_stamp: tuple) -> np.ndarray:
    images = _mnist_files.read_idx(*images_stamp)
    labels = _mnist_files.read_idx(*labels_stamp)
    return quick_subset(images, labels)


def clear_cache() -> None:
    """Forget the decoded files kept in memory (the next load reads the disk again)."""
    _mnist_files.read_idx.cache_clear()
    _quick_indices.cache_clear()


# ---------------------------------------------------------------------------- the loader


def load_mnist(split: str = "train", root=None, download: bool = True, profile: str | None = None):
    """Load an MNIST split as tensors.

    Args:
        split: "train" or "test".
        root: a data root holding `mnist/` (searched first; downloads go here if given).
        download: download missing files (else raise `MNISTNotFoundError`).
        profile: "quick" or "full"; None for `get_profile()`. Quick cuts the train split
            to the fixed 10,000-image subset of the module docstring; test is always whole.
    Returns:
        images: float32 `(N, 1, 28, 28)` in [0, 1] (pixel / 255).
        labels: int64 `(N,)` digits 0..9.
    """
    split = _check_split(split)
    profile = get_profile() if profile is None else _check_profile(profile, "profile")
    folder = find_mnist(split, root)
    if folder is None:
        looked = f"MNIST {split} split not found. Looked in, in this order:\n"
        looked += describe_search(split, root) + "\n"
        if not download:
            raise MNISTNotFoundError(
                looked + "Downloading is off (download=False).\n" + _how_to_provide()
            )
        try:
            folder = download_mnist(split, root)
        except MNISTNotFoundError as err:
            raise MNISTNotFoundError(looked + str(err) + "\n" + _how_to_provide()) from err
    images, labels = _read_split(folder, split)
    if split == "train" and profile == "quick":
        images_name, labels_name = FILES[split]
        keep = _quick_indices(
            _mnist_files.stamp(folder / images_name), _mnist_files.stamp(folder / labels_name)
        )
        # Fancy indexing copies only the kept images: (N, 28, 28) -> (M, 28, 28)
        images, labels = images[keep], labels[keep]
    # x = pixel / 255, in [0, 1]; (N, 28, 28) uint8 -> (N, 1, 28, 28) float32
    x = np.empty((len(images), 1, 28, 28), dtype=np.float32)
    np.divide(images[:, None], np.float32(255), out=x)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


# ---------------------------------------------------------------------------- binarisation


def _check_unit_images(images) -> None:
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise TypeError(
            f"images must be a float tensor, got {type(images).__name__}"
            + (f" of {images.dtype}" if isinstance(images, torch.Tensor) else "")
        )
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError(
            f"images must lie in [0, 1], got values in "
            f"[{float(images.min()):.3g}, {float(images.max()):.3g}]"
        )


def binarize(images: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Static binarisation: 1 where a pixel is above `threshold`, else 0 (same shape, dtype).

    Args:
        images: float tensor, any shape, values in [0, 1].
        threshold: a number in [0, 1].
    """
    _check_unit_images(images)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold!r}")
    # x_bin = 1[x > threshold], elementwise
    return (images > threshold).to(images.dtype)


def dynamic_binarize(images: torch.Tensor, generator: torch.Generator | None = None):
    """Dynamic binarisation: each pixel ~ Bernoulli(its intensity), a fresh draw per call.

    Call it once per epoch so the model sees new binary digits each time.

    Args:
        images: float tensor, any shape, values in [0, 1].
        generator: a torch.Generator for reproducible draws (None: the global one).
    """
    _check_unit_images(images)
    # x_bin ~ Bernoulli(x) elementwise, so E[x_bin] = x
    return torch.bernoulli(images, generator=generator)


# Seed of the one fixed binarisation of a split on which every log p(x) in the notebooks and
# in the shipped weights' metadata is estimated (03, 06, scripts/train_weights.py).
BINARIZATION_SEED = 0


def load_binarized_mnist(split: str = "test", seed: int = BINARIZATION_SEED, root=None):
    """A split of MNIST binarised once, reproducibly: x_bin ~ Bernoulli(x), seeded.

    The same `seed` gives the same binary digits on every computer (torch's CPU generator),
    so log p(x) estimated on them can be compared between runs, notebooks and papers.

    Args:
        split: "train" or "test" (always in full, whatever the profile).
        seed: seed of the Bernoulli draws.
        root: folder to look in first (as for `load_mnist`).
    Returns:
        (x_bin, labels): (N, 1, 28, 28) float32 of 0s and 1s, (N,) int64.
    """
    seed = _checks.integer(seed, "seed")
    images, labels = load_mnist(split, root=root, profile="full")
    return dynamic_binarize(images, torch.Generator().manual_seed(seed)), labels
