"""nbgrader in a student's server on the course's hub: the course's configuration, the class's
exchange, and the student's hub login as their nbgrader student id."""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)
# the course id and the cell timeout of Validate: the course's own nbgrader_config.py
load_subconfig(os.path.join(os.path.dirname(__file__), "..", "..", "..", "nbgrader_config.py"))  # noqa: F821
c.Exchange.root = os.environ["BPTT_HUB_EXCHANGE"]
# nbgrader names a submission after the system user, which on this hub is the same for everyone
c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
