"""Where the collection lives online: the one place that names the repository.

A fork changes `REPOSITORY` (and `BRANCH` if needed), then runs `python scripts/sync_links.py`
to rewrite the README's notebook table, every notebook's first (Colab) cell and the project
URL in `pyproject.toml`. `tests/test_links.py` fails while any of them is out of sync.
"""

from urllib.parse import quote

# "owner/name" on GitHub; every Binder link, Colab link and install command is built from it.
REPOSITORY = "vae-teach/vae-teach"
# The branch Colab opens notebooks from (Binder always opens HEAD, the default branch).
BRANCH = "main"
# Folder of the notebooks, relative to the repository root.
NOTEBOOK_DIR = "notebooks"
# Distribution name in pyproject.toml (pip's name for the package, not the import name).
DISTRIBUTION = "vae-teach"

BINDER_BADGE_IMAGE = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def _check_repository(repository: str) -> str:
    """Return `repository` if it has the form "owner/name", else raise ValueError."""
    parts = repository.split("/") if isinstance(repository, str) else []
    if len(parts) != 2 or not all(parts) or any(c.isspace() for c in repository):
        raise ValueError(f'repository must be "owner/name", got {repository!r}')
    return repository


def _check_notebook(notebook: str) -> str:
    """Return the file name `notebook` (e.g. "06_vae.ipynb") or raise ValueError."""
    if not isinstance(notebook, str) or not notebook.endswith(".ipynb") or "/" in notebook:
        raise ValueError(f'notebook must be a file name like "06_vae.ipynb", got {notebook!r}')
    return notebook


def github_url(repository: str = REPOSITORY) -> str:
    """The repository's GitHub page."""
    return f"https://github.com/{_check_repository(repository)}"


def pip_requirement(repository: str = REPOSITORY) -> str:
    """What `pip install` takes to install the package straight from GitHub."""
    return f"{DISTRIBUTION} @ git+{github_url(repository)}"


def binder_url(notebook: str, repository: str = REPOSITORY) -> str:
    """Binder link that builds the repository and opens `notebook` in JupyterLab."""
    path = quote(f"{NOTEBOOK_DIR}/{_check_notebook(notebook)}", safe="")
    return f"https://mybinder.org/v2/gh/{_check_repository(repository)}/HEAD?labpath={path}"


def colab_url(notebook: str, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """Colab link that opens `notebook` from GitHub."""
    repo = _check_repository(repository)
    return (
        f"https://colab.research.google.com/github/{repo}/blob/{branch}/"
        f"{NOTEBOOK_DIR}/{_check_notebook(notebook)}"
    )


def binder_badge(notebook: str, repository: str = REPOSITORY) -> str:
    """Markdown badge linking to `binder_url`."""
    return f"[![Binder]({BINDER_BADGE_IMAGE})]({binder_url(notebook, repository)})"


def colab_badge(notebook: str, repository: str = REPOSITORY) -> str:
    """Markdown badge linking to `colab_url`."""
    return f"[![Open in Colab]({COLAB_BADGE_IMAGE})]({colab_url(notebook, repository)})"


def colab_install_cell(repository: str = REPOSITORY) -> str:
    """Source of every notebook's first cell: installs the package in Colab, nothing elsewhere."""
    return (
        "# Colab only: install vae_teach from GitHub (prints nothing elsewhere).\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "{pip_requirement(repository)}"'
    )
