"""Regenerate known_mistakes.json beside each source notebook from the catalogue of mistakes:

    python tools/known_mistakes.py            # write the files (then: python -m autograder release ID)
    python tools/known_mistakes.py --check    # exit 1 and say what differs, if a file is stale

The visible test of a backward function runs its checks in `with diagnosis("f", outputs):`; the
file tells the learner's kernel which catalogued mistake a failing function's outputs match, or
where to look (autograder/visible.py says how it is made). Run this after changing the catalogue
(autograder/mistakes/) or a visible test; tests/test_feedback.py fails while a file is stale.
"""
import argparse
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")      # small matrices: one thread is fastest

from autograder import visible  # noqa: E402
from autograder.course import ROOT  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the committed files are in sync")
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    args = parser.parse_args()
    stale = False
    for a in args.assignments or visible.all_assignments():
        if args.check:
            for d in visible.differences(a):
                print(f"{a}: {d}")
                stale = True
        else:
            written = visible.write(a)
            if written:
                print(f"wrote {written.relative_to(ROOT)}")
    if stale:
        print("stale: run python tools/known_mistakes.py, then python -m autograder release for each")
    sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
