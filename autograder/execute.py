"""nbgrader's Execute preprocessor, on a kernel from the pool when one is ready."""
import os

from jupyter_core.utils import run_sync
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute

from .kernels import POOL


class PooledExecute(Execute):
    """Execute on a prestarted kernel, moved into the notebook's directory before the first cell.

    Everything else (timeouts, interrupts, error outputs) is nbgrader's own Execute.
    """

    def preprocess(self, nb, resources=None, km=None):
        km = km or POOL.take()
        self._pooled = km is not None
        if not self._pooled:
            return super().preprocess(nb, resources)
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None
            POOL.kill(km)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        if self._pooled:
            # Give the kernel what nbgrader would have started it with: the notebook's directory
            # as working directory, and the NBGRADER_* variables that nbgrader sets while it
            # executes (notebooks use NBGRADER_EXECUTION to skip work during grading).
            path = (self.resources or {}).get("metadata", {}).get("path") or os.getcwd()
            env = {k: v for k, v in os.environ.items() if k.startswith("NBGRADER_")}
            code = f"import os; os.chdir({str(path)!r}); os.environ.update({env!r})"
            reply = await self.async_wait_for_reply(kc.execute(code, silent=True))
            if reply is None or reply["content"]["status"] != "ok":
                raise RuntimeError("could not prepare the prestarted kernel")
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def autograde_preprocessors():
    """nbgrader's autograde pipeline, with PooledExecute in place of Execute."""
    return [PooledExecute if p is Execute else p for p in Autograde.class_traits()["autograde_preprocessors"].default()]
