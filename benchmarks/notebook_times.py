"""How long each instructor notebook takes to run top to bottom (as a learner runs it, training
included), and how long `python -m autograder check` takes on each solved notebook.

    python benchmarks/notebook_times.py [ASSIGNMENT ...]

Goal (issue 14): assignment 05's notebook, and the check of its solved notebook, each in under
two minutes on two cores.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import support  # noqa: E402

from autograder.course import assignments  # noqa: E402


def timed(cmd, cwd, env=None):
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main():
    chosen = sys.argv[1:] or list(assignments())
    jupyter = str(Path(sys.executable).parent / "jupyter")
    print(f"{'assignment':30s} {'notebook':>9s} {'check':>7s}   ({os.cpu_count()} cores)")
    for a_id in chosen:
        a = assignments()[a_id]
        with tempfile.TemporaryDirectory() as tmp:
            here = Path(tmp) / a.id
            shutil.copytree(a.source_dir, here)
            # as a learner runs it; its own "check my work" cell skips itself (NBGRADER_EXECUTION
            # would also skip the training, so the variable that it reads is not set here)
            env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
            run = timed([jupyter, "execute", str(here / f"{a.notebook}.ipynb")], here, env)
            solved = support.write(support.solved(a.id), Path(tmp) / f"{a.notebook}-solved.ipynb")
            check = timed([sys.executable, "-m", "autograder", "check", str(solved), "--json"], tmp)
        print(f"{a.id:30s} {run:8.1f}s {check:6.1f}s")


if __name__ == "__main__":
    main()
