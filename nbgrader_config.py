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
