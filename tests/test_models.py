"""Shapes, losses and bad input of the Autoencoder and the VAE."""

import pytest
import torch

from vae_teach.elbo import elbo
from vae_teach.models import VAE, Autoencoder, build_model


@pytest.fixture
def x():
    return torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def test_autoencoder_shapes(x):
    model = Autoencoder(hidden=(32, 16), latent_dim=3)
    z = model.encode(x)
    assert z.shape == (5, 3)
    logits = model.decode(z)  # decode gives the Bernoulli decoder's logits, as for the VAE
    assert logits.shape == (5, 1, 28, 28) and logits.min() < 0
    x_hat = model.decode_image(z)
    torch.testing.assert_close(x_hat, torch.sigmoid(logits))
    assert model(x).shape == x.shape
    torch.testing.assert_close(model(x), x_hat)
    assert model(x.flatten(1)).shape == (5, 784)
    torch.testing.assert_close(model(x.flatten(1)), model(x).flatten(1))


def test_vae_shapes(x):
    model = VAE(hidden=(32,), latent_dim=4)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 4)
    z = model.reparameterize(mu, logvar)
    assert z.shape == (5, 4)
    assert model.decode(z).shape == (5, 1, 28, 28)
    x_hat, mu2, _ = model(x)
    assert x_hat.shape == x.shape and torch.equal(mu, mu2)
    assert model(x.flatten(1))[0].shape == (5, 784)
    images = model.sample(6, generator=torch.Generator().manual_seed(0))
    assert images.shape == (6, 1, 28, 28) and 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize("image_shape", [(1, 16, 16), (3, 8, 8)])
def test_other_image_sizes(image_shape):
    x = torch.rand(2, *image_shape)
    assert Autoencoder(image_shape, hidden=(8,))(x).shape == x.shape
    model = VAE(image_shape, hidden=(8,), likelihood="gaussian")
    assert model(x)[0].shape == x.shape
    assert model.sample(3).shape == (3, *image_shape)


def test_vae_loss_is_minus_elbo_with_beta(x):
    model = VAE(hidden=(32,), latent_dim=2, beta=3.0)
    torch.manual_seed(1)
    out = model.loss(x)
    torch.manual_seed(1)
    x_hat, mu, logvar = model(x)
    terms = elbo(x, x_hat, mu, logvar, beta=3.0)
    torch.testing.assert_close(out["loss"], -terms.elbo.mean())
    torch.testing.assert_close(out["recon"], -terms.recon.mean())
    torch.testing.assert_close(out["kl"], terms.kl.mean())
    torch.testing.assert_close(out["loss"], out["recon"] + 3.0 * out["kl"])


def test_gaussian_vae_learned_variance_gets_a_gradient(x):
    model = VAE(hidden=(16,), likelihood="gaussian", logvar_x="learned")
    assert any(p is model.logvar_x for p in model.parameters())
    model.loss(x)["loss"].backward()
    assert model.logvar_x.grad is not None and model.logvar_x.grad.abs() > 0
    x_hat = model.decode(torch.zeros(2, 2))
    assert 0 <= x_hat.min() and x_hat.max() <= 1  # Gaussian means live in [0, 1]


def test_autoencoder_loss_and_denoising_target(x):
    model = Autoencoder(hidden=(16,), latent_dim=2)
    out = model.loss(x)
    assert set(out) == {"loss", "recon"} and out["loss"].dim() == 0
    torch.testing.assert_close(model.loss(x, target=x)["loss"], out["loss"])
    noisy = (x + 0.5).clamp(0, 1)
    assert not torch.allclose(model.loss(noisy, target=x)["loss"], model.loss(noisy)["loss"])


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_config_rebuilds_the_same_model(cls, x):
    model = cls(hidden=(16, 8), latent_dim=3)
    clone = build_model(model.config)
    clone.load_state_dict(model.state_dict())
    assert clone.config == model.config
    torch.testing.assert_close(clone.encode(x), model.encode(x))


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
@pytest.mark.parametrize("shape", [(5, 1, 32, 32), (5, 3, 28, 28), (5, 28, 28), (5, 783), (784,)])
def test_wrong_image_size_raises_naming_x(cls, shape):
    model = cls(hidden=(8,))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 28, 28\) or \(B, 784\)"):
        model.encode(torch.zeros(shape))


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_wrong_z_size_and_target_size_raise(cls, x):
    model = cls(hidden=(8,), latent_dim=2)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 2\)"):
        model.decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="target must have shape"):
        model.loss(x, target=x[:, :, :20])


def test_bad_configuration_raises():
    with pytest.raises(ValueError, match="latent_dim"):
        VAE(latent_dim=0)
    with pytest.raises(ValueError, match="image_shape"):
        Autoencoder(image_shape=(28, 28))
    with pytest.raises(ValueError, match="likelihood"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="beta"):
        VAE(beta=-1.0)
    with pytest.raises(ValueError, match="n must be an int ≥ 1"):
        VAE().sample(0)
    with pytest.raises(ValueError, match="config"):
        build_model({"model": "GAN"})


def test_broadcast_decoder_is_one_mlp_applied_at_every_pixel():
    from vae_teach.models import VAE, BroadcastDecoder

    torch.manual_seed(0)
    decoder = BroadcastDecoder(latent_dim=3, image_shape=(1, 4, 5), hidden=(6,))
    z = torch.randn(2, 3)
    logits = decoder(z).reshape(2, 4, 5)
    # pixel (row r, column c) sees u = linspace(−1, 1, 5)[c] across, v = linspace(−1, 1, 4)[r]
    u, v = torch.linspace(-1, 1, 5), torch.linspace(-1, 1, 4)
    for b in range(2):
        for r in range(4):
            for c in range(5):
                one = decoder.net(torch.cat([z[b], torch.stack([u[c], v[r]])]))
                assert torch.allclose(logits[b, r, c], one[0], atol=1e-6)
    vae = VAE(image_shape=(1, 4, 5), hidden=(8,), latent_dim=3, broadcast=(6,))
    assert isinstance(vae.decoder, BroadcastDecoder)
    rebuilt = build_model(vae.config)
    rebuilt.load_state_dict(vae.state_dict())
    assert torch.equal(rebuilt.decode(z), vae.decode(z))
    with pytest.raises(ValueError, match="broadcast"):
        VAE(image_shape=(1, 4, 5), hidden=(8,), latent_dim=3, broadcast=(0,))
