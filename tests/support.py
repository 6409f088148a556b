"""Helpers of the test suite: build submissions from the release and the source notebooks."""
import ast
import copy
import json
import re
from pathlib import Path

from autograder.course import RELEASE, SOURCE, assignments

HERE = Path(__file__).parent


def load(path):
    return json.loads(Path(path).read_text())


def write(nb, path):
    Path(path).write_text(json.dumps(nb, indent=1))
    return Path(path)


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def release_nb(assignment_id):
    a = assignments()[assignment_id]
    return load(RELEASE / a.id / f"{a.notebook}.ipynb")


def source_nb(assignment_id):
    a = assignments()[assignment_id]
    return load(SOURCE / a.id / f"{a.notebook}.ipynb")


def strip_markers(src):
    """A solution cell's source as a student would write it: the solution without its markers."""
    return "".join(line for line in src.splitlines(keepends=True)
                   if not re.match(r"\s*### (BEGIN|END) SOLUTION", line))


def solved(assignment_id):
    """The release notebook with every solution cell filled in from the source."""
    solutions = {_grade_id(c): "".join(c["source"]) for c in source_nb(assignment_id)["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb(assignment_id))
    for cell in nb["cells"]:
        if _grade_id(cell) in solutions:
            cell["source"] = strip_markers(solutions[_grade_id(cell)])
    return nb


def with_function(nb, name, source):
    """A copy of nb whose solution cell defining `name` defines it with `source` instead."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and re.search(rf"^def {name}\(", src, re.M):
            tree = ast.parse(src)
            lines = src.splitlines(keepends=True)
            node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
            start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
            cell["source"] = "".join(lines[:start]) + source.rstrip() + "\n" + "".join(lines[node.end_lineno:])
            return nb
    raise KeyError(f"no solution cell defines {name}")


def functions_in(path):
    """{name: source} of the top-level functions of a Python file (the correct alternatives)."""
    src = Path(path).read_text()
    return {n.name: ast.get_source_segment(src, n) for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)}
