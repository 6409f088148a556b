"""Feedback for students: nbgrader's feedback HTML, with the failure messages and no hidden test.

nbgrader's default feedback shows the hidden tests. Its ClearHiddenTests removes them from the
cells' sources but not from their outputs, and a failing hidden test's traceback quotes its
lines (even `### END HIDDEN TESTS`). The course's feedback pipeline is therefore GetGrades,
ClearHiddenTests, HideTestTracebacks (below) and nbconvert's CSS header. It is set both in the
course's nbgrader_config.py (for `nbgrader generate_feedback`) and by `autograde.course_config`.
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor


class HideTestTracebacks(NbGraderPreprocessor):
    """Cut the traceback of each error in a test cell down to its last line.

    A test cell is a graded cell that is not an answer. Its error's last line, for example
    "AssertionError: da_prev is wrong: ... Known mistake [...]: ...", is the feedback the test
    means to give; the frames above it are the hidden test's code.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"\x1b[0;31m{out.get('ename', 'Error')}\x1b[0m: {out.get('evalue', '')}"]
        return cell, resources


def feedback_preprocessors():
    """GenerateFeedback.preprocessors of the course: nbgrader's default plus the two that hide the tests."""
    return [GetGrades, ClearHiddenTests, HideTestTracebacks, CSSHTMLHeaderPreprocessor]
