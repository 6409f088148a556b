"""Every notebook a learner opens renders well in JupyterLab: equations typeset, diagrams
drawn, images loaded."""
import json
import time

import pytest
from conftest import CURRENT, open_notebook

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

# JupyterLab 4 puts every cell of a notebook in the page (its default windowing mode,
# "contentVisibility", only skips painting those out of view), so one look sees them all.
ALL_RENDERED = """([selector, n]) => {
  const cells = document.querySelectorAll(selector + ' .jp-Cell');
  return cells.length === n && Array.from(cells).every(cell => {
    const body = cell.querySelector('.jp-RenderedMarkdown, .cm-content');
    return !!body && (body.textContent.length > 0 || body.innerHTML.length > 0);
  });
}"""
MARKDOWN = """(selector) => Array.from(document.querySelectorAll(selector + ' .jp-RenderedMarkdown'))
  .map(md => md.innerHTML).join('\\n')"""


def settle(page, timeout=60.0):
    """Wait until the notebook's markdown stops changing (equations and diagrams are drawn
    asynchronously). False if that takes longer than timeout."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        html = page.evaluate(MARKDOWN, CURRENT)
        if html == last:
            return True
        last = html
        page.wait_for_timeout(500)
    return False


def rendering_problems(page, lab, relpath):
    """What looks broken in each cell of a notebook, and how many equations were typeset."""
    open_notebook(page, lab, relpath)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    n_cells = len(json.loads((lab.work / relpath).read_text())["cells"])
    try:
        page.wait_for_function(ALL_RENDERED, arg=[CURRENT, n_cells], timeout=60_000)
    except PlaywrightTimeout:
        return [f"not every one of the {n_cells} cells was rendered within 60 s"], 0
    problems = [] if settle(page) else ["the markdown was still changing after 60 s"]
    per_cell = page.evaluate(f"(selector) => Array.from(document.querySelectorAll(selector + ' .jp-Cell'))"
                             f".map({PROBLEMS})", CURRENT)
    problems += [f"cell {i}: {p}" for i, found in enumerate(per_cell) for p in found]
    return problems, page.locator(f"{CURRENT} mjx-container").count()


@pytest.mark.parametrize("relpath", NOTEBOOKS)
def test_notebook_renders_without_errors(page, learner_lab, relpath, shot):
    problems, typeset = rendering_problems(page, learner_lab, relpath)
    shot(page, relpath)
    assert not problems
    assert typeset > 0 or "$" not in (learner_lab.work / relpath).read_text(), "no equation was typeset"


def test_the_render_check_sees_broken_notebooks(page, learner_lab):
    # the broken cells come after two screens of good ones: out of view when the notebook opens
    filler = [{"cell_type": "markdown", "id": f"fine{i}", "metadata": {}, "source": f"Fine: $x_{{{i}}}$"}
              for i in range(40)]
    broken = {"cells": filler + [
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
