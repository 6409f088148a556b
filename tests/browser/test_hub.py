"""A whole term on a real JupyterHub, in the browser, as each person: the hub of `./course hub`
(python -m autograder hub), one instructor and three students, an nbgrader exchange.

1. The instructor generates and releases 01 with formgrader's buttons.
2. Each student logs in, fetches it in the Assignment List, completes it (A correctly, B with a
   catalogued mistake, C not at all), opens it in JupyterLab and submits it.
3. The instructor collects with formgrader, grades with the course's `grade`, and sees the
   scores in formgrader.
4. The instructor writes the feedback with the course's `feedback` and releases it with formgrader.
5. Each student fetches the feedback and opens it: their own message, none of the hidden tests.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import support
from conftest import CURRENT, SCREENSHOTS, _die_with_parent
from support import hidden_test_lines, leaked

from autograder import hub, mistakes
from autograder.course import assignments

A = "01_rnn_step_by_step"
NB = assignments()[A].notebook
MAX = sum(points for _, points in assignments()[A].graded)
MISTAKE = mistakes.catalogue("rnn_cell_backward")[0]
STUDENT_A, STUDENT_B, STUDENT_C = hub.STUDENTS
WORK = {STUDENT_A: support.solved(A),                                                    # correct
        STUDENT_B: support.with_function(support.solved(A), MISTAKE.function, MISTAKE.source()),
        STUDENT_C: None}                                                                 # left as released

# a pytest-xdist worker of its own: the hub has its own servers, and the test takes minutes
pytestmark = [pytest.mark.xdist_group("hub"),
              pytest.mark.skipif(not hub.PROXY.exists() and not os.environ.get("BPTT_REQUIRE_BROWSER"),
                                 reason="JupyterHub's proxy is not installed: ./course test installs it with npm")]


class Hub:
    """`python -m autograder hub` in a new directory, as ./course hub runs it; its log is kept."""

    def __init__(self, root, timeout=180):
        self.root = root
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder", "hub", "--dir", str(root), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     preexec_fn=_die_with_parent)
        self.log = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stdout), daemon=True).start()
        deadline = time.time() + timeout
        while not re.search(r"JupyterHub is up:\s+(\S+)", "".join(self.log)):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"the hub did not start within {timeout} s:\n{self.tail()}")
            time.sleep(0.2)
        text = "".join(self.log)
        self.url = re.search(r"JupyterHub is up:\s+(\S+)", text).group(1)
        self.password = re.search(r"Password \(everyone\):\s+(\S+)", text).group(1)
        self.course = Path(re.search(r"course directory \(formgrader's\):\s+(\S+)", text).group(1))

    def tail(self, n=60):
        return "".join(self.log[-n:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)       # the command stops the hub and all it started
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def class_hub(tmp_path_factory):
    started = time.monotonic()
    h = Hub(tmp_path_factory.mktemp("hub"))
    yield h
    h.stop()
    left = hub.processes(h.root)
    log = SCREENSHOTS.parent / "hub.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(h.log))
    print(f"the term took {time.monotonic() - started:.0f} s, the hub included; the hub's log: {log}")
    assert h.proc.returncode == 0, h.tail()
    assert not left, f"processes of the hub still running after it stopped: {left}"
    assert "that the hub left running" not in "".join(h.log), h.tail()


class Person:
    """One person in a browser context of their own (their own cookies), logging in to the hub."""

    def __init__(self, browser, hub_, name):
        self.hub, self.name = hub_, name
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.page.goto(f"{hub_.url}hub/login")
        self.page.fill("#username_input", name)
        self.page.fill("#password_input", hub_.password)
        self.page.click("#login_submit")       # the hub starts this person's server, then opens it
        self.logged_in = False

    def ready(self):
        """The person's page, once JupyterLab is open in it."""
        if not self.logged_in:
            try:
                self.page.wait_for_url(f"**/user/{self.name}/lab**", timeout=150_000)
            except Exception as e:          # say where the login or the start of the server stopped
                text = " ".join(self.page.locator("body").inner_text().split())[:500]
                raise AssertionError(f"{self.name} did not reach JupyterLab: {self.page.url}: {text}") from e
            self.page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).wait_for()
            self.logged_in = True
        return self.page

    def link(self, path):
        return f"{self.hub.url}user/{self.name}/{path}"


@pytest.fixture(scope="module")
def people(browser, class_hub):
    """Everyone, logged in at once: the hub starts their servers side by side."""
    found = {name: Person(browser, class_hub, name) for name in (hub.INSTRUCTOR, *hub.STUDENTS)}
    yield found
    for p in found.values():
        p.context.close()


# ---- the instructor, in formgrader

def formgrader_button(page, icon, success):
    """Click a button of the assignment's row in formgrader's Manage Assignments, and check the
    dialog that reports how it went."""
    page.locator("tr", has_text=A).locator(f".glyphicon-{icon}").click()
    dialog = page.locator("#success-modal, #error-modal")
    dialog.wait_for(timeout=120_000)
    text = dialog.inner_text()
    assert dialog.get_attribute("id") == "success-modal" and success in text, text
    dialog.get_by_role("button", name="Close").last.click()
    dialog.wait_for(state="detached")


def manage_assignments(instructor):
    page = instructor.ready()
    page.goto(instructor.link("formgrader"))
    page.locator("tr", has_text=A).wait_for()
    return page


# ---- the students, in JupyterLab's Assignment List

def assignment_list(student):
    """Open the Assignment List from the Nbgrader menu or, once open, show its tab and refresh it."""
    page = student.ready()
    tab = page.locator(".lm-TabBar-tab", has_text="Assignments")
    if tab.count():
        tab.click()
        page.locator("#refresh_assignments_list").click()
    else:
        page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).click()
        items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert "Formgrader" not in items and "Create assignment" not in items, items     # students' settings
        page.locator(".lm-Menu-itemLabel").get_by_text("Assignment List", exact=True).click()
    page.locator("#released_assignments_list").wait_for()
    for which in ("released", "fetched", "submitted"):
        page.locator(f"#{which}_assignments_list_loading").wait_for(state="hidden")
    error = page.locator("#released_assignments_list_error")
    assert not error.is_visible(), f"the Assignment List of {student.name} failed: {error.inner_text()}"
    return page


def row(page, which):
    """The assignment's row in the list of released, fetched or submitted assignments."""
    return page.locator(f"#{which}_assignments_list .list_item", has_text=A).first


def put_notebook(student, path, nb):
    """Save nb at path through the Jupyter contents API of the student's server, with the session of
    the student's page (its cookies and XSRF token), as JupyterLab's own Save does."""
    status = student.page.evaluate("""async ([url, nb]) => {
        const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf=')).slice(6);
        const r = await fetch(url, {method: 'PUT', headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'},
                                    body: JSON.stringify({type: 'notebook', format: 'json', content: nb})});
        return r.status;
    }""", [student.link(f"api/contents/{path}"), nb])
    assert status == 200, status


def fetch_complete_submit(student, nb, shot):
    """Fetch the assignment in the Assignment List, save the student's work in it (nb; None leaves
    it as released), open it from the list in JupyterLab, go back to the list and submit it."""
    page = assignment_list(student)
    assert page.request.get(student.link("formgrader")).status == 404        # no formgrader on their server
    row(page, "released").get_by_role("button", name=re.compile("fetch", re.I)).click()
    fetched = row(page, "fetched")
    fetched.wait_for()
    if nb is not None:
        put_notebook(student, f"{A}/{NB}.ipynb", nb)
    fetched.locator(".assignment-notebooks-link").click()             # the assignment's notebooks
    fetched.get_by_role("link", name=NB, exact=True).click()
    page.locator(f"{CURRENT} .jp-Cell").first.wait_for()               # open in JupyterLab
    page.locator(".lm-TabBar-tab", has_text="Assignments").click()
    fetched.get_by_role("button", name=re.compile("submit", re.I)).click()
    row(page, "submitted").wait_for()
    assert not page.locator(".nbgrader-ErrorDialog").count()
    if student.name == STUDENT_B:
        shot(page, "2-student-assignment-list-submitted")


def fetch_feedback(student, shot):
    """Fetch the feedback in the Assignment List, open it from there; returns its page's text."""
    page = assignment_list(student)
    submitted = row(page, "submitted")
    submitted.get_by_text("(feedback available to fetch)").wait_for()
    submitted.get_by_role("button", name=re.compile("fetch feedback", re.I)).click()
    view = row(page, "submitted").get_by_text("(view feedback)")
    view.wait_for()
    if student.name == STUDENT_B:
        shot(page, "5-student-assignment-list-feedback")
    view.click()                                       # the file browser goes to the feedback's folder
    page.locator(".jp-DirListing-item", has_text=f"{NB}.html").dblclick()
    frame = page.frame_locator(".jp-HTMLViewer:not(.lm-mod-hidden) iframe")
    frame.locator("body").get_by_text(A).first.wait_for()
    return frame.locator("body").inner_text()


def run_course(*args, hub_):
    """The course's command in the instructor's course directory, as in a terminal of their JupyterLab."""
    done = subprocess.run([sys.executable, "-m", "autograder", *args, "--course-dir", "."],
                          cwd=hub_.course, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_a_term_on_the_hub(class_hub, people, shot):
    started = time.monotonic()

    def step(what):
        print(f"{time.monotonic() - started:5.0f} s  {what}", flush=True)

    try:
        term(people, class_hub, shot, step)
    except Exception:            # what each person's page showed when the term went wrong
        for name, p in people.items():
            shot(p.page, f"failed-{name}")
        raise


def term(people, class_hub, shot, step):
    instructor = people[hub.INSTRUCTOR]
    step("the instructor logged in")

    # 1. the instructor generates the student version and releases it, with formgrader's buttons
    page = manage_assignments(instructor)
    formgrader_button(page, "education", "Successfully created the student version")
    formgrader_button(page, "cloud-upload", "Successfully released")
    assert (class_hub.root / "exchange" / "bptt-step-by-step" / "outbound" / A / f"{NB}.ipynb").exists()
    step("1. released")

    # 2. each student fetches it, completes it in JupyterLab and submits it
    for name, nb in WORK.items():
        fetch_complete_submit(people[name], nb, shot)
        step(f"2. {name} submitted")

    # 3. the instructor collects, grades with the course's grade command, and sees the scores
    page = manage_assignments(instructor)
    formgrader_button(page, "cloud-download", "Successfully collected")
    assert sorted(p.name for p in (class_hub.course / "submitted").iterdir()) == sorted(WORK)
    step("3. collected")
    graded = json.loads(run_course("grade", A, "--json", hub_=class_hub))
    step("3. graded")
    scores = {s["student"]: s["score"] for s in graded["students"] if s["status"] == "graded"}
    assert scores[STUDENT_A] == MAX and 0 < scores[STUDENT_B] < MAX and scores[STUDENT_C] == 0, graded
    page.goto(instructor.link(f"formgrader/gradebook/{A}/{NB}"))
    table = page.locator("table")
    table.get_by_text("Submission #1", exact=True).wait_for()
    page.get_by_text("Show All Names").click()
    for name, score in scores.items():
        cells = page.locator("tr", has=page.get_by_text(name, exact=True)).inner_text()
        assert f"{score:g} / {MAX:g}" in cells, (name, cells)
    shot(page, "3-formgrader-scores")
    step("3. the scores in formgrader")

    # 4. the instructor writes the feedback with the course's command, and releases it in formgrader
    assert "feedback written for 3 students" in run_course("feedback", A, hub_=class_hub)
    page = manage_assignments(instructor)
    formgrader_button(page, "envelope", "Successfully released feedback")
    shot(page, "4-formgrader-manage-assignments")
    step("4. feedback written and released")

    # 5. each student fetches the feedback and reads it: their message, none of the hidden tests
    hidden = hidden_test_lines(A)
    for name in WORK:
        text = fetch_feedback(people[name], shot)
        assert f"(Score: {scores[name]:.1f} / {MAX:.1f})" in text, (name, text[:500])
        assert not leaked(text, hidden), (name, leaked(text, hidden))
        if name == STUDENT_B:
            assert f"Known mistake [{MISTAKE.id}]" in text, text
        if name == STUDENT_C:
            assert "rnn_cell_forward raised NotImplementedError" in text, text
        step(f"5. {name} read the feedback")
