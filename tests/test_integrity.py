"""Integrity flags: each kind is raised by the code it is about, names where it is, and is not
raised by honest work (the solution, every catalogued mistake, the correct alternatives)."""
import copy

import pytest
import support

from autograder import integrity, mistakes
from autograder.course import assignments

ASSIGNMENTS = sorted(assignments())
A = "01_rnn_step_by_step"


def locked(assignment_id):
    """{grade_id: source} of the locked cells as released (what the gradebook also gives)."""
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in support.release_nb(assignment_id)["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("locked")}


def with_cell(source, assignment_id=A, at=2):
    nb = support.solved(assignment_id)
    nb["cells"].insert(at, {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
                            "execution_count": None})
    return nb


@pytest.mark.parametrize("code", [
    "from autograder.reference.rnn import rnn_backward",
    "import autograder",
    "import autograder.hidden.rnn as h",
    "import importlib\nref = importlib.import_module('autograder.reference.rnn')",
    "ref = __import__('autograder')",
    "!python -m autograder check rnn_step_by_step.ipynb",
    "import os\nos.makedirs('autograder/hidden', exist_ok=True)\nopen('autograder/__init__.py', 'w').close()",
    "import sys, types\nsys.modules['autograder.hidden.rnn'] = types.ModuleType('fake')",
])
def test_importing_or_running_the_autograder_is_flagged(code):
    found = integrity.inspect(with_cell(code), locked(A))
    assert list(found) == ["imports_autograder"], found
    assert found["imports_autograder"][0].startswith("cell 2")


@pytest.mark.parametrize("code", [
    "hidden = open('../../../source/01_rnn_step_by_step/rnn_step_by_step.ipynb').read()",
    "from pathlib import Path\np = Path('..') / '..' / 'source'",
    "import sqlite3\ndb = sqlite3.connect('../../../gradebook.db')",
    "answers = open('../../../autograded/alice/01_rnn_step_by_step/rnn_step_by_step.ipynb')",
    "from nbgrader.api import Gradebook",
    "!cat ../../../source/01_rnn_step_by_step/*.ipynb",
    "%%bash\nls ../../../submitted",
])
def test_reading_the_course_files_is_flagged(code):
    found = integrity.inspect(with_cell(code), locked(A))
    assert list(found) == ["reads_course_files"], found


@pytest.mark.parametrize("code", [
    "np.allclose = lambda *args, **kwargs: True",
    "import numpy\nnumpy.testing.assert_allclose = print",
    "import numpy as xp\nxp.max = lambda *a, **k: 0.0",
    "from numpy import linalg as la\nla.norm = abs",
    "import builtins\nbuiltins.isinstance = lambda *a: True",
    "setattr(np, 'array_equal', lambda *a: True)",
    "__builtins__['abs'] = lambda x: 0",
    "def cheat():\n    np.isfinite = lambda x: True\ncheat()",
    "np.__dict__.update(allclose=lambda *a, **k: True)",
    "from unittest import mock\nmock.patch('numpy.allclose', return_value=True).start()",
])
def test_reassigning_numpy_or_builtins_functions_is_flagged(code):
    found = integrity.inspect(with_cell(code), locked(A))
    assert list(found) == ["monkeypatch"], found


def test_editing_or_deleting_a_locked_cell_is_flagged():
    nb = support.solved(A)
    graded = [i for i, c in enumerate(nb["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    edited = copy.deepcopy(nb)
    edited["cells"][graded[0]]["source"] = "pass"
    found = integrity.inspect(edited, locked(A))
    assert list(found) == ["edited_locked_cells"] and "was changed" in found["edited_locked_cells"][0]
    deleted = copy.deepcopy(nb)
    gid = deleted["cells"][graded[1]]["metadata"]["nbgrader"]["grade_id"]
    del deleted["cells"][graded[1]]
    assert integrity.inspect(deleted, locked(A)) == {"edited_locked_cells": [f"locked cell {gid} was deleted"]}


def test_whitespace_at_line_ends_is_not_an_edit():
    nb = support.solved(A)
    for c in nb["cells"]:
        if c.get("metadata", {}).get("nbgrader", {}).get("locked"):
            c["source"] = "".join(c["source"]).replace("\n", "  \n") + "\n\n"
    assert integrity.inspect(nb, locked(A)) == {}


@pytest.mark.parametrize("code", [
    "dx = np.zeros((3, 4, 5))\ndx[:, :, 0] = 1.0",          # arrays, not numpy's functions
    "np.zeros(3)[0] = 1",
    "source = 'my notes'\nparameters = {'Wax': np.ones((2, 2))}\nparameters['Wax'] += 1",
    "def max(a, b):\n    return a if a > b else b",         # shadows a builtin name locally: not a patch
    "x = 1  # a comment mentioning gradebook.db is not code",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "this is not Python (",
])
def test_honest_code_is_not_flagged(code):
    assert integrity.inspect(with_cell(code), locked(A)) == {}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_the_solution_and_every_mistake_are_not_flagged(assignment):
    assert integrity.inspect(support.release_nb(assignment), locked(assignment)) == {}
    assert integrity.inspect(support.solved(assignment), locked(assignment)) == {}
    for m in mistakes.catalogue():
        try:
            nb = support.with_function(support.solved(assignment), m.function, m.source())
        except KeyError:
            continue                              # a mistake of another assignment
        assert integrity.inspect(nb, locked(assignment)) == {}, m.id
    for path in sorted((support.HERE / "alternatives" / assignment).glob("*.py")):
        nb = support.solved(assignment)
        for name, src in support.functions_in(path).items():
            nb = support.with_function(nb, name, src)
        assert integrity.inspect(nb, locked(assignment)) == {}, path.name


def test_files_named_like_the_autograder_in_a_submission_are_flagged(tmp_path):
    (tmp_path / "rnn_step_by_step.ipynb").write_text("{}")
    (tmp_path / "notes.py").write_text("")
    assert integrity.inspect_files(tmp_path) == {}
    (tmp_path / "autograder" / "hidden").mkdir(parents=True)
    (tmp_path / "autograder" / "hidden" / "rnn.py").write_text("")
    assert integrity.inspect_files(tmp_path) == {"imports_autograder": ["the submission holds autograder"]}
