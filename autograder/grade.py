"""Grade a whole class: `python -m autograder grade ASSIGNMENT`.

Every submission under submitted/<student>/<assignment>/ of an nbgrader course directory is
graded by nbgrader's own autograde, and the scores go into that course's gradebook.db, where
formgrader and `nbgrader export` find them. Around nbgrader, this adds what a class needs:

- speed: submissions run in parallel, in long-lived workers (workers.py) that each keep a
  kernel warm, rather than one nbgrader process after another;
- isolation: a submission that cannot be graded (unreadable, empty, the wrong notebook, ...) is
  "ungradeable" with its reason, one that runs past the time limit is "timed_out"; neither
  stops the others, and neither is left in the gradebook looking like a score of 0;
- integrity flags (integrity.py), the instructor's reports (reports.py), and feedback without
  the hidden tests (feedback.py), written with --feedback or by `feedback_class` after review;
- idempotence: a submission graded before and unchanged since is not graded again (--force
  regrades). What each grading found is kept in reports/<assignment>/grading.json.

`grade_submission` is the job that a worker runs for one submission, on this machine or on a
Dask cluster; `grade_class` is the instructor's command.
"""
import atexit
import contextlib
import copy
import functools
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .autograde import (autograde, course_config, failure_reason, gradebook_errors, install_fast_gradebook,
                        notebook_time_limit)
from .course import ROOT, Assignment, NotGradable, assignments, nbgrader_cells, read_assignment, read_notebook_json
from .kernels import POOL
from .sandbox import Sandbox, SandboxUnavailable, check_available

STATUSES = ("graded", "ungradeable", "timed_out")
INTERRUPTED = "interrupted"     # in grading.json only, while (or if) a grading does not finish
# what a worker may take beyond the notebook's time limit (nbgrader's own steps, feedback, a
# kernel that must be killed) before it is considered stuck and replaced
GRACE = 60


@dataclass(frozen=True)
class Job:
    """One submission to grade. Plain data, so that it can travel to another process or machine."""
    course_dir: str
    assignment: Assignment
    student: str
    time_limit: float
    locked: dict            # grade_id -> source of each locked cell as released (integrity.py)
    fingerprint: str        # of the submitted files and of the assignment in the gradebook
    feedback: bool = False  # also write the student's feedback HTML
    sandbox: bool = True    # run the student's kernel in a sandbox (sandbox.py)


# ---- the job: one submission, in a worker -------------------------------------------------

_ONE_AT_A_TIME = threading.Lock()    # nbgrader changes the process's directory and environment


_PREPARED = []


def prepare_imports():
    """Import what grading needs (most of the start-up time of a grading process)."""
    install_fast_gradebook()
    from . import execute, feedback, integrity, preprocessors, reports  # noqa: F401


def prepare_worker():
    """Get this process ready to grade: a kernel starting, nbgrader imported."""
    if not _PREPARED:
        _PREPARED.append(True)
        POOL.keep_warm = True
        atexit.register(POOL.close)
        with contextlib.suppress(SandboxUnavailable):     # with --no-sandbox, the first job starts one
            POOL.prestart()
    prepare_imports()


@functools.cache
def _api(course_dir):
    """nbgrader's API on course_dir, made once per process."""
    prepare_imports()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    cfg = course_config(course_dir)
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg), cfg


def owner(nb, assignment):
    """The id of the assignment whose cells nb has most of (assignment's on a tie), or None."""
    ids = {m.get("grade_id") for m in nbgrader_cells(nb)}
    best, overlap = None, 0
    for a in [assignment] + [a for a in assignments().values() if a.id != assignment.id]:
        if len(ids & set(a.grade_ids)) > overlap:
            best, overlap = a.id, len(ids & set(a.grade_ids))
    return best


def precheck(submission, assignment):
    """The submitted notebook as JSON; or NotGradable, saying why nbgrader should not be given it."""
    name = f"{assignment.notebook}.ipynb"
    path = Path(submission) / name
    # nbgrader's copy of the submission would follow a link, and carry what it points at (the
    # course's source/, another student's work) into the student's sandbox
    links = sorted(str(p.relative_to(submission)) for p in Path(submission).rglob("*") if p.is_symlink())
    if links:
        raise NotGradable(f"{links[0]} is a symbolic link, which grading does not follow: submit the file itself")
    if path.is_dir():
        raise NotGradable(f"{name} is a directory, not a notebook")
    if not path.is_file():
        others = sorted(p.name for p in Path(submission).glob("*.ipynb") if p.is_file())
        if not others:
            raise NotGradable(f"no notebook was submitted (expected {name})")
        for other in others:
            try:
                found = owner(read_notebook_json(Path(submission) / other), assignment)
            except NotGradable:
                continue
            if found == assignment.id:
                raise NotGradable(f"the notebook was submitted as {other}, not {name}: rename it and regrade this student")
            if found:
                raise NotGradable(f"no {name}; the submission holds {other}, a notebook of {found}")
        raise NotGradable(f"no {name} in the submission (it holds {', '.join(others)})")
    if path.stat().st_size == 0:
        raise NotGradable(f"{name} is an empty file (0 bytes)")
    try:
        nb = read_notebook_json(path)
    except NotGradable as e:
        raise NotGradable(str(e).replace(str(path), name, 1)) from None
    found = owner(nb, assignment)
    if found != assignment.id:
        raise NotGradable(f"{name} is a notebook of {found}, not of {assignment.id}" if found else
                          f"{name} has none of the cells of {assignment.id} (a notebook of another course?)")
    return nb


def forget(course_dir, assignment_id, student, db_url):
    """Remove a submission's autograded files, feedback and gradebook entry (it has no valid grade).

    The student stays in (or is added to) the gradebook, so that `nbgrader export` lists them.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.utils import rmtree
    for step in ("autograded", "feedback"):
        d = Path(course_dir) / step / student / assignment_id
        if d.exists():
            rmtree(str(d))
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.remove_submission(assignment_id, student)
        except MissingEntry:
            pass


def grade_submission(job):
    """Grade one submission with nbgrader in job.course_dir. Returns its record (a dict).

    The record has student, status ("graded", "ungradeable" or "timed_out"), reason (why it is
    not graded, else None), flags and flag_details (integrity.py), restarts (cells whose kernel
    had to be replaced), fingerprint, seconds and graded_at. Scores are in the gradebook.
    """
    started = time.monotonic()
    record = new_record(job)
    with _ONE_AT_A_TIME:
        try:
            prepare_worker()
            api, cfg = _api(job.course_dir)
            grade_in(api, Path(job.course_dir), job, record)
            if record["status"] == "graded" and record["flags"]:
                flag_in_gradebook(cfg.CourseDirectory.db_url, job.assignment, job.student)
            if record["status"] == "graded" and job.feedback:
                done = api.generate_feedback(job.assignment.id, job.student, force=True)
                if not done["success"]:
                    record["feedback_error"] = failure_reason(done)
            if record["status"] != "graded":
                forget(job.course_dir, job.assignment.id, job.student, cfg.CourseDirectory.db_url)
        except Exception as e:       # the grader's own failure: say so, and let the others go on
            record.update(status="ungradeable", reason=f"the grader failed: {type(e).__name__}: {e}"[:300])
    return finish(record, job, started)


def new_record(job):
    return {"student": job.student, "status": None, "reason": None, "flags": [], "flag_details": {},
            "restarts": []}


def finish(record, job, started):
    record.update(fingerprint=job.fingerprint, seconds=round(time.monotonic() - started, 2),
                  graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return record


def grade_in(api, root, job, record):
    """Check, inspect and autograde job's submission in the course directory root (api's): fill record."""
    from . import integrity
    submission = root / "submitted" / job.student / job.assignment.id
    try:
        nb = precheck(submission, job.assignment)
    except NotGradable as e:
        record.update(status="ungradeable", reason=str(e))
        return
    flags = integrity.inspect(nb, job.locked)
    for flag, details in integrity.inspect_files(submission).items():
        flags[flag] = flags.get(flag, []) + details
    flags = {f: flags[f] for f in integrity.FLAGS if f in flags}
    record.update(flags=list(flags), flag_details=flags)
    api.config.Sandbox.enabled = job.sandbox
    POOL.sandbox = Sandbox(config=api.config)
    status, reason, run = autograde(api, job.assignment.id, job.student, job.time_limit)
    record.update(status=status, reason=reason, restarts=[list(r) for r in run.restarts])


def flag_in_gradebook(db_url, assignment, student):
    """Show integrity findings where instructors look: formgrader's "Flagged?" column. Never
    unflags, so that a flag an instructor set by hand survives regrading."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        gb.find_submission_notebook(assignment.notebook, assignment.id, student).flagged = True
        gb.db.commit()


def lost(job, why, status="timed_out"):
    """The record of a submission whose worker died or had to be stopped; its partial results are removed."""
    cfg = course_config(job.course_dir)
    forget(job.course_dir, job.assignment.id, job.student, cfg.CourseDirectory.db_url)
    return {"student": job.student, "status": status, "reason": why, "flags": [], "flag_details": {},
            "restarts": [], "fingerprint": job.fingerprint, "seconds": None,
            "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def interrupted(job):
    """The record of a submission while it is being graded: if grading stops (Ctrl-C, a crash),
    it stays, so that no half-graded score passes for a grade and the next run grades it again."""
    return {"student": job.student, "status": INTERRUPTED, "reason": "its grading was interrupted: run grade again",
            "flags": [], "flag_details": {}, "restarts": [], "fingerprint": None, "seconds": None, "graded_at": None}


def feedback_submission(job):
    """Write the feedback HTML of one graded submission: job is (course_dir, assignment_id, student).

    Returns (student, None) or (student, why it failed).
    """
    course_dir, assignment_id, student = job
    with _ONE_AT_A_TIME:
        try:
            api, _ = _api(course_dir)
            done = api.generate_feedback(assignment_id, student, force=True)
            return student, None if done["success"] else failure_reason(done)
        except Exception as e:
            return student, f"{type(e).__name__}: {e}"[:300]


# ---- the class: in the instructor's process -----------------------------------------------

def course_assignment(course_dir, assignment_id):
    """The assignment as the course directory's source/ defines it."""
    notebooks = sorted((Path(course_dir) / "source" / assignment_id).glob("*.ipynb"))
    if not notebooks:
        known = sorted(p.name for p in (Path(course_dir) / "source").glob("*") if p.is_dir())
        raise NotGradable(f"no assignment {assignment_id} in {Path(course_dir) / 'source'} "
                          f"(known: {', '.join(known) or 'none'})")
    return read_assignment(notebooks[0])


def records_path(course_dir, assignment_id):
    return Path(course_dir) / "reports" / assignment_id / "grading.json"


def load_records(course_dir, assignment_id):
    """{student: record} of earlier gradings of the assignment."""
    path = records_path(course_dir, assignment_id)
    try:
        return json.loads(path.read_text())["students"]
    except (OSError, ValueError, KeyError):
        return {}


def save_records(course_dir, assignment_id, records):
    path = records_path(course_dir, assignment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"assignment": assignment_id, "students": dict(sorted(records.items()))}, indent=1))
    os.replace(tmp, path)


def gradebook_version(gradebook, assignment):
    """A hash of the assignment's cells in the gradebook (hidden tests included): the grader's version."""
    h = hashlib.sha256()
    for sc in sorted(gradebook.find_notebook(assignment.notebook, assignment.id).source_cells, key=lambda c: c.name):
        h.update(f"{sc.name}\0{sc.checksum}\0{sc.source}\0".encode())
    return h.hexdigest()


def fingerprint(submission, version):
    """"<hash of the submission's files>:<the grader's version>": a regrade is due when it changes."""
    h = hashlib.sha256()
    for f in sorted(p for p in Path(submission).rglob("*") if p.is_file()):
        h.update(str(f.relative_to(submission)).encode() + b"\0" + f.read_bytes())
    return f"{h.hexdigest()[:20]}:{version[:12]}"


def ensure_assignment(cfg, assignment):
    """Record the assignment's cells in the course's gradebook, as `nbgrader generate_assignment`
    does, if they are not there yet. The student version it also builds goes to a temporary
    directory: the course's release/ is not touched. Returns True if it had to."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    with Gradebook(cfg.CourseDirectory.db_url) as gb:
        try:
            gb.find_notebook(assignment.notebook, assignment.id)
            return False
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory(prefix="bptt-release-") as tmp:
        cfg = copy.deepcopy(cfg)
        cfg.CourseDirectory.release_directory = tmp
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        done = api.generate_assignment(assignment.id, force=True, create=True)
    if not done["success"]:
        raise RuntimeError(f"nbgrader generate_assignment {assignment.id} failed: {failure_reason(done)}")
    return True


def _up_to_date(record, fp, course_dir, assignment):
    if not record or record.get("fingerprint") != fp or record.get("status") not in STATUSES:
        return False
    if record["status"] == "graded":   # still there (nobody removed it since)?
        return (Path(course_dir) / "autograded" / record["student"] / assignment.id /
                f"{assignment.notebook}.ipynb").is_file()
    return True


def grade_class(assignment_id, course_dir=ROOT, *, jobs=None, students=None, force=False, scheduler=None,
                time_limit=None, feedback=False, progress=True, sandbox=True):
    """Grade the class's submissions of an assignment; write the reports. Returns a dict:

    assignment, students (the report rows of the students asked for, reports.py), graded_now and
    up_to_date (lists of students), summary (the class summary, text) and reports (paths).
    feedback: also write each graded student's feedback HTML (see feedback_class).
    sandbox: run each kernel in a sandbox; False only where none can be made (--no-sandbox).
    Raises NotGradable for an unknown assignment or student, SandboxUnavailable when no sandbox
    can be made and sandbox is True.
    """
    if sandbox and scheduler is None:    # on Dask, each worker's machine is checked as it grades
        check_available()
    root = Path(course_dir).resolve()
    a = course_assignment(root, assignment_id)
    submitted = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{a.id}") if p.is_dir())
    if not submitted:
        raise NotGradable(f"no submissions of {a.id} in {root / 'submitted'}/<student>/{a.id}/: "
                          "collect them first (nbgrader collect or zip_collect)")
    if students:
        missing = [s for s in students if s not in submitted]
        if missing:
            raise NotGradable(f"no submission of {a.id} by {', '.join(missing)} under {root / 'submitted'}")
    from .workers import DaskPool, LocalPool, start_early
    selected = list(dict.fromkeys(students or submitted))
    records = load_records(root, a.id)
    n = max(1, min(jobs or os.cpu_count() or 1, len(selected)))
    log = records_path(root, a.id).with_name("grade.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    # unless every submission looks graded already, the workers' fork server starts now and
    # imports nbgrader while this process does
    likely = force or any((records.get(s, {}).get("fingerprint") or ":").split(":")[0] !=
                          fingerprint(root / "submitted" / s / a.id, "").split(":")[0] for s in selected)
    if likely and scheduler is None:
        start_early()
    prepare_imports()
    from tqdm import tqdm

    from . import reports
    from .integrity import locked_cells
    pool = LocalPool(n, log) if likely and scheduler is None else None
    stopped = False
    try:
        from nbgrader.api import Gradebook
        cfg = course_config(root)
        limit = float(time_limit or notebook_time_limit(cfg))
        with gradebook_errors(cfg):
            ensure_assignment(cfg, a)
            with Gradebook(cfg.CourseDirectory.db_url) as gb:
                locked = locked_cells(gb, a.id, a.notebook)
                # what grading depends on besides the submission: the hidden tests and the time limits
                version = hashlib.sha256(f"{gradebook_version(gb, a)}:{limit:g}:{cfg.Execute.timeout}".encode()).hexdigest()
        todo, current = [], []
        for s in selected:
            fp = fingerprint(root / "submitted" / s / a.id, version)
            if not force and _up_to_date(records.get(s), fp, root, a):
                current.append(s)
            else:
                todo.append(Job(str(root), a, s, limit, locked, fp, feedback, sandbox))
        if todo:
            if pool is None:
                pool = DaskPool(scheduler) if scheduler else LocalPool(min(n, len(todo)), log)
            with tqdm(total=len(todo), unit="submission", desc=f"grading {a.id}",
                      disable=not (progress and sys.stderr.isatty()), leave=False) as bar:
                def on_start(jobs):      # until their records come back, they have no valid grade
                    for job in jobs:
                        records[job.student] = interrupted(job)
                    save_records(root, a.id, records)

                saved = time.monotonic()
                try:
                    for record in pool.run(todo, limit + GRACE, lost, on_start):
                        records[record["student"]] = record
                        # grading.json holds the whole class: written at most once a second (a
                        # record lost in a crash stays "interrupted", and is graded again)
                        if time.monotonic() - saved >= 1.0:
                            save_records(root, a.id, records)
                            saved = time.monotonic()
                        bar.set_postfix_str(f"{record['student']}: {record['status']}", refresh=False)
                        bar.update()
                except KeyboardInterrupt:
                    for s, record in records.items():     # what was half graded leaves no score behind
                        if record["status"] == INTERRUPTED:
                            forget(root, a.id, s, cfg.CourseDirectory.db_url)
                    stopped = True
                finally:
                    save_records(root, a.id, records)
    finally:
        if pool is not None:
            pool.close()
    with gradebook_errors(cfg):
        written = reports.write(root, a, records, cfg)     # also when stopped: they match the gradebook
    if stopped:
        raise KeyboardInterrupt
    rows = {r["student"]: r for r in written["rows"]}
    return {"assignment": a.id, "students": [rows[s] for s in selected if s in rows],
            "graded_now": [j.student for j in todo], "up_to_date": current,
            "summary": written["summary"], "reports": written["paths"]}


def feedback_class(assignment_id, course_dir=ROOT, *, jobs=None, students=None, progress=True):
    """Write the feedback HTML of the graded submissions, in parallel workers, into
    feedback/<student>/<assignment>/ (where `nbgrader release_feedback` finds it).

    This is nbgrader's generate_feedback with the course's leak-free configuration, as a step
    of its own: run it after reviewing the grades in formgrader, so that the feedback shows the
    final scores. Returns {"assignment", "written": [students], "failed": {student: reason}}.
    """
    from tqdm import tqdm

    from .workers import LocalPool, start_early
    root = Path(course_dir).resolve()
    a = course_assignment(root, assignment_id)
    records = load_records(root, a.id)
    graded = [s for s, r in sorted(records.items()) if r["status"] == "graded"]
    if students:
        missing = [s for s in students if s not in graded]
        if missing:
            why = "; ".join(f"{s}: {records[s]['status']}" if s in records else f"{s}: not graded yet (grade them first)"
                            for s in missing)
            raise NotGradable(f"no feedback without a graded submission of {a.id} ({why})")
    selected = list(dict.fromkeys(students or graded))
    written, failed = [], {}
    if selected:
        start_early()
        log = records_path(root, a.id).with_name("grade.log")
        pool = LocalPool(max(1, min(jobs or os.cpu_count() or 1, len(selected))), log,
                         job_function=feedback_submission, prepare=prepare_imports)
        try:
            with tqdm(total=len(selected), unit="student", desc=f"feedback {a.id}",
                      disable=not (progress and sys.stderr.isatty()), leave=False) as bar:
                jobs_ = [(str(root), a.id, s) for s in selected]
                for student, why in pool.run(jobs_, 300, lambda job, why, status=None: (job[2], why)):
                    if why:
                        failed[student] = why
                    else:
                        written.append(student)
                    bar.update()
        finally:
            pool.close()
    return {"assignment": a.id, "written": sorted(written), "failed": failed}
