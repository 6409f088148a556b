"""Every notebook runs top to bottom: the instructor's sources, and the companion notebooks,
which also keep their committed plots. (The solved releases run, with their hidden tests,
in test_check.py.)"""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import ROOT, SOURCE

SOURCES = sorted(SOURCE.glob("*/*.ipynb"))
COMPANIONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def run(path, cwd=None, timeout=300):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd or Path(path).parent)}}).execute()
    return nb


def errors(nb):
    return [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def images(nb):
    return sum("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_source_notebook_runs_with_its_hidden_tests(path):
    nb = run(path)       # nbclient stops at the first error
    assert not errors(nb)


@pytest.mark.parametrize("path", COMPANIONS, ids=lambda p: p.name)
def test_companion_notebook_runs_and_keeps_its_plots(path, tmp_path):
    committed = images(nbformat.read(path, as_version=4))
    assert committed > 0, f"{path.name} is committed without its plots: run it and save it with outputs"
    nb = run(path, cwd=tmp_path)     # from anywhere: learners run their copy in work/notebooks/
    assert not errors(nb)
    assert images(nb) >= committed
