"""A throw-away PostgreSQL server for the tests: Debian's postgresql package, a cluster in a
temporary folder, on a free port of 127.0.0.1, gone at the end.

The server refuses to run as root, so as root it runs as the package's `postgres` user.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries():
    """The folder of initdb and pg_ctl, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server():
    """Yields a running server: an object with url(database) and stop()/start()."""
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    top = Path(tempfile.mkdtemp(prefix="bptt-postgres-"))
    top.chmod(0o755)                         # the server's user must reach its folder
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(top, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    srv = _Server(bindir, top, as_user, _free_port())
    try:
        srv.run("initdb", "-D", str(top / "data"), "-A", "trust", "-U", "grader", "--no-sync", "-E", "UTF8")
        srv.start()
        srv.run("createdb", "-h", "127.0.0.1", "-p", str(srv.port), "-U", "grader", "gradebook")
        yield srv
    finally:
        with contextlib.suppress(Exception):
            srv.stop()
        shutil.rmtree(top, ignore_errors=True)


class _Server:
    def __init__(self, bindir, top, as_user, port):
        self.bindir, self.top, self.as_user, self.port = bindir, top, as_user, port

    def run(self, tool, *args):
        subprocess.run(self.as_user + [str(self.bindir / tool), *args], check=True, capture_output=True,
                       text=True, timeout=120)

    def start(self):
        self.run("pg_ctl", "-D", str(self.top / "data"), "-l", str(self.top / "log"), "-w", "-o",
                 f"-k {self.top} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self.run("pg_ctl", "-D", str(self.top / "data"), "-m", "immediate", "-w", "stop")

    def url(self, database="gradebook"):
        return f"postgresql+psycopg://grader@127.0.0.1:{self.port}/{database}"
