"""The instructor's solutions (solutions/, outside notebooks/): each code solution is executed
and marked right by the notebook's own checker; every exercise of every notebook has an answer.

`solutions/NN_name.py` holds the implement exercises (its `EXERCISES` lists exercise number,
function name and checker); `solutions/NN_name.md` holds a worked answer for every exercise,
under a heading `## Exercise N`.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from vae_teach import checkers

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
# Notebooks whose worked answers (.md) are still to be written: expected to fail that test.
NOT_YET: dict[str, str] = {}
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WITH_ANSWERS = [
    pytest.param(
        path,
        id=path.stem,
        marks=[pytest.mark.xfail(reason=NOT_YET[path.stem])] if path.stem in NOT_YET else [],
    )
    for path in NOTEBOOKS
]


def load_solution(path: Path):
    """Import solutions/NN_name.py (a file name that is not a module name) as a module."""
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exercises_text(notebook: Path) -> str:
    """The notebook's Markdown from its "## Exercises" heading up to "## References"."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    start = text.find("## Exercises")
    if start < 0:
        return ""
    end = text.find("## References", start)
    return text[start : end if end > 0 else None]


def notebook_exercises(notebook: Path) -> dict[int, str]:
    """{number: first line} of the numbered exercises ("1. **Title.**" or "**1. Title.**")."""
    found = {}
    item = re.compile(r"^(?:(\d+)\. \*\*|\*\*(\d+)\. )(.+)$", re.M)
    for match in item.finditer(exercises_text(notebook)):
        found[int(match.group(1) or match.group(2))] = match.group(3)
    return found


def notebook_checkers(notebook: Path) -> set[str]:
    """Names of the vae_teach.checkers functions the notebook's exercise cells call."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return {name for name in re.findall(r"\b(check_\w+)\(", code) if hasattr(checkers, name)}


CODE_SOLUTIONS = [
    pytest.param(path, number, function, checker, id=f"{path.stem}-exercise{number}")
    for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.py"))
    for number, function, checker in load_solution(path).EXERCISES
]


@pytest.mark.parametrize("path, number, function, checker", CODE_SOLUTIONS)
def test_code_solution_is_right(path, number, function, checker):
    verdict = getattr(checkers, checker)(getattr(load_solution(path), function))
    assert verdict.status == "right", str(verdict)


@pytest.mark.parametrize("path, number, function, checker", CODE_SOLUTIONS)
def test_the_checker_refuses_the_stub(path, number, function, checker):
    # The same checker on the notebook's unfilled stub: the test above could not pass by a
    # checker that says right to anything.
    def stub(*args, **kwargs):
        raise NotImplementedError

    assert getattr(checkers, checker)(stub).status == "wrong"


@pytest.mark.parametrize("notebook", WITH_ANSWERS)
def test_every_exercise_has_an_answer(notebook):
    numbers = notebook_exercises(notebook)
    answers = SOLUTIONS / f"{notebook.stem}.md"
    if not numbers:
        pytest.skip(f"{notebook.name} has no exercises")
    assert answers.is_file(), f"no worked answers for {notebook.name}: {answers}"
    headings = {int(n) for n in re.findall(r"^## Exercise (\d+)\b", answers.read_text(), re.M)}
    assert headings == set(numbers), f"{answers.name}: answers {headings}, exercises {numbers}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_implement_exercise_has_code(notebook):
    # Each checker the notebook calls is covered by a code solution for that notebook.
    rows = [c.values for c in CODE_SOLUTIONS]
    covered = {checker for path, _, _, checker in rows if path.stem == notebook.stem}
    assert notebook_checkers(notebook) <= covered, f"{notebook.name}: code solutions missing"
