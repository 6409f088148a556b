"""A self-study learner's work/ (made by `./course open`) gives no assignment's solutions away
before the learner has completed that assignment.

03, 04 and 05 ship assignment 01's RNN as rnn_utils.py, 04 and 05 ship 02's LSTM as
lstm_utils.py, and the companion notebook imports 03's model from deep_rnn_utils.py. In work/
each is a stub until `check` gives that assignment full marks in work/, or until the learner
asks for its folder with --unlock; the stub fails at import with a message that says both ways,
and which assignments' answers the folder's unlock gives."""
import json
import subprocess
import sys

import pytest
from support import defined_functions, exercise_functions, solved, with_function, write

from autograder import check as check_module
from autograder import mistakes
from autograder.course import RELEASE, ROOT, assignments
from autograder.workspace import course_files, describe_locks, is_stub, update_work_copy

HELD_BACK = {"03_deep_rnn_why_dx/rnn_utils.py": "01_rnn_step_by_step",
             "04_using_dx/rnn_utils.py": "01_rnn_step_by_step",
             "04_using_dx/lstm_utils.py": "02_lstm_step_by_step",
             "05_attention_step_by_step/rnn_utils.py": "01_rnn_step_by_step",
             "05_attention_step_by_step/lstm_utils.py": "02_lstm_step_by_step",
             "notebooks/deep_rnn_utils.py": "03_deep_rnn_why_dx"}
FOLDERS = sorted({rel.split("/")[0] for rel in HELD_BACK})


def held_in(folder):
    return {rel: a for rel, a in HELD_BACK.items() if rel.startswith(folder + "/")}


def relative(paths, work):
    return {p.relative_to(work).as_posix(): a for p, a in paths.items()}


def quiet(*args):
    pass


def new_work(tmp_path, **kw):
    work = tmp_path / "work"
    return work, update_work_copy(work, say=quiet, **kw)


def setup_cell(work, assignment):
    """Run the first code cell of the learner's notebook in its folder, as Jupyter would."""
    nb = json.loads((work / assignment / f"{assignments()[assignment].notebook}.ipynb").read_text())
    code = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    return subprocess.run([sys.executable, "-c", code], cwd=work / assignment, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def no_check(monkeypatch):
    """`open` must not grade a notebook that the learner has not touched."""
    def refuse(path):
        raise AssertionError(f"check ran on {path}")
    monkeypatch.setattr(check_module, "check", refuse)


def test_a_new_work_copy_holds_no_solutions(tmp_path, no_check):
    work, (added, unlocked, locked) = new_work(tmp_path)
    assert not unlocked
    assert relative(locked, work) == HELD_BACK
    assert all(is_stub(work / rel) for rel in HELD_BACK)
    # every other course file is there, as it ships
    for rel, src in course_files().items():
        if rel not in HELD_BACK:
            assert (work / rel).read_bytes() == src.read_bytes(), rel
    # and no Python file of work/ defines a function of any assignment's exercises
    exercises = set().union(*(exercise_functions(a) for a in assignments()))
    for path in work.rglob("*.py"):
        assert not defined_functions(path.read_text()) & exercises, path


@pytest.mark.parametrize("assignment, module, needs, unlock_shows", [
    ("03_deep_rnn_why_dx", "rnn_utils.py", "01_rnn_step_by_step", "that assignment's answers"),
    ("04_using_dx", "rnn_utils.py", "01_rnn_step_by_step", "the answers of 01_rnn_step_by_step and 02_lstm_step_by_step"),
    ("05_attention_step_by_step", "lstm_utils.py", "02_lstm_step_by_step",      # its setup imports lstm_utils first
     "the answers of 01_rnn_step_by_step and 02_lstm_step_by_step")])
def test_a_held_back_module_fails_at_import_saying_how_to_get_it(tmp_path, no_check, assignment, module, needs,
                                                                 unlock_shows):
    work, _ = new_work(tmp_path)
    done = setup_cell(work, assignment)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert f"NotUnlockedYet: {module} holds the solutions of assignment {needs}" in last, last
    assert f"Complete {needs}/" in last and "`check`" in last and "full marks" in last
    assert f"(it shows you {unlock_shows}): ./course open --unlock {assignment}" in last, last
    assert "ImportError" not in done.stderr and "ModuleNotFoundError" not in done.stderr


@pytest.mark.parametrize("folder", ["04_using_dx", "05_attention_step_by_step"])
def test_unlock_on_request_gives_that_folder_only(tmp_path, no_check, folder):
    work, (added, unlocked, locked) = new_work(tmp_path, unlock=[folder])
    assert relative(unlocked, work) == {f"{folder}/rnn_utils.py": "01_rnn_step_by_step",
                                        f"{folder}/lstm_utils.py": "02_lstm_step_by_step"} == held_in(folder)
    for name in ("rnn_utils.py", "lstm_utils.py"):
        assert (work / folder / name).read_bytes() == (RELEASE / folder / name).read_bytes()
    others = {rel: a for rel, a in HELD_BACK.items() if rel not in held_in(folder)}
    assert relative(locked, work) == others and all(is_stub(work / rel) for rel in others)
    done = setup_cell(work, folder)
    assert done.returncode == 0, done.stderr
    # a later open keeps them, and still holds the others back
    _, unlocked_again, locked_again = update_work_copy(work, say=quiet)
    assert not unlocked_again and relative(locked_again, work) == others


def test_what_is_held_back_is_said_when_open_starts(tmp_path, no_check):
    work, (_, unlocked, locked) = new_work(tmp_path, unlock=["notebooks"])
    said = []
    describe_locks(work, unlocked, locked, say=said.append)
    text = "\n".join(said)
    assert "Unlocked notebooks/deep_rnn_utils.py: it holds the solutions of 03_deep_rnn_why_dx." in text
    assert "./course open --unlock FOLDER" in text
    for rel, a in HELD_BACK.items():
        if not rel.startswith("notebooks/"):
            assert any(rel in line and a in line for line in said), rel


def test_full_marks_from_check_unlock_that_assignments_solutions(tmp_path):
    work, _ = new_work(tmp_path, unlock=[])
    a = "01_rnn_step_by_step"
    mine = work / a / f"{assignments()[a].notebook}.ipynb"
    # a notebook with a catalogued mistake does not get full marks: nothing is unlocked
    wrong = next(m for m in mistakes.catalogue("rnn_backward"))
    write(with_function(solved(a), "rnn_backward", wrong.source()), mine)
    said = []
    _, unlocked, locked = update_work_copy(work, say=said.append)
    assert not unlocked and any("Checking" in s for s in said)
    # the solved notebook does: every copy of 01's solutions arrives, 02's and 03's stay held back
    write(solved(a), mine)
    _, unlocked, locked = update_work_copy(work, say=quiet)
    assert relative(unlocked, work) == {rel: x for rel, x in HELD_BACK.items() if x == a}
    assert relative(locked, work) == {rel: x for rel, x in HELD_BACK.items() if x != a}
    assert setup_cell(work, "03_deep_rnn_why_dx").returncode == 0
    assert mine.read_text() == json.dumps(solved(a), indent=1)          # the learner's file is untouched
    # 05 needs 02's LSTM too: its setup stops at the stub of lstm_utils.py, until 02 is complete
    stopped = setup_cell(work, "05_attention_step_by_step")
    assert stopped.returncode != 0 and "lstm_utils.py holds the solutions of assignment 02" in stopped.stderr
    b = "02_lstm_step_by_step"
    write(solved(b), work / b / f"{assignments()[b].notebook}.ipynb")
    _, unlocked, locked = update_work_copy(work, say=quiet)
    assert relative(unlocked, work) == {rel: x for rel, x in HELD_BACK.items() if x == b}
    assert relative(locked, work) == {"notebooks/deep_rnn_utils.py": "03_deep_rnn_why_dx"}
    for folder in ("04_using_dx", "05_attention_step_by_step"):
        done = setup_cell(work, folder)
        assert done.returncode == 0, done.stderr


def test_a_learners_own_files_are_never_overwritten(tmp_path, no_check):
    work = tmp_path / "work"
    (work / "03_deep_rnn_why_dx").mkdir(parents=True)
    (work / "03_deep_rnn_why_dx" / "rnn_utils.py").write_text("# my own rnn_utils\n")
    (work / "01_rnn_step_by_step").mkdir()
    (work / "01_rnn_step_by_step" / "notes.txt").write_text("mine")
    _, unlocked, locked = update_work_copy(work, say=quiet)
    assert (work / "03_deep_rnn_why_dx" / "rnn_utils.py").read_text() == "# my own rnn_utils\n"
    assert "03_deep_rnn_why_dx/rnn_utils.py" not in {p.relative_to(work).as_posix() for p in locked}
    assert (work / "01_rnn_step_by_step" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("args, says", [(["--unlock", "05_nothing"], f"takes one of {', '.join(FOLDERS)}, not 05_nothing"),
                                        (["--instructor", "--unlock", "04_using_dx"], "is for learners")])
def test_open_refuses_an_unlock_it_cannot_do(args, says):
    done = subprocess.run([sys.executable, "-m", "autograder", "open", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and says in done.stderr


def test_open_explains_unlock_in_its_help():
    done = subprocess.run([sys.executable, "-m", "autograder", "open", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    text = " ".join(done.stdout.split())
    assert "--unlock FOLDER" in done.stdout and "give its answers away" in text
    assert f"({', '.join(FOLDERS[:-1])} or {FOLDERS[-1]})" in text


def test_a_notebook_that_cannot_be_graded_keeps_the_files_held_back(tmp_path):
    work, _ = new_work(tmp_path)
    (work / "01_rnn_step_by_step" / "rnn_step_by_step.ipynb").write_text("{ not json")
    said = []
    _, unlocked, locked = update_work_copy(work, say=said.append)
    assert not unlocked and relative(locked, work) == HELD_BACK
    assert any("could not be graded" in s and "not valid JSON" in s for s in said)


def test_the_readme_tells_the_learner_what_work_receives_and_how_to_start():
    """The learner's section of the README: ./course setup on its own, --port, and a table of
    the files held back in work/ that is this module's HELD_BACK, each with whose solutions it holds."""
    import re
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Self-study learners"):readme.index("## Instructors")]
    intro = readme[readme.index("## Two commands"):readme.index("## Self-study learners")]
    assert "./course open --port" in section
    assert "`./course setup` does only that, without\nopening anything" in intro or \
        re.search(r"`\./course setup` does only that,\s+without\s+opening anything", intro)
    rows = [ln for ln in section.splitlines() if ln.startswith("| `")]
    listed = {}
    for row in rows:
        files, holds = row.split("|")[1:3]
        (assignment,) = re.findall(r"`(\d\d_\w+)`", holds)
        listed.update({f: assignment for f in re.findall(r"`([\w/]+\.py)`", files)})
    assert listed == HELD_BACK
    done = subprocess.run([str(ROOT / "course"), "open", "--help"], capture_output=True, text=True, timeout=120)
    assert "--port" in done.stdout, done.stdout + done.stderr
