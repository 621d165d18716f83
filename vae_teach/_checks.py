"""Argument checks shared by the package: one place, one wording.

Each check raises a TypeError or ValueError that names the argument and says what was
expected, and returns the value in plain form (a Python int or float), so NumPy scalars
(np.int64, np.float32, …) are accepted wherever Python numbers are. Booleans are refused as
numbers: `lr=True` is a slip, not 1.0.
"""

import math
import numbers
import os
from pathlib import Path

import numpy as np
import torch

FLOAT_DTYPES = (torch.float32, torch.float64)


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type; a TypeError, and a ValueError for older callers."""


def _describe(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def integer(value, name: str, minimum: int | None = None) -> int:
    """An int (Python or NumPy, not bool) ≥ `minimum`, returned as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an int, got {_describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int ≥ {minimum}, got {value}")
    return value


def positive_int(value, name: str) -> int:
    """An int ≥ 1."""
    return integer(value, name, minimum=1)


def seed(value, name: str = "seed") -> int:
    """A seed for torch.Generator.manual_seed: an int in [0, 2⁶⁴)."""
    value = integer(value, name, minimum=0)
    if value >= 2**64:
        raise ValueError(f"{name} must be below 2**64, got {value}")
    return value


def real(value, name: str, low=None, high=None, low_open=False, high_open=False) -> float:
    """A finite real number (Python or NumPy, not bool) in the given range, as a float.

    Args:
        low, high: bounds (None: unbounded); low_open/high_open exclude the bound itself.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'−∞' if low is None else low}, {'∞' if high is None else high}{right}"
        raise ValueError(f"{name} must lie in {span}, got {value}")
    return value


def positive(value, name: str) -> float:
    """A finite number > 0."""
    return real(value, name, low=0.0, low_open=True)


def non_negative(value, name: str) -> float:
    """A finite number ≥ 0."""
    return real(value, name, low=0.0)


def probability(value, name: str) -> float:
    """A number in [0, 1]."""
    return real(value, name, low=0.0, high=1.0)


def tensor(value, name: str, batch: bool = True, finite: bool = True) -> torch.Tensor:
    """A float32/float64 tensor (non-empty batch if `batch`, no NaN/inf if `finite`)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.layout != torch.strided or value.is_meta:
        raise TypeError(f"{name} must be an ordinary dense tensor, got layout {value.layout}")
    if value.dtype not in FLOAT_DTYPES:
        hint = ""
        if not value.is_floating_point():
            hint = " (integer pixels 0..255: use x.float() / 255; booleans: x.float())"
        raise TypeError(f"{name} must be a float32 or float64 tensor, got {value.dtype}{hint}")
    if batch:
        if value.dim() < 1:
            raise ValueError(f"{name} must have a batch dimension, got a 0-d tensor")
        if len(value) == 0 or value.numel() == 0:
            raise ValueError(f"{name} is an empty batch, shape {tuple(value.shape)}")
    # one cheap reduction first: a NaN or inf anywhere makes the sum NaN or inf
    if finite and not torch.isfinite(value.detach().sum()) and not torch.isfinite(value).all():
        raise ValueError(f"{name} contains NaN or inf values")
    return value


def broadcasts_to(value: torch.Tensor, target: torch.Tensor, name: str, target_name: str) -> None:
    """ValueError unless `value` broadcasts to the shape of `target` (without growing it)."""
    try:
        fits = torch.broadcast_shapes(value.shape, target.shape) == target.shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} of shape {tuple(value.shape)} does not broadcast to {target_name} of shape "
            f"{tuple(target.shape)}"
        )


def pixels(x, name: str = "x") -> torch.Tensor:
    """Data for a Bernoulli likelihood: a float tensor, non-empty batch, values in [0, 1]."""
    tensor(x, name)
    low, high = torch.aminmax(x.detach())
    if low < 0 or high > 1:
        raise ValueError(
            f"{name} must hold pixel values in [0, 1], got values in "
            f"[{low.item():.4g}, {high.item():.4g}] (images 0..255: divide by 255)"
        )
    return x


def plain(value, name: str = "meta"):
    """A copy of `value` made of plain Python data and tensors, or a TypeError naming it.

    NumPy scalars become Python numbers, NumPy arrays lists, tuples lists; what
    `torch.load(weights_only=True)` could not read (an arbitrary object) is refused.
    """
    if isinstance(value, np.generic):  # before float: np.float64 is a float subclass
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not isinstance(key, (str, int)):
                raise TypeError(f"{name} keys must be strings or ints, got {_describe(key)}")
            out[key] = plain(v, f"{name}[{key!r}]")
        return out
    raise TypeError(
        f"{name} must hold only numbers, strings, lists, dicts and tensors "
        f"(a file loaded with weights_only=True), got {type(value).__name__}"
    )


def writable_folder(folder, name: str = "path") -> Path:
    """Create `folder` if needed and check a file can be written in it; return it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise PermissionError(
            f"cannot write into the folder of {name} ({folder}): {err.strerror or err}. "
            "Choose a writable folder."
        ) from err
    return folder


def atomic_write(path, write) -> None:
    """Write a file all at once: `write(f)` fills a temporary file in the same folder, which
    is flushed to disk and renamed over `path`; a failure leaves the old file untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
