"""NumPy integers and floats are accepted wherever Python ones are (the shared `_checks`)."""

import numpy as np
import pytest
import torch

from vae_teach import disentanglement as dis
from vae_teach import linear_gaussian as lg
from vae_teach.corruption import corrupt
from vae_teach.likelihoods import gaussian_log_likelihood
from vae_teach.models import VAE
from vae_teach.sprites import make_sprites


def test_numpy_scalars_are_accepted():
    codes = np.random.default_rng(0).normal(size=(50, 2))
    assert dis.discretize(codes, np.int64(5)).max() == 4
    mu, logvar = torch.zeros(4, 3), torch.zeros(4, 3)
    assert dis.free_bits_kl(mu, logvar, np.float32(0.5)).item() == pytest.approx(1.5)
    assert dis.linear_beta(np.int64(1), np.int64(2), np.float64(4.0)) == 2.0
    assert VAE(latent_dim=2).sample(np.int64(3)).shape[0] == 3
    assert len(make_sprites(n=np.int64(4), seed=np.int32(1)).images) == 4
    x = torch.full((2, 1, 28, 28), 0.5)
    assert corrupt(x, "gaussian", np.float32(0.1)).shape == x.shape
    assert gaussian_log_likelihood(x, x, np.float32(0.0)).shape == (2,)
    model = lg.LinearGaussian([[1.0]], [0.0], 1.0)
    estimate, _ = lg.mc_elbo(model, torch.tensor([0.5]), [0.0], [[1.0]], np.int64(10))
    assert torch.isfinite(estimate)


@pytest.mark.parametrize("bad", [True, 2.5, "3"])
def test_booleans_and_non_integers_are_refused(bad):
    with pytest.raises(ValueError, match="bins must be an int"):
        dis.discretize(np.zeros((3, 2)), bad)
