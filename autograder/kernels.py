"""Kernels started ahead of time, so that grading does not wait for them.

Starting a sandboxed kernel takes about a third of a second, a fifth of a `check`. A
grader starts the next kernel early (while it imports nbgrader, or while it grades the
previous submission) and kills finished kernels instead of shutting them down politely.
Every kernel is a sandbox.SandboxedKernelManager; one is handed out only to a notebook
that asks for the same sandbox settings. This module imports only jupyter_client, so that the
first kernel can start before the slow imports; `execute.py` holds the nbgrader side.
"""
import subprocess

from jupyter_core.utils import run_sync

from .sandbox import Sandbox, SandboxedKernelManager


def settings(sandbox):
    return (sandbox.enabled, sandbox.memory, sandbox.file_size, sandbox.tmp_size)


def start(sandbox):
    """A started kernel manager, sandboxed as `sandbox` says."""
    km = SandboxedKernelManager(sandbox)
    # The kernel's own stderr carries only start-up chatter (cell output goes over zmq), and
    # would clutter the grader's terminal. As nbclient does: no IPython history database.
    run_sync(km.start_kernel)(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              extra_arguments=["--HistoryManager.hist_file=:memory:"])
    return km


class KernelPool:
    """At most one ready kernel, handed out once and killed after use."""

    def __init__(self):
        self._ready = None
        self.keep_warm = False     # start the next kernel as soon as one is taken
        self.sandbox = None        # the settings of the kernels to prestart (None: the defaults)

    def prestart(self, sandbox=None):
        if sandbox is not None:
            self.sandbox = sandbox
        if self._ready is None:
            self._ready = start(self.sandbox or Sandbox())

    def take(self, sandbox):
        """A started kernel manager with these sandbox settings, or None if none was prestarted."""
        km, self._ready = self._ready, None
        if km is not None and settings(km.sandbox) != settings(sandbox):
            self.kill(km)
            km = None
        if self.keep_warm:
            self.prestart(sandbox)
        return km

    @staticmethod
    def kill(km):
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except RuntimeError:  # "No kernel is running!": it died on its own, which is fine here
            run_sync(km.cleanup_resources)()

    def close(self):
        km, self._ready = self._ready, None
        if km is not None:
            self.kill(km)


POOL = KernelPool()
