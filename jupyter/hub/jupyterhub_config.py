"""JupyterHub of one class on this machine. `./course hub` (python -m autograder hub) starts it
with BPTT_HUB_ROOT, the hub's directory (see autograder/hub.py), and BPTT_HUB_PASSWORD set, and
chooses its ports on the command line.

For a demo and the tests only: every user's server runs as the system user who started the hub.
On a real hub, keep the nbgrader part (the exchange, the course directory with formgrader for the
instructor, the Assignment List for students) and use a real authenticator and spawner.
"""
import os
import sys

from autograder import hub

c = get_config()  # noqa: F821 (provided by JupyterHub)
paths = hub.layout(os.environ[hub.MARK])

# Logins: one shared password; only the class's four users can log in.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["BPTT_HUB_PASSWORD"]
c.Authenticator.allowed_users = {hub.INSTRUCTOR, *hub.STUDENTS}

# Servers: local processes, each user in a home of their own under the hub's directory.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(paths["homes"] / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]     # this environment's JupyterLab
c.Spawner.default_url = "/lab"
if os.geteuid() == 0:                    # containers and CI machines often run as root
    c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = 120            # a busy machine starts JupyterLab slowly
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    "JUPYTER_PREFER_ENV_PATH": "1",      # kernels run this environment's Python
    "BPTT_HUB_EXCHANGE": str(paths["exchange"]),
    hub.MARK: str(paths["root"]),        # how `python -m autograder hub` finds what is left at the end
}


def per_user(spawner):
    """The instructor works in the course directory with formgrader; students get the Assignment List."""
    if spawner.user.name == hub.INSTRUCTOR:
        spawner.home_dir = str(paths["course"])      # formgrader reads nbgrader_config.py where it starts
        config = hub.ROOT / "jupyter" / "instructor"
    else:
        config = hub.HUB / "student"
    spawner.environment = dict(spawner.environment, JUPYTER_CONFIG_PATH=str(config))


c.Spawner.pre_spawn_hook = per_user

# The hub's own files, in the hub's directory; its proxy from npm (jupyter/hub/package.json).
c.JupyterHub.db_url = f"sqlite:///{paths['state'] / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(paths["state"] / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(paths["state"] / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.command = [str(hub.PROXY)]
