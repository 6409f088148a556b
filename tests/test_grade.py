"""`python -m autograder grade`: a whole sample class, with its hostile submissions, graded in
parallel workers into an nbgrader course directory; what lands in the gradebook, the reports,
the feedback; re-running; the worker pool's last line of defence; Dask."""
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
import support

from autograder import grade, sample_class
from autograder.course import NotGradable, assignments

# one pytest-xdist worker grades the sample class once for all these tests
pytestmark = pytest.mark.xdist_group("sample_class")

A = "01_rnn_step_by_step"
MAX = sum(points for _, points in assignments()[A].graded)
CELL_TIMEOUT = 5           # seconds; the sample's cells run in well under one
TIME_LIMIT = 40            # per submission: a solved one takes 1 s, one whose kernel is replaced 10 s idle, more under load


def run_cli(*args, cwd):
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The sample class of assignment 01, graded once with `grade --jobs 2 --json`."""
    course = tmp_path_factory.mktemp("class") / "course"
    manifest = sample_class.make(A, course, cell_timeout=CELL_TIMEOUT)
    started = time.monotonic()
    done = run_cli("grade", A, "--course-dir", course, "--jobs", 2, "--time-limit", TIME_LIMIT, "--json",
                   cwd=course.parent)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"\nsample class of {len(manifest['students'])} graded in {seconds:.0f} s")
    return course, manifest, json.loads(done.stdout)


def test_json_has_one_entry_per_student_with_the_documented_keys(graded_class):
    course, manifest, result = graded_class
    assert result["assignment"] == A
    assert [s["student"] for s in result["students"]] == sorted(manifest["students"])
    for s in result["students"]:
        assert set(s) == {"student", "status", "score", "max_score", "reason", "flags"}
        assert s["status"] in ("graded", "ungradeable", "timed_out") and s["max_score"] == MAX
        assert (s["score"] is None) == (s["status"] != "graded"), "a submission not graded has no score, not 0"
        assert (s["reason"] is None) == (s["status"] == "graded")


def test_every_sample_submission_gets_its_expected_outcome(graded_class):
    course, manifest, result = graded_class
    records = grade.load_records(course, A)
    wrong = []
    for s in result["students"]:
        expect = manifest["students"][s["student"]]["expect"]
        got = {"status": s["status"], "flags": sorted(s["flags"])}
        want = {"status": expect["status"], "flags": sorted(expect["flags"])}
        if expect["score"] == "full":
            got["score"], want["score"] = s["score"], s["max_score"]
        elif expect["score"] == "zero":
            got["score"], want["score"] = s["score"], 0.0
        elif expect["score"] == "partial":
            got["score"], want["score"] = 0 < s["score"] < s["max_score"], True
        if expect["reason"]:
            got["reason"], want["reason"] = expect["reason"] in (s["reason"] or ""), True
        if got != want:
            wrong.append((s["student"], got, want, s["reason"], records[s["student"]].get("restarts")))
    assert not wrong, "\n".join(map(str, wrong))


def test_hostile_cells_cost_only_their_own_cell(graded_class):
    """A loop that ignores the interrupt, and os._exit, get their kernel replaced; the rest is graded."""
    course, manifest, _ = graded_class
    records = grade.load_records(course, A)
    loop = next(s for s in records if s.endswith("loop-ignores-interrupt"))
    exit_ = next(s for s in records if s.endswith("os-exit"))
    assert "did not stop when interrupted" in records[loop]["restarts"][0][1]
    assert "kernel died" in records[exit_]["restarts"][0][1]
    big = next(s for s in records if s.endswith("megabytes-of-output"))
    autograded = course / "autograded" / big / A / "rnn_step_by_step.ipynb"
    assert autograded.stat().st_size < 1_000_000, "5 MB of output must be cut in the autograded notebook"
    assert "Output truncated" in autograded.read_text()


def test_gradebook_holds_the_graded_and_nothing_for_the_others(graded_class):
    from nbgrader.api import Gradebook, MissingEntry
    course, _, result = graded_class
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for s in result["students"]:
            if s["status"] == "graded":
                assert gb.find_submission(A, s["student"]).score == s["score"]
                # integrity findings show in formgrader's "Flagged?" column
                flagged = gb.find_submission_notebook("rnn_step_by_step", A, s["student"]).flagged
                assert flagged == bool(s["flags"]), s["student"]
            else:
                with pytest.raises(MissingEntry):
                    gb.find_submission(A, s["student"])
                assert not (course / "autograded" / s["student"] / A).exists()


def test_nbgrader_export_tells_ungradeable_from_zero(graded_class):
    course, _, result = graded_class
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "export", "--to", "out.csv"],
                          cwd=course, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(course / "out.csv") as f:
        exported = {r["student_id"]: r for r in csv.DictReader(f)}
    for s in result["students"]:
        row = exported[s["student"]]
        assert row["status"] == s["status"]
        if s["status"] == "graded":
            assert float(row["score"]) == s["score"]
        else:
            assert row["score"] == "" and row["reason"] == s["reason"]
    untouched = next(s for s in result["students"] if s["student"].endswith("untouched"))
    assert exported[untouched["student"]]["score"] == "0.0", "a real zero stays a zero"


def test_reports(graded_class):
    course, manifest, result = graded_class
    reports = course / "reports" / A
    with open(reports / "tests.csv") as f:
        table = list(csv.DictReader(f))
    graded_ids = [g for g, _ in assignments()[A].graded]
    assert [r["student"] for r in table] == sorted(manifest["students"])
    assert list(table[0])[4:4 + len(graded_ids)] == graded_ids
    by = {r["student"]: r for r in table}
    for s in result["students"]:
        row = by[s["student"]]
        if s["status"] == "graded":
            assert sum(float(row[g]) for g in graded_ids) == s["score"] == float(row["score"])
        else:
            assert all(row[g] == "" for g in graded_ids) and row["score"] == "" and row["reason"] == s["reason"]
    summary = (reports / "summary.md").read_text()
    expected = {}
    for info in manifest["students"].values():
        for m in info["expect"]["mistakes"]:
            expected[m] = expected.get(m, 0) + 1
    for m, n in expected.items():
        assert re.search(rf"^\| {m} \| \w+ \| {n} \|", summary, re.M), f"{m} not counted {n} times"
    graded = [s for s in result["students"] if s["status"] == "graded"]
    for grade_id, _ in assignments()[A].graded:
        line = next(ln for ln in summary.splitlines() if ln.startswith(f"| {grade_id} |"))
        passed = int(line.split("|")[3])
        assert passed == sum(float(by[s["student"]][grade_id]) > 0 for s in graded)   # all-or-nothing cells
    for s in result["students"]:
        if s["flags"]:
            assert s["student"] in summary


def test_feedback_shows_failure_messages_and_no_hidden_test_line(graded_class, tmp_path):
    course, manifest, result = graded_class
    done = run_cli("feedback", A, "--course-dir", course, "--jobs", 2, cwd=course)
    assert done.returncode == 0, done.stderr[-2000:]
    graded = [s["student"] for s in result["students"] if s["status"] == "graded"]
    assert f"feedback written for {len(graded)} students" in done.stdout
    lines = support.hidden_test_lines(A)
    assert len(lines) >= 10
    files = sorted((course / "feedback").glob(f"*/{A}/*.html"))
    assert [f.parent.parent.name for f in files] == sorted(graded)
    for f in files:
        assert not support.leaked(f.read_text(), lines), f"{f} shows hidden tests"
    for student, info in manifest["students"].items():
        for m in info["expect"]["mistakes"]:
            text = html.unescape((course / "feedback" / student / A / "rnn_step_by_step.html").read_text())
            assert f"Known mistake [{m}]" in text
    # the check can fail: nbgrader's default feedback of the same submission leaks the hidden tests
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import GetGrades

    from autograder.autograde import course_config
    cfg = course_config(course)
    cfg.GenerateFeedback.preprocessors = [GetGrades]
    cfg.CourseDirectory.feedback_directory = str(tmp_path / "default")
    student = next(s for s, info in manifest["students"].items() if info["expect"]["mistakes"])
    assert NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg).generate_feedback(A, student)["success"]
    default = next((tmp_path / "default").glob(f"*/{A}/*.html"))
    assert support.leaked(default.read_text(), lines)


def test_rerun_grades_nothing_new_and_force_or_a_new_submission_regrades(graded_class):
    course, manifest, result = graded_class
    before = grade.load_records(course, A)
    again = grade.grade_class(A, course, jobs=2, time_limit=TIME_LIMIT, progress=False)
    assert again["graded_now"] == [] and len(again["up_to_date"]) == len(manifest["students"])
    assert grade.load_records(course, A) == before
    assert [{k: r[k] for k in ("student", "status", "score", "flags")} for r in again["students"]] == \
        [{k: r[k] for k in ("student", "status", "score", "flags")} for r in result["students"]]
    correct = next(s for s in manifest["students"] if s.endswith("-correct"))
    empty = next(s for s in manifest["students"] if s.endswith("empty-file"))
    (course / "submitted" / empty / A / "rnn_step_by_step.ipynb").write_text(
        json.dumps(support.solved(A)))                      # the student hands in a good file
    again = grade.grade_class(A, course, jobs=1, students=[correct, empty], time_limit=TIME_LIMIT, progress=False)
    assert again["graded_now"] == [empty] and again["up_to_date"] == [correct]
    assert again["students"][1]["status"] == "graded" and again["students"][1]["score"] == MAX
    forced = grade.grade_class(A, course, jobs=1, students=[correct], force=True, time_limit=TIME_LIMIT,
                               progress=False)
    assert forced["graded_now"] == [correct] and forced["students"][0]["score"] == MAX


def test_an_interrupted_grading_leaves_no_score_and_the_next_run_grades_it(graded_class, monkeypatch):
    from nbgrader.api import Gradebook, MissingEntry

    from autograder import workers
    course, manifest, _ = graded_class
    correct = next(s for s in manifest["students"] if s.endswith("-correct"))

    def run_then_ctrl_c(self, jobs, hard_limit, lost, on_start=None):
        on_start(jobs[:1])         # a worker begins; nbgrader replaces the old grade as it goes
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(workers.LocalPool, "run", run_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        grade.grade_class(A, course, jobs=1, students=[correct], force=True, progress=False)
    monkeypatch.undo()
    assert grade.load_records(course, A)[correct]["status"] == "interrupted"
    with open(course / "reports" / A / "grades.csv") as f:         # the reports match the gradebook
        assert next(r for r in csv.DictReader(f) if r["student_id"] == correct)["status"] == "interrupted"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        with pytest.raises(MissingEntry):
            gb.find_submission(A, correct)
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "export", "--to", "int.csv"],
                          cwd=course, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(course / "int.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == correct)
    assert row["status"] == "interrupted" and row["score"] == ""
    again = grade.grade_class(A, course, jobs=1, students=[correct], progress=False)
    assert again["graded_now"] == [correct] and again["students"][0]["score"] == MAX


def test_a_new_time_limit_regrades_and_a_bad_one_is_refused(graded_class):
    course, manifest, _ = graded_class
    correct = next(s for s in manifest["students"] if s.endswith("-correct"))
    again = grade.grade_class(A, course, jobs=1, students=[correct], time_limit=TIME_LIMIT + 1, progress=False)
    assert again["graded_now"] == [correct]
    again = grade.grade_class(A, course, jobs=1, students=[correct], time_limit=TIME_LIMIT + 1, progress=False)
    assert again["up_to_date"] == [correct]
    for bad in ("-1", "0", "nan"):
        done = run_cli("grade", A, "--course-dir", course, "--time-limit", bad, cwd=course)
        assert done.returncode == 2 and "positive" in done.stderr and "Traceback" not in done.stderr


def test_no_submissions_is_an_error_not_a_success(tmp_path):
    course = tmp_path / "course"
    sample_class.make(A, course, cell_timeout=CELL_TIMEOUT)
    shutil.rmtree(course / "submitted")
    done = run_cli("grade", A, "--course-dir", course, cwd=course)
    assert done.returncode == 2 and "no submissions of" in done.stderr and "collect" in done.stderr


def test_unknown_assignment_or_student_is_a_clear_error(graded_class):
    course, manifest, _ = graded_class
    done = run_cli("grade", "99_nothing", "--course-dir", course, cwd=course)
    assert done.returncode == 2 and "no assignment 99_nothing" in done.stderr and done.stdout == ""
    done = run_cli("grade", A, "--course-dir", course, "--student", "nobody", cwd=course)
    assert done.returncode == 2 and "nobody" in done.stderr
    corrupted = next(s for s in manifest["students"] if s.endswith("corrupted-json"))
    done = run_cli("feedback", A, "--course-dir", course, "--student", corrupted, cwd=course)
    assert done.returncode == 2 and f"{corrupted}: ungradeable" in done.stderr


def test_precheck_names_the_assignment_of_a_foreign_notebook(tmp_path):
    other = assignments()[A].__class__(id="99_other", notebook="other", grade_ids=("q1", "q2"), graded=(("q1", 1.0),))
    support.write(support.solved(A), tmp_path / "other.ipynb")
    with pytest.raises(NotGradable, match=f"a notebook of {A}, not of 99_other"):
        grade.precheck(tmp_path, other)
    (tmp_path / "other.ipynb").unlink()
    with pytest.raises(NotGradable, match="no notebook was submitted"):
        grade.precheck(tmp_path, other)
    (tmp_path / "other.ipynb").mkdir()
    with pytest.raises(NotGradable, match="other.ipynb is a directory, not a notebook"):
        grade.precheck(tmp_path, other)


def test_a_symbolic_link_in_a_submission_is_refused_and_not_carried_to_a_worker(tmp_path):
    """nbgrader's copy of a submission follows links: one to the course's source/ would put the
    solutions and hidden tests in the student's sandbox."""
    from autograder import portable
    secret = tmp_path / "source.ipynb"
    secret.write_text("bptt-secret-of-the-source")
    submission = tmp_path / "submission"
    submission.mkdir()
    support.write(support.solved(A), submission / f"{assignments()[A].notebook}.ipynb")
    (submission / "notes.json").symlink_to(secret)
    with pytest.raises(NotGradable, match="notes.json is a symbolic link, which grading does not follow"):
        grade.precheck(submission, assignments()[A])
    files = portable._files(submission, follow_links=False)
    assert files["notes.json"] is None and b"bptt-secret-of-the-source" not in b"".join(v for v in files.values() if v)


# ---- the worker pool --------------------------------------------------------------------

def hang(job):
    """A job that hangs with a child process ("hang:<pid file>"), kills its worker ("die"), or is done."""
    if job == "die":
        os._exit(3)
    if job.startswith("hang:"):
        with open(os.devnull, "w") as null:
            child = subprocess.Popen(["sleep", "300"], stdout=null, start_new_session=True)
        with open(job[len("hang:"):], "w") as f:
            f.write(str(child.pid))
        time.sleep(300)
    return {"student": job, "status": "graded"}


def test_a_stuck_or_dead_worker_is_replaced_and_a_stuck_one_killed_with_its_children(tmp_path):
    import psutil

    from autograder.workers import LocalPool
    stuck = f"hang:{tmp_path / 'pid'}"
    pool = LocalPool(1, job_function=hang)
    try:
        lost = lambda job, why, status="timed_out": {"student": job, "status": status, "reason": why}  # noqa: E731
        started = time.monotonic()
        done = list(pool.run([stuck, "die", "next"], hard_limit=5, lost=lost))
    finally:
        pool.close()
    assert done[0] == {"student": stuck, "status": "timed_out",
                       "reason": "grading did not finish within 5 s; the worker was stopped"}
    assert done[1] == {"student": "die", "status": "ungradeable",
                       "reason": "the grading worker died while grading this submission"}
    assert done[2] == {"student": "next", "status": "graded"}, "the replacement workers go on"
    assert time.monotonic() - started < 60
    child = int((tmp_path / "pid").read_text())
    time.sleep(0.5)
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
