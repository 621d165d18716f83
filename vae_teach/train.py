"""One plain training loop, `fit`, and checkpoints that can be loaded with weights_only=True.

`fit` keeps the whole data set in memory as one tensor and draws each minibatch by indexing
it with a shuffled permutation: no per-sample Python work, no DataLoader. It trains with Adam,
shows one progress bar for the whole run (every step of every epoch) with the loss terms,
evaluates on the test split after every epoch and returns the per-epoch history. Any model
with `loss(x, target=None) -> dict` works.
"""

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from vae_teach import _checks
from vae_teach.models import build_model

# Defaults: on the pytorch/examples VAE (full MNIST) lr 2e-3 instead of the reference's 1e-3
# reaches its 10-epoch test loss in about 9 epochs (see benchmarks/bench_fit.py).
BATCH_SIZE = 128
LR = 2e-3
SCHEDULES = ("constant", "cosine")
# Recommended for a long run on the full training split: larger batches and a higher peak
# learning rate, warmed up and then decayed along a cosine. On the pytorch/examples VAE it
# reaches the reference's test loss in about half the reference's training time.
RECOMMENDED = {"batch_size": 256, "lr": 8e-3, "schedule": "cosine"}
EVAL_BATCH_SIZE = 2000


class History(dict):
    """Per-epoch lists: train_loss, train_recon, (train_kl), test_…, epoch_time (s)."""

    def last(self, key: str) -> float:
        """The value of `key` after the last epoch."""
        return self[key][-1]

    def __repr__(self) -> str:
        epochs = len(self.get("epoch_time", []))
        keys = ", ".join(k for k in self if k != "epoch_time")
        return f"History({epochs} epochs: {keys})"


class TrainingDivergedError(RuntimeError):
    """The loss or the weights became NaN or infinite during `fit`."""


class CheckpointError(ValueError):
    """A checkpoint file is empty, damaged, or not one written by `save_checkpoint`."""


def _check_data(x, name: str) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        kind = f"{type(x).__name__} of {x.dtype}" if isinstance(x, torch.Tensor) else type(x)
        raise TypeError(f"{name} must be a floating-point torch.Tensor, got {kind}")
    if x.dim() < 2 or len(x) == 0:
        raise ValueError(f"{name} must have shape (N, ...) with N > 0, got {tuple(x.shape)}")
    _checks.tensor(x, name)


def _weights_finite(model) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _diverged(epoch: int, lr: float, what: str) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"training diverged at epoch {epoch + 1}: {what}. The learning rate is probably too "
        f"large: try a smaller lr (now {lr:g}; e.g. lr={lr / 10:g})."
    )


def make_optimizer(parameters, lr):
    """Adam; the fused single-pass version where this torch has it (CPU: torch >= 2.4)."""
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(parameters, lr=lr)


def learning_rate(step: int, total_steps: int, lr: float, schedule: str = "constant") -> float:
    """The learning rate at optimiser step `step` (0-based) of `total_steps`.

    "constant": lr throughout. "cosine": a linear warm-up over the first 10 % of the steps
    (large steps from a random start can throw the encoder's log σ² far off), then a decay
    to 0 along half a cosine.
    """
    if schedule == "constant":
        return lr
    warmup = max(1, round(0.1 * total_steps))
    if step < warmup:
        # warm-up: lr · (step + 1) / warmup
        return lr * (step + 1) / warmup
    # decay: lr · ½ (1 + cos(π t)), t = share of the steps after the warm-up done, in [0, 1]
    t = (step - warmup) / max(1, total_steps - warmup)
    return lr * 0.5 * (1 + math.cos(math.pi * t))


def train_step(model, optimizer, x, target=None):
    """One optimiser step on one minibatch; returns the batch's loss terms (taught in 01).

    Args:
        model: a module with `loss(x, target=None) -> dict` of batch-mean scalars ("loss", …).
        optimizer: a torch optimiser over the model's parameters.
        x: (B, ...) minibatch; target: the clean images (denoising, 02), or None.
    """
    terms = model.loss(x, target)  # batch means, e.g. {"loss": ..., "recon": ...}
    optimizer.zero_grad(set_to_none=True)  # forget the previous step's gradients
    terms["loss"].backward()  # d loss / d every parameter (θ and φ)
    optimizer.step()  # move every parameter a small step against its gradient
    return terms


@torch.no_grad()
def evaluate(model, x, corrupt=None, seed=0, batch_size=EVAL_BATCH_SIZE) -> dict:
    """Mean of each loss term over a whole data set, in large batches without gradients.

    `seed` fixes every random draw: the corruption and the model's own sampling (z ~ q),
    which runs on the global torch generator, seeded here and restored afterwards.
    """
    _check_data(x, "x")
    seed = _checks.seed(seed)
    batch_size = _checks.positive_int(batch_size, "batch_size")
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    sums = {}
    # fork_rng: the caller's global random state is the same after the call as before
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for start in range(0, len(x), batch_size):
            xb = x[start : start + batch_size]
            inputs = xb if corrupt is None else corrupt(xb, generator)
            terms = model.loss(inputs, None if corrupt is None else xb)
            for key, value in terms.items():
                # batch means -> sums over examples
                sums[key] = sums.get(key, 0.0) + value.item() * len(xb)
    model.train(was_training)
    return {key: total / len(x) for key, total in sums.items()}


def _check_fit_args(train_x, test_x, epochs, batch_size, lr, seed, schedule):
    """(epochs, batch_size, lr, seed) as plain numbers, or a clear error naming the argument."""
    _check_data(train_x, "train_x")
    if test_x is not None:
        _check_data(test_x, "test_x")
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    lr = _checks.positive(lr, "lr")
    seed = _checks.seed(seed)
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    return epochs, batch_size, lr, seed


def fit(
    model,
    train_x,
    test_x=None,
    *,
    epochs,
    batch_size=BATCH_SIZE,
    lr=LR,
    schedule="constant",
    seed=0,
    corrupt=None,
    transform=None,
    on_epoch_start=None,
    progress=True,
) -> History:
    """Train `model` with Adam on minibatches of `train_x`; return the per-epoch history.

    Args:
        model: a module with `loss(x, target=None) -> dict` of batch-mean scalars ("loss", …).
        train_x: (N, C, H, W) or (N, D) training data.
        test_x: optional held-out data, evaluated after every epoch.
        epochs: number of passes over train_x.
        batch_size, lr: minibatch size and Adam learning rate (the peak one for "cosine").
        schedule: "constant" or "cosine" (warm-up, then cosine decay; see `learning_rate`).
            `RECOMMENDED` holds the settings advised for a long run on the full split.
        seed: seeds the shuffling, `corrupt`, `transform` and the model's own sampling.
        corrupt: `corrupt(x, generator) -> x_noisy`: the model sees x_noisy, reconstructs x.
        transform: `transform(train_x, generator) -> train_x`, run at the start of each epoch.
        on_epoch_start: `on_epoch_start(epoch, model)`, e.g. to anneal `model.beta`.
        progress: show one progress bar for the run (silenced by the environment TQDM_DISABLE=1).
    Returns:
        History of per-epoch means: train_<term>, test_<term>, epoch_time (training only).
    """
    epochs, batch_size, lr, seed = _check_fit_args(
        train_x, test_x, epochs, batch_size, lr, seed, schedule
    )
    run = _Run(
        model=model,
        # one generator for data order and corruption; the global RNG for the model's sampling
        generator=torch.Generator().manual_seed(seed),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        schedule=schedule,
        corrupt=corrupt,
        quiet=not progress or os.environ.get("TQDM_DISABLE", "") not in ("", "0"),
    )
    torch.manual_seed(seed)
    run.optimizer = make_optimizer(model.parameters(), lr)
    run.total_steps = run.epochs * math.ceil(len(train_x) / run.batch_size)
    # one bar for the whole run: every optimiser step of every epoch
    run.bar = tqdm(total=run.total_steps, desc="training", disable=run.quiet or None)
    history = History()
    for epoch in range(run.epochs):
        if on_epoch_start is not None:
            on_epoch_start(epoch, model)
        model.train()
        start_time = time.perf_counter()
        x_epoch = train_x if transform is None else transform(train_x, run.generator)
        sums = _train_epoch(run, x_epoch, epoch)
        if not _weights_finite(model):
            raise _diverged(epoch, lr, "the weights became NaN or infinite")
        history.setdefault("epoch_time", []).append(time.perf_counter() - start_time)
        for key, total in sums.items():
            history.setdefault(f"train_{key}", []).append(total / len(x_epoch))
        if test_x is not None:
            for key, value in evaluate(model, test_x, corrupt, seed).items():
                history.setdefault(f"test_{key}", []).append(value)
    run.bar.close()
    model.eval()
    return history


@dataclass
class _Run:
    """What every step of one `fit` call shares: the model, its optimiser and the settings."""

    model: torch.nn.Module
    generator: torch.Generator
    epochs: int
    batch_size: int
    lr: float
    schedule: str
    corrupt: object
    quiet: bool
    optimizer: object = None
    total_steps: int = 0
    step: int = 0
    bar: object = None


def _train_epoch(run: _Run, x_epoch, epoch: int) -> dict:
    """One pass over x_epoch in a fresh random order; the sums over examples of each term."""
    # a fresh random order of the N examples: (N,)
    order = torch.randperm(len(x_epoch), generator=run.generator)
    n_batches = math.ceil(len(x_epoch) / run.batch_size)
    sums = {}
    for i in range(n_batches):
        xb = x_epoch[order[i * run.batch_size : (i + 1) * run.batch_size]]
        terms = _train_batch(run, xb, epoch)
        for key, value in terms.items():
            # batch means -> sums over examples
            sums[key] = sums.get(key, 0.0) + value.item() * len(xb)
        if not run.quiet:
            run.bar.update()
            if i % 20 == 0 or i == n_batches - 1:
                shown = {k: f"{v.item():.4g}" for k, v in terms.items()}
                run.bar.set_postfix({"epoch": f"{epoch + 1}/{run.epochs}", **shown}, False)
    return sums


def _train_batch(run: _Run, xb, epoch: int) -> dict:
    """One optimiser step on the minibatch xb (corrupted first, if `run.corrupt`)."""
    inputs = xb if run.corrupt is None else run.corrupt(xb, run.generator)
    for group in run.optimizer.param_groups:
        group["lr"] = learning_rate(run.step, run.total_steps, run.lr, run.schedule)
    try:
        terms = train_step(run.model, run.optimizer, inputs, None if run.corrupt is None else xb)
    except ValueError as err:
        # huge or NaN weights give inf or NaN decoder outputs, which the likelihood
        # refuses; the data itself was checked to be finite before the first step
        if run.step == 0 or ("NaN or inf" not in str(err) and _weights_finite(run.model)):
            raise
        raise _diverged(epoch, run.lr, f"the model's outputs blew up ({err})") from err
    if not torch.isfinite(terms["loss"]):
        raise _diverged(epoch, run.lr, f"the loss became {terms['loss'].item()}")
    run.step += 1
    return terms


def save_checkpoint(model, path, history=None, **meta) -> None:
    """Save `model.state_dict()`, `model.config`, the history and plain metadata to `path`.

    Everything saved is tensors, numbers, strings, lists and dicts (NumPy values are turned
    into Python ones; anything else is refused before writing), so `torch.load(path,
    weights_only=True)` can read it. The file is written to a temporary file in the same
    folder and renamed over `path`: an interrupted save leaves the previous file intact.
    """
    if not hasattr(model, "config"):
        raise TypeError("model must have a .config dict (Autoencoder, VAE)")
    path = Path(path)
    checkpoint = {
        "state_dict": model.state_dict(),
        "config": _checks.plain(dict(model.config), "model.config"),
        "history": None if history is None else _checks.plain(dict(history), "history"),
        "meta": _checks.plain(dict(meta), "meta"),
    }
    _checks.writable_folder(path.parent, "path")
    _checks.atomic_write(path, lambda f: torch.save(checkpoint, f))


def _read_checkpoint(path: Path) -> dict:
    """torch.load(weights_only=True) of `path`, with an error that names it and says why."""
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(
            f"checkpoint {path} is empty (0 bytes), probably from an interrupted save: "
            "delete it and train again"
        )
    with open(path, "rb") as f:
        head = f.read(4)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load raises many types; say which case it is
        if head.startswith(b"PK"):
            why = f"it is truncated or damaged ({type(err).__name__}: {str(err)[:200]})"
            if "weights_only" in str(err).lower() or "unpickl" in str(err).lower():
                why = "it holds Python objects other than tensors and plain data"
        elif all(32 <= byte < 127 or byte in (9, 10, 13) for byte in head):
            why = f"it is a text file, not a torch checkpoint (it starts with {head!r})"
        else:
            why = f"it is not a torch checkpoint (it starts with {head!r})"
        raise CheckpointError(f"cannot load checkpoint {path} ({size:,} bytes): {why}") from err
    keys = checkpoint if isinstance(checkpoint, dict) else {}
    missing = [k for k in ("state_dict", "config") if k not in keys]
    if missing:
        holds = sorted(map(str, checkpoint)) if isinstance(checkpoint, dict) else type(checkpoint)
        raise CheckpointError(
            f"checkpoint {path} was not written by save_checkpoint: it has no {missing} "
            f"(it holds {holds})"
        )
    return checkpoint


def load_checkpoint(path):
    """Load a checkpoint written by `save_checkpoint`: returns (model, info).

    info has "config", "history" (a History or None) and "meta". A file that is empty,
    damaged, foreign, or asks for a model larger than `models.MAX_PARAMETERS` is refused
    with a `CheckpointError` naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at path {path.name!r}")
    checkpoint = _read_checkpoint(path)
    config = checkpoint["config"]
    try:
        model = build_model(config)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path} holds an unusable config: {err}") from err
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except (RuntimeError, TypeError, AttributeError) as err:
        raise CheckpointError(
            f"checkpoint {path}: the weights do not fit the model of its config: {str(err)[:300]}"
        ) from err
    model.eval()
    history = checkpoint.get("history")
    info = {
        "config": config,
        "history": None if history is None else History(history),
        "meta": checkpoint.get("meta", {}),
    }
    return model, info


def train_or_load(path, make_model, train):
    """Load the checkpoint at `path` if it exists; otherwise build, train and save it.

    Args:
        path: checkpoint file; its folder must be writable (checked before training).
        make_model: `make_model() -> model`, called only when training.
        train: `train(model) -> History`, called only when training.
    Returns:
        (model, history): history is the saved one when loading.
    """
    path = Path(path)
    if path.is_file():
        model, info = load_checkpoint(path)
        return model, info["history"]
    # fail now, not after the training, if the model could not be saved
    _checks.writable_folder(path.parent, "path")
    model = make_model()
    history = train(model)
    save_checkpoint(model, path, history)
    model.eval()
    return model, history
