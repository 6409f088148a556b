"""A kernel for a student's notebook, in a bubblewrap sandbox.

Each kernel runs in a scratch folder of its own: `work/` (the notebook's working directory, a
copy of the submission's folder) and `conn/` (the kernel's sockets: jupyter_client talks to it
over Unix sockets, `transport = "ipc"`, so it needs no network). Under bubblewrap (Debian's
`bubblewrap`; no daemon, unprivileged user namespaces) the kernel sees:

- no network (a network namespace of its own);
- a read-only file system of the system's libraries and the course's Python environment;
  read-write only its scratch folder and an empty /tmp of at most 256 MB;
- nothing else: not the course directory (source/, gradebook.db, other submissions, feedback/,
  reports/), not the autograder package (the trusted code) nor its bytecode, not the home
  directory or its caches. Of the course's code it sees only autograder/student/ (read-only),
  which starts the kernel and calls the notebook's functions for the judge (judge.py);
- its own PID namespace: every process in it dies with the kernel. boot.py also sets limits on
  memory, file size and processes, and a seccomp filter that refuses to start processes.

`Sandbox(config=...).enabled` is False with `grade --no-sandbox` or `c.Sandbox.enabled = False`:
the kernel then runs as an ordinary process, with the same scratch folder and runner, and none
of the protections above.
"""
import asyncio
import contextlib
import functools
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Type
from traitlets.config import Configurable

STUDENT_SIDE = Path(__file__).resolve().parent / "student"      # the only course code the sandbox sees
INSIDE = "/opt/bptt"                                              # where it sees it
MAX_MESSAGE = 64 << 20       # bytes: a longer message from the kernel is dropped, not read into memory
# what of /etc the kernel needs (not all of it: when grading runs as root, the kernel's user is
# root's outside the sandbox, and /etc holds files only root may read)
ETC = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
       "fonts", "mime.types", "matplotlibrc"]
UNPROTECTED = ("--no-sandbox: the students' code runs as you, unconfined: it can read the course "
               "(source/, the hidden tests, gradebook.db, other submissions), change or delete them, use "
               "the network, and leave processes running. Its results are still judged outside its "
               "process, so it cannot fake a score by patching the grader.")


class SandboxUnavailable(Exception):
    """No sandbox can be made on this machine; the message is one line."""


class Sandbox(Configurable):
    """How grading kernels are confined (the course's nbgrader_config.py may set these)."""
    enabled = Bool(True, help="run each grading kernel in a bubblewrap sandbox").tag(config=True)
    memory = Integer(2 << 30, help="address space of a grading kernel, in bytes").tag(config=True)
    file_size = Integer(64 << 20, help="largest file a grading kernel may write, in bytes").tag(config=True)
    tmp_size = Integer(256 << 20, help="size of the kernel's /tmp, in bytes").tag(config=True)


@functools.cache
def _probe():
    """None if bubblewrap can make a sandbox here, else why not (one line)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ("bubblewrap is not installed (Debian and Ubuntu: sudo apt-get install bubblewrap)")
    with tempfile.TemporaryDirectory(prefix="bptt-probe-") as tmp:
        argv = bwrap_argv(Path(tmp), Path(tmp), Sandbox()) + ["/bin/true"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"bubblewrap could not start: {e}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot make a sandbox here ({last}; are unprivileged user namespaces disabled?)"
    return None


def check_available():
    """Raise SandboxUnavailable, naming --no-sandbox, if no sandbox can be made here."""
    why = _probe()
    if why:
        raise SandboxUnavailable(f"no sandbox for the students' code: {why}. Grading refuses to run "
                                 "their code unconfined unless you say so: --no-sandbox (python -m autograder), "
                                 "or c.Sandbox.enabled = False (nbgrader_config.py)")


def bwrap_argv(work, conn, sandbox):
    """The bubblewrap command line that confines a kernel with working directory work and sockets in conn."""
    prefixes = sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.prefix)})
    argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL",
            "--uid", "1000", "--gid", "1000", "--die-with-parent", "--new-session",
            "--size", str(sandbox.tmp_size), "--tmpfs", "/tmp",     # first: the environment may live under /tmp
            "--proc", "/proc", "--dev", "/dev"]
    for d in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin"):
        argv += ["--ro-bind-try", d, d]
    for name in ETC:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for p in prefixes:
        argv += ["--ro-bind", str(p), str(p)]
    package = Path(__file__).resolve().parent
    if any(package.is_relative_to(p) for p in prefixes):     # installed into the environment, not editable
        argv += ["--tmpfs", str(package)]                      # hide it, reference solutions and all
    argv += ["--ro-bind", str(STUDENT_SIDE), INSIDE,
             "--bind", str(work), str(work), "--bind", str(conn), str(conn), "--chdir", str(work),
             "--clearenv"]
    for k, v in kernel_env().items():
        argv += ["--setenv", k, v]
    return argv


def kernel_env():
    """The environment of a grading kernel: nothing of the grader's but the Python to use."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp",
            "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
            "MPLCONFIGDIR": "/tmp/matplotlib", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            # one thread for the BLAS: the kernel's time is the student's, and results are reproducible
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ReadyClient(AsyncKernelClient):
    """jupyter_client's kernel client, quick to see that a kernel is ready, and sure that its stdin
    channel (over which the judge and the kernel talk, judge.py) is connected before it is used."""

    def _create_connected_socket(self, channel, identity=None):
        if channel != "stdin":
            return super()._create_connected_socket(channel, identity)
        # The kernel sends its requests to this socket by its identity, which it learns when the
        # connection is made; one sent before is dropped, and the call waits for an answer to a
        # question never asked. With IMMEDIATE the socket is writable only once connected, which
        # wait_for_ready waits for.
        sock = self.context.socket(zmq.DEALER)
        sock.linger = 1000
        sock.immediate = True
        if identity:
            sock.identity = identity
        sock.connect(self._make_url(channel))
        return sock

    async def wait_for_ready(self, timeout=None):
        """As jupyter_client's: a kernel_info reply, then a message on IOPub, which shows that this
        client's subscription has reached the kernel. jupyter_client waits 0.2 s for that message
        before asking again; to a kernel that is already up (kernels.py starts them early), the
        first question comes before the subscription, so its message is lost and the wait runs out.
        Here the question is asked again every 10 ms. Then the stdin channel's connection."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))

        async def alive_within_time():
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

        while True:
            self.kernel_info()
            with contextlib.suppress(Exception):           # queue.Empty: no reply within the second
                reply = await self.shell_channel.get_msg(timeout=1)
                if reply["msg_type"] == "kernel_info_reply":
                    await self.iopub_channel.get_msg(timeout=0.01)
                    self._handle_kernel_info_reply(reply)
                    break
            await alive_within_time()
        while not await self.stdin_channel.socket.poll(100, zmq.POLLOUT):
            await alive_within_time()


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel in a scratch folder of its own, sandboxed unless the Sandbox config says not.

    `work` is the kernel's working directory (copy the notebook's files there before running
    it); the folder goes when the kernel is shut down.
    """

    client_factory = Type(ReadyClient, klass=AsyncKernelClient)

    def __init__(self, sandbox=None, **kwargs):
        self.sandbox = sandbox or Sandbox()
        if self.sandbox.enabled:
            check_available()
        self.scratch = Path(tempfile.mkdtemp(prefix="bptt-kernel-"))
        self.work, self.conn = self.scratch / "work", self.scratch / "conn"
        self.work.mkdir()
        self.conn.mkdir()
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        super().__init__(transport="ipc", ip=str(self.conn / "k"), connection_file=str(self.conn / "kernel.json"),
                         kernel_name="python3", context=context, **kwargs)

    def client(self, **kwargs):
        kwargs.setdefault("context", self.context)     # its sockets refuse oversized messages
        return super().client(**kwargs)

    @property
    def kernel_spec(self):
        boot = ["--memory", str(self.sandbox.memory), "--file-size", str(self.sandbox.file_size),
                "-f", "{connection_file}"]
        if self.sandbox.enabled:
            argv = bwrap_argv(self.work, self.conn, self.sandbox) + [sys.executable, f"{INSIDE}/boot.py"] + boot
            env = {}
        else:
            argv = [sys.executable, str(STUDENT_SIDE / "boot.py"), "--unconfined"] + boot
            env = dict(kernel_env(), HOME=str(self.scratch), MPLCONFIGDIR=str(self.scratch / "matplotlib"))
        return KernelSpec(argv=argv, env=env, display_name="Python (grading)", language="python",
                          interrupt_mode="message", resource_dir=str(self.scratch))

    async def _async_start_kernel(self, **kw):
        kw["cwd"] = str(self.work)
        return await super()._async_start_kernel(**kw)

    start_kernel = _async_start_kernel

    async def _async_kill_kernel(self, restart=False):
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            await self.provisioner.kill(restart=restart)
            # jupyter_client looks every 0.1 s whether the killed kernel has ended; wait for it instead
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, 5)
        await super()._async_kill_kernel(restart=restart)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.scratch, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources

    def copy_in(self, folder, skip=()):
        """Copy a folder's files into the kernel's working directory (not the names in skip)."""
        folder = Path(folder)
        for src in folder.rglob("*"):
            rel = src.relative_to(folder)
            if rel.parts[0] in skip or "__pycache__" in rel.parts or src.is_symlink() and not src.exists():
                continue
            dest = self.work / rel
            if src.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
            elif src.is_file():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
