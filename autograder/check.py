"""Grade one filled-in notebook with nbgrader, in a throw-away course directory.

This is the self-study learner's command (`python -m autograder check NOTEBOOK`) and the
building block of class grading. It runs nbgrader's own generate_assignment (to record the
graded cells and their checksums) and autograde (which restores the hidden tests and locked
cells, executes and scores), through nbgrader's Python API rather than its command line, so
that one process does it all. Nothing is written to the course directory.
"""
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from .autograde import autograde, course_config, failure_reason, install_fast_gradebook, notebook_time_limit
from .autograde import results as autograde_results
from .course import CONFIG, NotGradable, identify, nbgrader_cells, read_notebook_json
from .kernels import POOL
from .sandbox import Sandbox

STUDENT = "self"


def _cache_key(source):
    """Changes whenever the source folder of the assignment, the course config or nbgrader changes."""
    import nbgrader
    h = hashlib.sha256(nbgrader.__version__.encode() + CONFIG.read_bytes())
    for f in sorted(source.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(source)).encode() + f.read_bytes())
    return h.hexdigest()[:20]


def gradebook_with_assignment(api, assignment, root):
    """Put the assignment's cells into the gradebook of the scratch course directory root (its
    source/<assignment>/ in place), as generate_assignment does.

    generate_assignment costs a third of a second; its gradebook is kept in the user's cache
    directory (never in the course), keyed by the source's content, and copied on later runs.
    """
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bptt-course"
    cached = cache / f"gradebook-{assignment.id}-{_cache_key(root / 'source' / assignment.id)}.db"
    if cached.is_file() and _readable_gradebook(cached, assignment):
        shutil.copyfile(cached, root / "gradebook.db")
        return
    made = api.generate_assignment(assignment.id)
    if not made["success"]:
        raise RuntimeError(f"the course's own source notebook failed to build: {failure_reason(made)}")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(root / "gradebook.db", tmp)
        os.replace(tmp, cached)          # atomic: concurrent checks never see half a file
        for old in cache.glob(f"gradebook-{assignment.id}-*.db"):
            if old != cached:            # made from an older version of the assignment
                old.unlink(missing_ok=True)
    except OSError:
        pass                             # no cache then; the next run generates again


def _readable_gradebook(path, assignment):
    """Whether a cached gradebook is intact (a damaged one is removed, and made again)."""
    import sqlite3
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            if db.execute("select count(*) from notebook where name = ?", (assignment.notebook,)).fetchone()[0]:
                return True
    except sqlite3.Error:
        pass
    path.unlink(missing_ok=True)
    return False


def check(path, sandbox=True):
    """Grade the notebook at path. Returns the result dict of the grading contract.

    Raises NotGradable, with a one-line reason, for a file that cannot be graded, and
    SandboxUnavailable when no sandbox can be made here (unless sandbox is False).
    """
    path = Path(path)
    nb = read_notebook_json(path)
    assignment = identify(nb, path.name)
    if not {m.get("grade_id") for m in nbgrader_cells(nb)} & set(assignment.grade_ids):
        raise NotGradable(f"{path}: none of its cells are those of {assignment.id} (was it copied into a new "
                          "notebook? work in the notebook of the release)")
    confine = Sandbox(enabled=sandbox)
    POOL.prestart(confine)   # the kernel boots while nbgrader is imported
    install_fast_gradebook()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory(prefix="bptt-check-") as tmp:
        root = Path(tmp)
        shutil.copytree(assignment.source_dir, root / "source" / assignment.id,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        submitted = root / "submitted" / STUDENT / assignment.id
        submitted.mkdir(parents=True)
        shutil.copyfile(path, submitted / f"{assignment.notebook}.ipynb")

        cfg = course_config(root, scratch=True)
        cfg.Sandbox.enabled = confine.enabled
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        gradebook_with_assignment(api, assignment, root)
        status, reason, _ = autograde(api, assignment.id, STUDENT, notebook_time_limit(cfg))
        if status != "graded":
            if "KeyboardInterrupt" in reason and not reason.startswith("the notebook"):
                raise KeyboardInterrupt  # Ctrl-C, which nbgrader reports as a failure of the notebook
            raise NotGradable(f"{path}: {reason}")
        return autograde_results(root, assignment, STUDENT, cfg)
