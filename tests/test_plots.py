"""Plot functions return a Figure, print nothing, and accept tensors and arrays."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from vae_teach import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def images_with_ink(n):
    return [torch.rand(n, 1, 28, 28), np.random.rand(n, 28, 28), torch.rand(n, 784)]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_show_images_grid(index, capsys):
    images = images_with_ink(10)[index]
    fig = plots.show_images(images, nrow=4, titles=[str(i) for i in range(10)])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12  # 3 rows of 4, the last two left blank
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10 and shown[3].get_title() == "3"
    assert capsys.readouterr() == ("", "")


def test_show_images_pixels_are_the_images():
    images = torch.rand(2, 1, 5, 5)
    fig = plots.show_images(images)
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), images[1, 0].numpy())


def test_show_images_colour_and_bad_shapes():
    assert plots.show_images(torch.rand(2, 3, 8, 8)).axes[0].images[0].get_array().shape == (
        8,
        8,
        3,
    )
    with pytest.raises(ValueError, match="channels"):
        plots.show_images(torch.rand(2, 2, 8, 8))
    with pytest.raises(ValueError, match="not square"):
        plots.show_images(torch.rand(2, 783))
    with pytest.raises(ValueError, match="titles"):
        plots.show_images(torch.rand(2, 784), titles=["a"])


def test_plot_reconstructions_two_rows():
    x, x_hat = torch.rand(20, 1, 28, 28), torch.rand(20, 784)
    fig = plots.plot_reconstructions(x, x_hat, n=6)
    assert len(fig.axes) == 12
    np.testing.assert_allclose(fig.axes[6].images[0].get_array(), x_hat[0].reshape(28, 28))
    assert fig.axes[0].get_ylabel() == "original"


def test_plot_latent_scatter_one_group_per_label():
    z, labels = torch.randn(300, 2), torch.arange(300) % 10
    fig = plots.plot_latent_scatter(z, labels)
    ax = fig.axes[0]
    assert len(ax.collections) == 10
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(i) for i in range(10)]
    fig2, ax2 = plt.subplots()
    assert plots.plot_latent_scatter(z.numpy(), labels.numpy(), ax=ax2) is fig2
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        plots.plot_latent_scatter(torch.randn(10, 3), labels[:10])
    with pytest.raises(ValueError, match="labels"):
        plots.plot_latent_scatter(torch.randn(10, 2), labels[:9])


def test_plot_history():
    history = {
        "epoch_time": [1.0, 1.0, 1.0],
        "train_loss": [3.0, 2.0, 1.5],
        "train_kl": [1.0, 2.0, 2.5],
        "test_loss": [3.2, 2.1, 1.7],
    }
    fig = plots.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "kl"]
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [3.2, 2.1, 1.7])
    assert len(plots.plot_history(history, keys=["kl"]).axes) == 1
    with pytest.raises(ValueError, match="recon"):
        plots.plot_history(history, keys=["recon"])
