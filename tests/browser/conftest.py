"""Fixtures of the browser tests: headless Chromium driven by Playwright, and JupyterLab
started with the course's own `open` command, for learners and for instructors.

Chromium comes from the system (Debian's package; .ci/run installs it). Without it these
tests skip, unless BPTT_REQUIRE_BROWSER is set, as in CI, where they then fail.
"""
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from autograder.course import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "reports" / "screenshots"
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"      # the notebook in the visible tab
# Without the networking flags, Chromium keeps trying to reach Google's services, which a closed
# network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM and _playwright():
        return
    if os.environ.get("BPTT_REQUIRE_BROWSER"):
        raise pytest.UsageError("browser tests required but Chromium or Playwright is missing")
    skip = pytest.mark.skip(reason="no Chromium or Playwright on this machine (./course test installs Playwright; "
                                   "apt-get install chromium)")
    for item in items:
        if "browser" in item.nodeid:
            item.add_marker(skip)


def _playwright():
    try:
        import playwright  # noqa: F401
        return True
    except ImportError:
        return False


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def shot(request):
    """shot(page_or_locator, "name") saves a screenshot named after the test."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name):
        path = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{name}.png")
        page.screenshot(path=str(path))
        return path
    return save


def _die_with_parent():
    """In the server's process: ask Linux to stop it when the test run dies (a killed pytest runs
    no fixture teardown, and would leave JupyterLab servers and their kernels behind)."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:      # not Linux: teardown alone stops the server
        pass


class Lab:
    """JupyterLab started by `python -m autograder open`, as the README tells users to."""

    def __init__(self, args, cwd, state):
        # JupyterLab keeps open tabs and settings per user; a test starts from a clean state
        env = dict(os.environ, JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
                   JUPYTERLAB_SETTINGS_DIR=str(state / "settings"))
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder", "open", *args, "--port", "0"],
                                     cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     preexec_fn=_die_with_parent)
        for line in self.proc.stdout:        # the command prints the URL to open: no token hunting
            m = re.search(r"(http://localhost:(\d+)/\S*\?token=(\w+))", line)
            if m:
                self.url, self.port, self.token = m.group(1), int(m.group(2)), m.group(3)
                break
        else:
            raise RuntimeError("`open` printed no URL")
        # keep reading the server's log, or it blocks once the pipe is full
        self.log = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stdout), daemon=True).start()
        self.base = f"http://localhost:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not start")

    def link(self, path):
        return f"{self.base}/{path}?token={self.token}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def learner_lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    lab = Lab(["--dir", str(work)], cwd=ROOT, state=tmp_path_factory.mktemp("lab-state"))
    lab.work = work
    yield lab
    lab.stop()


# The indicator already says idle while the toolbar says "No Kernel", before the kernel starts.
KERNEL_IDLE = """(selector) => {
  const panel = document.querySelector(selector);
  const name = panel && panel.querySelector('.jp-KernelName');
  const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!name && !!status && name.textContent.trim() !== 'No Kernel' && status.dataset.status === 'idle';
}"""


def open_notebook(page, lab, relpath):
    """Open a notebook in JupyterLab and wait until its kernel has started and is idle."""
    page.goto(lab.link(f"lab/tree/{relpath}"))
    page.wait_for_function(KERNEL_IDLE, arg=CURRENT)
    return page


RENDERED = """(selector) => {
  const cell = document.querySelector(selector);      // looked up afresh: JupyterLab re-creates cells
  if (!cell) return false;
  const body = cell.querySelector('.jp-MarkdownCell .jp-RenderedMarkdown, .jp-CodeCell .cm-content, .jp-RawCell .cm-content');
  return !!body && (body.textContent.length > 0 || body.innerHTML.length > 0);
}"""


def active_index(page):
    idx = page.locator(f"{CURRENT} .jp-Cell.jp-mod-active").first.get_attribute("data-windowed-list-index")
    return int(idx) if idx is not None else None


def go_to_cell(page, i, timeout=60.0):
    """Make cell i the active cell with the arrow keys, checking where the keyboard got to (a
    loaded machine can deliver key presses late, and JupyterLab can take the focus away while it
    loads). Returns a locator of that cell, once JupyterLab has rendered its content."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = active_index(page)
        if now == i:
            selector = f"{CURRENT} .jp-Cell[data-windowed-list-index='{i}']"
            cell = page.locator(selector)
            try:
                page.wait_for_function(RENDERED, arg=selector, timeout=60_000)
            except Exception as e:   # say what the cell looked like
                html = cell.evaluate("c => c.outerHTML")
                (SCREENSHOTS / f"unrendered-cell-{i}.html").write_text(html)
                raise AssertionError(f"cell {i} not rendered within 60 s: {page.url} {html[:200]}") from e
            return cell
        if now is not None:
            for _ in range(abs(i - now)):
                page.keyboard.press("ArrowDown" if i > now else "ArrowUp")
        page.wait_for_timeout(300)
        if active_index(page) == now:             # no effect: give the notebook the focus back
            page.locator(f"{CURRENT} .jp-Cell.jp-mod-active").first.focus()
            page.keyboard.press("Escape")
    raise AssertionError(f"the keyboard did not reach cell {i} (active: {active_index(page)})")


def walk(page, n_cells):
    """Yield each of the n_cells cells of the open notebook, from the top, each made the active
    cell with the keyboard, as a learner scrolls."""
    page.locator(f"{CURRENT} .jp-Cell").first.focus()          # keyboard focus in the notebook
    page.keyboard.press("Escape")                              # command mode
    for i in range(n_cells):
        yield go_to_cell(page, i)
