"""Command line of the course's autograder: `python -m autograder VERB ...`.

    check NOTEBOOK [--json]     grade one notebook (self-study learners, and anyone)
    grade ASSIGNMENT [...]      grade a class's submissions into the gradebook, with reports (instructors)
    feedback ASSIGNMENT [...]   write the graded students' feedback HTML, without hidden tests (instructors)
    sample-class ASSIGNMENT DEST   make a sample class of about 40 submissions (demos, tests)
    open [--instructor] [--unlock FOLDER]   JupyterLab for learners (on work/, a copy of release/) or instructors
    hub [--dir DIR]             a JupyterHub of one class on this machine: an instructor, three students
    release [ASSIGNMENT ...]    regenerate release/ from source/ with nbgrader (maintainers)
"""
import argparse
import json
import sys
from pathlib import Path

from . import startup  # noqa: F401  (first: it makes the imports below faster)
from .course import ROOT
from .workspace import unlock_folders


def _print_table(result):
    rows = [(t["grade_id"], f"{t['score']:g}/{t['max_score']:g}", "pass" if t["passed"] else "FAIL",
             t["message"]) for t in result["tests"]]
    width = max([len(r[0]) for r in rows] + [8])
    print(f"{result['assignment']} / {result['notebook']}")
    print(f"{'grade_id':{width}}  {'points':>7}  {'result':6}  message")
    for gid, pts, res, msg in rows:
        print(f"{gid:{width}}  {pts:>7}  {res:6}  {msg}".rstrip())
    print(f"Total: {result['score']:g} / {result['max_score']:g}")


def _unprotected(args):
    if args.no_sandbox:
        from .sandbox import UNPROTECTED
        print(f"warning: {UNPROTECTED}", file=sys.stderr)


def cmd_check(args):
    import warnings

    from .check import check
    from .course import NotGradable
    from .sandbox import SandboxUnavailable
    warnings.simplefilter("ignore")      # nbformat's complaints about the student's file: not the user's output
    _unprotected(args)
    try:
        result = check(args.notebook, sandbox=not args.no_sandbox)
    except (NotGradable, SandboxUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:               # the grader's own failure: one line, as for a bad file
        print(f"error: {args.notebook}: the grader failed on it: {type(e).__name__}: {e}"[:400], file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
    return 0


def _first_failure(row):
    if row["status"] != "graded":
        return row["reason"] or ""
    failed = [t for t in row["tests"] if not t["passed"]]
    return f"{failed[0]['grade_id']}: {failed[0]['message']}" if failed else ""


def cmd_grade(args):
    from .course import NotGradable
    from .grade import grade_class
    from .sandbox import SandboxUnavailable
    _unprotected(args)
    try:
        done = grade_class(args.assignment, args.course_dir, jobs=args.jobs, students=args.student,
                           force=args.force, scheduler=args.scheduler, time_limit=args.time_limit,
                           feedback=args.feedback, progress=not args.json, sandbox=not args.no_sandbox)
    except (NotGradable, SandboxUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the submissions graded so far are kept; run grade again to go on", file=sys.stderr)
        return 130
    if args.json:
        keys = ("student", "status", "score", "max_score", "reason", "flags")
        print(json.dumps({"assignment": done["assignment"],
                          "students": [{k: r[k] for k in keys} for r in done["students"]]}))
        return 0
    rows = done["students"]
    width = max([len(r["student"]) for r in rows] + [7])
    print(f"{done['assignment']}: {len(rows)} submissions, {len(done['graded_now'])} graded now, "
          f"{len(done['up_to_date'])} already graded and unchanged" +
          (" (--force regrades them)" if done["up_to_date"] else ""))
    print(f"{'student':{width}}  {'status':11}  {'score':>7}  {'flags':20}  reason, or first failed test")
    for r in rows:
        score = "-" if r["score"] is None else f"{r['score']:g}/{r['max_score']:g}"
        line = f"{r['student']:{width}}  {r['status']:11}  {score:>7}  {' '.join(r['flags']):20}  {_first_failure(r)}"
        print(line[:160].rstrip())
    print()
    print(done["summary"])
    paths = done["reports"]
    print(f"Reports in {Path(paths['tests']).parent}/: tests.csv, grades.csv, summary.md, grading.json, grade.log")
    if args.feedback:
        print(f"Feedback: {args.course_dir}/feedback/<student>/{done['assignment']}/ (nbgrader release_feedback sends it)")
    return 0


def cmd_feedback(args):
    from .course import NotGradable
    from .grade import feedback_class
    try:
        done = feedback_class(args.assignment, args.course_dir, jobs=args.jobs, students=args.student)
    except NotGradable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{done['assignment']}: feedback written for {len(done['written'])} students in "
          f"{args.course_dir}/feedback/<student>/{done['assignment']}/ (nbgrader release_feedback sends it)")
    for student, why in done["failed"].items():
        print(f"  not written for {student}: {why}")
    return 1 if done["failed"] else 0


def cmd_sample_class(args):
    from .sample_class import make
    try:
        manifest = make(args.assignment, args.dest, cell_timeout=args.cell_timeout)
    except (KeyError, FileExistsError) as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    kinds = {}
    for s in manifest["students"].values():
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    print(f"{args.dest}: a course directory with {len(manifest['students'])} submissions of {args.assignment} "
          f"({', '.join(f'{n} {k}' for k, n in kinds.items())}); sample_class.json says what each one is.")
    print(f"Grade them:  python -m autograder grade {args.assignment} --course-dir {args.dest}")
    return 0


def cmd_release(args):
    from pathlib import Path

    from .course import RELEASE, assignments
    from .release import build_release
    names = [Path(a).name for a in args.assignments]       # accept source/01_.../ from tab completion
    unknown = [a for a in names if a not in assignments()]
    if unknown:
        print(f"error: no assignment {', '.join(unknown)} in source/ (known: {', '.join(assignments())})", file=sys.stderr)
        return 2
    for a in names or list(assignments()):
        build_release(a, RELEASE)
        print(f"release/{a} regenerated")
    return 0


def cmd_open(args):
    from .workspace import open_lab
    unlock = args.unlock or []
    folders = list(unlock_folders())
    unknown = [f for f in unlock if f.rstrip("/") not in folders]
    if unknown or (unlock and args.instructor):
        why = "is for learners" if args.instructor else f"takes one of {', '.join(folders)}, not {', '.join(unknown)}"
        print(f"error: --unlock {why}", file=sys.stderr)
        return 2
    return open_lab("instructor" if args.instructor else "learner", args.dir, args.port, args.jupyter_args,
                    unlock=[f.rstrip("/") for f in unlock])


def cmd_hub(args):
    from .hub import serve
    return serve(args.dir, args.port)


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
        return value
    return parse


def _port(text):
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0, any free port, to 65535)")
    return int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name, about, *, epilog=None):
        return verbs.add_parser(name, help=about, description=about[0].upper() + about[1:] + ".", epilog=epilog)

    p = verb("check", "grade one filled-in notebook of any assignment, with the hidden tests, as nbgrader would",
             epilog="Exit status: 0 whenever grading ran, whatever the score; 2, with a one-line error, for a "
                    "file that cannot be graded (not a notebook, of no assignment of the course, ...).")
    p.add_argument("notebook", help="the notebook (.ipynb) to grade; it is not changed")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the notebook unconfined where no sandbox can be made (it prints what that leaves open)")
    p.set_defaults(run=cmd_check)
    p = verb("grade", "grade every submission of an assignment (submitted/<student>/<assignment>/, "
                      "nbgrader's layout) into the course's gradebook, in parallel, and write the reports",
             epilog="Exit status: 0 whenever grading ran; 2 for an unknown assignment or student, or no "
                    "submissions; 130 if interrupted (run it again to go on).")
    p.add_argument("assignment", help="the assignment id, e.g. 01_rnn_step_by_step")
    p.add_argument("--jobs", "-j", type=_positive(int), default=None,
                   help="worker processes (default: the number of cores)")
    p.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded and unchanged")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the jobs on this Dask scheduler (tcp://host:8786)")
    p.add_argument("--course-dir", default=str(ROOT), help="the nbgrader course directory (default: this course)")
    p.add_argument("--time-limit", type=_positive(float), metavar="SECONDS",
                   help="per submission (default: five times the cell timeout, c.Execute.timeout)")
    p.add_argument("--feedback", action="store_true",
                   help="also write each graded student's feedback HTML (else: the feedback verb, after review)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code unconfined where no sandbox can be made (it prints what that leaves open)")
    p.set_defaults(run=cmd_grade)
    p = verb("feedback", "write the feedback HTML of graded submissions into feedback/<student>/<assignment>/, "
                         "without hidden tests")
    p.add_argument("assignment", help="the assignment id, e.g. 01_rnn_step_by_step")
    p.add_argument("--jobs", "-j", type=_positive(int), default=None,
                   help="worker processes (default: the number of cores)")
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    p.add_argument("--course-dir", default=str(ROOT), help="the nbgrader course directory (default: this course)")
    p.set_defaults(run=cmd_feedback)
    p = verb("sample-class", "make a sample class of about 40 submissions (correct, wrong, known mistakes, "
                             "hostile), as a new course directory, for demos and tests")
    p.add_argument("assignment", help="the assignment id, e.g. 01_rnn_step_by_step")
    p.add_argument("dest", help="a new directory: it becomes a course directory")
    p.add_argument("--cell-timeout", type=_positive(int), default=5,
                   help="c.Execute.timeout of the sample course (seconds, default 5)")
    p.set_defaults(run=cmd_sample_class)
    p = verb("release", "regenerate release/<assignment>/ from source/ with nbgrader generate_assignment, "
                        "replacing what is there")
    p.add_argument("assignments", nargs="*", metavar="assignment", help="assignment ids (default: all)")
    p.set_defaults(run=cmd_release)
    p = verb("open", "start JupyterLab: for learners on work/, their copy of release/ (made and updated without "
                     "overwriting anything), or with --instructor on the course directory")
    p.add_argument("--instructor", action="store_true",
                   help="JupyterLab with formgrader and Create Assignment on the course directory")
    p.add_argument("--dir", help="the learner's work directory (default work/) or, with --instructor, "
                                 "the course directory (default: this repository)")
    p.add_argument("--port", type=_port, default=8888, help="the port to use, if free, else any free one (default 8888; 0: any)")
    folders = list(unlock_folders())
    folders = " or ".join(filter(None, [", ".join(folders[:-1])] + folders[-1:]))
    p.add_argument("--unlock", action="append", metavar="FOLDER",
                   help=f"copy into the work folder FOLDER ({folders}) the files that hold an "
                        "earlier assignment's solutions, before you have completed that assignment: they give "
                        "its answers away (repeatable). Without it, open copies each of them once `check` gives "
                        "that assignment full marks in your work folder")
    p.add_argument("jupyter_args", nargs="*", help="passed on to JupyterLab")
    p.set_defaults(run=cmd_open)
    p = verb("hub", "start a JupyterHub of one class on this machine (an instructor with formgrader, three "
                    "students with the Assignment List, an nbgrader exchange) and print how to log in; "
                    "./course hub installs its proxy first")
    p.add_argument("--dir", help="the hub's directory: the course directory, the exchange, the users' homes "
                                 "(default: a new temporary directory; an earlier hub's is reused as it is)")
    p.add_argument("--port", type=_port, default=8000, help="the hub's port, if free, else any free one (default 8000; 0: any)")
    p.set_defaults(run=cmd_hub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:              # `... | head`: the reader has gone, nothing to say
        sys.stderr.close()
        return 1
    except OSError as e:                 # a path that cannot be made or read, a scheduler not reachable
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
