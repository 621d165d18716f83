"""Taught, then imported: a function or class a notebook writes out in full must stay
identical to the package's copy that later notebooks import under the same name."""

import ast
import importlib
import inspect
import json
import textwrap
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# notebook -> the package functions and classes it writes out in full ("module.name").
TAUGHT = {
    "01_autoencoder.ipynb": ["models.mlp", "models.Autoencoder", "train.train_step"],
    "03_elbo.ipynb": ["likelihoods.bernoulli_log_likelihood"],
    "04_reparameterisation.ipynb": ["elbo.reparameterize"],
    "06_vae.ipynb": ["elbo.elbo"],
    "08_beyond.ipynb": ["documents.DocumentVAE"],
    "09_conditional_vae.ipynb": ["conditional.ConditionalVAE"],
}


def notebook_function_source(notebook: str, name: str) -> str:
    """The source of `def name(...)` or `class name` as written in a code cell of the notebook."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # IPython magics are not Python: replace each by `pass` at the same indentation.
        lines = [
            line[: len(line) - len(line.lstrip())] + "pass"
            if line.lstrip().startswith(("%", "!"))
            else line
            for line in source.split("\n")
        ]
        tree = ast.parse("\n".join(lines))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
                return ast.get_source_segment("\n".join(lines), node)
    raise AssertionError(f"{notebook} has no code cell defining {name}")


CASES = [(nb, qualname) for nb, names in TAUGHT.items() for qualname in names]


@pytest.mark.parametrize("notebook, qualname", CASES, ids=[f"{n}:{q}" for n, q in CASES])
def test_notebook_copy_matches_package(notebook, qualname):
    module_name, name = qualname.rsplit(".", 1)
    function = getattr(importlib.import_module(f"vae_teach.{module_name}"), name)
    package_source = textwrap.dedent(inspect.getsource(function)).strip()
    assert notebook_function_source(notebook, name).strip() == package_source


def test_the_check_notices_a_difference(tmp_path, monkeypatch):
    """The comparison above is not vacuous: an edited copy is caught."""
    cell = {"cell_type": "code", "source": "def set_seed(seed):\n    return seed + 1\n"}
    (tmp_path / "x.ipynb").write_text(json.dumps({"cells": [cell]}))
    monkeypatch.setattr(__import__(__name__), "NOTEBOOKS", tmp_path)
    with pytest.raises(AssertionError):
        test_notebook_copy_matches_package("x.ipynb", "seeding.set_seed")


def test_the_check_notices_a_changed_class(tmp_path, monkeypatch):
    """A class copy with one line changed is caught too."""
    from vae_teach import models

    source = textwrap.dedent(inspect.getsource(models.Autoencoder))
    edited = source.replace("x.flatten(1)", "x.reshape(len(x), -1)", 1)
    assert edited != source
    (tmp_path / "x.ipynb").write_text(
        json.dumps({"cells": [{"cell_type": "code", "source": edited}]})
    )
    monkeypatch.setattr(__import__(__name__), "NOTEBOOKS", tmp_path)
    with pytest.raises(AssertionError):
        test_notebook_copy_matches_package("x.ipynb", "models.Autoencoder")


@pytest.mark.parametrize("qualname", TAUGHT["01_autoencoder.ipynb"])
def test_taught_copies_show_the_maths_only(qualname):
    """Argument checks live outside what 01 teaches: no raise, no _checks in the copy."""
    module_name, name = qualname.rsplit(".", 1)
    source = inspect.getsource(getattr(importlib.import_module(f"vae_teach.{module_name}"), name))
    assert "raise " not in source and "_checks" not in source


def notebook_cell_defining(notebook: str, name: str) -> str:
    """The source of the code cell of `notebook` that defines the class or function `name`."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and f"class {name}(" in source:
            return source
    raise AssertionError(f"{notebook} has no code cell defining class {name}")


@pytest.mark.parametrize("latent_dim", [2, 20])
def test_the_vae_taught_in_06_computes_what_the_package_vae_computes(latent_dim):
    """06 writes `class VAE` out with the maths only (no argument checks, no β, no Gaussian
    decoder); with the package's weights in it, every method gives the package's numbers."""
    import torch

    from vae_teach import models
    from vae_teach.elbo import elbo

    namespace = {"torch": torch, "elbo": elbo}
    exec(notebook_cell_defining("06_vae.ipynb", "VAE"), namespace)
    package = models.VAE(hidden=(256,), latent_dim=latent_dim)
    taught = namespace["VAE"](latent_dim=latent_dim)
    shapes = {k: tuple(v.shape) for k, v in package.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in taught.state_dict().items()} == shapes
    taught.load_state_dict(package.state_dict())
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0)).round()
    z = torch.randn(5, latent_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for a, b in zip(taught.encode(x), package.encode(x), strict=True):
            assert torch.equal(a, b)
        assert torch.equal(taught.decode(z), package.decode(z))
        assert torch.equal(taught.decode_image(z), package.decode_image(z))
        mu, logvar = package.encode(x)
        gen_a, gen_b = torch.Generator().manual_seed(2), torch.Generator().manual_seed(2)
        assert torch.equal(
            taught.reparameterize(mu, logvar, generator=gen_a),
            package.reparameterize(mu, logvar, generator=gen_b),
        )
        for method in ("forward", "loss"):
            torch.manual_seed(3)
            ours = getattr(taught, method)(x)
            torch.manual_seed(3)
            theirs = getattr(package, method)(x)
            if method == "forward":
                assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))
            else:
                assert ours.keys() == theirs.keys()
                assert all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_the_vae_comparison_notices_a_difference(monkeypatch):
    """The comparison above is not vacuous: a taught VAE whose loss adds the KL is caught."""
    source = notebook_cell_defining("06_vae.ipynb", "VAE")
    assert '"kl": terms.kl.mean()' in source
    edited = source.replace("-terms.elbo.mean()", "-terms.recon.mean()")
    monkeypatch.setattr(__import__(__name__), "notebook_cell_defining", lambda *_: edited)
    with pytest.raises(AssertionError):
        test_the_vae_taught_in_06_computes_what_the_package_vae_computes(2)
