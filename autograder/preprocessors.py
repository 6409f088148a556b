"""nbgrader preprocessors of the course's autograde pipeline, each fixing one way in which a
student's notebook makes plain nbgrader 0.9 fail or misbehave, or could harm the instructor.
(JudgedExecute, which runs the notebook, is in execute.py; the feedback's HideTestTracebacks is
in feedback.py.)
"""
import html
import re

from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import from_dict
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import LimitOutput, OverwriteCells
from traitlets import Integer


class RestoreCells(OverwriteCells):
    """nbgrader's OverwriteCells, which also puts every deleted locked cell back in its place.

    nbgrader restores a deleted graded cell only, and fails on the whole submission in three
    common cases: a deleted graded cell that follows a locked ungraded one (visible tests), a
    copied cell (DeduplicateIds empties the metadata of all but the last copy, which
    OverwriteCells then cannot read), and a cell pasted from another assignment's notebook.
    Here a copy or a pasted cell is an ordinary cell, and every locked or graded cell missing
    from the submission is inserted after the nearest cell that precedes it in the source;
    OverwriteCells then restores its content, as it does for an edited locked cell.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            self._strip_unknown(nb, {c.name for c in source.source_cells})
            if self.add_missing_cells:
                self._restore_deleted(nb, source)
        return super().preprocess(nb, resources)

    @staticmethod
    def _strip_unknown(nb, known):
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")   # a dict, or nbgrader fails before
            if "nbgrader" in cell.metadata and not (isinstance(grade_id, str) and grade_id in known):
                # a copy emptied by DeduplicateIds, a cell pasted from another assignment, or
                # metadata edited by hand
                del cell.metadata["nbgrader"]

    def _restore_deleted(self, nb, source):
        """source: the notebook's record in the gradebook (of an open session)."""
        points = {c.name: c.max_score for c in source.grade_cells}
        solutions = {c.name for c in source.solution_cells}
        order = source.source_cells                   # in the source notebook's order
        for k, missing in enumerate(order):
            present = {c.metadata.nbgrader.grade_id: i for i, c in enumerate(nb.cells)
                       if c.metadata.get("nbgrader", {}).get("grade_id")}
            if missing.name in present or not (missing.locked or missing.name in points):
                continue
            self.log.warning("Locked cell %s was deleted; putting it back", missing.name)
            cell = from_dict(self.missing_cell_transform(missing, points.get(missing.name, 0),
                                                         is_solution=missing.name in solutions))
            if missing.name not in points:           # a locked cell that is not graded
                cell.metadata.nbgrader["grade"] = False
                cell.metadata.nbgrader.pop("points", None)
            before = [present[c.name] for c in order[:k] if c.name in present]
            nb.cells.insert(max(before) + 1 if before else 0, cell)


class LimitOutputSize(LimitOutput):
    """nbgrader's LimitOutput (lines of output), also limiting the characters of a cell's text output.

    A single print of megabytes is one line, which LimitOutput keeps whole; it would bloat the
    autograded notebook and the feedback.
    """

    max_chars = Integer(100_000, help="maximum number of characters of text output per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        left, kept = self.max_chars, []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                if left <= 0:
                    continue
                if len(out["text"]) > left:
                    out["text"] = out["text"][:left] + f"\n... Output truncated ({len(out['text']):,} characters) ...\n"
                left -= len(out["text"])
            kept.append(out)
        if cell.get("cell_type") == "code":
            cell.outputs = kept
        return cell, resources


class SanitizeSubmission(SanitizeHTML):
    """nbconvert's SanitizeHTML on the autograded notebook: what the student's kernel displayed
    keeps only safe HTML (no script, no JavaScript output), and a markdown cell with active
    content (a script, an event handler, ...) is cleaned the same way.

    Formgrader shows the autograded notebook to the instructor as HTML, in the page of the
    Jupyter server that holds the gradebook: a script there could act as the instructor.
    Markdown without active content is left as written, since cleaning it would also escape
    the course's own blockquotes, diagrams and equations.
    """

    ACTIVE = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style|link|meta|base|form|svg|math)\b"
                        r"|\bon[a-z]+\s*=|(java|vb)script:|data:(text/html|image/svg)", re.I)

    @classmethod
    def is_active(cls, source):
        """Whether markdown holds active content, however it is written: the browser decodes
        character references (&#106;avascript:) and drops the spaces and control characters in a
        link's scheme (java<newline>script:)."""
        return bool(cls.ACTIVE.search(source) or cls.ACTIVE.search(re.sub(r"[\s\x00-\x1f]", "", html.unescape(source))))

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.enabled = True        # nbconvert's preprocessors start disabled; nbgrader's pipeline does not enable them
        self.strip = True          # remove unsafe markup, rather than show it escaped

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type in ("markdown", "raw"):
            if self.is_active(cell.source):
                cell.source = self.sanitize_html_tags(cell.source)
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


def sanitize_preprocessors():
    """nbgrader's sanitizing steps of autograde, with RestoreCells in place of OverwriteCells."""
    return [RestoreCells if p is OverwriteCells else p
            for p in Autograde.class_traits()["sanitize_preprocessors"].default()]
