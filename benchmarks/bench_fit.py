"""Benchmark `vae_teach.train.fit` on the pytorch/examples VAE (not a test: prints figures).

Model: 784-400-20 MLP VAE, ReLU, Bernoulli decoder on grey-level MNIST pixels; loss per
example = BCE summed over pixels + KL(q(z|x) ‖ N(0, I)); test loss in that metric (one z
sample per test image, as pytorch/examples `vae/main.py` reports it). Full MNIST split.

Three parts:
  reference  fit with the reference's settings (batch 128, Adam lr 1e-3, 10 epochs): per-epoch
             wall time and test loss; target: test loss <= 105.6 after 10 epochs.
  overhead   fit's epoch time against a bare PyTorch loop over the same tensors (same model,
             batches, optimiser); target: within 10 %.
  defaults   fit with the settings it recommends (train.RECOMMENDED: batch size, peak learning
             rate and the cosine schedule): training time until the test loss first reaches
             <= 105.8; target: <= 22 s.

Usage:
    VAE_TEACH_DATA=<folder holding mnist/> python benchmarks/bench_fit.py [--parts ...]
Timings mean something only on an otherwise idle machine.
"""

import argparse
import os
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402

from vae_teach import train  # noqa: E402
from vae_teach.data import load_mnist  # noqa: E402
from vae_teach.kl import gaussian_kl  # noqa: E402
from vae_teach.models import VAE  # noqa: E402

REFERENCE_TARGET = 105.6  # pytorch/examples' published test loss after 10 epochs
DEFAULTS_TARGET = 105.8
DEFAULTS_TIME = 22.0  # seconds of training
OVERHEAD_TARGET = 0.10


def make_model(seed):
    """The pytorch/examples VAE: fc1 784->400, fc21/fc22 400->20, fc3 20->400, fc4 400->784."""
    torch.manual_seed(seed)
    return VAE(hidden=(400,), latent_dim=20, likelihood="bernoulli")


def bare_epochs(model, x, epochs, batch_size, lr, seed):
    """A bare PyTorch loop over the same tensors and optimiser: no checks, history or bar."""
    optimizer = train.make_optimizer(model.parameters(), lr)
    generator = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), batch_size):
            xb = x[order[i : i + batch_size]].reshape(-1, 784)
            h = model.encoder(xb)
            mu, logvar = model.fc_mu(h), model.fc_logvar(h)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            logits = model.decoder(z)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction="sum")
            kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum()
            loss = (bce + kl) / len(xb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def check_kl_sign(model, x):
    """The metric's KL term is +KL (pytorch/examples' comment says −KL): check on one batch."""
    with torch.no_grad():
        mu, logvar = model.encode(x[:256])
        assert (gaussian_kl(mu, logvar) >= 0).all()


def run_fit(label, x, xt, epochs, batch_size, lr, seed, schedule="constant"):
    model = make_model(seed)
    start = time.perf_counter()

    def show_progress(epoch, model):
        print(
            f"  [{label}] epoch {epoch + 1} starts at {time.perf_counter() - start:.0f} s",
            flush=True,
        )

    history = train.fit(
        model,
        x,
        xt,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        schedule=schedule,
        seed=seed,
        on_epoch_start=show_progress,
    )
    print(f"\n[{label}] batch_size={batch_size} lr={lr:g} {schedule} epochs={epochs}")
    print(" epoch  time_s  cum_s   train_loss  test_loss  test_recon  test_kl")
    cumulative = 0.0
    for e in range(epochs):
        cumulative += history["epoch_time"][e]
        print(
            f" {e + 1:5d}  {history['epoch_time'][e]:6.2f}  {cumulative:5.1f}  "
            f"{history['train_loss'][e]:10.2f}  {history['test_loss'][e]:9.2f}  "
            f"{history['test_recon'][e]:10.2f}  {history['test_kl'][e]:7.2f}"
        )
    check_kl_sign(model, xt)
    return history


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["reference", "overhead", "defaults"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=None, help="for 'defaults' (tuning)")
    parser.add_argument("--lr", type=float, default=None, help="for 'defaults' (tuning)")
    parser.add_argument(
        "--defaults-epochs", type=int, default=8, help="length of the cosine schedule (defaults)"
    )
    parser.add_argument("--overhead-epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, _ = load_mnist("train", profile="full")
    xt, _ = load_mnist("test", profile="full")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, train {tuple(x.shape)}")
    summary = []

    if "reference" in args.parts:
        h = run_fit("reference", x, xt, args.epochs, 128, 1e-3, args.seed)
        final = h["test_loss"][-1]
        ok = final <= REFERENCE_TARGET
        summary.append(
            f"reference: test loss {final:.2f} after {args.epochs} epochs "
            f"(target <= {REFERENCE_TARGET}) {'OK' if ok else 'MISSED'}"
        )

    if "overhead" in args.parts:
        n = args.overhead_epochs
        # alternate so that changes in machine load hit both alike
        fit_times, bare_times = [], []
        for _ in range(n):
            h = train.fit(make_model(args.seed), x, epochs=1, batch_size=128, lr=1e-3)
            fit_times += h["epoch_time"]
            bare_times += bare_epochs(make_model(args.seed), x, 1, 128, 1e-3, args.seed)
        fit_t, bare_t = sorted(fit_times)[n // 2], sorted(bare_times)[n // 2]
        ratio = fit_t / bare_t - 1
        print(f"\n[overhead] median epoch over {n}: fit {fit_t:.2f} s, bare loop {bare_t:.2f} s")
        print(f"  fit epochs: {[round(t, 2) for t in fit_times]}")
        print(f"  bare epochs: {[round(t, 2) for t in bare_times]}")
        summary.append(
            f"overhead: fit {fit_t:.2f} s/epoch vs bare {bare_t:.2f} s/epoch "
            f"({ratio:+.1%}, target <= +{OVERHEAD_TARGET:.0%}) "
            f"{'OK' if ratio <= OVERHEAD_TARGET else 'MISSED'}"
        )

    if "defaults" in args.parts:
        batch_size = args.batch_size or train.RECOMMENDED["batch_size"]
        lr = args.lr or train.RECOMMENDED["lr"]
        schedule = train.RECOMMENDED["schedule"]
        epochs = args.defaults_epochs
        h = run_fit("defaults", x, xt, epochs, batch_size, lr, args.seed, schedule)
        cumulative, reached = 0.0, None
        for t, loss in zip(h["epoch_time"], h["test_loss"], strict=True):
            cumulative += t
            if loss <= DEFAULTS_TARGET:
                reached = cumulative
                break
        if reached is None:
            summary.append(
                f"defaults (bs {batch_size}, lr {lr:g}, {schedule}): never reached "
                f"{DEFAULTS_TARGET} in {epochs} epochs MISSED"
            )
        else:
            ok = reached <= DEFAULTS_TIME
            summary.append(
                f"defaults (bs {batch_size}, lr {lr:g}, {schedule}): test loss <= "
                f"{DEFAULTS_TARGET} after {reached:.1f} s of training "
                f"(target <= {DEFAULTS_TIME} s) {'OK' if ok else 'MISSED'}"
            )

    print("\nsummary")
    for line in summary:
        print("  " + line)


if __name__ == "__main__":
    main()
