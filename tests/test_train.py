"""The training loop: it learns, it is reproducible, its hooks run, checkpoints round-trip."""

import pytest
import torch

from vae_teach import train
from vae_teach.models import VAE, Autoencoder


def toy_data(n=600, seed=0):
    """Binary 6x6 images made from 3 random patterns: easy to compress, quick to fit."""
    g = torch.Generator().manual_seed(seed)
    patterns = torch.rand(3, 36, generator=g)
    weights = torch.rand(n, 3, generator=g)
    probs = (weights @ patterns / weights.sum(1, keepdim=True)).clamp(0, 1)
    return torch.bernoulli(probs, generator=g).reshape(n, 1, 6, 6)


def small_vae(seed=0, **kwargs):
    torch.manual_seed(seed)
    return VAE(image_shape=(1, 6, 6), hidden=(32,), latent_dim=2, **kwargs)


def test_fit_lowers_the_loss():
    x = toy_data()
    history = train.fit(small_vae(), x[:500], x[500:], epochs=8, batch_size=50, lr=3e-3)
    assert history["train_loss"][-1] < history["train_loss"][0] - 1.0
    assert history["test_loss"][-1] < history["test_loss"][0] - 1.0
    assert set(history) == {
        "epoch_time",
        "train_loss",
        "train_recon",
        "train_kl",
        "test_loss",
        "test_recon",
        "test_kl",
    }
    assert all(len(v) == 8 for v in history.values())


def test_same_seed_gives_identical_history_and_weights():
    x = toy_data()
    runs = []
    for _ in range(2):
        model = small_vae()
        history = train.fit(model, x[:500], x[500:], epochs=2, batch_size=64, seed=3)
        del history["epoch_time"]
        runs.append((history, model.state_dict()))
    assert runs[0][0] == runs[1][0]
    assert all(
        torch.equal(a, b) for a, b in zip(runs[0][1].values(), runs[1][1].values(), strict=True)
    )
    other = train.fit(small_vae(), x[:500], epochs=2, batch_size=64, seed=4)
    assert other["train_loss"] != runs[0][0]["train_loss"]


def test_hooks_corrupt_transform_and_on_epoch_start():
    x = toy_data(200)
    calls = {"corrupt": 0, "transform": 0, "epochs": []}

    def corrupt(xb, generator):
        calls["corrupt"] += 1
        assert isinstance(generator, torch.Generator)
        return xb * (torch.rand(xb.shape, generator=generator) > 0.3)

    def transform(train_x, generator):
        calls["transform"] += 1
        return torch.bernoulli(train_x.clamp(0, 1), generator=generator)

    def on_epoch_start(epoch, model):
        calls["epochs"].append(epoch)
        model.beta = 0.5 * epoch

    model = Autoencoder(image_shape=(1, 6, 6), hidden=(8,), latent_dim=2)
    train.fit(
        model,
        x,
        x[:50],
        epochs=3,
        batch_size=100,
        corrupt=corrupt,
        transform=transform,
        on_epoch_start=on_epoch_start,
    )
    # 2 training batches per epoch plus 1 test batch per epoch
    assert calls == {"corrupt": 9, "transform": 3, "epochs": [0, 1, 2]}
    assert model.beta == 1.0


def test_one_progress_bar_per_run_shows_the_loss_terms(monkeypatch):
    seen = []

    class FakeBar:
        def __init__(self, total, desc, disable):
            seen.append(("init", total, desc, disable))

        def update(self, n=1):
            seen.append(("update", n))

        def set_postfix(self, values, refresh=True):
            seen.append(("postfix", sorted(values)))

        def close(self):
            seen.append(("close",))

    monkeypatch.setattr(train, "tqdm", FakeBar)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    train.fit(small_vae(), toy_data(100), epochs=3, batch_size=50)
    # one bar over 3 epochs x 2 steps, opened once, moved once per step, closed once
    assert [event for event in seen if event[0] == "init"] == [("init", 6, "training", None)]
    assert seen.count(("update", 1)) == 6 and seen.count(("close",)) == 1
    assert ("postfix", ["epoch", "kl", "loss", "recon"]) in seen
    seen.clear()
    train.fit(small_vae(), toy_data(100), epochs=1, batch_size=50, progress=False)
    assert seen == [("init", 2, "training", True), ("close",)]
    seen.clear()
    monkeypatch.setenv("TQDM_DISABLE", "1")
    train.fit(small_vae(), toy_data(100), epochs=1, batch_size=50)
    assert seen == [("init", 2, "training", True), ("close",)]


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    x = toy_data(100)
    model = small_vae(beta=2.0)
    history = train.fit(model, x, epochs=1, batch_size=50)
    path = tmp_path / "sub" / "vae.pt"
    train.save_checkpoint(model, path, history, note="toy", epochs=1)
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"state_dict", "config", "history", "meta"}
    loaded, info = train.load_checkpoint(path)
    assert isinstance(loaded, VAE) and loaded.beta == 2.0 and not loaded.training
    assert info["meta"] == {"note": "toy", "epochs": 1}
    assert info["history"] == history and isinstance(info["history"], train.History)
    torch.testing.assert_close(loaded.encode(x), model.encode(x))


def test_train_or_load_trains_once(tmp_path):
    path = tmp_path / "ae.pt"
    counts = {"make": 0, "train": 0}

    def make_model():
        counts["make"] += 1
        return Autoencoder(image_shape=(1, 6, 6), hidden=(8,))

    def fit_it(model):
        counts["train"] += 1
        return train.fit(model, toy_data(100), epochs=1, batch_size=50)

    first, h1 = train.train_or_load(path, make_model, fit_it)
    second, h2 = train.train_or_load(path, make_model, fit_it)
    assert counts == {"make": 1, "train": 1}
    assert h1 == h2
    x = toy_data(10)
    torch.testing.assert_close(first(x), second(x))


def test_bad_arguments():
    x = toy_data(20)
    model = small_vae()
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, x, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(model, x, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="lr"):
        train.fit(model, x, epochs=1, lr=-1.0)
    with pytest.raises(TypeError, match="train_x"):
        train.fit(model, (x * 255).long(), epochs=1)
    with pytest.raises(ValueError, match="x must have shape"):
        train.fit(model, torch.rand(20, 1, 5, 5), epochs=1)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train.load_checkpoint("does-not-exist.pt")


def test_cosine_schedule_warms_up_then_decays_to_zero():
    total, lr = 200, 0.01
    rates = [train.learning_rate(step, total, lr, "cosine") for step in range(total)]
    warmup = 20  # 10 % of the steps
    # linear warm-up: step k of the warm-up uses lr·(k + 1)/warmup
    assert rates[:warmup] == pytest.approx([lr * (k + 1) / warmup for k in range(warmup)])
    assert max(rates) == pytest.approx(lr)
    # then monotone decay along half a cosine, to ~0 at the last step
    decay = rates[warmup:]
    assert all(a >= b for a, b in zip(decay, decay[1:], strict=False))
    assert decay[len(decay) // 2] == pytest.approx(lr / 2, rel=0.02)
    assert decay[-1] < 1e-3 * lr
    assert [train.learning_rate(s, total, lr) for s in (0, 50, 199)] == [lr] * 3


def test_fit_with_the_cosine_schedule_trains_and_differs_from_constant():
    x = toy_data(600)
    cosine = train.fit(small_vae(), x[:500], x[500:], epochs=4, batch_size=50, schedule="cosine")
    constant = train.fit(small_vae(), x[:500], x[500:], epochs=4, batch_size=50)
    assert cosine["test_loss"][-1] < cosine["test_loss"][0]
    assert cosine["train_loss"] != constant["train_loss"]
    with pytest.raises(ValueError, match="schedule"):
        train.fit(small_vae(), x, epochs=1, schedule="linear")
