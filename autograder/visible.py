"""The visible tests of the backward functions, run in this process: what they see of each known
mistake, for the data file known_mistakes.json that ships beside each notebook.

A visible test of a backward function runs its checks inside
`with diagnosis("rnn_cell_backward", gradients_tmp):` (student/bptt_utils.py). When a check
fails, the message ends with the line that `check` gives: the catalogued mistake whose outputs
the learner's match, or where to look. The learner's kernel has neither the catalogue nor the
reference, only the data file, so the file holds fingerprints (shape, first values, size) of
the outputs that the `with` statement names, on the visible test's own inputs: the right ones,
and each catalogued mistake's.

They are found here by running the source notebook, as the learner's kernel would, up to that
statement: its setup cell, its solution cells and its visible test cells before it, with the
solution, or a catalogued mistake pasted under the API name (as tests/test_mistakes.py does),
in place of the function. So the notebook's own cell says which inputs, and the catalogue
which mistakes: tools/known_mistakes.py writes the files, and tests/test_feedback.py checks that
the committed ones are what they make.
"""
import ast
import contextlib
import copy
import io
import json
import os
import sys
import warnings

from . import mistakes
from .course import SOURCE, assignments
from .student.bptt_utils import KNOWN_MISTAKES, fingerprint, matches, named_outputs
from .submissions import source_nb, strip_markers

ABOUT = ("Made by tools/known_mistakes.py from the course's catalogue of mistakes; do not edit. For each "
         "function whose visible test runs in `with diagnosis(...)`: fingerprints (shape, first values, size) of "
         "its right outputs and of each catalogued mistake's, on that test's own inputs, and where to look "
         "when a set of outputs is wrong.")


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _diagnosis_statement(source, function):
    """(the statements before `with diagnosis("function", outputs):`, the outputs expression), or None."""
    tree = ast.parse(source)
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.With):
            call = node.items[0].context_expr
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "diagnosis" \
                    and isinstance(call.args[0], ast.Constant) and call.args[0].value == function:
                return ast.Module(body=tree.body[:i], type_ignores=[]), ast.Expression(body=call.args[1])
    return None


def diagnosed_functions(assignment):
    """The functions whose visible test runs its checks in `with diagnosis(...)`, in notebook order."""
    found = []
    for cell in source_nb(assignment)["cells"]:
        gid = _meta(cell).get("grade_id") or ""
        if gid.endswith("_visible") and _diagnosis_statement("".join(cell["source"]), gid[:-len("_visible")]):
            found.append(gid[:-len("_visible")])
    return found


@contextlib.contextmanager
def _in_folder(folder):
    """Run as the notebook's kernel does: in its folder, which is also on sys.path; forget the
    modules imported from it afterwards."""
    before, cwd = set(sys.modules), os.getcwd()
    sys.path.insert(0, str(folder))
    os.chdir(folder)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        os.chdir(cwd)
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            if os.path.dirname(getattr(sys.modules[name], "__file__", None) or "") == str(folder):
                del sys.modules[name]


def _copy(namespace):
    """A copy of a namespace whose arrays and containers a run may change without touching it."""
    out = {}
    for k, v in namespace.items():
        try:
            out[k] = copy.deepcopy(v) if isinstance(v, (dict, list, tuple)) or hasattr(v, "__array__") else v
        except Exception:        # a container of something that cannot be copied: share it
            out[k] = v
    return out


class VisibleTest:
    """The visible test of one function of an assignment, ready to run with any version of it."""

    def __init__(self, assignment, function):
        self.assignment, self.function = assignment, function
        self.folder = SOURCE / assignment
        cells = source_nb(assignment)["cells"]
        index = next(i for i, c in enumerate(cells) if _meta(c).get("grade_id") == f"{function}_visible")
        self.source = "".join(cells[index]["source"])
        self.prefix, self.outputs = _diagnosis_statement(self.source, function)
        # what runs before it: the setup, every solution, and the visible tests above it
        self.before = [strip_markers("".join(c["source"])) for i, c in enumerate(cells)
                       if c["cell_type"] == "code" and (_meta(c).get("solution") or _meta(c).get("grade_id") == "setup"
                                                        or (i < index and (_meta(c).get("grade_id") or "").endswith("_visible")))]
        self._base = None

    def namespace(self, replacement=None):
        """The kernel's namespace before the visible test, with replacement (a function's source)
        run after the solutions."""
        if self._base is None:
            with _in_folder(self.folder):
                ns = {"__name__": "__main__"}
                for src in self.before:
                    exec(compile(src, f"<{self.assignment}>", "exec"), ns)
            self._base = ns
        ns = _copy(self._base)
        if replacement:
            exec(compile(replacement, f"<{self.function}>", "exec"), ns)
        return ns

    def outputs_of(self, replacement=None):
        """{name: value} of what the `with diagnosis(...)` statement names, as the test computes it."""
        ns = self.namespace(replacement)
        with _in_folder(self.folder):
            exec(compile(self.prefix, f"<{self.function}_visible>", "exec"), ns)
            return named_outputs(eval(compile(self.outputs, f"<{self.function}_visible>", "eval"), ns))

    def failure(self, replacement=None):
        """The message of the AssertionError that the whole visible test raises, or None if it passes."""
        ns = self.namespace(replacement)
        with _in_folder(self.folder):
            try:
                exec(compile(self.source, f"<{self.function}_visible>", "exec"), ns)
            except AssertionError as e:
                return str(e)
        return None


def _fingerprints(outputs, names):
    return {k: fingerprint(outputs[k]) for k in names}


def known_mistakes(assignment, function):
    """The data file's entry for one function: the right outputs' fingerprints, each catalogued
    mistake's that the visible test can tell from them, and the patterns of where to look."""
    test = VisibleTest(assignment, function)
    right = test.outputs_of()
    entry = {"outputs": _fingerprints(right, right), "mistakes": [], "patterns": []}
    for m in mistakes.catalogue(function):
        try:
            got = test.outputs_of(m.source())
            prints = _fingerprints(got, right)
        except Exception:        # it fails on these inputs (the visible test says so itself)
            continue
        if all(matches(right[k], prints[k]) for k in right):
            continue             # right on these inputs: only the hidden cases tell it
        entry["mistakes"].append({"id": m.id, "hint": m.hint, "outputs": prints})
    entry["patterns"] = [{"wrong": sorted(p.wrong), "hint": p.hint} for p in mistakes.patterns(function)]
    return entry


def data_file(assignment):
    """The content of source/<assignment>/known_mistakes.json, or None when no visible test diagnoses."""
    functions = diagnosed_functions(assignment)
    if not functions:
        return None
    return {"about": ABOUT, "functions": {f: known_mistakes(assignment, f) for f in functions}}


def path(assignment):
    return SOURCE / assignment / KNOWN_MISTAKES


def write(assignment):
    """Write the data file of an assignment (or remove a stale one). Returns its path, or None."""
    content = data_file(assignment)
    if content is None:
        path(assignment).unlink(missing_ok=True)
        return None
    path(assignment).write_text(_dumps(content) + "\n")
    return path(assignment)


def _dumps(value, indent=0):
    """JSON with one line per fingerprint (and per pattern), so that the file reads as a table."""
    if isinstance(value, dict) and value and not ({"shape", "wrong"} & set(value)):
        pad = " " * (indent + 1)
        items = [f"{pad}{json.dumps(k)}: {_dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        pad = " " * (indent + 1)
        return "[\n" + ",\n".join(pad + _dumps(v, indent + 1) for v in value) + "\n" + " " * indent + "]"
    return json.dumps(value)


def differences(assignment):
    """How the committed data file differs from what the catalogue makes: [] when in sync. Numbers
    are compared to 1e-8, so that another machine's last digits do not count."""
    made = data_file(assignment)
    if made is None:
        return [f"{path(assignment).name} should not exist"] if path(assignment).exists() else []
    if not path(assignment).exists():
        return [f"{path(assignment).name} is missing"]
    return _compare(json.loads(path(assignment).read_text()), made, path(assignment).name)


def _compare(committed, made, where):
    if isinstance(made, dict):
        if not isinstance(committed, dict) or committed.keys() != made.keys():
            return [f"{where}: keys {sorted(committed) if isinstance(committed, dict) else committed} "
                    f"!= {sorted(made)}"]
        return [d for k in made for d in _compare(committed[k], made[k], f"{where}/{k}")]
    if isinstance(made, list):
        if not isinstance(committed, list) or len(committed) != len(made):
            return [f"{where}: {committed} != {made}"]
        return [d for i, (c, m) in enumerate(zip(committed, made)) for d in _compare(c, m, f"{where}/{i}")]
    if isinstance(made, float) and isinstance(committed, (int, float)):
        return [] if abs(committed - made) <= 1e-8 * max(1.0, abs(made)) else [f"{where}: {committed} != {made}"]
    return [] if committed == made else [f"{where}: {committed!r} != {made!r}"]


def all_assignments():
    return sorted(assignments())
