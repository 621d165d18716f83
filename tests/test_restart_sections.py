"""After a restart, the setup cell plus any one numbered section either runs, or stops at the
section's first code cell with `RunFirst` saying what to run first: never a NameError deep
inside the section (see `vae_teach.sections.requires` and CONTRIBUTING.md, "After a restart").

For every notebook and every numbered section `## N. …`, a copy holding the cells before
section 1 (the Colab cell and the setup cell) and that section's cells alone is executed.
"""

import copy
import functools
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HEADING = re.compile(r"^## (?:(\d+)\. |\S)", re.MULTILINE)

# Notebooks not yet conformed to the rule, with the reason (their owners remove the entry).
NOT_YET: dict[str, str] = {}


def split_sections(cells):
    """(preamble cells, {section number: cells}) from a notebook's cells.

    A section starts at the markdown cell holding its `## N.` heading and ends before the
    next level-2 heading (another section, or Summary / Exercises / References).
    """
    preamble, sections, current = [], {}, None
    for cell in cells:
        if cell.cell_type == "markdown":
            for match in HEADING.finditer(cell.source):
                current = int(match.group(1)) if match.group(1) else False
                if current:
                    sections[current] = []
        if current is None:
            preamble.append(cell)
        elif current:
            sections[current].append(cell)
    return preamble, sections


def cases():
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        _, sections = split_sections(nbformat.read(path, as_version=4).cells)
        reason = NOT_YET.get(path.name)
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
        for number in sections:
            yield pytest.param(path.name, number, id=f"{path.stem}:{number}", marks=marks)


@functools.cache
def run_sections(notebook: str) -> dict:
    """Run each section after the preamble alone; {number: (cells, first section cell)}.

    One kernel per notebook: before each section `%reset -f` empties the namespace, which is
    what a restart does to the variables (imported modules stay cached, which only saves
    time), and the preamble runs again.
    """
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    preamble, sections = split_sections(nb.cells)
    spans, cells = {}, []
    for number, section in sections.items():
        cells.append(nbformat.v4.new_code_cell("%reset -f"))
        spans[number] = (len(cells), len(cells) + len(preamble) + len(section))
        cells += [copy.deepcopy(c) for c in preamble + section]
    nb.cells = cells
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    return {number: (cells[a:b], len(preamble)) for number, (a, b) in spans.items()}


def first_error(cells):
    """(index, error output) of the first cell that raised, or (None, None)."""
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                return i, out
    return None, None


@pytest.mark.slow
@pytest.mark.parametrize("notebook, number", list(cases()))
def test_section_runs_or_says_what_to_run_first(notebook, number):
    cells, start = run_sections(notebook)[number]
    failed, error = first_error(cells)
    if failed is None:
        return
    assert failed >= start, f"the setup cell itself failed: {error.ename}: {error.evalue}"
    code = [i for i in range(start, len(cells)) if cells[i].cell_type == "code"]
    assert error.ename == "RunFirst" and failed == code[0], (
        f"section {number} of {notebook}, run after the setup cell alone, fails in its code "
        f"cell {code.index(failed) + 1} with {error.ename}: {error.evalue}; its first code "
        "cell should call requires(..., run=...) naming what it needs from earlier sections"
    )
    assert re.search(r"run (sections?|the )", error.evalue), error.evalue


def test_the_split_finds_sections_and_stops_at_the_summary():
    """The split is not vacuous: sections found in order, Summary cells left out."""
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    cells = [
        code("setup"),
        md("## 1. One"),
        code("a = 1"),
        md("text\n\n## 2. Two"),
        code("b = a"),
        md("## Summary"),
        code("stub"),
    ]
    preamble, sections = split_sections(cells)
    assert [c.source for c in preamble] == ["setup"]
    assert list(sections) == [1, 2]
    assert [c.source for c in sections[2]] == ["text\n\n## 2. Two", "b = a"]
