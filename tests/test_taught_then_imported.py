"""Taught, then imported: a function a notebook writes out in full must stay identical to the
package's copy that later notebooks import under the same name."""

import ast
import importlib
import inspect
import json
import textwrap
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# notebook -> the package functions it writes out in full ("module.function").
TAUGHT = {
    "03_elbo.ipynb": ["likelihoods.bernoulli_log_likelihood"],
    "04_reparameterisation.ipynb": ["elbo.reparameterize"],
    "06_vae.ipynb": ["elbo.elbo"],
}


def notebook_function_source(notebook: str, name: str) -> str:
    """The source of `def name(...)` as written in a code cell of the notebook."""
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
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return ast.get_source_segment("\n".join(lines), node)
    raise AssertionError(f"{notebook} has no code cell defining {name}()")


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
