"""Grade one filled-in notebook with nbgrader, in a throw-away course directory.

This is the self-study learner's command (`python -m autograder check NOTEBOOK`) and the
building block of class grading. It runs nbgrader's own generate_assignment (to record the
graded cells and their checksums) and autograde (which restores the hidden tests and locked
cells, executes and scores), through nbgrader's Python API rather than its command line, so
that one process does it all. Nothing is written to the course directory.
"""
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from .course import CONFIG, NotGradable, identify, read_notebook_json
from .kernels import POOL

STUDENT = "self"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def course_config(root):
    """The course's nbgrader_config.py, pointed at another course root."""
    from traitlets.config.loader import PyFileConfigLoader
    cfg = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}?timeout=30"
    cfg.Exchange.root = str(Path(root) / "exchange")     # unused; stops nbgrader warning about it
    from .execute import autograde_preprocessors
    cfg.Autograde.autograde_preprocessors = autograde_preprocessors()
    return cfg


def _fast_alembic_version():
    """nbgrader asks the alembic command line for its schema head (about 2 s); ask alembic in-process."""
    import nbgrader
    from alembic.script import ScriptDirectory
    return ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()


def _install_fast_gradebook():
    import warnings

    import nbgrader.api
    from sqlalchemy.exc import SAWarning
    if nbgrader.api.get_alembic_version is not _fast_alembic_version:
        nbgrader.api.get_alembic_version = _fast_alembic_version
    # nbgrader 0.9 with SQLAlchemy 2 warns about its own session use; nothing a user can act on
    warnings.filterwarnings("ignore", category=SAWarning)


def _message(cell, score, max_score, timeout):
    """One line saying why a graded cell lost points, from its outputs."""
    if score is not None and score >= max_score:
        return ""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), ANSI.sub("", str(out.get("evalue", ""))).strip()
            if ename in ("CellTimeoutError", "KeyboardInterrupt"):   # nbgrader interrupts a cell at its timeout
                return f"the cell did not finish within {timeout} s and was interrupted (an infinite loop?)"
            first = evalue.splitlines()[0] if evalue else ""
            return first if ename == "AssertionError" and first else f"{ename}: {first}".rstrip(": ")
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            line = ANSI.sub("", out.get("text", "")).strip().splitlines()
            return "the cell wrote to stderr, which nbgrader scores as 0: " + (line[0] if line else "")
    return "no points (the cell did not run)" if score is None else "no points"


def results(course_root, assignment, student=STUDENT):
    """Per-test results of an autograded submission: from the gradebook and the autograded notebook."""
    import json

    from nbgrader.api import Gradebook
    cfg = course_config(course_root)
    with Gradebook(cfg.CourseDirectory.db_url) as gb:
        sub = gb.find_submission_notebook(assignment.notebook, assignment.id, student)
        scores = {g.name: g.score for g in sub.grades}
    nb_path = Path(course_root) / "autograded" / student / assignment.id / f"{assignment.notebook}.ipynb"
    cells = {c["metadata"]["nbgrader"]["grade_id"]: c for c in json.loads(nb_path.read_text())["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
    tests = []
    for grade_id, points in assignment.graded:
        score = scores.get(grade_id)
        message = _message(cells.get(grade_id, {}), score, points, cfg.Execute.timeout)
        score = float(score or 0.0)
        tests.append({"grade_id": grade_id, "score": score, "max_score": points,
                      "passed": score >= points, "message": message})
    return {"assignment": assignment.id, "notebook": f"{assignment.notebook}.ipynb",
            "score": sum(t["score"] for t in tests), "max_score": sum(t["max_score"] for t in tests),
            "tests": tests}


def _failure_reason(result):
    """The last line of nbgrader's error, which says why a submission could not be graded."""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("[ERROR]")]
    return (errors[-1][len("[ERROR]"):].strip() if errors else lines[-1] if lines else "unknown error")[:300]


def _cache_key(assignment):
    """Changes whenever the source of the assignment, the course config or nbgrader changes."""
    import nbgrader
    h = hashlib.sha256(nbgrader.__version__.encode() + CONFIG.read_bytes())
    for f in sorted(assignment.source_dir.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(assignment.source_dir)).encode() + f.read_bytes())
    return h.hexdigest()[:20]


def _gradebook_with_assignment(api, assignment, root):
    """Put the assignment's cells into root's gradebook, as generate_assignment does.

    generate_assignment costs a third of a second; its gradebook is kept in the user's cache
    directory (never in the course), keyed by the source's content, and copied on later runs.
    """
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bptt-course"
    cached = cache / f"gradebook-{assignment.id}-{_cache_key(assignment)}.db"
    if cached.is_file():
        shutil.copyfile(cached, root / "gradebook.db")
        return
    made = api.generate_assignment(assignment.id)
    if not made["success"]:
        raise RuntimeError(f"the course's own source notebook failed to build: {_failure_reason(made)}")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(root / "gradebook.db", tmp)
        os.replace(tmp, cached)          # atomic: concurrent checks never see half a file
    except OSError:
        pass                             # no cache then; the next run generates again


def check(path):
    """Grade the notebook at path. Returns the result dict of the grading contract.

    Raises NotGradable, with a one-line reason, for a file that cannot be graded.
    """
    path = Path(path)
    assignment = identify(read_notebook_json(path), path.name)
    POOL.prestart()          # the kernel boots while nbgrader is imported
    _install_fast_gradebook()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory(prefix="bptt-check-") as tmp:
        root = Path(tmp)
        shutil.copytree(assignment.source_dir, root / "source" / assignment.id,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        submitted = root / "submitted" / STUDENT / assignment.id
        submitted.mkdir(parents=True)
        shutil.copyfile(path, submitted / f"{assignment.notebook}.ipynb")

        cfg = course_config(root)
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        _gradebook_with_assignment(api, assignment, root)
        graded = api.autograde(assignment.id, STUDENT)
        if not graded["success"]:
            raise NotGradable(f"{path}: nbgrader could not grade it: {_failure_reason(graded)}")
        return results(root, assignment)
