"""JupyterLab on the course, set up for learners or for instructors.

Learners work in work/ (kept out of git), made from release/ and notebooks/ on first use.
Later runs add what is new in the course and never overwrite a learner's file, so pulling
course updates never conflicts with their work.

nbgrader's JupyterLab extensions are chosen per audience by the config directories in
jupyter/ (put first on JUPYTER_CONFIG_PATH): learners get the Validate button but not the
Assignment List, Course List or formgrader, which need an exchange or a gradebook they do not
have; instructors get formgrader and the Create Assignment toolbar on the course directory.
"""
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

from .course import RELEASE, ROOT

WORK = ROOT / "work"
JUPYTER_CONFIG = ROOT / "jupyter"


def update_work_copy(work=WORK):
    """Copy every release and companion file that work lacks. Returns the files added."""
    work = Path(work)
    added = []
    for src_root, dest_root in [(RELEASE, work), (ROOT / "notebooks", work / "notebooks")]:
        for src in sorted(src_root.rglob("*")):
            if src.is_file() and "__pycache__" not in src.parts and ".ipynb_checkpoints" not in src.parts:
                dest = dest_root / src.relative_to(src_root)
                if not dest.exists():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest)
                    added.append(dest)
    return added


def free_port(preferred):
    """preferred if nothing listens there, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue


def lab_command(mode, root, port, token, extra_args=()):
    """(argv, env) that start JupyterLab for mode 'learner' or 'instructor' on root."""
    env = dict(os.environ, JUPYTER_CONFIG_PATH=os.pathsep.join(
        [str(JUPYTER_CONFIG / mode)] + [p for p in os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]),
        JUPYTER_PREFER_ENV_PATH="1")
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
            *extra_args]
    if hasattr(os, "geteuid") and os.geteuid() == 0:     # containers and CI machines often run as root
        argv.append("--allow-root")
    return argv, env


def open_lab(mode="learner", directory=None, port=8888, extra_args=()):
    """Start JupyterLab in the foreground and print the URL to open."""
    if mode == "learner":
        root = Path(directory or WORK)
        added = update_work_copy(root)
        if added:
            files = "a new course file" if len(added) == 1 else f"{len(added)} new course files"
            print(f"Copied {files} into {root} (your own copy; course updates never overwrite it).")
        start = "lab/tree/01_rnn_step_by_step/rnn_step_by_step.ipynb"
    else:
        root = Path(directory or ROOT)     # formgrader reads nbgrader_config.py from here
        start = "lab"
    port, token = free_port(port), secrets.token_hex(16)
    argv, env = lab_command(mode, root.resolve(), port, token, extra_args)
    print(f"\n  Open this URL in your browser:  http://localhost:{port}/{start}?token={token}\n", flush=True)
    os.chdir(root)
    os.execvpe(argv[0], argv, env)     # JupyterLab takes over this process: Ctrl+C and signals reach it
