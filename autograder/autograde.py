"""nbgrader's autograde of one submission in a course directory, and what it found.

Shared by `check` (one notebook, in a throw-away course directory) and `grade` (a whole class,
in the instructor's course directory): the course's nbgrader configuration pointed at a course
root, a gradebook without alembic's subprocess, nbgrader's autograde under a time limit, and the
per-test results read back from the gradebook and the autograded notebook.
"""
import contextlib
import json
import re
from pathlib import Path

from .course import CONFIG, NotGradable

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def course_config(root, config_file=None, scratch=False):
    """The nbgrader configuration of the course directory `root`.

    It is root's nbgrader_config.py if there is one, else the course's, with the autograder's
    preprocessors (execute.py, preprocessors.py) and feedback that shows no hidden test
    (feedback.py). The gradebook is the one it configures (`CourseDirectory.db_url`: SQLite,
    PostgreSQL, ...), else root's gradebook.db, waiting for a lock rather than failing. A scratch
    course directory (check's, release's) always has a gradebook.db of its own.
    """
    from traitlets.config.loader import PyFileConfigLoader

    from .execute import autograde_preprocessors
    from .feedback import feedback_preprocessors
    from .preprocessors import sanitize_preprocessors
    root = Path(root)
    if config_file is None:
        config_file = root / "nbgrader_config.py" if (root / "nbgrader_config.py").is_file() else CONFIG
    config_file = Path(config_file)
    cfg = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    cfg.CourseDirectory.root = str(root)
    if scratch or "db_url" not in cfg.CourseDirectory:
        cfg.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}?timeout=30"
    if scratch or "root" not in cfg.Exchange:
        cfg.Exchange.root = str(root / "exchange")     # unused here; stops nbgrader warning about it
    cfg.Autograde.sanitize_preprocessors = sanitize_preprocessors()
    cfg.Autograde.autograde_preprocessors = autograde_preprocessors()
    cfg.GenerateFeedback.preprocessors = feedback_preprocessors()
    return cfg


@contextlib.contextmanager
def gradebook_errors(cfg):
    """Turn a gradebook database that cannot be used (a server down, a wrong URL, no driver)
    into NotGradable, with one line that names it (without its password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
    try:
        yield
    except (OperationalError, ArgumentError, NoSuchModuleError) as e:
        try:
            url = make_url(cfg.CourseDirectory.db_url).render_as_string(hide_password=True)
        except ArgumentError:
            url = "its URL is malformed"
        detail = str(getattr(e, "orig", None) or e).strip().splitlines()
        raise NotGradable(f"the gradebook's database cannot be reached ({url}): "
                          f"{detail[0] if detail else type(e).__name__}") from None


def notebook_time_limit(cfg):
    """Seconds a whole notebook may run, unless the instructor says otherwise: five cell timeouts."""
    return 5 * (cfg.Execute.timeout or 30)


def _fast_alembic_version():
    """nbgrader asks the alembic command line for its schema head (about 2 s); ask alembic in-process."""
    import nbgrader
    from alembic.script import ScriptDirectory
    return ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()


_ENGINES = {}


def _shared_engine(url, **kwargs):
    """SQLAlchemy's create_engine, once per database in a process. nbgrader opens a new Gradebook,
    with an engine of its own, about ten times per submission it autogrades; each new engine
    compiled every query again (half the CPU of recording a Dask worker's result). Closing a
    Gradebook still closes its connections (Engine.dispose); the compiled queries stay."""
    from sqlalchemy import create_engine
    key = (str(url), tuple(sorted(kwargs.items())))
    if key not in _ENGINES:
        if len(_ENGINES) >= 8:       # a process that opens many gradebooks keeps the latest
            _ENGINES.pop(next(iter(_ENGINES))).dispose()
        _ENGINES[key] = create_engine(url, **kwargs)
    return _ENGINES[key]


class _CheckedSchemas:
    """In place of the jsonschema module in nbgrader's cell metadata validation, which calls
    jsonschema.validate on every graded cell, twice per autograde: that checks nbgrader's own
    schema against the JSON Schema meta-schema each time (a fifth of the CPU of recording a
    result). Here each schema is checked once, and its validator kept."""

    def __init__(self):
        self._validators = {}

    def validate(self, instance, schema):
        import jsonschema
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        self._validators[key].validate(instance)


def install_fast_gradebook():
    """Import nbgrader (the slowest part of starting to grade), with its gradebook made faster to
    open and its notebooks' metadata faster to validate."""
    import sys
    import warnings

    from .startup import bulk_imports
    if "nbgrader.apps" not in sys.modules:
        with bulk_imports():
            import nbgrader.apps  # noqa: F401  (all of nbgrader, at once)
    import nbgrader.api
    from sqlalchemy.exc import SAWarning
    nbgrader.api.get_alembic_version = _fast_alembic_version
    nbgrader.api.create_engine = _shared_engine
    import nbgrader.nbgraderformat.common as metadata
    if not isinstance(metadata.jsonschema, _CheckedSchemas):
        metadata.jsonschema = _CheckedSchemas()
    # nbgrader 0.9 with SQLAlchemy 2 warns about its own session use; nothing a user can act on
    warnings.filterwarnings("ignore", category=SAWarning)


def cell_message(cell, score, max_score, timeout):
    """One line saying why a graded cell lost points, from its outputs."""
    if score is not None and score >= max_score:
        return ""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), ANSI.sub("", str(out.get("evalue", ""))).strip()
            first = evalue.splitlines()[0] if evalue else ""
            if ename == "DeadKernelError" or (ename == "CellTimeoutError" and first):
                return first                            # written by the autograder's Execute
            if ename in ("CellTimeoutError", "KeyboardInterrupt"):   # nbgrader interrupts a cell at its timeout
                return f"the cell did not finish within {timeout} s and was interrupted (an infinite loop?)"
            return first if ename == "AssertionError" and first else f"{ename}: {first}".rstrip(": ")
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            line = ANSI.sub("", out.get("text", "")).strip().splitlines()
            return "the cell wrote to stderr, which nbgrader scores as 0: " + (line[0] if line else "")
    return "no points (the cell did not run)" if score is None else "no points"


def results(course_root, assignment, student, cfg=None, gradebook=None):
    """Per-test results of an autograded submission: from the gradebook and the autograded notebook.

    The result dict of the grading contract: assignment, notebook, score, max_score, tests.
    gradebook: an open nbgrader Gradebook of the course, to read many results in one session.
    """
    from nbgrader.api import Gradebook
    cfg = cfg or course_config(course_root)
    if gradebook is None:
        with Gradebook(cfg.CourseDirectory.db_url) as gb:
            return results(course_root, assignment, student, cfg, gb)
    sub = gradebook.find_submission_notebook(assignment.notebook, assignment.id, student)
    scores = {g.name: g.score for g in sub.grades}
    nb_path = Path(course_root) / "autograded" / student / assignment.id / f"{assignment.notebook}.ipynb"
    cells = {c["metadata"]["nbgrader"]["grade_id"]: c for c in json.loads(nb_path.read_text())["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
    tests = []
    for grade_id, points in assignment.graded:
        score = scores.get(grade_id)
        message = cell_message(cells.get(grade_id, {}), score, points, cfg.Execute.timeout)
        score = float(score or 0.0)
        tests.append({"grade_id": grade_id, "score": score, "max_score": points,
                      "passed": score >= points, "message": message})
    return {"assignment": assignment.id, "notebook": f"{assignment.notebook}.ipynb",
            "score": sum(t["score"] for t in tests), "max_score": sum(t["max_score"] for t in tests),
            "tests": tests}


# The last line of a Python traceback: "package.module.SomeError: what went wrong".
_EXCEPTION = re.compile(r"^\s*(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt|TimedOut)|MissingEntry)(?::\s*(.*))?$")
_INVALID_CELL = re.compile(r"On instance\['cells'\]\[(\d+)\]")   # nbformat's validation error
_EXPLAINED = {
    "DeadKernelError": "the kernel died while the notebook ran (os._exit, a crash, or out of memory)",
    "UnresponsiveKernelError": "the kernel stopped responding (an infinite loop using a lot of memory?)",
}


def failure_reason(result):
    """Why nbgrader could not process a submission, in one line, from its captured log."""
    text = ANSI.sub("", (result.get("log") or "") + "\n" + (result.get("error") or ""))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    found = [m for m in map(_EXCEPTION.match, lines) if m and m.group(1) != "NbGraderException"]
    if found:
        name, detail = found[-1].group(1), (found[-1].group(2) or "").strip()
        reason = _EXPLAINED.get(name) or f"{name}: {detail}".rstrip(": ")
        cell = _INVALID_CELL.search(text)
        missing = re.search(r"No such grade cell: [^/]+/[^/]+/(\S+)", detail)
        if name == "MissingEntry" and missing:
            reason = (f"the notebook marks its cell {missing.group(1)} as graded, which the assignment does not "
                      "(was the cell's metadata edited?)")
        if name == "NotebookValidationError" and cell:   # its detail is a dump of the whole cell
            reason = (f"cell {int(cell.group(1)) + 1} of the notebook does not follow Jupyter's notebook "
                      "format (was the file edited outside Jupyter?)")
    else:
        errors = [ln[len("[ERROR]"):].strip() for ln in lines if ln.startswith("[ERROR]")]
        errors = [e for e in errors if not e.startswith(("There was an error processing", "Please see"))]
        reason = errors[0] if errors else lines[-1] if lines else "unknown error"
    return reason[:300]


def autograde(api, assignment_id, student, time_limit=None):
    """Run nbgrader's autograde on one submission. Returns (status, reason, run).

    status is "graded", "timed_out" (the notebook ran past time_limit seconds) or "ungradeable"
    (nbgrader could not process it; reason says why). nbgrader removes the autograded output of
    a submission it could not process. run is the execute.Run, which lists the cells whose
    kernel had to be replaced.
    """
    from .execute import time_limit as limit
    with limit(time_limit) as run:
        done = api.autograde(assignment_id, student, force=True, create=True)
    if done["success"]:
        return "graded", None, run
    if run.timed_out:
        return "timed_out", f"the notebook did not finish within the time limit of {time_limit:g} s ({run.where()})", run
    return "ungradeable", f"nbgrader could not grade it: {failure_reason(done)}", run
