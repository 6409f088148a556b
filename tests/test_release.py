"""release/ is what nbgrader generates from source/, and gives nothing away."""
import filecmp
import re

import pytest

from support import defined_functions, exercise_functions

from autograder.course import RELEASE, ROOT, assignments
from autograder.release import build_release
from autograder.submissions import release_nb, source_nb
from autograder.workspace import locked_files

ASSIGNMENTS = sorted(assignments())


def test_every_source_assignment_has_a_release():
    assert ASSIGNMENTS, "no assignments found in source/"
    assert sorted(p.name for p in RELEASE.iterdir() if p.is_dir()) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_in_sync_with_source(assignment, tmp_path):
    fresh = build_release(assignment, tmp_path)
    committed = RELEASE / assignment
    cmp = filecmp.dircmp(fresh, committed, ignore=["__pycache__", ".ipynb_checkpoints"])
    assert not (cmp.left_only or cmp.right_only), \
        f"release/{assignment} has other files than nbgrader generates: run `python -m autograder release {assignment}`"
    for name in cmp.common_files:
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), \
            f"release/{assignment}/{name} is stale: run `python -m autograder release {assignment}`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_no_solution_hidden_test_or_reference(assignment):
    for f in (RELEASE / assignment).rglob("*"):
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, f"{f.name} holds a solution"
        assert "HIDDEN TESTS" not in text, f"{f.name} holds hidden tests"
        assert not re.search(r"autograder\.(reference|hidden|mistakes)|from autograder|import autograder", text), \
            f"{f.name} imports the autograder package, which students do not have"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution_code(assignment):
    """No line of a solution region of the source is a line of the release notebook, whatever its
    indentation: in code, in markdown or in an output. (Within a line, the instructions may quote
    a statement, such as the cache to store.)"""
    released = []
    for cell in release_nb(assignment)["cells"]:
        released.append(cell["source"])
        for out in cell.get("outputs", []):
            released += [out.get("text", "")] + [v for v in out.get("data", {}).values() if isinstance(v, (str, list))]
    released = {ln.strip() for text in released for ln in "".join(text).splitlines()}
    regions = [r for cell in source_nb(assignment)["cells"]
               for r in re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", "".join(cell["source"]), re.S)]
    assert regions, "no solution region found in the source"
    for line in "\n".join(regions).splitlines():
        code = line.strip()
        if len(code) > 12:   # short lines such as "else:" or "return x" may be scaffolding
            assert code not in released, f"solution line leaked into the release: {code}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_file_shipped_with_the_release_defines_a_function_of_its_exercises(assignment):
    """Helper modules beside the notebook may hold earlier assignments' solutions, never this one's."""
    names = exercise_functions(assignment)
    assert names, "no exercise function found in the source notebook"
    for f in (RELEASE / assignment).glob("*.py"):
        defined = defined_functions(f.read_text())
        assert not defined & names, f"{f.name} defines {sorted(defined & names)}, exercises of {assignment}"


def test_every_shipped_module_that_holds_solutions_is_held_back_in_work():
    """A module of release/ or notebooks/ that defines functions of an assignment's exercises
    reaches a self-study learner's work/ only once that assignment is complete (or on request):
    `open` knows it as one of the files it holds back, behind that assignment."""
    held_back = locked_files()
    shipped = [p for p in RELEASE.glob("*/*.py")] + [p for p in (ROOT / "notebooks").glob("*.py")]
    found = {}
    for path in shipped:
        rel = path.relative_to(RELEASE if RELEASE in path.parents else ROOT).as_posix()
        for a in ASSIGNMENTS:
            if a != rel.split("/")[0] and defined_functions(path.read_text()) & exercise_functions(a):
                found[rel] = a
    assert found == held_back
    assert set(held_back.values()) == {"01_rnn_step_by_step", "02_lstm_step_by_step", "03_deep_rnn_why_dx"}
