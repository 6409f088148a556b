"""Plain `nbgrader autograde`, on a course directory that loads the course's nbgrader_config.py,
takes the same path as `python -m autograder grade`: sandboxed kernels, graded cells judged
outside them. Where no sandbox can be made, it refuses in one line."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import support

import exploits
from autograder.course import CONFIG, SOURCE

A = "01_rnn_step_by_step"
NB = "rnn_step_by_step.ipynb"
BIN = Path(sys.executable).parent


@pytest.fixture
def course(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(SOURCE / A, course / "source" / A)
    (course / "nbgrader_config.py").write_text(f"c = get_config()  # noqa\nload_subconfig({str(CONFIG)!r})  # noqa\n"
                                               "c.Execute.timeout = 10\n")
    paths = dict(COURSE=course, PACKAGE=CONFIG.parent / "autograder", HOME=tmp_path, TMP=tmp_path, PORT=9)
    attacks = exploits.notebooks(paths)
    for student, nb in [("honest", support.solved(A)), ("frames", attacks["x-caller-frames"][1]),
                        ("hooks", attacks["x-ipython-hooks"][1]), ("patched", attacks["x-patched-modules"][1])]:
        (course / "submitted" / student / A).mkdir(parents=True)
        support.write(nb, course / "submitted" / student / A / NB)
    return course


def nbgrader(*args, cwd, path=None):
    env = dict(os.environ, PATH=path or f"{BIN}:{os.environ['PATH']}")
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def scores(course):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def test_plain_nbgrader_autograde_judges_outside_the_sandboxed_kernel(course):
    assert nbgrader("generate_assignment", A, "--force", cwd=course).returncode == 0
    done = nbgrader("autograde", A, cwd=course)
    assert done.returncode == 0, done.stderr[-3000:]
    graded = json.loads((course / "autograded" / "honest" / A / NB).read_text())
    assert scores(course) == {"honest": 18.0, "frames": 0.0, "hooks": 0.0, "patched": 0.0}, \
        [o for c in graded["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    verdicts = [c["outputs"] for c in graded["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
                and not c["metadata"]["nbgrader"].get("solution")]
    assert all("".join(o[0]["text"]).startswith("Passed") for o in verdicts), "each graded cell holds the judge's verdict"


def test_plain_nbgrader_autograde_refuses_without_a_sandbox(course):
    assert nbgrader("generate_assignment", A, "--force", cwd=course).returncode == 0
    done = nbgrader("autograde", A, "--student", "honest", cwd=course, path=str(BIN))   # no bwrap on PATH
    assert done.returncode != 0
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "SandboxUnavailable: no sandbox for the students' code" in ln]
    assert lines and "--no-sandbox" in lines[0] and "c.Sandbox.enabled = False" in lines[0], done.stderr[-3000:]
    assert not (course / "autograded" / "honest" / A).exists(), "nothing was run"
