"""Every notebook runs top to bottom: the instructor's sources, with their hidden tests, and the
companion notebooks, which keep their committed plots and stand on their own: they run from a
learner's work/ copy and from a class release, where there is no source/ and no autograder
package. (The solved releases run, with their hidden tests, in test_check.py.)

Each notebook runs once per test process, shared with test_claims.py and test_figures.py
(tests/notebook_runs.py)."""
import json
import re
import subprocess
import sys

import nbformat
import pytest
from notebook_runs import COMPANIONS, SOURCES, class_release, errors, group, images, no_autograder_env, run_of

from autograder.course import RELEASE, ROOT


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in SOURCES])
def test_source_notebook_runs_with_its_hidden_tests(name):
    run = run_of(name)       # nbclient stops at the first error
    assert not errors(run.nb)


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in COMPANIONS])
def test_companion_notebook_runs_and_keeps_its_plots(name):
    committed = images(nbformat.read(COMPANIONS[name], as_version=4))
    assert committed > 0, f"{name}.ipynb is committed without its plots: run it and save it with outputs"
    run = run_of(name)
    assert not errors(run.nb)
    assert images(run.nb) >= committed


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in COMPANIONS])
def test_companion_notebook_stands_on_its_own(name):
    """Its code neither imports the autograder package nor reads source/; it ran outside the
    repository, in a copy of the course as a learner's `open` and a class release give it,
    with a Python that cannot import the autograder package."""
    code = "\n".join(c.source for c in nbformat.read(COMPANIONS[name], as_version=4).cells if c.cell_type == "code")
    assert not re.search(r"\bautograder\b|\bsource\b|\bROOT\b", code)
    run = run_of(name)
    course = run.where.parent
    assert ROOT not in course.resolve().parents and not (course / "source").exists()
    assert not errors(run.nb)


def test_the_class_release_holds_the_releases_and_notebooks_as_open_copies_them(tmp_path):
    """The folder the companion notebooks run in is both a class release (release/ and
    notebooks/, nothing else) and a learner's work/ copy with every held-back file unlocked."""
    course = class_release(tmp_path / "course")
    made = {p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file()}
    shipped = {p.relative_to(RELEASE).as_posix() for p in RELEASE.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    shipped |= {f"notebooks/{p.relative_to(ROOT / 'notebooks').as_posix()}" for p in (ROOT / "notebooks").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
    assert made == shipped
    assert not any(p.is_symlink() for p in course.rglob("*"))
    assert (course / "notebooks" / "deep_rnn_utils.py").read_text().startswith('"""Reference implementation')


def test_the_class_release_python_cannot_import_the_autograder(tmp_path):
    code = "import numpy, nbformat\ntry:\n    import autograder\nexcept ModuleNotFoundError as e:\n    print('blocked', e.name)"
    done = subprocess.run([sys.executable, "-c", code], env=no_autograder_env(tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["blocked", "autograder"], done.stderr
    # and the notebook's own imports fail without assignment 03's folder beside it
    nb = json.loads(next(iter(COMPANIONS.values())).read_text())
    setup = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    done = subprocess.run([sys.executable, "-c", setup], env=no_autograder_env(tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert "FileNotFoundError" in done.stderr and "03_deep_rnn_why_dx" in done.stderr
