"""Integrity flags: signs that a submission may not have earned its score.

They are read from the submitted notebook's code, before it runs, and shown to the instructor
beside the score; nothing is deducted. A flag is a reason to look, not a verdict: it says what
a submission tried. What protects the grades is the boundary (judge.py, sandbox.py): none of
these attempts can work there, so a flagged submission usually also lost the points it aimed at.

    imports_autograder   imports the course's autograder package (reference solutions, hidden tests),
                         runs it, names it in a string, or plants a fake one in its folder
    reads_course_files   names the course's own files: source/, autograded/, submitted/,
                         gradebook.db, nbgrader_config.py, or imports nbgrader
    monkeypatch          reassigns a function of numpy or of the builtins (np.allclose = ...,
                         setattr(builtins, ...))
    edited_locked_cells  changed or deleted a locked cell (nbgrader restores it before grading)

The code is read with Python's ast, so a flag names the cell and line. Code hidden in strings
passed to exec, or built at run time, escapes it; grading does not rely on these flags.
"""
import ast
import re

FLAGS = {
    "imports_autograder": "imports or runs the course's autograder package",
    "reads_course_files": "names the course's own files (source/, gradebook.db, ...) or imports nbgrader",
    "monkeypatch": "reassigns a function of numpy or of the builtins",
    "edited_locked_cells": "changed or deleted a locked cell (nbgrader restored it)",
}

COURSE_PATH = re.compile(r"(^|[/\\])(source|autograded|submitted)([/\\]|$)|gradebook\.db|nbgrader_config")
NUMPY_SUBMODULES = {"linalg", "random", "testing", "fft", "ma", "lib", "polynomial", "emath"}
PATCHERS = {"setattr", "delattr"}


def _normal(text):
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _python(source):
    """A cell's source with IPython syntax (magics, shell escapes) blanked, and the shell lines."""
    if source.lstrip().startswith("%%"):
        return "", source.splitlines()
    lines, shell = [], []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or stripped.endswith("?"):
            shell.append(stripped)
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines), shell


def _root(node):
    """The name at the root of an attribute/subscript chain: np in np.linalg.norm, or None.

    A chain through a call (np.zeros(3)[0]) is rooted in what the call returned: None.
    """
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Reader(ast.NodeVisitor):
    def __init__(self, aliases):
        self.aliases = aliases        # names bound to numpy (or its submodules) and builtins
        self.found = []               # (flag, line, what)

    def flag(self, name, node, what):
        self.found.append((name, getattr(node, "lineno", 0), what))

    def visit_Import(self, node):
        for a in node.names:
            top = a.name.split(".")[0]
            if top == "autograder":
                self.flag("imports_autograder", node, f"import {a.name}")
            elif top == "nbgrader":
                self.flag("reads_course_files", node, f"import {a.name}")
            elif top in ("numpy", "builtins"):
                self.aliases.add(a.asname or top)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        top = module.split(".")[0]
        if top == "autograder":
            self.flag("imports_autograder", node, f"from {module} import ...")
        elif top == "nbgrader":
            self.flag("reads_course_files", node, f"from {module} import ...")
        elif top == "numpy":
            self.aliases.update(a.asname or a.name for a in node.names if a.name in NUMPY_SUBMODULES)

    def _patched(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._patched(t, node)
        elif isinstance(target, (ast.Attribute, ast.Subscript)) and _root(target) in self.aliases:
            self.flag("monkeypatch", node, ast.unparse(target))

    def visit_Assign(self, node):
        for t in node.targets:
            self._patched(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._patched(node.target, node)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node):
        for t in node.targets:
            self._patched(t, node)

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        first = node.args[0] if node.args else None
        if name in PATCHERS and first is not None and _root(first) in self.aliases:
            self.flag("monkeypatch", node, f"{name}({ast.unparse(first)}, ...)")
        elif name in ("patch", "object") and first is not None and (
                _root(first) in self.aliases or
                isinstance(first, ast.Constant) and str(first.value).split(".")[0] in ("numpy", "builtins")):
            self.flag("monkeypatch", node, ast.unparse(node.func) + f"({ast.unparse(first)}, ...)")
        elif name in ("__import__", "import_module") and isinstance(first, ast.Constant) \
                and str(first.value).split(".")[0] == "autograder":
            self.flag("imports_autograder", node, f"{name}({first.value!r})")
        elif name == "update" and isinstance(node.func, ast.Attribute) and _root(node.func.value) in self.aliases:
            self.flag("monkeypatch", node, ast.unparse(node.func) + "(...)")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            if COURSE_PATH.search(node.value):
                self.flag("reads_course_files", node, repr(node.value)[:80])
            elif re.search(r"\bautograder\b", node.value):     # importlib, sys.modules, a fake package
                self.flag("imports_autograder", node, repr(node.value)[:80])


def _label(index, cell):
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def inspect(nb, locked):
    """The integrity flags of a notebook. Returns {flag: [detail, ...]}, empty when none applies.

    Inputs:
    - nb: the submitted notebook as plain JSON (a dict)
    - locked: {grade_id: source} of the assignment's locked cells as released (hidden tests removed)
    """
    found = {}
    seen = {}
    aliases = {"np", "numpy", "builtins", "__builtins__"}
    for i, cell in enumerate(c for c in nb.get("cells", []) if isinstance(c, dict)):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in locked:
            seen[grade_id] = True
            if _normal(source) != _normal(locked[grade_id]):
                found.setdefault("edited_locked_cells", []).append(f"{_label(i, cell)} was changed")
                # its code does not run (nbgrader restores the cell), but may still show intent
            else:
                continue                 # the course's own code
        if cell.get("cell_type") != "code":
            continue
        code, shell = _python(source)
        for line in shell:
            if re.search(r"\bautograder\b", line):
                found.setdefault("imports_autograder", []).append(f"{_label(i, cell)}: {line[:80]}")
            if COURSE_PATH.search(line):
                found.setdefault("reads_course_files", []).append(f"{_label(i, cell)}: {line[:80]}")
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue                     # it will fail when run; nothing to read here
        reader = _Reader(aliases)
        reader.visit(tree)
        seen_lines = set()
        for flag, line, what in reader.found:
            if (flag, line) not in seen_lines:       # one detail per flag and line
                seen_lines.add((flag, line))
                found.setdefault(flag, []).append(f"{_label(i, cell)}, line {line}: {what}")
    for grade_id in locked:
        if grade_id not in seen:
            found.setdefault("edited_locked_cells", []).append(f"locked cell {grade_id} was deleted")
    return {flag: found[flag] for flag in FLAGS if flag in found}


def inspect_files(submission):
    """Flags of the files submitted with the notebook: a file or folder named like the
    autograder package (the hidden tests would import it instead of the real one)."""
    from pathlib import Path
    names = sorted(str(p.relative_to(submission)) for p in Path(submission).rglob("*")
                   if p.stem == "autograder" and "__pycache__" not in p.parts)
    return {"imports_autograder": [f"the submission holds {n}" for n in names]} if names else {}


def locked_cells(gradebook, assignment_id, notebook):
    """{grade_id: source} of the locked cells of a notebook, as released, from nbgrader's gradebook."""
    from nbformat import from_dict
    from nbgrader.preprocessors import ClearHiddenTests
    clear = ClearHiddenTests()
    cells = {}
    for sc in gradebook.find_notebook(notebook, assignment_id).source_cells:
        if sc.locked:
            cell = from_dict({"cell_type": sc.cell_type, "source": sc.source or "", "metadata": {}})
            clear._remove_hidden_test_region(cell)
            cells[sc.name] = cell.source
    return cells
