"""The learner's loop in JupyterLab: solve assignment 01, see the visible tests pass, check my
work, validate; and a wrong solution shows its specific failure message."""
import shutil
import urllib.error
import urllib.request

import pytest
import support
from conftest import CURRENT, open_notebook, walk
from playwright.sync_api import expect

from autograder import mistakes

NB = "rnn_step_by_step.ipynb"

# one pytest-xdist worker runs all browser tests: one JupyterLab per audience, one Chromium
pytestmark = pytest.mark.xdist_group("browser")


def solutions():
    """{function name: correct source} from the instructor's notebook."""
    found = {}
    for cell in support.source_nb("01_rnn_step_by_step")["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            src = support.strip_markers("".join(cell["source"]))
            found[src.split("def ", 1)[1].split("(", 1)[0]] = src
    return found


def copy_of_release(lab, name):
    """A fresh copy of the release notebook in the learner's work directory."""
    dest = lab.work / name
    shutil.copytree(lab.work / "01_rnn_step_by_step", dest, dirs_exist_ok=True)
    return f"{name}/{NB}"


def type_into_solution_cells(page, sources):
    """Walk down the notebook cell by cell with the keyboard, as a learner does; in each
    '# YOUR CODE HERE' cell, select the text and type the function over it. Which function a
    cell holds is read from the notebook's file: the editor shows only the lines in view of a
    long cell."""
    cells = support.release_nb("01_rnn_step_by_step")["cells"]
    for cell, saved in zip(walk_cells(page), cells):
        text = "".join(saved["source"])
        if saved["cell_type"] == "code" and "YOUR CODE HERE" in text:
            assert "jp-CodeCell" in (cell.get_attribute("class") or ""), "the notebook is not the release's"
            name = next(n for n in sources if f"def {n}(" in text)
            page.keyboard.press("Enter")            # edit mode
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(sources.pop(name))
            page.keyboard.press("Escape")
    assert not sources, f"no solution cell found for {sorted(sources)}"


def walk_cells(page):
    return walk(page, len(support.release_nb("01_rnn_step_by_step")["cells"]))


def all_outputs(page):
    """The text of every output of the notebook, as the learner scrolls through it."""
    return "\n".join(cell.locator(".jp-OutputArea").inner_text() for cell in walk_cells(page)
                     if cell.locator(".jp-OutputArea").count())


def save_and_run_all(page):
    page.keyboard.press("Control+S")
    page.locator(".lm-MenuBar-itemLabel").get_by_text("Run", exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()


def test_learner_solves_assignment_01(page, learner_lab, shot):
    open_notebook(page, learner_lab, copy_of_release(learner_lab, "solved"))
    shot(page, "1-opened")
    type_into_solution_cells(page, solutions())
    save_and_run_all(page)
    # the last cell is "check my work": nbgrader and the hidden tests, on the saved notebook
    total = page.locator(f"{CURRENT} .jp-OutputArea-output table tr", has_text="total")
    total.wait_for(timeout=180_000)
    assert "18 / 18" in total.inner_text()
    total.scroll_into_view_if_needed()
    shot(page, "2-check-my-work-full-marks")
    seen = all_outputs(page)
    for f in ("rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward"):
        assert f"All visible tests of {f} passed." in seen
    assert "Traceback" not in seen and "Error" not in seen

    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar").get_by_text("Validate", exact=True).click()
    page.get_by_text("Success! Your notebook passes all the tests.").wait_for(timeout=180_000)
    shot(page, "3-validate-success")
    shot(page.locator(".jp-Dialog-content"), "4-validate-dialog")


def test_wrong_solution_shows_its_failure_message(page, learner_lab, shot):
    open_notebook(page, learner_lab, copy_of_release(learner_lab, "mistake"))
    sources = solutions()
    sources["rnn_cell_backward"] = mistakes.get("da_prev_waa_not_transposed").source()
    type_into_solution_cells(page, sources)
    save_and_run_all(page)
    # Run All stops at the first failing cell: the visible tests of rnn_cell_backward. Waiting
    # for busy first, as the indicator still says idle just after the click.
    page.locator(f"{CURRENT} .jp-Notebook-ExecutionIndicator[data-status=busy]").wait_for()
    page.locator(f"{CURRENT} .jp-Notebook-ExecutionIndicator[data-status=idle]").wait_for(timeout=180_000)
    for cell in walk_cells(page):
        error = cell.locator(".jp-OutputArea-output", has_text="AssertionError")
        if error.count():
            break
    text = error.inner_text()
    assert "gradient check failed" in text and "da_prev: " in text
    assert "dxt: " not in text and "dWaa: " not in text          # only da_prev is wrong
    shot(page, "1-visible-test-fails")
    # "check my work" names the mistake
    *_, last = walk_cells(page)                          # down to the last cell
    last.locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    row = page.locator(f"{CURRENT} .jp-OutputArea-output table tr", has_text="rnn_cell_backward_da_prev")
    row.wait_for(timeout=120_000)
    assert "FAIL" in row.inner_text() and "Waa without its transpose" in row.inner_text()
    row.scroll_into_view_if_needed()
    shot(page, "2-check-names-the-mistake")
    shot(page.locator(f"{CURRENT} table.bptt-check"), "3-check-table")


def test_learner_lab_has_validate_and_no_broken_assignment_list(page, learner_lab):
    open_notebook(page, learner_lab, f"01_rnn_step_by_step/{NB}")
    validate = page.locator(f"{CURRENT} .jp-Toolbar").get_by_text("Validate", exact=True)
    # retried: the extension's button comes after the notebook, and JupyterLab can lay the
    # toolbar out again while the kernel starts (CI once counted 0 just after seeing it)
    expect(validate).to_have_count(1, timeout=60_000)
    assert page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).count() == 0
    for path in ("assignments", "formgrader", "courses"):   # the server extensions are off too
        try:
            status = urllib.request.urlopen(learner_lab.link(path), timeout=10).status
        except urllib.error.HTTPError as e:
            status = e.code
        assert status == 404, (path, status)
