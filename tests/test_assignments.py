"""The assignment release, graded by nbgrader itself (the instructor extra): no mock.

`vae-teach assign` builds notebook 05's assignment (the Gaussian KL exercise) with nbgrader's
`generate_assignment`; four students hand it in: the reference solution, a 0.1 % slip
(close), a known mistake (the ½ missing: wrong) and the untouched stub. nbgrader's
`autograde` executes each submission, `export` writes grades.csv, and the scores must be
2, 1, 0 and 0 out of 2.
"""

import ast
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vae_teach import assign

ROOT = Path(__file__).resolve().parents[1]
NAME = "05_kl_closed_form"
FUNCTION = "gaussian_kl_mine"
SOLUTION = (ROOT / "solutions" / f"{NAME}.py").read_text(encoding="utf-8")
BODY = "    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)"
# student -> the body they wrote (None: the stub as released), and the expected score
SUBMISSIONS = {
    "reference": (None, 2.0),  # the solution file's own function, see below
    "slip": (BODY + " * 1.001", 1.0),
    "no_half": (BODY.replace("0.5 * ", ""), 0.0),
    "untouched": (None, 0.0),
}


def nbgrader(course: Path, *args: str) -> str:
    """The real nbgrader command line, in the course folder; its output, or a failure."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=dict(os.environ, PATH=path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"nbgrader {args[0]} failed:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def solution_cell(cells: list) -> dict:
    """The one solution cell of the exercise's function."""
    (cell,) = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    return cell


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    assert assign.build_course(course, [NAME]) == [NAME]
    return course


def test_the_release_has_the_stub_not_the_solution(course):
    release = json.loads((course / "release" / NAME / f"{NAME}.ipynb").read_text())
    cell = "".join(solution_cell(release["cells"])["source"])
    assert f"def {FUNCTION}(mu, logvar):" in cell and "YOUR CODE HERE" in cell
    assert "logvar.exp()" not in cell and "BEGIN SOLUTION" not in cell
    checks = [c for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(checks) == 1 and "check_gaussian_kl(gaussian_kl_mine)" in "".join(
        checks[0]["source"]
    )


def test_nbgrader_grades_right_close_wrong_and_untouched(course):
    release = course / "release" / NAME / f"{NAME}.ipynb"
    reference = assign.solution_cell_source(SOLUTION, FUNCTION)
    for marker in ("    ### BEGIN SOLUTION\n", "\n    ### END SOLUTION"):
        reference = reference.replace(marker, "")
    for student, (body, _) in SUBMISSIONS.items():
        nb = json.loads(release.read_text())
        cell = solution_cell(nb["cells"])
        stub = "".join(cell["source"])
        if student == "reference":
            cell["source"] = reference
        elif body is not None:
            head = stub.split("    # YOUR CODE HERE")[0]
            cell["source"] = head + body + "\n"
        folder = course / "submitted" / student / NAME
        folder.mkdir(parents=True)
        (folder / f"{NAME}.ipynb").write_text(json.dumps(nb))
    nbgrader(course, "autograde", NAME)  # as the README says: students are added as found
    nbgrader(course, "export", "--to=grades.csv")
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    scores = {student: float(rows[student]["score"]) for student in SUBMISSIONS}
    assert scores == {student: score for student, (_, score) in SUBMISSIONS.items()}
    assert {float(rows[s]["max_score"]) for s in SUBMISSIONS} == {2.0}


@pytest.mark.parametrize(
    "solution", sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem
)
def test_every_source_notebook_gives_full_marks_to_its_solution(solution):
    # Without nbgrader (that is the test above, for one notebook): the source notebook's cells
    # run in order in one namespace, as nbgrader's autograder runs them on a submission that is
    # the reference solution; every autograder cell must give full points.
    nb = assign.source_notebook(solution, ROOT / "notebooks" / f"{solution.stem}.ipynb")
    namespace, points = {}, []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata["nbgrader"]
        tree = ast.parse(cell.source)
        if meta["grade"]:
            exec(compile(ast.Module(tree.body[:-1], []), "<check>", "exec"), namespace)
            value = eval(compile(ast.Expression(tree.body[-1].value), "<check>", "eval"), namespace)
            points.append((value, meta["points"]))
        else:
            exec(compile(tree, "<cell>", "exec"), namespace)
    assert points and all(value == full == assign.POINTS for value, full in points), points
