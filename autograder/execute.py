"""nbgrader's Execute preprocessor, on a sandboxed kernel, with graded cells judged outside it.

- Every kernel is a sandbox.SandboxedKernelManager (from the pool when one is ready), working in
  a scratch copy of the submission's folder (without the notebooks).
- A graded test cell is not sent to the kernel. The judge (judge.py) runs its code, as the
  gradebook holds it, in this process; the student's functions it calls run in the kernel, one
  call at a time, each within a time limit set from the reference's own time. The verdict
  becomes the cell's output: nothing for nbgrader to score but what the judge decided.
- It survives two kinds of student code that make plain nbgrader give up on a whole submission
  (and delete its autograded output): a cell or a call that does not stop when interrupted (it
  catches KeyboardInterrupt, or ignores SIGINT), and one that kills its kernel (os._exit, a
  crash, running out of memory). The cell gets an error saying so; the kernel is replaced, the
  cells above it are run again to rebuild the notebook's state, and grading goes on.
- A notebook that runs too long as a whole: within `time_limit(seconds)`, no cell runs past the
  limit, and the notebook stops with SubmissionTimedOut when it is reached.
- A cell's outputs are capped while they arrive (LimitOutputSize cuts them further afterwards).
"""
import asyncio
import contextlib
import copy
import importlib
import math
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, LimitOutput

from . import judge
from .kernels import POOL
from .preprocessors import LimitOutputSize, SanitizeSubmission
from .sandbox import Sandbox, SandboxedKernelManager
from .student import runner, wire

# error names of the outputs that mark a cell which did not run to its end
TIMED_OUT = "CellTimeoutError"
KERNEL_DIED = "DeadKernelError"
# characters of output a cell may send while it runs; the rest is dropped as it arrives
MAX_LIVE_OUTPUT = 2_000_000


class SubmissionTimedOut(Exception):
    """The notebook as a whole ran past its time limit."""


class Run:
    """What the notebook being executed in this process is doing, for the grader's messages."""

    def __init__(self, seconds=None):
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.cell = None            # index and grade_id of the cell running or last run
        self.grade_id = None
        self.timed_out = False
        self.restarts = []          # (cell index, why) of each replaced kernel

    def left(self):
        return None if self.deadline is None else self.deadline - time.monotonic()

    def where(self):
        if self.cell is None:
            return "before the first cell"
        return f"in cell {self.cell}" + (f" ({self.grade_id})" if self.grade_id else "")


RUN = Run()


@contextlib.contextmanager
def time_limit(seconds):
    """Execute notebooks in this block with a limit on their total time. Yields the Run."""
    global RUN
    RUN = Run(seconds)
    try:
        yield RUN
    finally:
        RUN = Run()


def is_graded_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def graded_test_sources(resources):
    """{grade_id: source} of the assignment's graded test cells, hidden tests included, from the
    gradebook (never from the submission). Empty outside nbgrader's autograding."""
    info = (resources or {}).get("nbgrader") or {}
    if not {"db_url", "notebook", "assignment"} <= set(info):
        return {}
    from nbgrader.api import Gradebook
    with Gradebook(info["db_url"]) as gb:
        nb = gb.find_notebook(info["notebook"], info["assignment"])
        tests = {c.name for c in nb.grade_cells if c.cell_type == "code"} - {c.name for c in nb.solution_cells}
        return {c.name: c.source for c in nb.source_cells if c.name in tests}


HIDDEN_MODULE = re.compile(r"from (autograder\.hidden\.\w+) import")


def prepare_hidden_tests(sources):
    """Import the hidden tests' modules and run their self-checks (each runs once per process),
    while the kernel starts and runs the notebook's first cells, rather than in the first graded
    cell's time."""
    for name in dict.fromkeys(m for source in sources for m in HIDDEN_MODULE.findall(source)):
        try:
            module = importlib.import_module(name)
            if hasattr(module, "check_reference"):
                module.check_reference()
        except Exception:          # the graded cell that needs it will say what is wrong
            pass


def verdict_outputs(passed, message):
    if passed:
        return [new_output("stream", name="stdout", text="Passed: the hidden tests agree with your function.\n")]
    return [new_output("error", ename="AssertionError", evalue=message,
                       traceback=[f"\x1b[0;31mAssertionError\x1b[0m: {message}"])]


class JudgedExecute(Execute):
    """nbgrader's Execute (timeouts, interrupts, error outputs), on a sandboxed kernel, with the
    graded test cells judged in this process."""

    def preprocess(self, nb, resources=None, km=None):
        self._sandbox = Sandbox(parent=self)
        self._folder = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        self._tests = graded_test_sources(resources)
        from . import hidden              # its self-check of what the judge answers is per notebook
        hidden.CASE_PARAMETERS.clear()
        hidden.ANSWERED_PARAMETERS.clear()
        threading.Thread(target=prepare_hidden_tests, args=(list(self._tests.values()),), daemon=True).start()
        self._replaying = False
        self._epoch, self._memo = 0, {}   # calls of student functions since the kernel last ran a cell
        km = km or POOL.take(self._sandbox) or self.create_kernel_manager()
        self._kernels = [km]
        self._fill(km)
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None
            for k in self._kernels + [self.km]:
                if k is not None:
                    POOL.kill(k)

    def create_kernel_manager(self):
        self.km = SandboxedKernelManager(self._sandbox)
        return self.km

    def _fill(self, km):
        """The submission's folder, without its notebooks, as the kernel's working directory."""
        notebooks = {p.name for p in Path(self._folder).glob("*.ipynb")}
        km.copy_in(self._folder, skip=notebooks)

    async def async_start_new_kernel(self, **kwargs):
        kwargs.pop("cwd", None)                  # the kernel works in its scratch copy
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        # the NBGRADER_* variables that nbgrader sets while it executes (notebooks use
        # NBGRADER_EXECUTION to skip work during grading); the sandbox starts with none
        env = {k: v for k, v in os.environ.items() if k.startswith("NBGRADER_")}
        reply = await self.async_wait_for_reply(kc.execute(f"import os; os.environ.update({env!r}); del os",
                                                           silent=True))
        if reply is None or reply["content"]["status"] != "ok":
            raise RuntimeError("could not prepare the kernel")
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        left = RUN.left()
        if left is None:
            return timeout
        return max(1, math.ceil(min(left, timeout or left)))

    def _check_time(self):
        if RUN.left() is not None and RUN.left() <= 0:
            RUN.timed_out = True
            raise SubmissionTimedOut(f"the notebook did not finish within {RUN.seconds:g} s ({RUN.where()})")

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        judged = is_graded_test(cell) and cell.metadata.nbgrader.get("grade_id") in self._tests
        if self._replaying:
            if judged:                # its verdict stands; its tests do not change the kernel
                return cell
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        RUN.cell, RUN.grade_id = cell_index, cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        self._check_time()
        if judged:
            return await self._judge(cell, cell_index)
        self._live_chars = 0
        self._epoch += 1
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except (CellTimeoutError, DeadKernelError) as e:
            self._check_time()
            if isinstance(e, DeadKernelError):
                ename, why = KERNEL_DIED, ("the kernel died while this cell ran (os._exit, a crash, or "
                                           "out of memory)")
            else:
                ename, why = TIMED_OUT, (f"this cell did not stop when interrupted after {self._get_timeout(cell)} s "
                                         "(does it catch KeyboardInterrupt?)")
            await self._lost(cell_index, why)
            cell.outputs = [new_output("error", ename=ename, evalue=why + "; grading went on with a new kernel",
                                       traceback=[f"{ename}: {why}"])]
            self.nb.cells[cell_index] = cell
            return cell

    execute_cell = run_sync(async_execute_cell)

    # ---- graded cells: the judge -------------------------------------------------------

    async def _judge(self, cell, cell_index):
        loop = asyncio.get_running_loop()

        def call_kernel(request, answer, seconds):
            # Graded cells in a row call the same function on the same cases (dxt, then da_prev,
            # ...): while the kernel runs nothing else, a call's result is reused.
            key = wire.encode(request)
            if self._memo.get("epoch") != self._epoch:
                self._memo = {"epoch": self._epoch}
            if key not in self._memo:
                left = RUN.left()
                if left is not None:
                    seconds = max(0.5, min(seconds, left))
                self._memo[key] = asyncio.run_coroutine_threadsafe(self._call(request, answer, seconds), loop).result()
            return wire.decode(self._memo[key], max_bytes=judge.MAX_REPLY_BYTES)

        passed, message, aborted = await asyncio.to_thread(
            judge.judge, self._tests[cell.metadata.nbgrader.grade_id], call_kernel, self._graded_after(cell_index))
        if aborted is not None and aborted.lost:
            await self._lost(cell_index, message)
        self._check_time()
        cell.outputs = verdict_outputs(passed, message)
        cell.execution_count = None
        self.nb.cells[cell_index] = cell
        return cell

    def _graded_after(self, cell_index):
        """The functions that the judged cells below cell_index grade."""
        return {name for c in self.nb.cells[cell_index + 1:]
                if is_graded_test(c) and c.metadata.nbgrader.get("grade_id") in self._tests
                for name in judge.graded_functions(self._tests[c.metadata.nbgrader.grade_id])}

    async def _call(self, request, answer, seconds):
        """Run one call of a student's function in the kernel. Returns what the runner sent back
        (wire text); answers the kernel's requests for reference functions with answer(prompt).

        Only runner.serve() is run as code; the request, the result and the reference's answers
        go over the kernel's stdin channel as plain data."""
        kc = self.kc
        msg_id = kc.execute("__import__('_bptt_runner').serve()", silent=True, store_history=False,
                            allow_stdin=True, stop_on_error=False)
        poller = zmq.asyncio.Poller()
        for channel in (kc.shell_channel, kc.stdin_channel, kc.iopub_channel):
            poller.register(channel.socket, zmq.POLLIN)
        deadline = time.monotonic() + seconds
        result, forgiven = None, 0.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (RUN.left() is not None and RUN.left() <= 0):
                return await self._stop_call(msg_id)
            ready = dict(await poller.poll(1000 * min(left, 0.5)))
            if not ready:
                if not await ensure_async(self.km.is_alive()):
                    raise judge.CallAborted("the kernel died while it ran (os._exit, a crash, or out of memory)",
                                            lost=True)
                continue
            if kc.iopub_channel.socket in ready:          # what the function printed: not kept
                await kc.iopub_channel.get_msg(timeout=0)
            if kc.stdin_channel.socket in ready:
                msg = await kc.stdin_channel.get_msg(timeout=0)
                if msg["msg_type"] == "input_request" and msg["parent_header"].get("msg_id") == msg_id:
                    prompt = msg["content"].get("prompt", "")
                    started = time.monotonic()
                    if prompt == runner.REQUEST:
                        kc.input(wire.encode(request))
                    elif isinstance(prompt, str) and prompt.startswith(runner.RESULT):
                        result = prompt[len(runner.RESULT):]
                        kc.input("")
                    else:
                        kc.input(answer(prompt))
                    # the judge's time is not the student's, up to the call's own limit again
                    spent = min(time.monotonic() - started, max(0.0, seconds - forgiven))
                    forgiven += spent
                    deadline += spent
            if kc.shell_channel.socket in ready:
                msg = await kc.shell_channel.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id:
                    return _result(msg["content"], result)

    async def _stop_call(self, msg_id):
        """A call past its time: interrupt it; if the kernel does not answer, it is lost."""
        with contextlib.suppress(Exception):
            await ensure_async(self.km.interrupt_kernel())
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=max(0.01, end - time.monotonic()))
            except Exception:     # queue.Empty, or the kernel is gone
                break
            if msg["parent_header"].get("msg_id") == msg_id:
                raise judge.CallAborted("timeout")
        raise judge.CallAborted("timeout", lost=True)

    # ---- replacing a kernel -------------------------------------------------------------

    async def _lost(self, cell_index, why):
        RUN.restarts.append((cell_index, why))
        self.log.warning("Cell %d: %s; replacing the kernel and running the cells above again", cell_index, why)
        await self._replace_kernel(cell_index)

    async def _replace_kernel(self, upto):
        """A new kernel in the state that the cells before `upto` leave it in."""
        self._epoch += 1
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        with contextlib.suppress(Exception):
            await ensure_async(self.km.shutdown_kernel(now=True))
        self.km = self.create_kernel_manager()
        self._kernels.append(self.km)
        self._fill(self.km)
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()
        saved = list(self.nb.cells[:upto])
        self._replaying = True
        try:
            for i, cell in enumerate(saved):
                if any(o.get("ename") in (TIMED_OUT, KERNEL_DIED) for o in cell.get("outputs", [])):
                    continue        # it did not finish the first time either
                self._check_time()
                await self.async_execute_cell(copy.deepcopy(cell), i)
        finally:
            self._replaying = False
            self.nb.cells[:upto] = saved

    # ---- outputs ---------------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's, keeping at most MAX_LIVE_OUTPUT characters of what a cell sends."""
        content = msg.get("content", {})
        text = content.get("text") if msg.get("msg_type") == "stream" else None
        size = len(text) if isinstance(text, str) else len(str(content.get("data", "")))
        used = getattr(self, "_live_chars", 0)
        self._live_chars = used + size
        if used >= MAX_LIVE_OUTPUT:
            return None                           # cut already
        if self._live_chars > MAX_LIVE_OUTPUT:
            if text is None:
                return None
            msg = dict(msg, content=dict(content, text=text[:MAX_LIVE_OUTPUT - used] +
                                         f"\n... Output truncated (more than {MAX_LIVE_OUTPUT:,} characters) ...\n"))
        return super().output(outs, msg, display_id, cell_index)


def _result(content, text):
    """What the runner sent back (wire text), once its call has ended with content."""
    if content.get("status") != "ok" or text is None:
        why = content.get("ename") if content.get("status") != "ok" else "nothing came back"
        return wire.encode({"raised": f"{judge.student_line(why, 60)} while grading called it"})
    try:
        wire.decode(text, max_bytes=judge.MAX_REPLY_BYTES)
        return text
    except (wire.WireError, MemoryError):
        return wire.encode({"raised": "what it returned could not be read as data"})


def autograde_preprocessors():
    """nbgrader's autograde pipeline, with JudgedExecute in place of Execute, and LimitOutput
    followed by SanitizeSubmission."""
    swap = {Execute: [JudgedExecute], LimitOutput: [LimitOutputSize, SanitizeSubmission]}
    return [q for p in Autograde.class_traits()["autograde_preprocessors"].default() for q in swap.get(p, [p])]
