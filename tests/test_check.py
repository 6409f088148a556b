"""`python -m autograder check`: the grading contract, as a learner meets it."""
import json
import os
import subprocess
import sys

import pytest
import support

from autograder.check import check
from autograder.course import RELEASE, ROOT, NotGradable, assignments

ASSIGNMENTS = sorted(assignments())


def run_check(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="default")
    return subprocess.run([sys.executable, "-m", "autograder", "check", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


# Where nbgrader and `grade` write in a course directory; git ignores them.
NBGRADER_STATE = ("gradebook.db", "submitted", "autograded", "feedback", "feedback_html", "reports")


def repo_state():
    """Every file of the course directory that git does not ignore, and every file where nbgrader
    writes, with its mtime. (The browser tests' screenshots, written meanwhile, are left out.)"""
    out = subprocess.run(["git", "ls-files", "--others", "--cached", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True).stdout.split()
    files = [ROOT / f for f in out] + [p for name in NBGRADER_STATE for p in [ROOT / name, *(ROOT / name).rglob("*")]]
    return {str(f.relative_to(ROOT)): f.stat().st_mtime_ns for f in files
            if f.is_file() and not f.is_relative_to(ROOT / "reports" / "screenshots")}


def test_solved_release_gets_full_marks_as_json_from_anywhere(tmp_path):
    nb = support.write(support.solved("01_rnn_step_by_step"), tmp_path / "my_work.ipynb")
    before = repo_state()
    done = run_check(nb, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)            # exactly one JSON object on stdout
    assert result["assignment"] == "01_rnn_step_by_step"
    assert result["notebook"] == "rnn_step_by_step.ipynb"
    assert result["score"] == result["max_score"] == 18.0, [t["message"] for t in result["tests"] if not t["passed"]]
    assert {t["grade_id"] for t in result["tests"]} == {g for g, _ in assignments()["01_rnn_step_by_step"].graded}
    for t in result["tests"]:
        assert set(t) == {"grade_id", "score", "max_score", "passed", "message"}
        assert t["passed"] and t["message"] == ""
    assert repo_state() == before, "check left files behind in the course directory"


def test_table_output(tmp_path):
    nb = support.write(support.solved("01_rnn_step_by_step"), tmp_path / "x.ipynb")
    done = run_check(nb, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split()[:3] == ["grade_id", "points", "result"]
    assert any(ln.startswith("rnn_backward_da0") and "2/2" in ln and "pass" in ln for ln in lines)
    assert lines[-1] == "Total: 18 / 18"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero_without_crashing(assignment):
    a = assignments()[assignment]
    result = check(RELEASE / a.id / f"{a.notebook}.ipynb")
    assert result["score"] == 0 and result["max_score"] > 0
    assert all(not t["passed"] and "NotImplementedError" in t["message"] for t in result["tests"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solved_release_gets_full_marks(assignment, tmp_path):
    result = check(support.write(support.solved(assignment), tmp_path / "solved.ipynb"))
    failed = [(t["grade_id"], t["message"]) for t in result["tests"] if not t["passed"]]
    assert not failed and result["score"] == result["max_score"]


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    ("", "an empty file"),
    ('{"a": 1}', "not a Jupyter notebook"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
    ('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "not a notebook of any assignment"),
])
def test_bad_input_is_one_line_error_and_nonzero_exit(tmp_path, content, reason):
    f = tmp_path / "bad.ipynb"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    done = run_check(f, "--json", cwd=tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and reason in done.stderr, done.stderr


def test_missing_file_or_directory(tmp_path):
    done = run_check(tmp_path / "nope.ipynb", cwd=tmp_path)
    assert done.returncode != 0 and "no such file" in done.stderr
    (tmp_path / "dir.ipynb").mkdir()
    done = run_check(tmp_path / "dir.ipynb", cwd=tmp_path)
    assert done.returncode == 2 and "a directory, not a notebook" in done.stderr


def test_a_notebook_without_nbgrader_metadata_is_refused_in_one_line(tmp_path):
    """Copied into a new notebook, the work has lost the cells' ids; grade says the same."""
    nb = support.solved("01_rnn_step_by_step")
    for cell in nb["cells"]:
        cell["metadata"].pop("nbgrader", None)
    done = run_check(support.write(nb, tmp_path / "rnn_step_by_step.ipynb"), cwd=tmp_path)
    assert done.returncode == 2 and "none of its cells are those of 01_rnn_step_by_step" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_malformed_nbgrader_metadata_is_graded_without_a_traceback(tmp_path):
    nb = support.solved("01_rnn_step_by_step")
    nb["cells"][1]["metadata"]["nbgrader"] = {"grade_id": ["a", "list"]}     # nbgrader: unhashable type
    nb["cells"][2]["metadata"]["nbgrader"] = {"grade_id": 5, "solution": "yes"}
    done = run_check(support.write(nb, tmp_path / "odd.ipynb"), "--json", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["score"] == 18.0


@pytest.mark.parametrize("where", ["metadata", "nbgrader"])
def test_cell_metadata_that_is_not_an_object_is_refused_in_one_line(tmp_path, where):
    nb = support.solved("01_rnn_step_by_step")
    if where == "metadata":
        nb["cells"][0]["metadata"] = None
    else:
        nb["cells"][0]["metadata"]["nbgrader"] = "a string"
    done = run_check(support.write(nb, tmp_path / "odd.ipynb"), "--json", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"error: {tmp_path / 'odd.ipynb'}: cell 1 is malformed "
                                                "(it or its metadata is not a JSON object): was the file edited outside Jupyter?"]


def test_a_cell_broken_outside_jupyter_is_named_in_one_short_line(tmp_path):
    """nbformat's own message is a dump of the whole cell, thousands of characters long."""
    nb = support.solved("01_rnn_step_by_step")
    nb["cells"][3]["cell_type"] = "weird"
    done = run_check(support.write(nb, tmp_path / "edited.ipynb"), cwd=tmp_path)
    assert done.returncode == 2 and "cell 4 of the notebook does not follow Jupyter's notebook format" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and len(done.stderr) < 300


def test_a_solution_cell_marked_as_graded_is_named_in_one_line(tmp_path):
    """nbgrader's MissingEntry ("No such grade cell") would otherwise end in "Traceback (most recent call last):"."""
    nb = support.solved("01_rnn_step_by_step")
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "rnn_cell_forward_code")
    cell["metadata"]["nbgrader"].update(grade=True, points=5)
    done = run_check(support.write(nb, tmp_path / "rnn_step_by_step.ipynb"), cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "marks its cell rnn_cell_forward_code as graded, which the assignment does not" in done.stderr


def test_a_cell_pasted_from_another_assignment_runs_as_an_ordinary_cell(tmp_path):
    """nbgrader fails on a cell whose grade_id its gradebook does not know (KeyError: 'grade_id')."""
    nb = support.solved("01_rnn_step_by_step")
    lstm = support.solved("02_lstm_step_by_step")
    pasted = next(c for c in lstm["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "lstm_cell_forward_code")
    nb["cells"].insert(len(nb["cells"]) - 1, dict(pasted, id="pasted1"))
    result = check(support.write(nb, tmp_path / "pasted.ipynb"))
    assert result["assignment"] == "01_rnn_step_by_step"
    assert result["score"] == result["max_score"], [t["message"] for t in result["tests"] if not t["passed"]]


def test_a_renamed_notebook_is_still_recognised(tmp_path):
    nb = support.release_nb("01_rnn_step_by_step")
    result = check(support.write(nb, tmp_path / "Untitled1.ipynb"))
    assert result["assignment"] == "01_rnn_step_by_step" and result["score"] == 0


def test_a_renamed_function_loses_only_its_points(tmp_path):
    nb = support.solved("01_rnn_step_by_step")
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]).replace("def rnn_forward(", "def my_rnn_forward(")
    result = check(support.write(nb, tmp_path / "renamed.ipynb"))
    lost = {t["grade_id"]: t["message"] for t in result["tests"] if not t["passed"]}
    assert set(lost) == {"rnn_forward"} and "rnn_forward is not defined when this cell runs" in lost["rnn_forward"]


LOOP = support.with_function(support.solved("01_rnn_step_by_step"), "rnn_cell_forward",
                             "def rnn_cell_forward(xt, a_prev, parameters):\n    while True:\n        pass\n")


def test_infinite_loop_is_cut_by_the_cell_timeout(tmp_path, monkeypatch):
    import autograder.check as c
    real = c.course_config

    def short_timeout(root, **kwargs):
        cfg = real(root, **kwargs)
        cfg.Execute.timeout = 3
        return cfg
    monkeypatch.setattr(c, "course_config", short_timeout)
    monkeypatch.setattr(c, "notebook_time_limit", lambda cfg: 120)
    result = check(support.write(LOOP, tmp_path / "loop.ipynb"))
    by_id = {t["grade_id"]: t for t in result["tests"]}
    assert not by_id["rnn_cell_forward"]["passed"] and "rnn_cell_forward did not return within" in by_id["rnn_cell_forward"]["message"]
    assert by_id["rnn_backward_da0"]["passed"], "later cells must still run and be graded"


def test_a_notebook_that_runs_past_its_time_limit_is_not_graded(tmp_path, monkeypatch):
    """As in `grade`: timed out, with no score, rather than a score that depends on the clock."""
    import autograder.check as c
    monkeypatch.setattr(c, "notebook_time_limit", lambda cfg: 6)
    with pytest.raises(NotGradable, match=r"did not finish within the time limit of 6 s \(in cell \d+"):
        check(support.write(LOOP, tmp_path / "loop.ipynb"))


def test_kernel_runs_as_under_plain_nbgrader(tmp_path):
    """The prestarted kernel gets nbgrader's environment and a copy of the notebook's directory,
    without the notebook (whose graded cells hold the hidden tests' calls)."""
    probe = '''def rnn_cell_forward(xt, a_prev, parameters):
    import os
    assert os.environ.get("NBGRADER_EXECUTION") == "autograde", "NBGRADER_EXECUTION not set"
    assert os.path.exists("bptt_utils.py") and not os.path.exists("rnn_step_by_step.ipynb"), os.listdir()
    a_next = np.tanh(parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"])
    return a_next, softmax(parameters["Wya"] @ a_next + parameters["by"]), (a_next, a_prev, xt, parameters)
'''
    nb = support.with_function(support.solved("01_rnn_step_by_step"), "rnn_cell_forward", probe)
    result = check(support.write(nb, tmp_path / "probe.ipynb"))
    assert result["score"] == result["max_score"], [t["message"] for t in result["tests"] if not t["passed"]]


@pytest.mark.parametrize("patch", ["np.max = lambda *a, **k: 0.0", "np.abs = lambda x: 0 * x",
                                   "np.maximum = lambda a, b: 1e300 + 0 * b",
                                   "np.tanh = lambda z: 0 * z + 1"])      # the reference's a = 1, so its gradients are 0
def test_reassigning_numpy_cannot_buy_points_for_wrong_gradients(tmp_path, patch):
    """The hidden tests undo what a notebook reassigns in numpy before they compute and compare."""
    zeros = ("def rnn_cell_backward(da_next, cache):\n    import numpy as np\n    " + patch + "\n"
             "    a_next, a_prev, xt, p = cache\n"
             "    return {'dxt': np.zeros_like(xt), 'da_prev': np.zeros_like(a_prev), 'dWax': np.zeros_like(p['Wax']),\n"
             "            'dWaa': np.zeros_like(p['Waa']), 'dba': np.zeros_like(p['ba'])}\n")
    nb = support.with_function(support.solved("01_rnn_step_by_step"), "rnn_cell_backward", zeros)
    by_id = {t["grade_id"]: t for t in check(support.write(nb, tmp_path / "patched.ipynb"))["tests"]}
    for gid in ("rnn_cell_backward_dxt", "rnn_cell_backward_da_prev", "rnn_cell_backward_params"):
        assert not by_id[gid]["passed"], (gid, by_id[gid])
