"""Pretrained weights shipped inside the package, so the notebooks can load instead of train.

Each model lives in `vae_teach/weights/` as two files:

- `NAME.pt`: a plain dict saved with `torch.save` and read with `torch.load(weights_only=True)`
  (no pickled code): the model's `.config` (which names its class), its `state_dict` in float16
  to keep the package small, and plain metadata (training history, test losses, settings).
- `NAME.sha256`: the SHA-256 of `NAME.pt`, as `sha256sum` writes it. A file that does not
  match is refused with an error naming it.

`scripts/train_weights.py` retrains the shipped models reproducibly and rewrites both files
through `save_pretrained`; any later notebook can ship its own models the same way.
"""

import hashlib
import io
from importlib import resources
from pathlib import Path

import torch

from vae_teach import _checks, models

# What each shipped name is; the weights themselves are found by file name.
DESCRIPTIONS = {
    "ae2": "autoencoder, 2-D code, trained on clean MNIST (notebook 01)",
    "dae2": "denoising autoencoder, 2-D code, Gaussian input noise std 0.5 (notebook 02)",
    "vae2": "VAE, 2-D latent, Bernoulli decoder (notebook 06)",
    "vae20": "VAE, 20-D latent, Bernoulli decoder (notebook 06)",
}

FORMAT = "vae_teach.pretrained/1"


class WeightsError(ValueError):
    """A shipped weights file is missing, unknown or does not match its SHA-256."""


def weights_folder():
    """The package's `weights/` folder (an importlib.resources Traversable)."""
    return resources.files("vae_teach") / "weights"


def available() -> list[str]:
    """Names of the weights shipped with this installation, sorted."""
    folder = weights_folder()
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".pt")] for p in folder.iterdir() if p.name.endswith(".pt"))


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def read_verified(name: str) -> bytes:
    """The bytes of `NAME.pt`, after checking them against `NAME.sha256`.

    Args:
        name: a shipped model name, e.g. "vae2" (see `available()`).
    """
    names = available()
    if not isinstance(name, str) or name not in names:
        raise WeightsError(f"name must be one of the shipped weights {names}, got {name!r}")
    folder = weights_folder()
    pt_file, sha_file = f"{name}.pt", f"{name}.sha256"
    if not (folder / sha_file).is_file():
        raise WeightsError(f"weights file {pt_file} has no checksum file {sha_file} next to it")
    data = (folder / pt_file).read_bytes()
    # The checksum file reads "HEX  NAME.pt" (sha256sum format); the first field is the hash.
    fields = (folder / sha_file).read_text().split()
    expected = fields[0].lower() if fields else ""
    actual = sha256_hex(data)
    if actual != expected:
        raise WeightsError(
            f"weights file {pt_file} does not match {sha_file}: expected SHA-256 "
            f"{expected or '(empty file)'}, got {actual}. The file is damaged or was changed; "
            "reinstall vae_teach or rerun scripts/train_weights.py."
        )
    return data


def _read_payload(name: str) -> dict:
    """The verified dict stored in `NAME.pt`, loaded without unpickling code."""
    data = read_verified(name)
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise WeightsError(f"weights file {name}.pt is not in the {FORMAT} format")
    if payload.get("config", {}).get("model") not in models.MODELS:
        raise WeightsError(
            f"weights file {name}.pt holds a {payload.get('config', {}).get('model')!r}, "
            f"expected one of {sorted(models.MODELS)}"
        )
    return payload


def pretrained_config(name: str) -> dict:
    """The `.config` of a shipped model: build the same architecture to train it yourself.

    Args:
        name: a shipped model name, e.g. "ae2".
    """
    return dict(_read_payload(name)["config"])


def pretrained_info(name: str) -> dict:
    """The plain metadata stored with a shipped model (history, test losses, settings).

    Args:
        name: a shipped model name, e.g. "vae2".
    """
    return dict(_read_payload(name)["meta"])


def load_pretrained(name: str) -> torch.nn.Module:
    """Load a shipped model in eval mode, with float32 weights.

    Args:
        name: one of `available()`: "ae2", "dae2", "vae2", "vae20" (later notebooks add more).
    """
    payload = _read_payload(name)
    model = models.build_model(payload["config"])
    # float16 on disk -> float32 in the model (load_state_dict copies with a cast).
    model.load_state_dict(payload["state_dict"])
    return model.eval()


def verify_weights() -> dict[str, str]:
    """Check every shipped weights file against its SHA-256; return {name: hex digest}.

    Raises WeightsError listing every file that fails.
    """
    digests, problems = {}, []
    for name in available():
        try:
            digests[name] = sha256_hex(read_verified(name))
        except WeightsError as error:
            problems.append(str(error))
    if problems:
        raise WeightsError("\n".join(problems))
    return digests


def save_pretrained(model: torch.nn.Module, name: str, folder=None, **meta) -> Path:
    """Write `NAME.pt` (float16 state_dict + config + meta) and `NAME.sha256`; return the .pt path.

    Args:
        model: a `models.Autoencoder` or `models.VAE` (rebuilt later from its `.config`).
        name: file name stem, letters, digits and underscores, e.g. "vae2".
        folder: where to write; default the package's own `weights/` folder.
        **meta: plain data only (numbers, strings, lists, dicts), e.g. history=...; NumPy
            values are turned into Python ones, anything else is refused before writing.
    """
    if getattr(model, "config", {}).get("model") not in models.MODELS:
        raise TypeError(f"model must be one of {sorted(models.MODELS)}, got {type(model).__name__}")
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"name must be letters, digits and underscores, got {name!r}")
    folder = Path(folder) if folder is not None else Path(str(weights_folder()))
    meta = _checks.plain(meta, "meta")
    _checks.writable_folder(folder, "folder")
    # float32 -> float16 halves the file; non-float buffers (if any) are kept as they are.
    state = {
        key: value.detach().cpu().to(torch.float16) if value.is_floating_point() else value
        for key, value in model.state_dict().items()
    }
    payload = {"format": FORMAT, "config": dict(model.config), "state_dict": state, "meta": meta}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    # each file goes to a temporary file first and is renamed over the old one, so a full disk
    # or a kill during the save leaves the previous weights in place, never half a file; the
    # checksum goes last (a kill between the two renames leaves a mismatch, which is refused)
    _checks.atomic_write(folder / f"{name}.pt", lambda f: f.write(data))
    line = f"{sha256_hex(data)}  {name}.pt\n".encode()
    _checks.atomic_write(folder / f"{name}.sha256", lambda f: f.write(line))
    return folder / f"{name}.pt"
