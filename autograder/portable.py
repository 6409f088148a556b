"""Grading jobs that carry what they need, for machines that share no file system (Dask).

A portable job holds the submission's files, the assignment's source folder (its notebook,
whose graded cells hold the hidden tests, and the files released with it), the course's
settings that can travel (the cell timeout, the sandbox's limits, ...) and the version of the
grader that made it. A worker grades it in a scratch course directory of its own, exactly as
grade.grade_submission does in the course directory (the same sandbox, the same judge), and
sends back the record and the autograded notebook.

Only the instructor's process writes the course's gradebook and folders: `import_result`
runs nbgrader's own autograde on the submission with ReplayOutputs in place of execution, so
that nbgrader records the submission, its timestamp and its scores as it always does. A job that
Dask retries after its worker died comes back, and is imported, once.
"""
import atexit
import copy
import dataclasses
import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from . import grade
from .autograde import course_config, failure_reason, install_fast_gradebook

# settings of the course that stay with the instructor's machine (paths, the gradebook, the pipeline)
LOCAL = {"CourseDirectory", "Exchange", "ExchangeCollect", "ExchangeFetchFeedback", "ExchangeReleaseFeedback",
         "Autograde", "GenerateFeedback", "ExportApp", "NbGrader", "NbGraderAPI"}


@cache
def grader_version():
    """A hash of the autograder package's code: a worker must grade with the instructor's."""
    package = Path(__file__).parent
    h = hashlib.sha256()
    for f in sorted(package.rglob("*.py")):
        h.update(str(f.relative_to(package)).encode() + f.read_bytes())
    return h.hexdigest()[:16]


def _files(folder, follow_links=True):
    """{relative path: bytes} of a folder's files; without follow_links, a symbolic link is None
    (the worker makes a link again, which precheck refuses there as here)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): None if p.is_symlink() and not follow_links else p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if (p.is_file() or p.is_symlink() and not follow_links) and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}


def travelling_settings(cfg):
    """The course's settings that a worker elsewhere applies: plain values, not paths."""
    out = {}
    for section, values in cfg.items():
        if section in LOCAL or not hasattr(values, "items"):
            continue
        for key, value in values.items():
            try:
                json.dumps(value)
            except TypeError:
                continue
            out.setdefault(section, {})[key] = value
    return out


@dataclass(frozen=True)
class PortableJob:
    """A grade.Job without its course directory: the files it needs travel with it (the
    assignment's source folder, the same for every job, travels beside it: `source`)."""
    job: grade.Job
    files: dict = field(repr=False)        # {relative path: bytes} of submitted/<student>/<assignment>/
    settings: dict = field(repr=False)     # travelling_settings of the course's configuration
    grader: str = ""


def source(course_dir, assignment_id):
    """{relative path: bytes} of the assignment's source folder."""
    return _files(Path(course_dir) / "source" / assignment_id)


def portable(job, cfg):
    """The portable form of a job of the course directory job.course_dir."""
    return PortableJob(job=dataclasses.replace(job, course_dir=None),
                       files=_files(Path(job.course_dir) / "submitted" / job.student / job.assignment.id,
                                    follow_links=False),
                       settings=travelling_settings(cfg), grader=grader_version())


@cache
def _scratch_root():
    root = Path(tempfile.mkdtemp(prefix="bptt-worker-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def scratch_course():
    """An empty course directory for the next job. It is at the same path for every job of a
    process, so that nbgrader's gradebook there has one engine whose compiled queries serve
    every job (autograde._shared_engine). Removed when the process exits."""
    root = _scratch_root()
    for p in root.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    return root


def grade_portable(pjob, source):
    """Grade a portable job, with the assignment's source folder, in a scratch course directory (on
    a worker). Returns {"record": what grade.grade_submission returns, "notebook": the autograded
    notebook's text, or None}."""
    job, started = pjob.job, time.monotonic()
    record, notebook = grade.new_record(job), None
    with grade._ONE_AT_A_TIME:
        try:
            if pjob.grader != grader_version():
                raise RuntimeError(f"this worker's autograder ({grader_version()}) is not the instructor's "
                                   f"({pjob.grader}): install the same version of the course on it")
            grade.prepare_worker()
            install_fast_gradebook()
            from nbgrader.apps import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            from .check import gradebook_with_assignment
            root = scratch_course()
            for where, files in ((root / "source" / job.assignment.id, source),
                                 (root / "submitted" / job.student / job.assignment.id, pjob.files)):
                for rel, data in files.items():
                    (where / rel).parent.mkdir(parents=True, exist_ok=True)
                    if data is None:
                        (where / rel).symlink_to("a link of the submission, not carried")
                    else:
                        (where / rel).write_bytes(data)
            cfg = course_config(root, scratch=True)
            for section, values in pjob.settings.items():
                for key, value in values.items():
                    cfg[section][key] = value
            api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
            gradebook_with_assignment(api, job.assignment, root)
            grade.grade_in(api, root, job, record)
            if record["status"] == "graded":
                notebook = (root / "autograded" / job.student / job.assignment.id /
                            f"{job.assignment.notebook}.ipynb").read_text()
        except Exception as e:       # the grader's own failure: say so, and let the others go on
            record.update(status="ungradeable", reason=f"the grader failed: {type(e).__name__}: {e}"[:300])
    return {"record": grade.finish(record, job, started), "notebook": notebook}


class ReplayOutputs(NbGraderPreprocessor):
    """In place of execution, when importing a portable job's result: each cell gets the outputs
    that the worker's autograde gave it. The cells must be the worker's, one for one (nbgrader's
    sanitizing steps made both from the same submission and the same gradebook)."""

    notebooks = {}      # student -> the worker's autograded notebook (a NotebookNode)

    def preprocess(self, nb, resources):
        theirs = self.notebooks.pop(resources["nbgrader"]["student"]).cells
        if len(theirs) != len(nb.cells):
            raise ValueError(f"the worker's notebook has {len(theirs)} cells, this one {len(nb.cells)}")
        for i, (cell, done) in enumerate(zip(nb.cells, theirs)):
            if cell.cell_type != done.cell_type or cell.source != done.source:
                raise ValueError(f"cell {i} of the worker's notebook is not this submission's")
            if cell.cell_type == "code":
                cell.outputs = copy.deepcopy(done.outputs)
                cell.execution_count = done.execution_count
        return nb, resources


@cache
def _import_api(course_dir):
    """nbgrader's API on the course directory, autograding with ReplayOutputs in place of
    execution: made once per process, like a worker's (grade._api)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from .execute import JudgedExecute
    cfg = copy.deepcopy(course_config(course_dir))
    cfg.Autograde.autograde_preprocessors = [ReplayOutputs if p is JudgedExecute else p
                                             for p in cfg.Autograde.autograde_preprocessors]
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg), cfg


def import_result(course_dir, job, result):
    """Record a portable job's result in the course directory and its gradebook (the instructor's
    process). Returns the record."""
    record = dict(result["record"])
    api, cfg = _import_api(course_dir)
    if record["status"] == "graded":
        ReplayOutputs.notebooks[job.student] = nbformat.reads(result["notebook"], as_version=4)
        done = api.autograde(job.assignment.id, job.student, force=True, create=True)
        ReplayOutputs.notebooks.pop(job.student, None)
        if not done["success"]:
            record.update(status="ungradeable", reason=f"its result could not be recorded: {failure_reason(done)}")
        else:
            if record["flags"]:
                grade.flag_in_gradebook(cfg.CourseDirectory.db_url, job.assignment, job.student)
            if job.feedback:
                fb = api.generate_feedback(job.assignment.id, job.student, force=True)
                if not fb["success"]:
                    record["feedback_error"] = failure_reason(fb)
    if record["status"] != "graded":
        grade.forget(course_dir, job.assignment.id, job.student, cfg.CourseDirectory.db_url)
    return record
