"""Bad input and faults: nothing silently wrong, nothing half-written (issue 17).

Each test is a probe that once gave a wrong number, a damaged file or an unhelpful error.
"""

import math

import numpy as np
import pytest
import torch

from vae_teach import _checks, checkers, train
from vae_teach.disentanglement import free_bits_kl, total_correlation
from vae_teach.elbo import elbo, importance_weighted_log_px
from vae_teach.estimators import score_function_gradients
from vae_teach.kl import gaussian_kl
from vae_teach.likelihoods import bernoulli_log_likelihood
from vae_teach.linear_gaussian import exact_elbo
from vae_teach.models import VAE, Autoencoder, build_model


def toy_data(n=200, seed=0):
    """Binary 6x6 images, (n, 1, 6, 6) float32."""
    g = torch.Generator().manual_seed(seed)
    return torch.bernoulli(torch.full((n, 1, 6, 6), 0.3), generator=g)


def small_vae(**kwargs):
    torch.manual_seed(0)
    return VAE(image_shape=(1, 6, 6), hidden=(16,), latent_dim=2, **kwargs)


def small_ae():
    torch.manual_seed(0)
    return Autoencoder(image_shape=(1, 6, 6), hidden=(16,), latent_dim=2)


# --- the shared checks ---------------------------------------------------------------------


def test_checks_accept_numpy_numbers_and_refuse_bools():
    assert _checks.positive_int(np.int64(3), "n") == 3
    assert type(_checks.positive_int(np.int32(3), "n")) is int
    assert _checks.positive(np.float32(0.5), "lr") == 0.5
    for bad in (True, np.bool_(True), "3", 3.0, None):
        with pytest.raises(TypeError, match="n must be an int"):
            _checks.positive_int(bad, "n")
    with pytest.raises(ValueError, match=r"n must be an int ≥ 1, got 0"):
        _checks.positive_int(0, "n")
    for bad in (math.inf, -math.inf, math.nan, np.float64("nan")):
        with pytest.raises(ValueError, match="lr must be a finite number"):
            _checks.positive(bad, "lr")
    with pytest.raises(ValueError, match=r"p must lie in \[0.0, 1.0\], got 1.5"):
        _checks.probability(1.5, "p")


def test_plain_converts_numpy_and_refuses_objects():
    meta = {"a": np.float32(1.5), "b": [np.int64(2), (3, np.arange(2))], "c": {"d": "e"}}
    out = _checks.plain(meta)
    assert out == {"a": 1.5, "b": [2, [3, [0, 1]]], "c": {"d": "e"}}
    assert type(out["a"]) is float and type(out["b"][0]) is int
    with pytest.raises(TypeError, match=r"meta\['x'\] must hold only numbers"):
        _checks.plain({"x": object()})


# --- pixels, dtypes, empty batches ---------------------------------------------------------


@pytest.mark.parametrize("value", [-0.5, 1.5, 255.0])
def test_pixels_outside_unit_interval_are_refused_everywhere(value):
    x = toy_data(8)
    x[0, 0, 0, 0] = value
    logits = torch.zeros(8, 36)
    with pytest.raises(ValueError, match=r"x must hold pixel values in \[0, 1\]"):
        bernoulli_log_likelihood(x.reshape(8, -1), logits)
    with pytest.raises(ValueError, match=r"x must hold pixel values in \[0, 1\]"):
        elbo(x.reshape(8, -1), logits, torch.zeros(8, 2), torch.zeros(8, 2))
    for model in (small_vae(), small_ae()):
        with pytest.raises(ValueError, match=r"x must hold pixel values in \[0, 1\]"):
            model.loss(x)
    with pytest.raises(ValueError, match=r"x must hold pixel values in \[0, 1\]"):
        importance_weighted_log_px(small_vae(), x, k=2)
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\]"):
        train.fit(small_ae(), x, epochs=1, progress=False)


def test_nan_pixels_are_refused():
    x = toy_data(8)
    x[3, 0, 2, 2] = math.nan
    for model in (small_vae(), small_ae()):
        with pytest.raises(ValueError, match="x contains NaN or inf"):
            model.loss(x)
    with pytest.raises(ValueError, match="train_x contains NaN or inf"):
        train.fit(small_vae(), x, epochs=1, progress=False)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.bool, torch.int64])
def test_integer_and_bool_images_get_a_clear_error(dtype):
    x = toy_data(8).to(dtype)
    with pytest.raises(TypeError, match=rf"x must be a float32 or float64 tensor, got {dtype}"):
        small_vae().loss(x)
    with pytest.raises(TypeError, match="x.float()"):
        small_ae().loss(x)


def test_float64_images_work_with_float32_models():
    x = toy_data(8)
    for model in (small_vae(), small_ae()):
        torch.manual_seed(1)
        loss32 = model.loss(x)["loss"]
        torch.manual_seed(1)
        loss64 = model.loss(x.double())["loss"]
        torch.testing.assert_close(loss32, loss64)


def test_empty_batch_is_refused_by_name():
    empty = torch.zeros(0, 1, 6, 6)
    for model in (small_vae(), small_ae()):
        with pytest.raises(ValueError, match=r"x is an empty batch, shape \(0, 1, 6, 6\)"):
            model.loss(empty)
    with pytest.raises(ValueError, match="x is an empty batch"):
        bernoulli_log_likelihood(torch.zeros(0, 4), torch.zeros(0, 4))


# --- model and training arguments ------------------------------------------------------------


def test_model_arguments_that_used_to_pass():
    with pytest.raises(ValueError, match="beta must be a finite number"):
        VAE(beta=math.inf)
    with pytest.raises(ValueError, match="logvar_x must be a finite number or 'learned'"):
        VAE(likelihood="gaussian", logvar_x=math.nan)
    with pytest.raises(ValueError, match="logvar_x"):
        VAE(likelihood="gaussian", logvar_x="fixed")
    with pytest.raises(ValueError, match="beta must be a finite number"):
        elbo(torch.rand(2, 4), torch.zeros(2, 4), torch.zeros(2, 2), torch.zeros(2, 2), math.inf)
    # NumPy numbers are as good as Python ones
    model = VAE(
        image_shape=(1, 6, 6), hidden=(np.int64(8),), latent_dim=np.int64(2), beta=np.float32(2)
    )
    assert model.config["latent_dim"] == 2 and type(model.config["latent_dim"]) is int
    assert type(model.config["hidden"][0]) is int and model.beta == 2.0


def test_a_config_asking_for_a_huge_model_is_refused_before_allocating():
    config = {"model": "VAE", "image_shape": [1, 28, 28], "hidden": [200000, 200000]}
    with pytest.raises(ValueError, match=r"parameters \(.* GB\), more than the limit"):
        build_model(config)


def test_fit_refuses_bad_lr_and_seed():
    x = toy_data(20)
    for lr in (math.inf, math.nan, True, 0.0, -1e-3, "1e-3"):
        with pytest.raises(ValueError, match="lr must"):
            train.fit(small_vae(), x, epochs=1, lr=lr, progress=False)
    for seed in (-1, 2**64, 1.5, True):
        with pytest.raises(ValueError, match="seed must"):
            train.fit(small_vae(), x, epochs=1, seed=seed, progress=False)
    history = train.fit(small_vae(), x, epochs=np.int64(1), batch_size=np.int32(10), progress=False)
    assert len(history["train_loss"]) == 1


@pytest.mark.parametrize("lr", [10.0, 1e6])
def test_a_diverging_fit_says_so(lr):
    x = toy_data(200)
    with pytest.raises(train.TrainingDivergedError, match=r"diverged at epoch \d+.*smaller lr"):
        train.fit(small_vae(), x, epochs=20, batch_size=20, lr=lr, progress=False)


def test_evaluate_is_deterministic_including_the_models_sampling():
    model, x = small_vae(), toy_data(64)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = train.evaluate(model, x, seed=0)
    second = train.evaluate(model, x, seed=0)
    assert first == second
    assert train.evaluate(model, x, seed=1) != first
    # the caller's random stream is left as it was
    assert torch.equal(torch.random.get_rng_state(), before)


# --- checkpoints -------------------------------------------------------------------------------


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    good = small_vae()
    train.save_checkpoint(good, path)
    before = path.read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        train.save_checkpoint(small_ae(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no temporary left
    model, _ = train.load_checkpoint(path)
    assert isinstance(model, VAE)


def test_numpy_meta_is_saved_as_plain_python(tmp_path):
    path = tmp_path / "model.pt"
    history = {"train_loss": [np.float32(3.5), np.float64(2.5)]}
    train.save_checkpoint(
        small_vae(), path, history, test_loss=np.float64(1.25), epochs=np.int64(3)
    )
    _, info = train.load_checkpoint(path)
    assert info["meta"] == {"test_loss": 1.25, "epochs": 3}
    assert info["history"]["train_loss"] == [3.5, 2.5]
    with pytest.raises(TypeError, match=r"meta\['bad'\] must hold only numbers"):
        train.save_checkpoint(small_vae(), tmp_path / "other.pt", bad=object())
    assert not (tmp_path / "other.pt").exists()


def test_load_checkpoint_errors_name_the_file_and_the_problem(tmp_path):
    good = tmp_path / "good.pt"
    train.save_checkpoint(small_vae(), good)
    data = good.read_bytes()
    cases = {
        "empty.pt": (b"", "is empty"),
        "text.pt": (b"this is not a checkpoint\n", "is a text file"),
        "truncated.pt": (data[: len(data) // 2], "truncated or damaged"),
        "binary.pt": (bytes(range(256)) * 4, "not a torch checkpoint"),
    }
    for name, (content, problem) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(train.CheckpointError, match=rf"{name}.*{problem}"):
            train.load_checkpoint(tmp_path / name)
    foreign = tmp_path / "foreign.pt"
    torch.save({101: torch.zeros(2)}, foreign)
    with pytest.raises(
        train.CheckpointError, match=r"foreign.pt was not written by save_checkpoint"
    ):
        train.load_checkpoint(foreign)
    huge = tmp_path / "huge.pt"
    torch.save({"config": {"model": "VAE", "hidden": [200000, 200000]}, "state_dict": {}}, huge)
    with pytest.raises(train.CheckpointError, match=r"huge.pt holds an unusable config.*limit"):
        train.load_checkpoint(huge)
    mismatch = tmp_path / "mismatch.pt"
    torch.save(
        {"config": dict(small_ae().config), "state_dict": small_vae().state_dict()}, mismatch
    )
    with pytest.raises(train.CheckpointError, match=r"mismatch.pt: the weights do not fit"):
        train.load_checkpoint(mismatch)


def test_train_or_load_checks_the_folder_before_training(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the folder should be")
    calls = []

    def make():
        calls.append("make")
        return small_ae()

    with pytest.raises(PermissionError, match="cannot write into the folder"):
        train.train_or_load(blocker / "model.pt", make, lambda m: calls.append("train"))
    assert calls == []


# --- checkers: one rule, and always a verdict ---------------------------------------------------


def reference_reconstruction_loss(x, x_hat):
    # BCE summed over pixels, mean over the batch
    bce = -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat))
    return bce.reshape(len(x), -1).sum(1).mean()


def first_tensor(args):
    return next(a for a in args if isinstance(a, torch.Tensor))


# each checker with the reference it is checked against (an honest student's function)
CHECKERS = {
    "reconstruction_loss": (checkers.check_reconstruction_loss, reference_reconstruction_loss),
    "exact_elbo": (checkers.check_linear_gaussian_elbo, exact_elbo),
    "score_function_gradients": (
        checkers.check_score_function_gradients,
        score_function_gradients,
    ),
    "gaussian_kl": (checkers.check_gaussian_kl, gaussian_kl),
    "importance_weighted_bound": (
        checkers.check_importance_weighted_bound,
        checkers.importance_weighted_bound,
    ),
    "free_bits_kl": (checkers.check_free_bits, free_bits_kl),
    "total_correlation": (checkers.check_total_correlation, total_correlation),
}


@pytest.mark.parametrize("name", list(CHECKERS))
def test_every_checker_sees_inputs_edited_in_place_after_computing(name):
    check, reference = CHECKERS[name]
    assert check(reference).status == "right"

    def sneaky(*args):
        out = reference(*args)
        first_tensor(args).add_(1.0)  # the caller's tensor is changed after the answer
        return out

    verdict = check(sneaky)
    assert verdict.status == "close" and "in place" in verdict.message


def test_a_small_slip_or_an_epsilon_clamp_is_close_in_every_checker():
    check = checkers.check_reconstruction_loss
    assert check(lambda x, x_hat: 1.001 * reference_reconstruction_loss(x, x_hat)).status == (
        "close"
    )
    for eps in (1e-7, 1e-5, 1e-3):
        verdict = check(
            lambda x, x_hat, eps=eps: reference_reconstruction_loss(x, x_hat.clamp(eps, 1 - eps))
        )
        assert verdict.status in ("right", "close"), (eps, verdict)
    assert checkers.check_gaussian_kl(lambda m, v: 1.001 * gaussian_kl(m, v)).status == "close"
    # log(σ² + ε) instead of log σ²: KL of the prior itself moves from 0 to about −ε/2 per dim
    eps_kl = lambda m, v: 0.5 * (m**2 + v.exp() - 1 - torch.log(v.exp() + 1e-6)).sum(-1)  # noqa: E731
    assert checkers.check_gaussian_kl(eps_kl).status in ("right", "close")
    # a real mistake stays wrong
    assert checkers.check_gaussian_kl(lambda m, v: 2 * gaussian_kl(m, v)).status == "wrong"


def test_complex_sparse_and_meta_answers_get_a_verdict():
    check = checkers.check_gaussian_kl
    verdict = check(lambda m, v: gaussian_kl(m, v) + 5j)
    assert verdict.status == "wrong" and "complex" in verdict.message
    assert check(lambda m, v: gaussian_kl(m, v).to(torch.complex128)).status == "wrong"
    assert check(lambda m, v: gaussian_kl(m, v).to_sparse()).status == "right"
    verdict = check(lambda m, v: torch.empty(len(m), device="meta"))
    assert verdict.status == "wrong" and "meta" in verdict.message
    # the statistical checker of 02 too
    salt = checkers.check_salt_and_pepper
    verdict = salt(lambda x, fraction: torch.empty(x.shape, device="meta"))
    assert verdict.status == "wrong" and "meta" in verdict.message
    verdict = salt(lambda x, fraction: x + 5j)
    assert verdict.status == "wrong" and "complex" in verdict.message


def test_exit_loops_and_floods_of_printing_still_get_a_verdict(capsys, monkeypatch):
    import sys

    def exits(mu, logvar):
        sys.exit(1)

    verdict = checkers.check_gaussian_kl(exits)
    assert verdict.status == "wrong" and "sys.exit()" in verdict.message

    monkeypatch.setattr(checkers, "TIME_LIMIT", 0.3)

    def loops(mu, logvar):
        while True:
            try:
                pass
            except Exception:  # a student's catch-all must not swallow the time limit
                pass

    verdict = checkers.check_gaussian_kl(loops)
    assert verdict.status == "wrong" and "took too long" in verdict.message
    verdict = checkers.check_reconstruction_loss(lambda x, x_hat: loops(x, x_hat))
    assert verdict.status == "wrong" and "took too long" in verdict.message

    def chatty(mu, logvar):
        for i in range(100_000):
            print("line", i)
        return gaussian_kl(mu, logvar)

    monkeypatch.setattr(checkers, "TIME_LIMIT", 60.0)  # printing 100,000 lines takes a while
    capsys.readouterr()
    assert checkers.check_gaussian_kl(chatty).status == "right"
    shown = capsys.readouterr().out
    assert len(shown.splitlines()) < 100 and "99,980 more lines" in shown


def test_the_time_limit_works_off_the_main_thread_too(monkeypatch):
    import threading

    monkeypatch.setattr(checkers, "TIME_LIMIT", 0.3)
    verdicts = []

    def slow(mu, logvar):
        import time

        time.sleep(2)
        return gaussian_kl(mu, logvar)

    worker = threading.Thread(target=lambda: verdicts.append(checkers.check_gaussian_kl(slow)))
    worker.start()
    worker.join(10)
    assert verdicts and "took too long" in verdicts[0].message


# --- shipped weights ---------------------------------------------------------------------------


def test_save_pretrained_is_atomic_and_converts_numpy_meta(tmp_path, monkeypatch):
    from vae_teach import pretrained

    monkeypatch.setattr(pretrained, "weights_folder", lambda: tmp_path)
    pretrained.save_pretrained(small_vae(), "tiny", folder=tmp_path, test_loss=np.float32(2.5))
    assert pretrained.pretrained_info("tiny") == {"test_loss": 2.5}
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(fd):  # the data was written, but never reaches the disk
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(_checks.os, "fsync", disk_full)
        with pytest.raises(OSError, match="No space left"):
            pretrained.save_pretrained(small_ae(), "tiny", folder=tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert isinstance(pretrained.load_pretrained("tiny"), VAE)
    with pytest.raises(TypeError, match=r"meta\['bad'\] must hold only numbers"):
        pretrained.save_pretrained(small_vae(), "other", folder=tmp_path, bad=object())
    assert not (tmp_path / "other.pt").exists()


# --- widgets, the linear-Gaussian lab, plots, disentanglement ----------------------------------


@pytest.mark.parametrize(
    "W, b, sigma",
    [
        ([[3.0], [-2.5]], [8.0, -6.0], 0.3),
        ([[0.2], [0.1]], [0.0, 0.0], 0.05),
        ([[40.0]], [0.0], 1.0),
    ],
)
def test_elbolab_q_equals_posterior_reaches_a_gap_of_zero(W, b, sigma):
    from vae_teach.linear_gaussian import LinearGaussian
    from vae_teach.widgets import ELBOLab

    model = LinearGaussian(W, b, sigma)
    x = torch.as_tensor(b, dtype=torch.float64) + 4.0 * torch.as_tensor(W)[:, 0]
    lab = ELBOLab(model, x)
    lab.button.click()
    values = lab.values()
    assert abs(values["gap"]) < 1e-9
    assert values["elbo"] == pytest.approx(values["log_px"], abs=1e-9)


def test_slider_errors_name_the_argument_and_refuse_step_zero():
    from vae_teach.linear_gaussian import LinearGaussian
    from vae_teach.widgets import ELBOLab
    from vae_teach.widgets.base import slider

    model = LinearGaussian([[1.0], [0.5]], [0.0, 0.0], 0.8)
    x = torch.tensor([0.5, 0.2], dtype=torch.float64)
    with pytest.raises(ValueError, match=r"mean must lie in \[-3.0, 3.0\], got 7.0"):
        ELBOLab(model, x, mean=7.0)
    with pytest.raises(ValueError, match=r"std must lie in"):
        ELBOLab(model, x, std=0.0)
    lab = ELBOLab(model, x)
    with pytest.raises(ValueError, match="mean must lie in"):
        lab.set(mean=100.0)
    with pytest.raises(ValueError, match="the step of mean must lie in"):
        slider("mean", "q mean", -1.0, 1.0, 0)
    with pytest.raises(ValueError, match="the step of level must"):
        slider("level", "noise level", 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"the range of level must have min < max"):
        slider("level", "noise level", 1.0, 1.0, 0.05)


def test_latent_sliders_refuse_an_infinite_range_and_collapsed_codes_say_so():
    from vae_teach.widgets import LatentExplorer, TraversalExplorer

    model = small_ae()
    with pytest.raises(ValueError, match="z_range must be two finite numbers"):
        TraversalExplorer(model, torch.rand(3, 1, 6, 6), z_range=(-3.0, math.inf))
    collapsed = np.ones((50, 2))
    with pytest.raises(ValueError, match=r"the codes have collapsed.*pass z_range=\(low, high\)"):
        LatentExplorer(model, codes=collapsed)
    explorer = LatentExplorer(model, codes=collapsed, z_range=(-1.0, 3.0))
    assert explorer.z_range == (-1.0, 3.0)
    with pytest.raises(ValueError, match=r"z1 must lie in \[-1.0, 3.0\], got 9.0"):
        explorer.sliders[0].value = 9.0
    with pytest.raises(ValueError, match="z must be 2 finite numbers"):
        explorer.set_base([0.0, float("nan")])


def test_linear_gaussian_refuses_infinite_sigma_and_nan_weights():
    from vae_teach.linear_gaussian import LinearGaussian

    for sigma in (math.inf, math.nan, 0.0, True):
        with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
            LinearGaussian([[1.0]], [0.0], sigma)
    with pytest.raises(ValueError, match="W must hold finite numbers"):
        LinearGaussian([[math.nan], [1.0]], [0.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="b must hold finite numbers"):
        LinearGaussian([[1.0]], [math.inf], 1.0)
    assert LinearGaussian([[1.0]], [0.0], np.float32(0.5)).sigma == 0.5


def test_show_images_and_tile_images_refuse_nrow_zero():
    from vae_teach.plots import show_images
    from vae_teach.widgets import tile_images

    images = torch.rand(4, 1, 5, 5)
    for nrow in (0, -2, 2.5):
        with pytest.raises(ValueError, match="nrow must be an int"):
            show_images(images, nrow=nrow)
        with pytest.raises(ValueError, match="nrow must be an int"):
            tile_images(images, nrow=nrow)


def test_mig_and_linear_beta_refuse_what_used_to_pass():
    from vae_teach.disentanglement import linear_beta, mig

    factors = np.repeat(np.arange(4), 25)[:, None]
    codes = np.random.default_rng(0).normal(size=(100, 3))
    codes[5, 1] = np.nan
    with pytest.raises(ValueError, match="codes must be finite"):
        mig(codes, factors)
    with pytest.raises(ValueError, match="epoch must be an int ≥ 0, got -1"):
        linear_beta(-1, 10)
    with pytest.raises(ValueError, match="beta_max must be a finite number"):
        linear_beta(3, 10, beta_max=math.inf)
    assert linear_beta(np.int64(5), 10) == 0.5


def test_an_alarm_set_before_a_check_is_put_back():
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no SIGALRM on this platform")

    def handler(signum, frame):
        pass

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)  # e.g. a test runner's own timeout
        assert checkers.check_gaussian_kl(gaussian_kl).status == "right"
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 20.0 < remaining <= 30.0
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
