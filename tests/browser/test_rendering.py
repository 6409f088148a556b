"""Every notebook a learner opens renders well in JupyterLab: equations typeset, diagrams
drawn, images loaded."""
import json
import time

import pytest
from conftest import CURRENT, open_notebook, walk

from autograder.course import RELEASE, ROOT

NOTEBOOKS = sorted(str(p.relative_to(RELEASE)) for p in RELEASE.glob("*/*.ipynb")) + \
    sorted(f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb"))

# what a reader sees when rendering failed
PROBLEMS = """(cell) => {
  const problems = [];
  cell.querySelectorAll('mjx-merror, .MathJax_Error').forEach(e => problems.push('LaTeX error: ' + e.textContent));
  cell.querySelectorAll('img').forEach(img => {
    if (!img.complete || img.naturalWidth === 0) problems.push('broken image: ' + img.src.slice(0, 80));
  });
  cell.querySelectorAll('.jp-RenderedMermaid').forEach(m => {
    if (m.classList.contains('jp-mod-warning') || !m.querySelector('img, svg')) problems.push('mermaid diagram not drawn');
  });
  const md = cell.querySelector('.jp-RenderedMarkdown');
  if (md) {
    const text = md.textContent;
    const raw = text.match(/\\$\\$|\\\\(frac|begin|mathcal|langle|partial|sum)\\b/);
    if (raw) problems.push('raw LaTeX shown: ' + raw[0]);
  }
  return problems;
}"""

# one pytest-xdist worker runs all browser tests: one JupyterLab per audience, one Chromium
pytestmark = pytest.mark.xdist_group("browser")


def settle(page, cell, timeout=30.0):
    """Wait until a markdown cell is rendered and its equations and diagrams stop changing (they
    are typeset asynchronously). False if that takes longer than timeout."""
    import time
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        html = cell.evaluate("c => (c.querySelector('.jp-RenderedMarkdown') || {}).innerHTML || ''")
        if html and html == last:
            return True
        last = html
        page.wait_for_timeout(300)
    return False


def rendering_problems(page, lab, relpath):
    """What looks broken in each cell of a notebook, and how many equations were typeset."""
    open_notebook(page, lab, relpath)
    n_cells = len(json.loads((lab.work / relpath).read_text())["cells"])
    problems, typeset = [], 0
    for i, cell in enumerate(walk(page, n_cells)):
        if "jp-MarkdownCell" in (cell.get_attribute("class") or "") and not settle(page, cell):
            problems.append(f"cell {i}: markdown not rendered within 30 s")
        problems += [f"cell {i}: {p}" for p in cell.evaluate(PROBLEMS)]
        typeset += cell.locator("mjx-container").count()
    return problems, typeset


@pytest.mark.parametrize("relpath", NOTEBOOKS)
def test_notebook_renders_without_errors(page, learner_lab, relpath, shot):
    problems, typeset = rendering_problems(page, learner_lab, relpath)
    shot(page, relpath)
    assert not problems
    assert typeset > 0 or "$" not in (learner_lab.work / relpath).read_text(), "no equation was typeset"


def test_the_render_check_sees_broken_notebooks(page, learner_lab):
    broken = {"cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "Bad maths: $\\frac{1}{$ and $\\undefinedmacro{x}$"},
        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": "![missing](no_such_image.png)"},
        {"cell_type": "markdown", "id": "c", "metadata": {}, "source": "```mermaid\nflowchart LR\n  a -->> -- b\n```"},
    ], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}
    (learner_lab.work / "broken.ipynb").write_text(json.dumps(broken))
    deadline = time.time() + 90       # on a loaded machine, MathJax and mermaid may come late
    while True:
        problems, _ = rendering_problems(page, learner_lab, "broken.ipynb")
        text = " | ".join(problems) + " || page: " + page.locator(f"{CURRENT} .jp-Notebook").inner_text()[:300]
        if ("LaTeX" in text and "broken image" in text and "mermaid" in text) or time.time() > deadline:
            break
    assert "LaTeX error" in text or "raw LaTeX" in text, text
    assert "broken image" in text, text
    assert "mermaid" in text, text
