"""nbgrader configuration of the course. The repository root is the course directory."""
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "bptt-step-by-step"
# Only the notebooks and their helper files are course material; never copy caches into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".pytest_cache"]

# Students replace this stub with their code.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# A cell that runs longer than this is interrupted; the later cells still run and are graded.
c.Execute.timeout = 60
# Restore graded cells that a student deleted, so that they score 0 rather than vanish.
c.OverwriteCells.add_missing_cells = True

# Feedback shows the failure messages and none of the hidden tests (nbgrader's default shows them).
from autograder.feedback import feedback_preprocessors  # noqa: E402
c.GenerateFeedback.preprocessors = feedback_preprocessors()
# `nbgrader export` adds each submission's grading status: no silent 0 for one that could not be graded.
from autograder.reports import StatusCsvExport  # noqa: E402
c.ExportApp.plugin_class = StatusCsvExport

# Autograding, also by plain `nbgrader autograde` and formgrader's button, takes the course's
# trusted path: every kernel in a sandbox, graded cells judged outside it (autograder/execute.py).
# Where no sandbox can be made, autograding refuses; c.Sandbox.enabled = False overrides that.
from autograder.execute import autograde_preprocessors  # noqa: E402
from autograder.preprocessors import sanitize_preprocessors  # noqa: E402
c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
c.Autograde.autograde_preprocessors = autograde_preprocessors()
