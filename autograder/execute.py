"""nbgrader's Execute preprocessor, on a kernel from the pool when one is ready."""
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
        path = (self.resources or {}).get("metadata", {}).get("path")
        if self._pooled and path:
            # nbgrader would have started the kernel in the notebook's directory
            reply = await self.async_wait_for_reply(kc.execute(f"import os; os.chdir({str(path)!r})", silent=True))
            if reply is None or reply["content"]["status"] != "ok":
                raise RuntimeError("could not move the kernel into the notebook's directory")
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def autograde_preprocessors():
    """nbgrader's autograde pipeline, with PooledExecute in place of Execute."""
    return [PooledExecute if p is Execute else p for p in Autograde.class_traits()["autograde_preprocessors"].default()]
