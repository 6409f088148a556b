"""Run each of the course's notebooks once per test process, and keep what the run showed.

Executing a notebook is slow (assignment 03 trains a language model), so the tests that look at
a run share it: `run_of(name)` executes the notebook the first time it is asked for, and returns
the same Run afterwards. A Run holds
- the executed notebook, with its outputs (`text`: everything it printed);
- `values`: the expressions that the claims of tests/claims.py ask for, evaluated in the kernel
  after the last cell;
- `figures`: what every figure shown with plt.show() looked like: for each of its axes, its
  title and labels, the x ticks in view, whether the x axis is inverted, and how many points of
  its curves, bars and markers fall under a legend;
- `seconds`: how long the run took, from the kernel's start to the probes' answer (for a
  companion, with making the copy it runs in).

The source notebooks run in their folder, with their solutions and hidden tests. The companion
notebook runs as a learner or a class gets it: from a copy of the releases and notebooks/,
outside the repository, with a Python that cannot import the autograder package.

Tests that share a run are put in one pytest-xdist group per notebook (`group(name)`), so
that one worker runs the notebook once for all of them.
"""
import atexit
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import ROOT, SOURCE, assignments

SOURCES = {a: SOURCE / a / f"{info.notebook}.ipynb" for a, info in assignments().items()}
COMPANIONS = {p.stem: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
NOTEBOOKS = {**SOURCES, **COMPANIONS}

# run before the notebook's first cell: plt.show() records the facts of each figure it shows
PREAMBLE = r'''
import json as _json_for_tests
import numpy as _np_for_tests
import matplotlib.pyplot as _plt_for_tests
from matplotlib.collections import PathCollection as _Markers_for_tests
from matplotlib.patches import Rectangle as _Rectangle_for_tests

_FIGURES_FOR_TESTS = []


def _points_for_tests(ax):
    """Display coordinates of what the axes draw as data: curves (densified between their
    vertices), the tops of bars, and markers. Reference lines of two vertices (axhline, a
    diagonal) do not count."""
    found = []
    for line in ax.get_lines():
        xy = line.get_transform().transform(line.get_xydata())
        if line.get_visible() and len(xy) > 2:
            s = _np_for_tests.linspace(0, 1, 12)[:, None]
            found += [(1 - s) * a + s * b for a, b in zip(xy[:-1], xy[1:])]
    for bar in ax.patches:
        if isinstance(bar, _Rectangle_for_tests) and bar.get_visible():
            top = bar.get_y() + max(bar.get_height(), 0)
            found.append(ax.transData.transform([[bar.get_x() + bar.get_width() / 2, top]]))
    for markers in ax.collections:
        if isinstance(markers, _Markers_for_tests) and len(markers.get_offsets()):
            found.append(markers.get_offset_transform().transform(markers.get_offsets()))
    points = _np_for_tests.concatenate(found) if found else _np_for_tests.zeros((0, 2))
    return points[_np_for_tests.all(_np_for_tests.isfinite(points), axis=1)]


def _record_for_tests(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    boxes = [legend.get_window_extent(renderer) for legend in legends]
    axes = []
    for ax in fig.axes:
        points = _points_for_tests(ax)
        hidden = sum(int(box.contains(x, y)) for x, y in points for box in boxes)
        lo, hi = sorted(ax.get_xlim())
        axes.append({"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
                     "xticks": [float(t) for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9],
                     "x_inverted": bool(ax.xaxis_inverted()), "points": len(points), "hidden_points": hidden})
    title = fig._suptitle.get_text() if fig._suptitle else ""
    _FIGURES_FOR_TESTS.append({"suptitle": title, "legends": len(legends), "axes": axes})


_show_for_tests = _plt_for_tests.show


def _show_and_record_for_tests(*args, **kwargs):
    for number in _plt_for_tests.get_fignums():
        _record_for_tests(_plt_for_tests.figure(number))
    return _show_for_tests(*args, **kwargs)


_plt_for_tests.show = _show_and_record_for_tests
'''

# run after the last cell: print the figures and the values asked for, as one JSON line
PROBE = r'''
def _plain_for_tests(v):
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError(f"{type(v).__name__} is not plain data")


print("@@probe@@" + _json_for_tests.dumps({"figures": _FIGURES_FOR_TESTS,
                                          "values": {name: eval(expr) for name, expr in %r.items()}},
                                         default=_plain_for_tests))
'''

# a class release has no autograder package: this sitecustomize hides the installed one
BLOCK_AUTOGRADER = '''import sys


class _NoAutograder:
    """A class release: the course's autograder package is not installed."""
    def find_spec(self, name, path=None, target=None):
        if name == "autograder" or name.startswith("autograder."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoAutograder())
'''


@dataclass
class Run:
    name: str
    nb: object                  # the executed notebook (nbformat), without the test's own cells
    values: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    where: Path = None          # the folder it ran in
    seconds: float = None       # how long the run took

    @property
    def text(self):
        """Everything the notebook printed or displayed as text, cell after cell."""
        return "\n".join(output_text(c) for c in self.nb.cells if c.cell_type == "code")

    def output_of(self, fragment):
        """The text output of the one code cell whose source contains fragment."""
        cells = [c for c in self.nb.cells if c.cell_type == "code" and fragment in c.source]
        assert len(cells) == 1, f"{len(cells)} code cells of {self.name} contain {fragment!r}"
        return output_text(cells[0])

    def figure(self, title):
        """The facts of the one figure that has an axes or a suptitle containing title."""
        found = [f for f in self.figures if title in f["suptitle"] or any(title in a["title"] for a in f["axes"])]
        assert len(found) == 1, f"{len(found)} figures of {self.name} are titled {title!r}"
        return found[0]


def output_text(cell):
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "data" in o and "text/plain" in o["data"]:
            parts.append(o["data"]["text/plain"] + "\n")
        elif o.get("output_type") == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}\n")
    return "".join(parts)


def errors(nb):
    return [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def images(nb):
    return sum("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def execute(path, cwd, probes, env=None, timeout=900):
    """Run the notebook at path in the folder cwd, in a kernel with environment env; then
    evaluate probes ({name: expression}) in that kernel. Returns (nb, values, figures); nbclient
    raises CellExecutionError at the first cell that fails."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PREAMBLE))
    nb.cells.append(nbformat.v4.new_code_cell(PROBE % (dict(probes),)))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(**({"env": env} if env else {}))
    probe = nb.cells.pop()
    nb.cells.pop(0)
    line = next(ln for ln in output_text(probe).splitlines() if ln.startswith("@@probe@@"))
    found = json.loads(line[len("@@probe@@"):])
    return nb, found["values"], found["figures"]


def class_release(dest):
    """A copy of what a class or a learner gets, with every solution that work/ holds back
    unlocked: the release folders and notebooks/, as plain files, made by `open`'s own copying.
    Returns dest."""
    from autograder.workspace import locked_files, update_work_copy
    folders = {rel.split("/")[0] for rel in locked_files()}
    update_work_copy(dest, unlock=folders, say=lambda *a: None)
    return Path(dest)


def no_autograder_env(tmp):
    """An environment whose Python cannot import the autograder package."""
    site = Path(tmp) / "no-autograder"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCK_AUTOGRADER)
    return dict(os.environ, PYTHONPATH=str(site))


_RUNS = {}


def run_of(name):
    """The Run of notebook `name` (an assignment id, or a companion's name such as "why_dx"),
    executed once per process; a failed run is remembered and raised again."""
    if name not in _RUNS:
        from claims import probes_of
        try:
            start = time.perf_counter()
            if name in SOURCES:
                nb, values, figures = execute(SOURCES[name], SOURCES[name].parent, probes_of(name))
                where = SOURCES[name].parent
            else:
                tmp = Path(tempfile.mkdtemp(prefix=f"bptt-{name}-"))
                atexit.register(shutil.rmtree, tmp, ignore_errors=True)
                release = class_release(tmp / "course")
                where = release / "notebooks"
                nb, values, figures = execute(where / COMPANIONS[name].name, where, probes_of(name),
                                              env=no_autograder_env(tmp))
            _RUNS[name] = Run(name, nb, values, figures, where, time.perf_counter() - start)
        except Exception as e:      # noqa: BLE001 - kept, to fail every test of this run the same way
            _RUNS[name] = e
    if isinstance(_RUNS[name], Exception):
        raise _RUNS[name]
    return _RUNS[name]


def group(name):
    """The pytest-xdist group of the tests that share the run of notebook `name`."""
    return pytest.mark.xdist_group(f"notebook-{name}")

