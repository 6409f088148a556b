"""The learner's own copy of the course notebooks, and JupyterLab on it.

Learners work in work/ (kept out of git), made from release/ and notebooks/ on first use.
Later runs add what is new in the course and never overwrite a learner's file, so pulling
course updates never conflicts with their work.
"""
import secrets
import shutil
import subprocess
import sys

from .course import RELEASE, ROOT

WORK = ROOT / "work"


def update_work_copy():
    """Copy every release and companion file that work/ lacks. Returns the files added."""
    added = []
    for src_root, dest_root in [(RELEASE, WORK), (ROOT / "notebooks", WORK / "notebooks")]:
        for src in sorted(src_root.rglob("*")):
            if src.is_file() and "__pycache__" not in src.parts and ".ipynb_checkpoints" not in src.parts:
                dest = dest_root / src.relative_to(src_root)
                if not dest.exists():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest)
                    added.append(dest)
    return added


def open_lab(port=8888, extra_args=()):
    added = update_work_copy()
    if added:
        print(f"Copied {len(added)} new course files into {WORK.relative_to(ROOT)}/ (your own copy).")
    token = secrets.token_hex(16)
    print(f"\n  Open this URL in your browser:  http://localhost:{port}/lab?token={token}\n", flush=True)
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={WORK}", f"--ServerApp.port={port}",
           f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", *extra_args]
    return subprocess.call(cmd)
