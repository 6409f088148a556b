"""Kernels started ahead of time, so that grading does not wait for them.

Starting a kernel takes about half a second, most of a small submission's grading time. A
grader starts the next kernel early (while it imports nbgrader, or while it grades the
previous submission) and kills finished kernels instead of shutting them down politely.
This module imports only jupyter_client, so that the first kernel can start before the slow
imports; `execute.py` holds the nbgrader side.
"""
import os
import subprocess
import tempfile

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

# The kernel must be this environment's Python (which has the autograder package), even when
# the user has a "python3" kernel of another Python registered in their home directory.
os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")


class KernelPool:
    """At most one ready kernel, handed out once and killed after use."""

    def __init__(self, kernel_name="python3"):
        self.kernel_name = kernel_name
        self._ready = None
        self.keep_warm = False     # start the next kernel as soon as one is taken
        self._cwd = tempfile.gettempdir()

    def prestart(self):
        if self._ready is None:
            km = AsyncKernelManager(kernel_name=self.kernel_name)
            # The kernel's own stderr carries only start-up chatter (cell output goes over
            # zmq), and would clutter the grader's terminal.
            run_sync(km.start_kernel)(cwd=self._cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      # as nbclient does: no IPython history database to lock
                                      extra_arguments=["--HistoryManager.hist_file=:memory:"])
            self._ready = km

    def take(self):
        """A started kernel manager, or None if none was prestarted."""
        km, self._ready = self._ready, None
        if self.keep_warm:
            self.prestart()
        return km

    @staticmethod
    def kill(km):
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except RuntimeError:  # "No kernel is running!": it died on its own, which is fine here
            pass

    def close(self):
        km, self._ready = self._ready, None
        if km is not None:
            self.kill(km)


POOL = KernelPool()
