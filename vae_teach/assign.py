"""Instructor tool: nbgrader assignments built from the notebooks' implement exercises.

For each `solutions/NN_name.py` (its `EXERCISES`: exercise number, function name, checker) this
writes an nbgrader *source* notebook, `COURSE/source/NN_name/NN_name.ipynb`: the exercise's text
from the notebook, a locked setup cell, one solution cell per exercise (the reference solution
between `### BEGIN SOLUTION` and `### END SOLUTION`) and one locked autograder cell per exercise
that calls the notebook's own checker from `vae_teach.checkers`. Then it runs nbgrader's
`generate_assignment`, which writes the student version to `COURSE/release/NN_name/` (stubs in
place of the solutions). Grading is nbgrader's own: put submissions in
`COURSE/submitted/STUDENT/NN_name/` and run `nbgrader autograde NN_name` in COURSE.

Points per exercise: 2 if the checker says right, 1 if close, 0 if wrong (the autograder cell
fails, and shows the checker's message).

    vae-teach assign COURSE [NN_name ...]     (needs the instructor extra: nbgrader)
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
POINTS = 2  # per exercise: right 2, close 1, wrong 0

NBGRADER_CONFIG = """\
# nbgrader configuration of this course folder, written by `vae-teach assign`.
c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.course_id = "vae-teach"
c.CourseDirectory.root = {root!r}
# the checkers time a stuck student function out after 10 s per input
c.ExecutePreprocessor.timeout = 120
"""


def solution_files(solutions: Path, names=None) -> list[Path]:
    """The solutions/NN_name.py files with implement exercises (all, or those in `names`)."""
    files = sorted(solutions.glob("[0-9][0-9]_*.py"))
    if names:
        unknown = set(names) - {f.stem for f in files}
        if unknown:
            known = ", ".join(f.stem for f in files)
            raise ValueError(f"no solutions for {sorted(unknown)}; known: {known}")
        files = [f for f in files if f.stem in names]
    return files


def exercises_of(path: Path) -> list[tuple[int, str, str]]:
    """`EXERCISES` of a solution file, read without running it: [(number, function, checker)]."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXERCISES":
            return [tuple(item) for item in ast.literal_eval(node.value)]
    raise ValueError(f"{path} has no EXERCISES list")


def imports_of(source: str) -> str:
    """The top-level import lines of a module's source."""
    lines = source.splitlines()
    nodes = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "\n".join("\n".join(lines[n.lineno - 1 : n.end_lineno]) for n in nodes)


def solution_cell_source(source: str, function: str) -> str:
    """The function `function` of `source`, its body (after the docstring) between nbgrader's
    solution markers, so that generate_assignment leaves the signature and docstring only."""
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            body = node.body
            if ast.get_docstring(node) is not None:
                head, body = lines[node.lineno - 1 : body[0].end_lineno], body[1:]
            else:
                head = lines[node.lineno - 1 : body[0].lineno - 1]
            indent = " " * body[0].col_offset
            code = lines[body[0].lineno - 1 : node.end_lineno]
            return "\n".join(
                [*head, indent + "### BEGIN SOLUTION", *code, indent + "### END SOLUTION"]
            )
    raise ValueError(f"no function {function} in the solution")


def notebook_title_and_exercises(notebook: Path) -> tuple[str, dict[int, str]]:
    """The notebook's title line and {number: text} of its numbered exercises."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    text = "\n\n".join(markdown)
    title = re.search(r"^# (.+)$", text, re.M)
    start = text.find("## Exercises")
    end = text.find("## References", start)
    part = text[start:end] if start >= 0 else ""
    items = list(re.finditer(r"^(?:(\d+)\. \*\*|\*\*(\d+)\. )", part, re.M))
    found = {}
    for item, after in zip(items, [*items[1:], None], strict=True):
        chunk = part[item.start() : after.start() if after else None]
        # an item ends at the first blank line that is not followed by its own indented text
        chunk = re.split(r"\n\s*\n(?! )", chunk.strip())[0]
        # "2. **Title.**" as a list item: drop the number (the heading carries it), dedent
        chunk = re.sub(r"^\d+\. ", "", chunk).replace("\n   ", "\n")
        found[int(item.group(1) or item.group(2))] = chunk
    # a note of its own further down ("Exercise 2: `log_px_z` ... have shape (K, B) ...")
    for cell in markdown:
        note = re.match(r"Exercise (\d+): ", cell)
        if note and int(note.group(1)) in found:
            found[int(note.group(1))] += "\n\n" + cell[note.end() :].strip()
    return (title.group(1) if title else notebook.stem), found


def cell_meta(grade_id: str, solution=False, grade=False, locked=False, points=None) -> dict:
    """nbgrader cell metadata (schema 3)."""
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(solution: Path, notebook: Path) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one notebook's implement exercises."""
    source = solution.read_text(encoding="utf-8")
    exercises = exercises_of(solution)
    title, texts = notebook_title_and_exercises(notebook)
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    intro = (
        f"# {title}: assignment\n\n"
        f"The implement exercises of `notebooks/{notebook.name}`. Fill in each function where "
        "it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`), then run the "
        "cell below it: the checker from `vae_teach.checkers` says right, close or wrong, and "
        f"why. Each exercise is worth {POINTS} points: right {POINTS}, close {POINTS // 2}, "
        "wrong 0."
    )
    checkers = ", ".join(sorted({checker for _, _, checker in exercises}))
    setup = f"{imports_of(source)}\n\nfrom vae_teach.checkers import {checkers}".strip()
    nb.cells = [
        nbformat.v4.new_markdown_cell(intro, metadata=cell_meta("intro", locked=True)),
        nbformat.v4.new_code_cell(setup, metadata=cell_meta("setup", locked=True)),
    ]
    for number, function, checker in exercises:
        text = texts.get(number, f"Exercise {number}: implement `{function}`.")
        nb.cells += [
            nbformat.v4.new_markdown_cell(
                f"## Exercise {number}\n\n{text}",
                metadata=cell_meta(f"exercise{number}_text", locked=True),
            ),
            nbformat.v4.new_code_cell(
                solution_cell_source(source, function),
                metadata=cell_meta(f"exercise{number}_{function}", solution=True),
            ),
            nbformat.v4.new_code_cell(
                # the last value is nbgrader's partial credit; a wrong answer fails the cell
                f"verdict = {checker}({function})\n"
                "print(verdict)\n"
                'assert verdict.status != "wrong", verdict.message\n'
                f'{POINTS} if verdict.status == "right" else {POINTS // 2}',
                metadata=cell_meta(
                    f"exercise{number}_check", grade=True, locked=True, points=POINTS
                ),
            ),
        ]
    return nb


def nbgrader(course: Path, *args: str) -> None:
    """Run the nbgrader command line in the course folder; raise if it fails."""
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs `alembic` (its database migrations) from PATH: this Python's scripts folder
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, PATH=path)
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def build_course(course, names=None, solutions=None, notebooks=None) -> list[str]:
    """Write source notebooks and nbgrader_config.py into `course`, generate the student
    release with nbgrader; return the assignment names."""
    course = Path(course).resolve()
    solutions = Path(solutions or ROOT / "solutions")
    notebooks = Path(notebooks or ROOT / "notebooks")
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course)))
    built = []
    for solution in solution_files(solutions, names):
        name = solution.stem
        notebook = notebooks / f"{name}.ipynb"
        folder = course / "source" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(source_notebook(solution, notebook), folder / f"{name}.ipynb")
        nbgrader(course, "generate_assignment", name, "--force")
        built.append(name)
    return built


def main(argv=None) -> int:
    """`vae-teach assign COURSE [NN_name ...]`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="vae-teach assign",
        description="Build nbgrader assignments (source and student release) from the "
        "notebooks' implement exercises and the reference solutions in solutions/.",
    )
    parser.add_argument("course", help="course folder to write (created if missing)")
    parser.add_argument("names", nargs="*", help="notebooks, e.g. 05_kl_closed_form (all)")
    parser.add_argument("--solutions", help="folder of the solutions (default: the repo's)")
    parser.add_argument("--notebooks", help="folder of the notebooks (default: the repo's)")
    args = parser.parse_args(argv)
    built = build_course(args.course, args.names or None, args.solutions, args.notebooks)
    course = Path(args.course).resolve()
    for name in built:
        print(f"{name}: source/{name}/, student version release/{name}/{name}.ipynb")
    print(
        f"course folder: {course}\n"
        "grade: put each student's notebook in submitted/STUDENT/NAME/, then in that folder\n"
        "  nbgrader autograde NAME && nbgrader export    (scores in grades.csv)"
    )
    return 0
