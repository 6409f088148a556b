"""nbgrader's Execute preprocessor, on a kernel from the pool when one is ready.

It imports the hidden tests' package into each kernel before the notebook runs (a fake
"autograder" package in the notebook's directory would otherwise be imported instead), starts
every cell with numpy as it was then (a notebook that reassigns np.tanh or np.max cannot change
the reference's answers or the comparison), and it
survives two kinds of student code that make plain nbgrader give up on a whole submission (and
delete its autograded output):
- a cell that does not stop when interrupted at its timeout (it catches KeyboardInterrupt, or
  ignores SIGINT), and a cell that kills its kernel (os._exit, a crash, running out of memory).
  The cell gets an error output saying so; the kernel is replaced, the cells above it are run
  again to rebuild the notebook's state, and grading goes on with the next cell.
- a notebook that runs too long as a whole: within `time_limit(seconds)`, no cell runs past the
  limit, and the notebook stops with SubmissionTimedOut when it is reached.
"""
import contextlib
import copy
import math
import os
import subprocess
import time

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, LimitOutput

from .kernels import POOL
from .preprocessors import LimitOutputSize

# error names of the outputs that mark a cell which did not run to its end
TIMED_OUT = "CellTimeoutError"
KERNEL_DIED = "DeadKernelError"


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


class PooledExecute(Execute):
    """Execute on a prestarted kernel, moved into the notebook's directory before the first cell.

    Everything else (timeouts, interrupts, error outputs) is nbgrader's own Execute.
    """

    def preprocess(self, nb, resources=None, km=None):
        km = km or POOL.take()
        self._pooled = km is not None
        self._replaying = False
        self._kernels = [km]
        if not self._pooled:
            return super().preprocess(nb, resources)
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None
            for k in self._kernels + [self.km]:
                if k is not None:
                    POOL.kill(k)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        # The hidden tests' package is imported before any student code runs, so that a fake
        # "autograder" package in the notebook's directory cannot stand in for it.
        # (The notebook's directory is left out of sys.path while it is imported: a submission
        # may hold files.)
        code = ("import os as _os, sys as _sys\n_path = list(_sys.path)\n"
                "_sys.path[:] = [p for p in _path if p not in ('', '.', _os.getcwd())]\n"
                "try:\n    import autograder.hidden\n"
                # every cell starts with numpy as it is now, before any student code
                "    get_ipython().events.register('pre_run_cell', lambda info, _r=autograder.hidden.restore_numpy: _r())\n"
                "except ImportError:\n    pass\n"
                "finally:\n    _sys.path[:] = _path\n    del _os, _sys, _path\n")
        if self._pooled:
            # Give the kernel what nbgrader would have started it with: the notebook's directory
            # as working directory, and the NBGRADER_* variables that nbgrader sets while it
            # executes (notebooks use NBGRADER_EXECUTION to skip work during grading).
            path = (self.resources or {}).get("metadata", {}).get("path") or os.getcwd()
            env = {k: v for k, v in os.environ.items() if k.startswith("NBGRADER_")}
            code += f"import os; os.chdir({str(path)!r}); os.environ.update({env!r})\n"
        reply = await self.async_wait_for_reply(kc.execute(code, silent=True))
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
        if self._replaying:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        RUN.cell, RUN.grade_id = cell_index, cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        self._check_time()
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
            RUN.restarts.append((cell_index, why))
            self.log.warning("Cell %d: %s; replacing the kernel and running the cells above again", cell_index, why)
            await self._replace_kernel(cell_index)
            cell.outputs = [new_output("error", ename=ename, evalue=why + "; grading went on with a new kernel",
                                       traceback=[f"{ename}: {why}"])]
            self.nb.cells[cell_index] = cell
            return cell

    execute_cell = run_sync(async_execute_cell)

    async def _replace_kernel(self, upto):
        """A new kernel in the state that the cells before `upto` leave it in."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        with contextlib.suppress(Exception):
            await ensure_async(self.km.shutdown_kernel(now=True))
        self.km = self.create_kernel_manager()
        self._kernels.append(self.km)
        await self.async_start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def autograde_preprocessors():
    """nbgrader's autograde pipeline, with PooledExecute in place of Execute, LimitOutputSize of LimitOutput."""
    swap = {Execute: PooledExecute, LimitOutput: LimitOutputSize}
    return [swap.get(p, p) for p in Autograde.class_traits()["autograde_preprocessors"].default()]
