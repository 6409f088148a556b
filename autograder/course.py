"""Where the course lives, which assignments it has, and how to tell them apart."""
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent          # the course directory (repository root)
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
CONFIG = ROOT / "nbgrader_config.py"


class NotGradable(Exception):
    """A file that cannot be graded; the message is one line for the user."""


@dataclass(frozen=True)
class Assignment:
    id: str             # folder name, e.g. "01_rnn_step_by_step"
    notebook: str       # notebook name without .ipynb
    grade_ids: tuple    # ids of every nbgrader cell of the source notebook, in order
    graded: tuple       # (grade_id, points) of every graded cell, in order

    @property
    def source_dir(self):
        return SOURCE / self.id


def nbgrader_cells(nb):
    """The nbgrader metadata of every cell of a notebook given as plain JSON (cells with a
    malformed grade_id count as cells without nbgrader metadata: they cannot be matched)."""
    found = []
    for c in nb.get("cells", []):
        meta = c.get("metadata") if isinstance(c, dict) else None
        info = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(info, dict) and isinstance(info.get("grade_id", ""), str):
            found.append(info)
    return found


def read_assignment(nb_path):
    """The Assignment whose source notebook is nb_path (source/<id>/<notebook>.ipynb of a course)."""
    nb_path = Path(nb_path)
    meta = nbgrader_cells(json.loads(nb_path.read_text()))
    return Assignment(id=nb_path.parent.name, notebook=nb_path.stem,
                      grade_ids=tuple(m["grade_id"] for m in meta if "grade_id" in m),
                      graded=tuple((m["grade_id"], float(m.get("points", 0))) for m in meta if m.get("grade")))


@cache
def assignments():
    """Every assignment of the course, found in source/ (one notebook per assignment)."""
    return {p.parent.name: read_assignment(p) for p in sorted(SOURCE.glob("*/*.ipynb"))}


def read_notebook_json(path):
    """Load a notebook as plain JSON, or raise NotGradable saying why it cannot be read."""
    path = Path(path)
    if path.is_dir():
        raise NotGradable(f"{path}: a directory, not a notebook")
    if not path.is_file():
        raise NotGradable(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise NotGradable(f"{path}: an empty file (0 bytes), not a notebook")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise NotGradable(f"{path}: not a text file, so not a notebook") from None
    except json.JSONDecodeError as e:
        raise NotGradable(f"{path}: not valid JSON (line {e.lineno}: {e.msg}), so not a readable notebook") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or "nbformat" not in nb:
        raise NotGradable(f"{path}: valid JSON but not a Jupyter notebook (no cells or nbformat)")
    if nb["nbformat"] != 4:
        raise NotGradable(f"{path}: notebook format {nb['nbformat']!r} is not supported; "
                          "only version 4 notebooks (saved by Jupyter 4 or later) are")
    for i, cell in enumerate(nb["cells"], 1):     # nbformat and nbgrader fail on these, obscurely
        metadata = cell.get("metadata", {}) if isinstance(cell, dict) else None
        if not isinstance(metadata, dict) or not isinstance(metadata.get("nbgrader", {}), dict):
            raise NotGradable(f"{path}: cell {i} is malformed (it or its metadata is not a JSON object): "
                              "was the file edited outside Jupyter?")
    return nb


def identify(nb, filename=""):
    """The assignment a notebook belongs to, by its nbgrader cell ids (or, failing that, its name)."""
    ids = {m.get("grade_id") for m in nbgrader_cells(nb)}
    best = max(assignments().values(), key=lambda a: len(ids & set(a.grade_ids)), default=None)
    if best is not None and ids & set(best.grade_ids):
        return best
    for a in assignments().values():
        if Path(filename).stem == a.notebook:
            return a
    known = ", ".join(assignments()) or "none"
    raise NotGradable(f"{filename or 'notebook'}: not a notebook of any assignment of this course (known: {known})")
