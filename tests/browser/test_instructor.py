"""The instructor's loop in the browser: formgrader, opened with the course's instructor command
on a course directory where `python -m autograder grade` has graded the sample class."""
import json
import subprocess
import sys

import pytest
from conftest import Lab

from autograder import sample_class

A = "01_rnn_step_by_step"

# one pytest-xdist worker runs all browser tests: one JupyterLab per audience, one Chromium
pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("instructor") / "course"
    manifest = sample_class.make(A, course, cell_timeout=5)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(course),
                           "--jobs", "2", "--time-limit", "30", "--json"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    graded = {s["student"]: s for s in json.loads(done.stdout)["students"]}
    return course, manifest, graded


@pytest.fixture(scope="module")
def instructor_lab(graded_course, tmp_path_factory):
    lab = Lab(["--instructor", "--dir", str(graded_course[0])], cwd=graded_course[0],
              state=tmp_path_factory.mktemp("instructor-lab-state"))
    yield lab
    lab.stop()


def test_formgrader_shows_the_assignment_and_the_graded_class(page, graded_course, instructor_lab, shot):
    course, manifest, graded = graded_course
    page.goto(instructor_lab.link("formgrader"))
    row = page.locator("tr", has_text=A)
    row.wait_for()
    assert str(len(manifest["students"])) in row.inner_text()          # "# Submissions"
    shot(page, "1-manage-assignments")

    page.goto(instructor_lab.link(f"formgrader/gradebook/{A}/rnn_step_by_step"))
    table = page.locator("table")
    table.get_by_text("Submission #1", exact=True).wait_for()     # the rows are loaded, names hidden
    page.get_by_text("Show All Names").click()
    page.get_by_text("Hide All Names").wait_for()
    table.get_by_text("s01-correct").wait_for()
    for student, result in graded.items():
        if result["status"] != "graded":     # ungradeable and timed-out work is not shown as a score
            assert table.get_by_text(student, exact=True).count() == 0, student
            continue
        cells = page.locator("tr", has=page.get_by_text(student, exact=True)).inner_text()
        assert f"{result['score']:g} / {result['max_score']:g}" in cells, (student, cells)
    shot(page, "2-manual-grading-scores")


def test_instructor_lab_has_nbgrader_tools_and_no_assignment_list(page, instructor_lab):
    page.goto(instructor_lab.link("lab"))
    page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).click()
    items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    assert "Formgrader" in items and "Assignment List" not in items and "Course List" not in items


def test_formgraders_autograde_button_takes_the_sandboxed_judged_path(page, graded_course, instructor_lab):
    """The student who imports the reference solution gets its points only where the hidden tests
    run in the student's kernel; formgrader's Autograde button runs them outside, in the sandbox."""
    from nbgrader.api import Gradebook
    course, manifest, graded = graded_course
    student = next(s for s in manifest["students"] if s.endswith("imports-reference"))
    page.goto(instructor_lab.link("formgrader"))                  # logs in: the page's API calls need it
    page.locator("tr", has_text=A).wait_for()
    page.goto(instructor_lab.link(f"formgrader/manage_submissions/{A}"))
    row = page.locator("tr", has=page.locator("td.student-id", has_text=student))
    row.wait_for()
    row.locator(".autograde a").click()
    modal = page.locator("#success-modal, #error-modal")
    modal.wait_for(timeout=120_000)
    assert modal.get_attribute("id") == "success-modal", modal.inner_text()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        score = gb.find_submission(A, student).score
    assert score == graded[student]["score"] < graded[student]["max_score"]
