"""Wall time of grading a class: `python -m autograder grade --jobs 2` against plain, sequential
`nbgrader autograde` (one batch process), on the same solved submissions, in the same run.

    python benchmarks/class_speed.py [ASSIGNMENT] [--students 40] [--jobs 2] [--repeat 1]

Each grader works in a fresh course directory of its own (the course's source/ and
nbgrader_config.py, the same submissions, a gradebook that already has the assignment, as after
`nbgrader generate_assignment`) and is timed as whole commands in fresh processes. Also timed:
grading with the students' feedback, `grade --feedback` against `nbgrader autograde` followed
by `nbgrader generate_feedback`. Every student's score in every graded cell must be the same in
all gradebooks. Goal: `grade` at least 2.0x faster than `nbgrader autograde`, both with the sandbox
and the judge (the course's nbgrader_config.py gives plain nbgrader the same path).
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

from autograder.course import CONFIG, SOURCE, assignments  # noqa: E402

BIN = Path(sys.executable).parent


def course(where, a, students, gradebook=None):
    """A course directory with the assignment's source and `students` solved submissions."""
    where.mkdir(parents=True)
    shutil.copy(CONFIG, where / "nbgrader_config.py")
    shutil.copytree(SOURCE / a.id, where / "source" / a.id)
    solved = support.solved(a.id)
    for i in range(students):
        d = where / "submitted" / f"student{i:02d}" / a.id
        d.mkdir(parents=True)
        support.write(solved, d / f"{a.notebook}.ipynb")
    if gradebook is None:
        run([BIN / "nbgrader", "generate_assignment", a.id, "--force"], where)
        shutil.rmtree(where / "release")
    else:
        shutil.copy(gradebook, where / "gradebook.db")
    return where


def run(cmd, cwd):
    """Wall time of a command."""
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    t = time.perf_counter()
    subprocess.run(list(map(str, cmd)), cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def scores(where, a):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{where / 'gradebook.db'}") as gb:
        return {(s.student.id, g.name): g.score for s in gb.assignment_submissions(a.id)
                for nb in s.notebooks for g in nb.grades}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("assignment", nargs="?", default="01_rnn_step_by_step")
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    a = assignments()[args.assignment]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        template = course(tmp / "template", a, args.students)
        times = {}
        for r in range(args.repeat):                          # interleaved, so drift hits all alike
            grade = [sys.executable, "-m", "autograder", "grade", a.id, "--course-dir", ".", "--jobs", args.jobs]
            commands = {"nbgrader": [[BIN / "nbgrader", "autograde", a.id]],
                        "grade": [grade],
                        "nbgrader_fb": [[BIN / "nbgrader", "autograde", a.id],
                                        [BIN / "nbgrader", "generate_feedback", a.id]],
                        "grade_fb": [grade + ["--feedback"]]}
            dirs = {}
            for name, cmds in commands.items():
                dirs[name] = course(tmp / f"{name}{r}", a, args.students, template / "gradebook.db")
                times.setdefault(name, []).append(sum(run(cmd, dirs[name]) for cmd in cmds))
            plain, ours, full = dirs["nbgrader"], dirs["grade"], dirs["grade_fb"]
            same = scores(plain, a) == scores(ours, a) == scores(full, a) == scores(dirs["nbgrader_fb"], a)
            feedback = len(list(full.glob(f"feedback/*/{a.id}/*.html"))) == args.students
            n = len({s for s, _ in scores(plain, a)})
            assert n == args.students, f"nbgrader graded {n} of {args.students}"
    load_after = os.getloadavg()
    t = {k: statistics.median(v) for k, v in times.items()}
    runs = lambda k: ", ".join(f"{x:.1f}" for x in times[k])   # noqa: E731
    print(f"assignment                           {a.id}, {args.students} solved submissions, {os.cpu_count()} cores")
    print(f"nbgrader autograde                     {t['nbgrader']:6.1f} s   runs: {runs('nbgrader')}")
    print(f"grade --jobs {args.jobs}                         {t['grade']:6.1f} s   runs: {runs('grade')}   "
          f"{t['nbgrader'] / t['grade']:.2f}x faster (goal: at least 2.0x)")
    print(f"nbgrader autograde + generate_feedback {t['nbgrader_fb']:6.1f} s   runs: {runs('nbgrader_fb')}")
    print(f"grade --jobs {args.jobs} --feedback              {t['grade_fb']:6.1f} s   runs: {runs('grade_fb')}   "
          f"{t['nbgrader_fb'] / t['grade_fb']:.2f}x faster")
    print(f"identical scores                     {same}; feedback for every student: {feedback}")
    print(f"load average (1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, "
          f"after {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
