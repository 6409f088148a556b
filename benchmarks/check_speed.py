"""Wall time of `python -m autograder check` on a solved notebook, against executing the same
notebook with its hidden tests through nbclient alone (`jupyter execute`, an unsandboxed kernel
that runs the hidden tests itself), in the same run.

    python benchmarks/check_speed.py [ASSIGNMENT] [--repeat N]

Both are whole commands in fresh processes, as a learner runs them. Goal: check <= 0.75x, with the sandbox and the judge.
"""
import argparse
import os
import shutil
import statistics
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
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("assignment", nargs="?", default="01_rnn_step_by_step")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    a = assignments()[args.assignment]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        solved = support.write(support.solved(a.id), tmp / "solved.ipynb")
        bare_dir = tmp / "bare"
        shutil.copytree(a.source_dir, bare_dir)            # the source: solutions + hidden tests
        bare_nb = bare_dir / f"{a.notebook}.ipynb"
        jupyter = str(Path(sys.executable).parent / "jupyter")
        check_cmd = [sys.executable, "-m", "autograder", "check", str(solved), "--json"]
        bare_cmd = [jupyter, "execute", str(bare_nb)]
        # as under nbgrader's validate, so that the notebook's own "check my work" cell skips itself
        # (under "autograde" the hidden tests refuse to run in the notebook's own kernel)
        bare_env = dict(os.environ, NBGRADER_EXECUTION="validate")
        timed(check_cmd, tmp)                               # warm-up: file caches, gradebook cache
        timed(bare_cmd, bare_dir, bare_env)
        checks, bares = [], []
        for _ in range(args.repeat):                        # interleaved, so drift hits both alike
            checks.append(timed(check_cmd, tmp))
            bares.append(timed(bare_cmd, bare_dir, bare_env))
    c, b = statistics.median(checks), statistics.median(bares)
    print(f"assignment              {a.id}")
    print(f"check (median of {args.repeat})     {c:.2f} s   runs: {', '.join(f'{x:.2f}' for x in checks)}")
    print(f"nbclient alone          {b:.2f} s   runs: {', '.join(f'{x:.2f}' for x in bares)}")
    print(f"ratio check / bare      {c / b:.2f}x   (goal: at most 0.75x)")


if __name__ == "__main__":
    main()
