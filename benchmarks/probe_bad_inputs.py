"""Probe the package with bad input and faults, as careless and hostile users would (issue 17).

Not a test: it prints figures. Each probe ends in one of five outcomes:

  ok            refused with an error that names the argument and the problem, or the right
                result (a checker's right verdict, a file left intact, a repeatable number);
  silent-wrong  a wrong result and no error (bad input accepted, a wrong verdict);
  corrupt       a file left damaged or unreadable by a failed or odd save;
  crash         a checker raised instead of giving a verdict;
  unhelpful     an error, but not one that names what was wrong.

Usage:
    python benchmarks/probe_bad_inputs.py [--verbose]
Targets (issue 17): 0 silent-wrong, 0 corrupt, 0 crash, fewer than 10 unhelpful.
"""

# Each probe's lambda is called at once, inside the loop that defines it.
# ruff: noqa: B023

import argparse
import contextlib
import http.server
import importlib.util
import io
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from vae_teach import checkers, data, pretrained, train  # noqa: E402
from vae_teach.corruption import salt_and_pepper  # noqa: E402
from vae_teach.disentanglement import (  # noqa: E402
    linear_beta,
    mig,
)
from vae_teach.elbo import elbo, importance_weighted_log_px  # noqa: E402
from vae_teach.likelihoods import bernoulli_log_likelihood  # noqa: E402
from vae_teach.linear_gaussian import LinearGaussian  # noqa: E402
from vae_teach.models import VAE, Autoencoder, build_model  # noqa: E402
from vae_teach.plots import show_images  # noqa: E402
from vae_teach.widgets import (  # noqa: E402
    ELBOLab,
    LatentExplorer,
    TraversalExplorer,
    tile_images,
)
from vae_teach.widgets.base import slider  # noqa: E402

# Errors that say nothing about the caller's argument when they escape from the package.
BARE = (KeyError, IndexError, AttributeError, EOFError, ZeroDivisionError)

results = []  # (probe name, outcome, detail)


def record(name, outcome, detail=""):
    results.append((name, outcome, detail))


def refuse(name, fn, *words):
    """The call must raise, with every word of `words` in the message."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            value = fn()
    except BARE as error:
        record(name, "unhelpful", f"{type(error).__name__}: {error}")
    except Exception as error:
        message = str(error)
        missing = [w for w in words if w.lower() not in message.lower()]
        outcome = "unhelpful" if missing else "ok"
        record(name, outcome, f"{type(error).__name__}: {message[:160]}")
    else:
        record(name, "silent-wrong", f"accepted, returned {str(value)[:80]}")


def verdict(name, check, student, expected):
    """A checker must return a Verdict whose status is one of `expected`."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            got = check(student)
    except BaseException as error:  # noqa: BLE001 (SystemExit too: that is the probe)
        record(name, "crash", f"{type(error).__name__}: {error}")
        return
    status = getattr(got, "status", None)
    record(name, "ok" if status in expected else "silent-wrong", str(got)[:160])


def toy(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.bernoulli(torch.full((n, 1, 6, 6), 0.3), generator=g)


def vae(**kwargs):
    torch.manual_seed(0)
    return VAE(image_shape=(1, 6, 6), hidden=(16,), latent_dim=2, **kwargs)


def ae():
    torch.manual_seed(0)
    return Autoencoder(image_shape=(1, 6, 6), hidden=(16,), latent_dim=2)


def fit(model, x, **kwargs):
    kwargs = {"epochs": 1, "batch_size": 16, "progress": False, **kwargs}
    return train.fit(model, x, **kwargs)


# ------------------------------------------------------------------------- inputs x


def probe_inputs():
    x = toy()
    bad = {
        "x*255": (x * 255, "[0, 1]"),
        "x-0.5": (x - 0.5, "[0, 1]"),
        "x+0.01": (x + 0.01, "[0, 1]"),
        "NaN": (x.clone().index_fill_(0, torch.tensor([3]), math.nan), "NaN"),
        "inf": (x.clone().index_fill_(0, torch.tensor([5]), math.inf), "inf"),
    }
    logits = torch.zeros(64, 36)
    for label, (xb, word) in bad.items():
        flat = xb.reshape(64, -1)
        calls = {
            "bernoulli_log_likelihood": lambda: bernoulli_log_likelihood(flat, logits),
            "elbo": lambda: elbo(flat, logits, torch.zeros(64, 2), torch.zeros(64, 2)),
            "VAE.loss": lambda: vae().loss(xb),
            "Autoencoder.loss": lambda: ae().loss(xb),
            "importance_weighted_log_px": lambda: importance_weighted_log_px(vae(), xb, 4),
            "fit(AE)": lambda: fit(ae(), xb),
            "fit(VAE)": lambda: fit(vae(), xb),
            "evaluate": lambda: train.evaluate(vae(), xb),
        }
        for fname, call in calls.items():
            refuse(f"{fname} with {label}", call, "x", word)
    for dtype in (torch.uint8, torch.bool, torch.int64, torch.float16):
        xd = (x * 255).to(dtype) if dtype == torch.uint8 else x.to(dtype)
        for fname, call in {
            "VAE.loss": lambda: vae().loss(xd),
            "Autoencoder.loss": lambda: ae().loss(xd),
            "bernoulli_log_likelihood": lambda: bernoulli_log_likelihood(xd, logits.to(xd.dtype)),
            "fit": lambda: fit(vae(), xd),
        }.items():
            refuse(f"{fname} with {dtype}", call, "x", "float")
    empty = torch.zeros(0, 1, 6, 6)
    for fname, call in {
        "VAE.loss": lambda: vae().loss(empty),
        "Autoencoder.loss": lambda: ae().loss(empty),
        "bernoulli_log_likelihood": lambda: bernoulli_log_likelihood(empty, empty),
        "importance_weighted_log_px": lambda: importance_weighted_log_px(vae(), empty, 2),
        "fit": lambda: fit(vae(), empty),
        "evaluate": lambda: train.evaluate(vae(), empty),
    }.items():
        word = "N > 0" if fname in ("fit", "evaluate") else "empty"
        refuse(f"{fname} on an empty batch", call, "x", word)
    # float64 images are fine with float32 models: they must work, not fail inside torch
    try:
        vae().loss(x.double())
        ae().loss(x.double())
        record("float64 images", "ok")
    except Exception as error:
        record("float64 images", "unhelpful", str(error))


# ------------------------------------------------------------------------- arguments


def probe_arguments():
    x = toy(32)
    for value in (math.inf, math.nan, -1.0, True, "1"):
        refuse(f"VAE(beta={value!r})", lambda: vae(beta=value), "beta")
        refuse(
            f"elbo(beta={value!r})",
            lambda: elbo(
                x.reshape(32, -1),
                torch.zeros(32, 36),
                torch.zeros(32, 2),
                torch.zeros(32, 2),
                value,
            ),
            "beta",
        )
    for value in (math.nan, math.inf, "fixed", None):
        refuse(
            f"VAE(logvar_x={value!r})",
            lambda: vae(likelihood="gaussian", logvar_x=value),
            "logvar_x",
        )
    for value in (0, -1, 2.5, True):
        refuse(f"VAE(latent_dim={value!r})", lambda: VAE(latent_dim=value), "latent_dim")
    for value in ([0], [-3], [2.5], [200000, 200000]):
        refuse(f"VAE(hidden={value!r})", lambda: VAE(hidden=value), "hidden")
    refuse(
        "build_model(huge config)",
        lambda: build_model({"model": "VAE", "hidden": [200000, 200000]}),
        "parameters",
    )
    for value in (math.inf, math.nan, True, 0.0, -1e-3, "1e-3"):
        refuse(f"fit(lr={value!r})", lambda: fit(vae(), x, lr=value), "lr")
    for value in (0, -1, 1.5, True):
        refuse(f"fit(epochs={value!r})", lambda: fit(vae(), x, epochs=value), "epochs")
        refuse(f"fit(batch_size={value!r})", lambda: fit(vae(), x, batch_size=value), "batch_size")
    for value in (-1, 1.5, True, 2**70):
        refuse(f"fit(seed={value!r})", lambda: fit(vae(), x, seed=value), "seed")
        refuse(f"evaluate(seed={value!r})", lambda: train.evaluate(vae(), x, seed=value), "seed")
    for value in (0, -2, 1.5, True):
        refuse(
            f"importance_weighted_log_px(k={value!r})",
            lambda: importance_weighted_log_px(vae(), x, value),
            "k",
        )
    for value in (math.inf, math.nan, 0.0, -1.0, True):
        refuse(
            f"LinearGaussian(sigma={value!r})",
            lambda: LinearGaussian([[1.0]], [0.0], value),
            "sigma",
        )
    refuse("LinearGaussian(NaN in W)", lambda: LinearGaussian([[math.nan]], [0.0], 1.0), "W")
    refuse("LinearGaussian(inf in W)", lambda: LinearGaussian([[math.inf]], [0.0], 1.0), "W")
    refuse("LinearGaussian(NaN in b)", lambda: LinearGaussian([[1.0]], [math.nan], 1.0), "b")
    images = torch.rand(4, 1, 5, 5)
    for value in (0, -1, 2.5):
        refuse(f"show_images(nrow={value!r})", lambda: show_images(images, nrow=value), "nrow")
        refuse(f"tile_images(nrow={value!r})", lambda: tile_images(images, nrow=value), "nrow")
    factors = np.repeat(np.arange(4), 25)[:, None]
    for label, fill in (("NaN", math.nan), ("inf", math.inf)):
        codes = np.random.default_rng(0).normal(size=(100, 3))
        codes[7, 2] = fill
        refuse(f"mig({label} codes)", lambda: mig(codes, factors), "codes")
    refuse("linear_beta(epoch=-1)", lambda: linear_beta(-1, 10), "epoch")
    refuse("linear_beta(warmup_epochs=-5)", lambda: linear_beta(2, -5), "warmup_epochs")
    refuse("linear_beta(beta_max=inf)", lambda: linear_beta(2, 10, math.inf), "beta_max")
    refuse("slider(step=0)", lambda: slider("mean", "q mean", -1.0, 1.0, 0), "step")
    refuse("slider(step=nan)", lambda: slider("mean", "q mean", -1.0, 1.0, math.nan), "step")
    refuse("slider(min = max)", lambda: slider("mean", "q mean", 1.0, 1.0, 0.1), "mean")
    model = LinearGaussian([[1.0], [0.5]], [0.0, 0.0], 0.8)
    x_lg = torch.tensor([0.5, 0.2], dtype=torch.float64)
    refuse("ELBOLab(mean=7)", lambda: ELBOLab(model, x_lg, mean=7.0), "mean")
    refuse("ELBOLab(std=0)", lambda: ELBOLab(model, x_lg, std=0.0), "std")
    refuse("ELBOLab(std=-1)", lambda: ELBOLab(model, x_lg, std=-1.0), "std")
    refuse("ELBOLab.set(mean=100)", lambda: ELBOLab(model, x_lg).set(mean=100.0), "mean")
    refuse(
        "ELBOLab.std_slider.value = 9",
        lambda: setattr(ELBOLab(model, x_lg).std_slider, "value", 9.0),
        "std",
    )
    refuse(
        "TraversalExplorer(z_range=(-3, inf))",
        lambda: TraversalExplorer(ae(), torch.rand(3, 1, 6, 6), z_range=(-3, math.inf)),
        "z_range",
    )
    refuse(
        "LatentExplorer(collapsed codes)",
        lambda: LatentExplorer(ae(), codes=np.ones((50, 2))),
        "collapsed",
    )
    refuse(
        "LatentExplorer.sliders[0].value = 9",
        lambda: setattr(LatentExplorer(ae(), z_range=(-3, 3)).sliders[0], "value", 9.0),
        "z1",
    )
    refuse(
        "LatentExplorer.set_base(3 numbers)",
        lambda: LatentExplorer(ae(), z_range=(-3, 3)).set_base([0.0, 1.0, 2.0]),
        "z must be 2",
    )
    refuse(
        "download_mnist(mirrors='...')",
        lambda: data.download_mnist("test", mirrors="http://127.0.0.1/"),
        "mirrors",
    )
    refuse(
        "download_mnist(deadline=0)", lambda: data.download_mnist("test", deadline=0), "deadline"
    )


# ------------------------------------------------------------------------- numbers


def probe_numbers():
    x = toy(128)
    for seed in (0, 3):
        model = vae()
        a, b = train.evaluate(model, x, seed=seed), train.evaluate(model, x, seed=seed)
        record(f"evaluate(seed={seed}) twice", "ok" if a == b else "silent-wrong", f"{a} {b}")
    model = vae()
    torch.manual_seed(5)
    before = torch.random.get_rng_state()
    train.evaluate(model, x)
    same = torch.equal(before, torch.random.get_rng_state())
    record("evaluate leaves the global RNG alone", "ok" if same else "silent-wrong")
    for lr in (1.0, 10.0, 1e6):
        try:
            history = fit(vae(), x, lr=lr, epochs=5)
        except train.TrainingDivergedError as error:
            ok = "diverged at epoch" in str(error) and "smaller lr" in str(error)
            record(f"fit(lr={lr:g})", "ok" if ok else "unhelpful", str(error)[:160])
        except Exception as error:
            record(f"fit(lr={lr:g})", "unhelpful", f"{type(error).__name__}: {error}")
        else:
            finite = all(math.isfinite(v) for v in history["train_loss"])
            record(f"fit(lr={lr:g})", "ok" if finite else "silent-wrong", "trained")
    cases = [
        ([[3.0], [-2.5]], [8.0, -6.0], 0.3),
        ([[0.2], [0.1]], [0.0, 0.0], 0.05),
        ([[40.0]], [0.0], 1.0),
        ([[1.2], [-0.7]], [0.3, -0.2], 0.8),
        ([[0.01]], [5.0], 0.01),
    ]
    for W, b, sigma in cases:
        model = LinearGaussian(W, b, sigma)
        x_lg = torch.as_tensor(b, dtype=torch.float64) + 4.0 * torch.as_tensor(W)[:, 0]
        lab = ELBOLab(model, x_lg)
        lab.button.click()
        gap = lab.values()["gap"]
        record(
            f"ELBOLab q = posterior, W={W}",
            "ok" if abs(gap) < 1e-6 else "silent-wrong",
            f"gap {gap:.3g}",
        )


# ------------------------------------------------------------------------- checkers


def _test_module():
    """tests/test_robustness.py: its CHECKERS table (each checker with an honest answer)."""
    path = Path(__file__).resolve().parents[1] / "tests" / "test_robustness.py"
    spec = importlib.util.spec_from_file_location("test_robustness", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_tests = _test_module()
CHECKERS, reference_reconstruction_loss = _tests.CHECKERS, _tests.reference_reconstruction_loss


def _map(out, fn):
    return tuple(fn(o) for o in out) if isinstance(out, tuple) else fn(out)


def probe_checkers():
    checkers.TIME_LIMIT = 1.0
    for name, (check, ref) in CHECKERS.items():

        def slip(*a, ref=ref):
            return _map(ref(*a), lambda o: 1.001 * o)

        def complex_(*a, ref=ref):
            return _map(ref(*a), lambda o: torch.as_tensor(o) + 5j)

        def in_place(*a, ref=ref):
            out = ref(*a)
            next(t for t in a if isinstance(t, torch.Tensor)).add_(1.0)
            return out

        def sparse(*a, ref=ref):
            return _map(ref(*a), lambda o: torch.as_tensor(o).to_sparse())

        def meta(*a, ref=ref):
            return _map(ref(*a), lambda o: torch.empty(torch.as_tensor(o).shape, device="meta"))

        def exits(*a):
            sys.exit(0)

        def loops(*a):
            while True:
                pass

        def floods(*a, ref=ref):
            for i in range(100_000):
                print(i)
            return ref(*a)

        probes = {
            "itself": (ref, ("right",)),
            "0.1 % slip": (slip, ("close",)),
            "+5j": (complex_, ("wrong",)),
            "in place after computing": (in_place, ("close", "wrong")),
            "sparse": (sparse, ("right",)),
            "meta": (meta, ("wrong",)),
            "sys.exit()": (exits, ("wrong",)),
            "endless loop": (loops, ("wrong",)),
            "100,000 lines": (floods, ("right",)),
            "returns None": (lambda *a: None, ("wrong",)),
            "returns a string": (lambda *a: "0.5", ("wrong",)),
            "raises": (lambda *a: 1 / 0, ("wrong",)),
        }
        for label, (student, expected) in probes.items():
            verdict(f"{name} checker: {label}", check, student, expected)
    check = checkers.check_reconstruction_loss
    for eps in (1e-7, 1e-5, 1e-3):
        verdict(
            f"reconstruction_loss checker: clamp eps={eps:g}",
            check,
            lambda x, x_hat, eps=eps: reference_reconstruction_loss(x, x_hat.clamp(eps, 1 - eps)),
            ("right", "close"),
        )
    for label, student in {
        "sys.exit()": lambda x, f: sys.exit(),
        "endless loop": lambda x, f: [None for _ in iter(int, 1)],
        "100,000 lines": lambda x, f: [print(i) for i in range(100_000)] and salt_and_pepper(x, f),
        "+5j": lambda x, f: salt_and_pepper(x, f) + 5j,
        "meta": lambda x, f: torch.empty(x.shape, device="meta"),
    }.items():
        verdict(
            f"salt_and_pepper checker: {label}",
            checkers.check_salt_and_pepper,
            student,
            ("wrong", "close", "right"),
        )
    checkers.TIME_LIMIT = 10.0


# ------------------------------------------------------------------------- files


def probe_files(tmp: Path):
    path = tmp / "model.pt"
    train.save_checkpoint(vae(), path)
    good = path.read_bytes()
    real_save = torch.save

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half")
        raise OSError(28, "No space left on device")

    torch.save = full_disk
    try:
        train.save_checkpoint(ae(), path)
    except OSError:
        pass
    finally:
        torch.save = real_save
    intact = path.read_bytes() == good and len(list(tmp.iterdir())) == 1
    record("save_checkpoint on a full disk", "ok" if intact else "corrupt")
    meta_path = tmp / "meta.pt"
    try:
        train.save_checkpoint(vae(), meta_path, {"loss": [np.float32(1)]}, test=np.float64(2))
        train.load_checkpoint(meta_path)
        record("save_checkpoint(meta=numpy) then load", "ok")
    except train.CheckpointError as error:
        record("save_checkpoint(meta=numpy) then load", "corrupt", str(error))
    except TypeError as error:
        record("save_checkpoint(meta=numpy) then load", "ok", f"refused: {error}")
    try:
        train.save_checkpoint(vae(), tmp / "obj.pt", bad=object())
        record("save_checkpoint(meta=object())", "silent-wrong")
    except TypeError:
        ok = not (tmp / "obj.pt").exists()
        record("save_checkpoint(meta=object())", "ok" if ok else "corrupt")

    folder = tmp / "weights"
    pretrained.save_pretrained(vae(), "tiny", folder=folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_fsync = os.fsync
    os.fsync = lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device"))
    try:
        pretrained.save_pretrained(ae(), "tiny", folder=folder)
    except OSError:
        pass
    finally:
        os.fsync = real_fsync
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    record("save_pretrained on a full disk", "ok" if after == before else "corrupt")
    try:
        pretrained.save_pretrained(vae(), "np", folder=folder, loss=np.float32(3))
        payload = torch.load(folder / "np.pt", weights_only=True)
        record("save_pretrained(meta=numpy)", "ok", str(payload["meta"]))
    except Exception as error:
        record("save_pretrained(meta=numpy)", "corrupt", str(error))

    bad = {
        "empty.pt": (b"", "empty"),
        "text.pt": (b"not a checkpoint\n", "text"),
        "truncated.pt": (good[: len(good) // 2], "truncated"),
        "binary.pt": (bytes(range(256)) * 4, "not a torch checkpoint"),
        "tail.pt": (good[:-10], ""),
    }
    for name, (content, word) in bad.items():
        (tmp / name).write_bytes(content)
        refuse(
            f"load_checkpoint({name})", lambda n=name: train.load_checkpoint(tmp / n), name, word
        )
    for name, obj, word in [
        ("foreign.pt", {101: torch.zeros(2)}, "not written by save_checkpoint"),
        ("list.pt", [1, 2, 3], "not written by save_checkpoint"),
        (
            "huge.pt",
            {"config": {"model": "VAE", "hidden": [200000, 200000]}, "state_dict": {}},
            "parameters",
        ),
        ("nomodel.pt", {"config": {"hidden": [8]}, "state_dict": {}}, "config"),
        (
            "mismatch.pt",
            {"config": dict(ae().config), "state_dict": vae().state_dict()},
            "do not fit",
        ),
    ]:
        real_save(obj, tmp / name)
        refuse(
            f"load_checkpoint({name})", lambda n=name: train.load_checkpoint(tmp / n), name, word
        )
    blocker = tmp / "a_file"
    blocker.write_text("x")
    calls = []
    refuse(
        "train_or_load into an unwritable folder",
        lambda: train.train_or_load(
            blocker / "m.pt", lambda: calls.append(1) or ae(), lambda m: calls.append(2)
        ),
        "cannot write",
    )
    if calls:
        results[-1] = (results[-1][0], "unhelpful", "trained before failing")


# ------------------------------------------------------------------------- downloads


class _Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100_000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def probe_downloads(tmp: Path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    start = time.monotonic()
    refuse(
        "download from a dripping server",
        lambda: data.download_mnist("test", root=tmp / "drip", mirrors=[url], deadline=1.0),
        "deadline",
    )
    took = time.monotonic() - start
    if took > 10:
        results[-1] = (results[-1][0], "unhelpful", f"took {took:.0f} s")
    left = list((tmp / "drip" / "mnist").glob("*")) if (tmp / "drip" / "mnist").exists() else []
    record("no file left by the timed-out download", "corrupt" if left else "ok")
    httpd.shutdown()
    folder = tmp / "stale" / "mnist"
    folder.mkdir(parents=True)
    name = data.FILES["test"][0]
    part = folder / f".{name}.killed.part"
    part.write_bytes(b"half")
    os.utime(part, (time.time() - 3600, time.time() - 3600))
    with contextlib.suppress(data.MNISTNotFoundError):
        data.download_mnist("test", root=tmp / "stale", mirrors=["http://127.0.0.1:9/"])
    record("stale .part removed", "corrupt" if part.exists() else "ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every probe")
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        probe_inputs()
        probe_arguments()
        probe_numbers()
        probe_checkers()
        probe_files(Path(tmp))
        probe_downloads(Path(tmp))
    counts = Counter(outcome for _, outcome, _ in results)
    for name, outcome, detail in results:
        if args.verbose or outcome != "ok":
            print(f"[{outcome}] {name}: {detail}")
    print(f"\n{len(results)} probes in {time.perf_counter() - start:.0f} s")
    for outcome in ("ok", "silent-wrong", "corrupt", "crash", "unhelpful"):
        print(f"  {outcome:13s} {counts.get(outcome, 0)}")


if __name__ == "__main__":
    main()
