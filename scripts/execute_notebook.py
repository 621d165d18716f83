"""Run notebooks top to bottom in place, in the same environment as the test command.

    python scripts/execute_notebook.py notebooks/01_autoencoder.ipynb [more.ipynb ...]

    python scripts/execute_notebook.py --tidy-only notebooks/*.ipynb   # tidy, do not run

This is how the committed outputs are made: the kernel gets the settings of the root
`conftest.py` (fixed threads, quiet progress bars, quick profile), widget state is not stored,
and the wall time of each notebook is printed. Then the notebook is tidied (`tidy`): no
per-cell execution timestamps, and a widget's text fallback (what a reader of the saved file
sees, e.g. on GitHub, instead of the live widget) is one plain sentence, not the repr of its
children with their raw image bytes.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import conftest  # noqa: E402,F401  (sets the environment the kernels inherit)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_FALLBACK = "Interactive widget: run the notebook in Jupyter to use it."


def tidy(nb) -> None:
    """Drop execution timestamps and replace each widget output's text fallback, in place."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                output["data"]["text/plain"] = WIDGET_FALLBACK


def execute(path: Path, timeout: int) -> float:
    """Execute one notebook in place; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    tidy(nb)
    nbformat.write(nb, path)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="per cell, in seconds")
    parser.add_argument("--tidy-only", action="store_true", help="tidy the files, run nothing")
    args = parser.parse_args()
    for path in args.notebooks:
        if args.tidy_only:
            nb = nbformat.read(path, as_version=4)
            tidy(nb)
            nbformat.write(nb, path)
            continue
        seconds = execute(path, args.timeout)
        print(f"{path.name}: {seconds:.1f} s (threads={os.environ['OMP_NUM_THREADS']})")


if __name__ == "__main__":
    main()
