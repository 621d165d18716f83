"""The traversal widget of notebook 07 (explorer.py, traversals section), driven from code."""

import numpy as np
import pytest
import torch

from vae_teach.explorer import TraversalExplorer, traversal_grid
from vae_teach.models import VAE


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VAE(image_shape=(1, 12, 12), hidden=(16,), latent_dim=4).eval()


@pytest.fixture(scope="module")
def images():
    return torch.rand((10, 1, 12, 12), generator=torch.Generator().manual_seed(1))


def test_traversal_grid_moves_one_coordinate_per_row(model):
    z = np.array([0.1, -0.2, 0.3, 0.0], dtype=np.float32)
    values = np.linspace(-2, 2, 5)
    grid = traversal_grid(model, z, [2, 0], values)
    assert grid.shape == (10, 1, 12, 12)
    # row 0, column 3 is z with z_3 = values[3]: decode it directly
    expected = z.copy()
    expected[2] = values[3]
    with torch.no_grad():
        direct = model.decode_image(torch.tensor(expected)[None])[0]
    torch.testing.assert_close(grid[3], direct)
    with pytest.raises(ValueError, match="dims"):
        traversal_grid(model, z, [4], values)
    with pytest.raises(ValueError, match="z must have"):
        traversal_grid(model, z[:3], [0], values)


def test_explorer_starts_at_the_encoded_base_image(model, images):
    explorer = TraversalExplorer(model, images, index=3)
    with torch.no_grad():
        mu = model.encode(images[3:4])[0][0].numpy()
    np.testing.assert_allclose(explorer.z, mu, atol=1e-6)
    assert len(explorer.sliders) == 4 and explorer.moved() == {}
    assert "base #3; moved: none" in explorer.digest()


def test_moving_one_slider_changes_only_that_latent(model, images):
    explorer = TraversalExplorer(model, images, index=0)
    before, image_before = explorer.z, explorer.image.copy()
    explorer.sliders[1].value = 2.5
    after = explorer.z
    assert after[1] == pytest.approx(2.5)
    np.testing.assert_array_equal(np.delete(after, 1), np.delete(before, 1))
    assert explorer.moved() == {1: pytest.approx(2.5)}
    assert not np.allclose(explorer.image, image_before)
    assert "moved: z2=+2.50" in explorer.digest()
    explorer.reset()
    assert explorer.moved() == {}
    np.testing.assert_allclose(explorer.image, image_before, atol=1e-6)


def test_choosing_another_base_image_and_the_index_box(model, images):
    explorer = TraversalExplorer(model, images)
    explorer.index_box.value = 7  # as a student typing a number
    assert explorer.index == 7
    with torch.no_grad():
        mu = model.encode(images[7:8])[0][0].numpy()
    np.testing.assert_allclose(explorer.z, mu, atol=1e-6)
    with pytest.raises(ValueError, match="index must be"):
        explorer.choose(10)


def test_dims_kl_labels_sizes_and_traverse(model, images):
    kl = np.array([0.0, 2.5, 0.01, 1.0])
    explorer = TraversalExplorer(model, images, dims=[1, 3], kl=kl, size="presenter")
    assert len(explorer.sliders) == 2
    assert explorer.sliders[0].description == "z₂ (KL 2.5)"
    assert explorer.widget is not None and "size presenter" in explorer.digest()
    strip = explorer.traverse(3, n=5)
    assert strip.shape == (5, 1, 12, 12)
    with pytest.raises(ValueError, match="kl must have"):
        TraversalExplorer(model, images, kl=[1.0, 2.0])
    with pytest.raises(ValueError, match="images must be"):
        TraversalExplorer(model, images[0])
