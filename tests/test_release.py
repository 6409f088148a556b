"""release/ is what nbgrader generates from source/, and gives nothing away."""
import filecmp
import re

import pytest

from autograder.course import RELEASE, SOURCE, assignments
from autograder.release import build_release
from autograder.submissions import release_nb, source_nb

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
    src = (SOURCE / assignment / f"{assignments()[assignment].notebook}.ipynb").read_text()
    names = {n for n in re.findall(r"def (\w+)\(", src)
             if re.search(rf"def {n}\((?:(?!def ).)*?### BEGIN SOLUTION", src, re.S)}
    assert names, "no exercise function found in the source notebook"
    for f in (RELEASE / assignment).glob("*.py"):
        defined = set(re.findall(r"^def (\w+)\(", f.read_text(), re.M))
        assert not defined & names, f"{f.name} defines {sorted(defined & names)}, exercises of {assignment}"
