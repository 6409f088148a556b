"""Command line of the course's autograder: `python -m autograder VERB ...`.

    check NOTEBOOK [--json]     grade one notebook (self-study learners, and anyone)
    open [--instructor]         JupyterLab for learners (on work/, a copy of release/) or instructors
    release [ASSIGNMENT ...]    regenerate release/ from source/ with nbgrader (maintainers)
"""
import argparse
import json
import sys


def _print_table(result):
    rows = [(t["grade_id"], f"{t['score']:g}/{t['max_score']:g}", "pass" if t["passed"] else "FAIL",
             t["message"]) for t in result["tests"]]
    width = max([len(r[0]) for r in rows] + [8])
    print(f"{result['assignment']} / {result['notebook']}")
    print(f"{'grade_id':{width}}  {'points':>7}  {'result':6}  message")
    for gid, pts, res, msg in rows:
        print(f"{gid:{width}}  {pts:>7}  {res:6}  {msg}".rstrip())
    print(f"Total: {result['score']:g} / {result['max_score']:g}")


def cmd_check(args):
    from .check import check
    from .course import NotGradable
    try:
        result = check(args.notebook)
    except NotGradable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
    return 0


def cmd_release(args):
    from .release import build_release
    from .course import RELEASE, assignments
    for a in args.assignments or list(assignments()):
        build_release(a, RELEASE)
        print(f"release/{a} regenerated")
    return 0


def cmd_open(args):
    from .workspace import open_lab
    return open_lab("instructor" if args.instructor else "learner", args.dir, args.port, args.jupyter_args)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("check", help="grade one filled-in notebook")
    p.add_argument("notebook")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(run=cmd_check)
    p = verbs.add_parser("release", help="regenerate release/ from source/ with nbgrader")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(run=cmd_release)
    p = verbs.add_parser("open", help="copy the release into work/ (first time) and start JupyterLab on it")
    p.add_argument("--instructor", action="store_true",
                   help="JupyterLab with formgrader and Create Assignment on the course directory")
    p.add_argument("--dir", help="the learner's work directory (default work/) or, with --instructor, "
                                 "the course directory (default: this repository)")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("jupyter_args", nargs="*", help="passed on to JupyterLab")
    p.set_defaults(run=cmd_open)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
