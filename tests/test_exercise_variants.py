"""Every exercise that changes a value or a kind leaves the rest of its notebook running.

Each row of tests/exercise_variants.py is applied to a copy of its notebook, and the copy is
executed top to bottom as scripts/execute_notebook.py does (the root conftest.py sets the
threads, the quick profile and silent progress bars). Slow: one notebook run per variant.
"""

from pathlib import Path

import nbformat
import pytest
from exercise_variants import VARIANTS
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def apply_variant(notebook, cell_id, old, new):
    """The notebook with `old` replaced by `new` in the cell `cell_id`; a stale row fails."""
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    cells = [cell for cell in nb.cells if cell.get("id") == cell_id]
    assert len(cells) == 1, f"{notebook} has no cell with id {cell_id!r}: update the row"
    count = cells[0].source.count(old)
    assert count == 1, f"{notebook} cell {cell_id}: {old!r} occurs {count} times, expected once"
    cells[0].source = cells[0].source.replace(old, new)
    return nb


@pytest.mark.slow
@pytest.mark.parametrize(
    "notebook, cell_id, old, new, what", VARIANTS, ids=[f"{v[0][:2]}:{v[4]}" for v in VARIANTS]
)
def test_exercise_variant_runs(notebook, cell_id, old, new, what):
    nb = apply_variant(notebook, cell_id, old, new)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        lines = str(error).strip().splitlines()
        pytest.fail(f"{notebook} with {what!r} stops: {lines[-1] if lines else error}")


def test_rows_are_well_formed():
    """Every row names a notebook that exists, and changes something."""
    for notebook, cell_id, old, new, what in VARIANTS:
        assert (NOTEBOOKS / notebook).is_file(), notebook
        assert old != new and old and what, (notebook, cell_id)
    assert len({(v[0], v[1], v[2], v[3]) for v in VARIANTS}) == len(VARIANTS), "duplicate row"
