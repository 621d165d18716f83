"""Links to the repository: built from `vae_teach/links.py`, and README, notebooks and
pyproject.toml in sync with it; the Colab cell installs only inside Colab; Binder's file."""

import contextlib
import importlib.util
import io
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from vae_teach import links

ROOT = Path(__file__).resolve().parents[1]


def load_sync_links():
    """Import scripts/sync_links.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("sync_links", ROOT / "scripts" / "sync_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync_links = load_sync_links()


def test_urls_have_the_documented_forms():
    assert links.binder_url("06_vae.ipynb", "me/fork") == (
        "https://mybinder.org/v2/gh/me/fork/HEAD?labpath=notebooks%2F06_vae.ipynb"
    )
    assert links.colab_url("06_vae.ipynb", "me/fork") == (
        "https://colab.research.google.com/github/me/fork/blob/main/notebooks/06_vae.ipynb"
    )
    assert links.pip_requirement("me/fork") == "vae-teach @ git+https://github.com/me/fork"
    badge = links.colab_badge("06_vae.ipynb", "me/fork")
    assert badge.startswith("[![Open in Colab](") and badge.endswith(
        f"]({links.colab_url('06_vae.ipynb', 'me/fork')})"
    )


@pytest.mark.parametrize("repository", ["vae-teach", "a/b/c", "/b", "a/", "a b/c", None])
def test_bad_repository_is_refused(repository):
    with pytest.raises(ValueError, match="repository"):
        links.github_url(repository)


@pytest.mark.parametrize("notebook", ["06_vae", "notebooks/06_vae.ipynb", None])
def test_bad_notebook_name_is_refused(notebook):
    with pytest.raises(ValueError, match="notebook"):
        links.binder_url(notebook)


def test_pip_requirement_names_this_distribution():
    """The Colab cell installs the package that pyproject.toml defines."""
    packaging = pytest.importorskip("packaging.requirements")
    requirement = packaging.Requirement(links.pip_requirement())
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'name = "{requirement.name}"' in pyproject
    assert requirement.url == "git+" + links.github_url()


def run_cell(source: str, in_colab: bool) -> tuple[str, list]:
    """Run an IPython cell as IPython would; return (printed text, magics it called)."""
    python = TransformerManager().transform_cell(source)
    calls = []

    class FakeShell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    saved = {k: sys.modules.get(k) for k in ("google", "google.colab")}
    try:
        for key in saved:
            sys.modules.pop(key, None)
        if in_colab:
            sys.modules["google.colab"] = type(sys)("google.colab")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(python, {"get_ipython": FakeShell})
    finally:
        for key, module in saved.items():
            sys.modules.pop(key, None)
            if module is not None:
                sys.modules[key] = module
    return out.getvalue(), calls


def test_colab_cell_does_nothing_outside_colab():
    printed, calls = run_cell(links.colab_install_cell(), in_colab=False)
    assert printed == "" and calls == []


def test_colab_cell_installs_from_github_inside_colab():
    printed, calls = run_cell(links.colab_install_cell(), in_colab=True)
    assert printed == ""
    assert calls == [("pip", f'install -q "{links.pip_requirement()}"')]


NOTEBOOKS = sync_links.notebook_paths(ROOT)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_starts_with_the_colab_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert sync_links.colab_cell_problem(nb) is None, sync_links.colab_cell_problem(nb)
    assert nb.cells[0].outputs == []


def test_every_notebook_has_a_summary():
    assert [p.name for p in NOTEBOOKS if p.name[:2] not in sync_links.SUMMARIES] == []


def test_readme_and_pyproject_are_in_sync():
    assert sync_links.sync(ROOT, write=False) == [], "run `python scripts/sync_links.py`"


def test_readme_table_lists_every_notebook_with_both_badges():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"({links.NOTEBOOK_DIR}/{path.name})" in readme
        assert links.binder_url(path.name) in readme
        assert links.colab_url(path.name) in readme


def copy_project(tmp_path: Path) -> Path:
    """A throwaway copy of the files sync_links reads and writes."""
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / links.NOTEBOOK_DIR, tmp_path / links.NOTEBOOK_DIR)
    return tmp_path


def test_sync_notices_and_repairs_a_stale_link(tmp_path):
    """The check is not vacuous: a badge left pointing elsewhere is caught, then rewritten."""
    root = copy_project(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text().replace(links.REPOSITORY, "old/name"))
    assert any(line.startswith("README.md") for line in sync_links.sync(root, write=False))
    sync_links.sync(root, write=True)
    assert sync_links.sync(root, write=False) == []
    assert "old/name" not in readme.read_text()


def test_sync_notices_and_repairs_a_stale_colab_cell(tmp_path):
    root = copy_project(tmp_path)
    path = root / links.NOTEBOOK_DIR / "99_made_up.ipynb"
    nb = nbformat.v4.new_notebook()
    stale = links.colab_install_cell().replace(links.REPOSITORY, "old/name")
    nb.cells = [nbformat.v4.new_code_cell(stale), nbformat.v4.new_markdown_cell("# 99 · Made up")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="Installing\n")]
    nbformat.write(nb, path)
    stale_lines = sync_links.sync(root, write=False)
    assert any("99_made_up.ipynb: its first cell differs" in line for line in stale_lines)
    sync_links.sync(root, write=True)
    repaired = nbformat.read(path, as_version=4)
    assert repaired.cells[0].source == links.colab_install_cell()
    assert repaired.cells[0].outputs == [] and len(repaired.cells) == 2


def test_binder_environment_follows_repo2docker_facts():
    """environment.yml at the root (no binder/ folder), CPU torch, the repo installed."""
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    ]
    assert "- --extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert "- -e ." in lines
    assert any(line.startswith("- torch") for line in lines)
    # Binder's base image has ipywidgets 8: never pin it lower there.
    assert not any("ipywidgets" in line for line in lines)
