"""The tests of the tests: every catalogued mistake, graded through nbgrader, loses points on
exactly the cells of the outputs it gets wrong and is named in their messages; correct
alternatives written differently get full marks."""
import importlib
import pkgutil

import pytest
import support

import autograder.hidden
from autograder import mistakes
from autograder.check import check


def graded_cells():
    """{assignment: {grade_id: (function, outputs)}} from every hidden-test module."""
    found = {}
    for info in pkgutil.iter_modules(autograder.hidden.__path__):
        mod = importlib.import_module(f"autograder.hidden.{info.name}")
        if hasattr(mod, "GRADED_CELLS"):
            found[mod.ASSIGNMENT] = mod.GRADED_CELLS
    return found


CELLS = graded_cells()


def assignment_of(function):
    return next(a for a, cells in CELLS.items() if any(f == function for f, _ in cells.values()))


@pytest.mark.parametrize("assignment", sorted(CELLS))
def test_hidden_module_describes_every_graded_cell(assignment):
    from autograder.course import assignments
    assert set(CELLS[assignment]) == {g for g, _ in assignments()[assignment].graded}


def test_catalogue_is_big_enough():
    per_function = {}
    for m in mistakes.catalogue():
        per_function[m.function] = per_function.get(m.function, 0) + 1
    assert per_function.get("rnn_cell_backward", 0) >= 6 and per_function.get("rnn_backward", 0) >= 6


@pytest.mark.parametrize("mistake", mistakes.catalogue(), ids=lambda m: f"{m.function}-{m.id}")
def test_mistake_loses_points_where_it_is_and_is_named(mistake, tmp_path):
    assignment = assignment_of(mistake.function)
    nb = support.with_function(support.solved(assignment), mistake.function, mistake.source())
    result = check(support.write(nb, tmp_path / "mistake.ipynb"))
    tests = {t["grade_id"]: t for t in result["tests"]}
    should_fail = {g for g, (f, outs) in CELLS[assignment].items()
                   if f == mistake.function and set(outs) & set(mistake.wrong)}
    assert should_fail, f"{mistake.id} declares no output that a graded cell checks"
    failed = {g for g, t in tests.items() if not t["passed"]}
    assert failed == should_fail, f"{mistake.id}: lost points on {sorted(failed)}, expected {sorted(should_fail)}"
    for g in should_fail:
        assert f"[{mistake.id}]" in tests[g]["message"], f"{g} did not name the mistake: {tests[g]['message']}"


ALTERNATIVES = sorted((support.HERE / "alternatives").glob("*/*.py"))


@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_correct_alternative_gets_full_marks(path, tmp_path):
    nb = support.solved(path.parent.name)
    for name, src in support.functions_in(path).items():
        nb = support.with_function(nb, name, src)
    result = check(support.write(nb, tmp_path / "alternative.ipynb"))
    failed = [(t["grade_id"], t["message"]) for t in result["tests"] if not t["passed"]]
    assert not failed


def test_there_are_at_least_two_alternatives_per_assignment():
    for assignment in CELLS:
        assert len(list((support.HERE / "alternatives" / assignment).glob("*.py"))) >= 2, assignment
