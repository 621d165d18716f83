"""The committed notebooks are clean: what a student opens (or GitHub shows) holds outputs of a
run in order, and nothing of the machine that made them.

Outputs are made by `scripts/execute_notebook.py`, which runs and then tidies each notebook.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_FALLBACK = "Interactive widget: run the notebook in Jupyter to use it."
# Text that must never appear in a committed output, with what it would be.
RESIDUE = {
    r"(/work/|/home/|/tmp/|/root/|C:\\\\Users)": "a path of the machine that ran it",
    r" at 0x[0-9a-f]{6,}": "a memory address",
    r"\d+it/s\]|\d+/\d+ \[\d\d:\d\d": "progress-bar residue",
    r"Warning:|warnings\.warn": "a warning",
    r"Traceback \(most recent call last\)": "a traceback",
}


def outputs_text(cell) -> str:
    """Every text an output of this cell shows (streams, plain text, HTML)."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        for mime in ("text/plain", "text/html"):
            parts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def code_cells(path: Path):
    return [
        c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_residue_in_outputs(path):
    for i, cell in enumerate(code_cells(path)):
        text = outputs_text(cell)
        for pattern, what in RESIDUE.items():
            found = re.search(pattern, text)
            assert not found, f"{path.name}, code cell {i}: {what} in an output: {found.group(0)!r}"
        streams = [o.get("name") for o in cell.get("outputs", []) if o["output_type"] == "stream"]
        assert "stderr" not in streams, f"{path.name}, code cell {i}: output on stderr"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_run_top_to_bottom_and_tidied(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "stale widget state stored in the notebook"
    counts = [c["execution_count"] for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: not one run in order"
    for i, cell in enumerate(code_cells(path)):
        assert "execution" not in cell["metadata"], f"{path.name}, code cell {i}: timestamps"
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                assert "".join(data["text/plain"]) == WIDGET_FALLBACK, f"{path.name}, cell {i}"
