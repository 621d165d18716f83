"""Shipped weights: checksums, the weights_only loader, clear errors, and that the stored
metadata describes the stored weights."""

import hashlib
import io
from pathlib import Path

import pytest
import torch

from vae_teach import pretrained
from vae_teach.models import VAE, Autoencoder
from vae_teach.pretrained import (
    WeightsError,
    available,
    load_pretrained,
    pretrained_config,
    pretrained_info,
    save_pretrained,
    verify_weights,
)

SHIPPED = ["ae2", "dae2", "vae2", "vae20"]
WEIGHTS = Path(pretrained.__file__).parent / "weights"


def test_the_four_models_are_shipped():
    assert set(SHIPPED) <= set(available())


def test_checksum_files_match_an_independent_hash():
    """verify_weights agrees with hashlib run on the files read from disk directly."""
    digests = verify_weights()
    for name in SHIPPED:
        expected = (WEIGHTS / f"{name}.sha256").read_text().split()[0]
        actual = hashlib.sha256((WEIGHTS / f"{name}.pt").read_bytes()).hexdigest()
        assert digests[name] == actual == expected


def test_size_budget():
    """The MNIST models stay at about 3.3 MB; everything shipped (the sprite models of notebook
    07 too, about 0.6 MB each) stays under 15 MB, the budget of the β-VAE issue."""
    ours = sum((WEIGHTS / f"{name}.pt").stat().st_size for name in SHIPPED)
    everything = sum(p.stat().st_size for p in WEIGHTS.glob("*.pt"))
    assert ours < 3.5e6
    assert everything < 15e6


@pytest.mark.parametrize(
    "name, cls, latent_dim",
    [("ae2", Autoencoder, 2), ("dae2", Autoencoder, 2), ("vae2", VAE, 2), ("vae20", VAE, 20)],
)
def test_load_pretrained_builds_the_right_model(name, cls, latent_dim):
    model = load_pretrained(name)
    assert type(model) is cls and model.latent_dim == latent_dim
    assert not model.training
    assert pretrained_config(name) == model.config
    # float16 on disk, float32 in memory: every weight is exactly a float16 number
    for value in model.state_dict().values():
        assert value.dtype == torch.float32
        assert torch.equal(value, value.half().float())
    info = pretrained_info(name)
    assert info["train"]["profile"] == "full" and info["train"]["n_train"] == 60000
    assert len(info["history"]["train_loss"]) == info["train"]["epochs"]


def test_shipped_vae2_reaches_its_stored_test_loss():
    """The stored test −ELBO is what these weights give on real test digits."""
    data = pytest.importorskip("vae_teach.data")
    try:
        x, _ = data.load_mnist("test", download=False)
    except data.MNISTNotFoundError:
        pytest.skip("MNIST test split not available")
    model = load_pretrained("vae2")
    torch.manual_seed(0)
    with torch.no_grad():
        loss = model.loss(x[:2000])["loss"].item()
    stored = pretrained_info("vae2")["test"]["loss"]
    # 2000 of the 10,000 digits, one z sample each: a few nats of noise at most
    assert abs(loss - stored) < 4.0


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A private weights folder with one small saved model, used instead of the package's."""
    monkeypatch.setattr(pretrained, "weights_folder", lambda: tmp_path)
    torch.manual_seed(0)
    model = VAE(hidden=(8,), latent_dim=2)
    save_pretrained(model, "tiny", folder=tmp_path, history={"train_loss": [3.0, 2.0]})
    return tmp_path, model


def test_round_trip_keeps_float16_weights_and_meta(folder):
    tmp_path, model = folder
    loaded = load_pretrained("tiny")
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value.half().float())
    assert pretrained_info("tiny") == {"history": {"train_loss": [3.0, 2.0]}}
    assert available() == ["tiny"]


def test_a_changed_byte_is_refused_naming_the_file(folder):
    tmp_path, _ = folder
    data = bytearray((tmp_path / "tiny.pt").read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "tiny.pt").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match=r"tiny\.pt does not match tiny\.sha256"):
        load_pretrained("tiny")
    with pytest.raises(WeightsError, match="tiny.pt"):
        verify_weights()


def test_a_missing_checksum_is_refused(folder):
    tmp_path, _ = folder
    (tmp_path / "tiny.sha256").unlink()
    with pytest.raises(WeightsError, match="no checksum file tiny.sha256"):
        load_pretrained("tiny")


def test_unknown_name_lists_the_available_ones(folder):
    with pytest.raises(ValueError, match=r"name must be one of .*'tiny'.*got 'vae3'"):
        load_pretrained("vae3")


def test_pickled_code_is_refused_even_with_a_matching_checksum(folder):
    """weights_only=True: a file that would run code on load is not loaded."""
    tmp_path, _ = folder
    buffer = io.BytesIO()
    torch.save({"format": pretrained.FORMAT, "evil": Path("x")}, buffer)
    (tmp_path / "bad.pt").write_bytes(buffer.getvalue())
    (tmp_path / "bad.sha256").write_text(hashlib.sha256(buffer.getvalue()).hexdigest())
    with pytest.raises(Exception, match="(?i)weights.only|unpickl"):
        load_pretrained("bad")


def test_save_pretrained_checks_its_arguments(tmp_path):
    with pytest.raises(TypeError, match="model must be one of"):
        save_pretrained(torch.nn.Linear(2, 2), "x", folder=tmp_path)
    with pytest.raises(ValueError, match="name must be letters"):
        save_pretrained(VAE(hidden=(4,)), "../x", folder=tmp_path)
