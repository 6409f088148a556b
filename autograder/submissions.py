"""Build submissions from the course's notebooks: the solved release, and the solved release with
one function replaced. The test suite and the sample class both make their notebooks with these.
"""
import ast
import copy
import json
import re

from .course import RELEASE, SOURCE, assignments


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def release_nb(assignment_id):
    a = assignments()[assignment_id]
    return json.loads((RELEASE / a.id / f"{a.notebook}.ipynb").read_text())


def source_nb(assignment_id):
    a = assignments()[assignment_id]
    return json.loads((SOURCE / a.id / f"{a.notebook}.ipynb").read_text())


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


def solution_functions(nb):
    """[(cell index, function name, argument list)] of the functions the solution cells define."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell.get("cell_type") == "code":
            for node in ast.parse("".join(cell["source"])).body:
                if isinstance(node, ast.FunctionDef):
                    found.append((i, node.name, ast.unparse(node.args)))
    return found
