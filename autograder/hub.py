"""A JupyterHub of one class on this machine: `./course hub` (python -m autograder hub).

One instructor and three students log in with one shared password. Each gets a JupyterLab
server of their own, run by JupyterHub's SimpleLocalProcessSpawner: every server runs as the
system user who started the hub, in its own home directory. That is for a demo and for the
tests; a real class gives each person a system user or a container, with the same nbgrader
settings. jupyter/hub/jupyterhub_config.py is the hub's configuration; the hub's directory
(a new temporary one unless given) holds everything the term makes:

    course/           the instructor's home and course directory: the course's source/, and an
                      nbgrader_config.py that loads the course's and names the exchange
    exchange/         nbgrader's exchange (c.Exchange.root): release, submit, collect and
                      feedback go through it
    homes/<student>/  each student's home: fetched assignments, nbgrader's copies of submissions
    state/            JupyterHub's own: its database, cookie secret, the proxy's pid file

The instructor's server has formgrader (jupyter/instructor), the students' the Assignment List
(jupyter/hub/student). Every process of the hub carries BPTT_HUB_ROOT=<the hub's directory> in
its environment, which is how the command finds and stops any that outlive the hub.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .course import CONFIG, ROOT, SOURCE
from .workspace import free_port

INSTRUCTOR = "instructor"
STUDENTS = ("student-a", "student-b", "student-c")
HUB = ROOT / "jupyter" / "hub"
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
MARK = "BPTT_HUB_ROOT"


def layout(root):
    """The paths of a hub's directory, by name."""
    root = Path(root).resolve()
    return {"root": root, "course": root / "course", "exchange": root / "exchange",
            "homes": root / "homes", "state": root / "state"}


def prepare(root):
    """Make root a hub's directory; what an earlier run of the hub made there is kept."""
    paths = layout(root)
    course = paths["course"]
    if not (course / "nbgrader_config.py").exists():
        shutil.copytree(SOURCE, course / "source", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        (course / "nbgrader_config.py").write_text(
            '"""The course directory of the class on the course\'s JupyterHub (python -m autograder hub)."""\n'
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
            f"c.Exchange.root = {str(paths['exchange'])!r}\n"
            "# every user of this hub is the same system user: a submission's owner cannot tell its student\n"
            "c.ExchangeCollect.check_owner = False\n")
    for name in ("exchange", "homes", "state"):
        paths[name].mkdir(parents=True, exist_ok=True)
    # the students write their submissions into the exchange (nbgrader's documented setup)
    paths["exchange"].chmod(0o777)
    return paths


def free_ports(n):
    """n distinct free ports of localhost."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def hub_command(paths, port, password):
    """(argv, env) that start JupyterHub on http://127.0.0.1:port/ for the hub's directory."""
    hub_port, api_port = free_ports(2)
    argv = [sys.executable, "-m", "jupyterhub", "-f", str(HUB / "jupyterhub_config.py"),
            f"--JupyterHub.bind_url=http://127.0.0.1:{port}",
            f"--JupyterHub.hub_bind_url=http://127.0.0.1:{hub_port}",
            f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}"]
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, PATH=path, BPTT_HUB_PASSWORD=password, **{MARK: str(paths["root"])})
    return argv, env


def processes(root):
    """PIDs of the processes of the hub of root: the hub, its proxy, the users' servers, their kernels."""
    mark = f"{MARK}={Path(root).resolve()}".encode()
    found = []
    for d in (Path("/proc").iterdir() if Path("/proc").is_dir() else ()):     # Linux; elsewhere the hub's own cleanup
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if mark in (d / "environ").read_bytes().split(b"\0"):
                    found.append(int(d.name))
            except OSError:              # gone meanwhile, or another user's
                pass
    return found


def stop(proc, root, timeout=60):
    """Stop the hub (it stops its proxy and the users' servers), then any process of it left.
    Returns the PIDs that had to be killed."""
    if proc.poll() is None:
        proc.terminate()                      # JupyterHub then stops its proxy and the users' servers
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    left = processes(root)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + 5
        while time.time() < deadline and processes(root):
            time.sleep(0.1)
        if not processes(root):
            break
    return left


def _die_with_parent():
    """In the hub's process: Linux sends it SIGTERM if this command dies without stopping it."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_until_up(url, proc, timeout):
    """Wait until the hub answers at url, or raise RuntimeError saying why not."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with status {proc.returncode} before it answered (its log is above)")
        try:
            with urllib.request.urlopen(f"{url}hub/api/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"JupyterHub did not answer at {url} within {timeout:g} s")


def banner(url, paths, password):
    course, a = paths["course"], "01_rnn_step_by_step"
    return "\n".join([
        "",
        f"  The class's JupyterHub is up:  {url}",
        f"  Log in as the instructor:      {INSTRUCTOR}",
        f"         or as a student:        {', '.join(STUDENTS)}",
        f"  Password (everyone):           {password}",
        f"  The instructor's course directory (formgrader's):  {course}",
        f"  The nbgrader exchange:                             {paths['exchange']}",
        f"  The students' homes:                               {paths['homes']}/",
        "  Grade the collected submissions, then write their feedback, with:",
        f"    {sys.executable} -m autograder grade {a} --course-dir {course}",
        f"    {sys.executable} -m autograder feedback {a} --course-dir {course}",
        "  Ctrl+C stops the hub, its proxy and every user's server.",
        "", ""])


def serve(directory=None, port=8000, timeout=120):
    """Start the hub in directory (default: a new temporary one), print how to use it once it
    answers, and keep it running until Ctrl+C or SIGTERM; then stop it and everything it started."""
    if not PROXY.exists():
        print(f"error: JupyterHub's proxy is not installed in {HUB}/node_modules: start the hub with "
              "./course hub, which installs it with npm", file=sys.stderr)
        return 2
    paths = prepare(directory or tempfile.mkdtemp(prefix="bptt-hub-"))
    port = free_port(port)
    password = secrets.token_urlsafe(9)         # one per start of the hub, printed below
    argv, env = hub_command(paths, port, password)
    url = f"http://127.0.0.1:{port}/"
    print(f"Starting JupyterHub in {paths['root']} ...", flush=True)
    # in a session of its own, so that Ctrl+C reaches this command only, which stops the hub once
    proc = subprocess.Popen(argv, env=env, cwd=paths["state"], start_new_session=True, preexec_fn=_die_with_parent)

    def interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)
    try:
        wait_until_up(url, proc, timeout)
        print(banner(url, paths, password), flush=True)
        proc.wait()
        return proc.returncode or 0
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        left = stop(proc, paths["root"])
        if left:
            print(f"Stopped {len(left)} processes that the hub left running: {left}", file=sys.stderr)
        print(f"The hub has stopped. Its directory, with the term's files, is kept: {paths['root']}", flush=True)
