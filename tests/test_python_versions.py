"""Every Python that the README promises works: 3.11, 3.12 and 3.13 each set up the course and
grade a solved notebook with full marks, and an older Python gets one clear line from ./course,
never a pip error.

Each supported version found on this machine (`python3.X` on PATH, or pyenv's
~/.pyenv/versions/3.X.*/bin/python3.X) is set up in a fresh copy of the course, as a learner's
`./course open` sets it up (the runtime requirements, not the test ones), and then the README's
`.venv/bin/python -m autograder check` grades a solved notebook 01. A version that is missing is
skipped, by name. The refusal of an older Python is tested with a Python 3.10 where there is one,
else with a stand-in that answers ./course's two questions as one would. `BPTT_PYTHONS="/path/to/python3.12 /path/to/python3.13"` names the
interpreters to use instead.

Setting up takes a minute or two per version, most of it pip (whose cache makes later runs
faster; a fresh machine downloads the wheels once per version), so these tests share one
xdist group: one worker runs them one after another while the others run the rest.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
import support

from autograder.course import ROOT

SUPPORTED = ("3.11", "3.12", "3.13")      # what the README promises, and ./course looks for
OLDER = "3.10"                            # what Ubuntu 22.04 ships: too old for the pinned numpy
ERROR_LINE = re.compile(r"error: Python 3\.11 or newer is needed; found .*\b3\.10\.\d+\b.*; install .*")


def interpreter(python):
    """('3.12', its sys.executable) for a Python 3.12; (None, None) for one that does not run
    (such as a pyenv shim of a version not selected)."""
    try:
        done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.executable)"],
                              capture_output=True, text=True, timeout=60)
    except OSError:
        return None, None
    return tuple(done.stdout.strip().split(" ", 1)) if done.returncode == 0 else (None, None)


def minor_of(python):
    return interpreter(python)[0]


def find_python(minor):
    """The path of a Python `minor` on this machine, or skip the test, naming the version."""
    if os.environ.get("BPTT_PYTHONS"):
        candidates, where = os.environ["BPTT_PYTHONS"].split(), "BPTT_PYTHONS"
    else:
        pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python{minor}")), reverse=True)
        candidates, where = [shutil.which(f"python{minor}"), *pyenv], f"python{minor} on PATH or in ~/.pyenv/versions"
    for python in filter(None, candidates):
        found, executable = interpreter(python)
        if found == minor:
            return executable                 # the interpreter itself, not a pyenv shim
    pytest.skip(f"Python {minor} is not on this machine (looked for {where})")


def fresh_copy(dest):
    """The course as a fresh clone of this working tree would hold it: the files git tracks or
    would track, as they are now (symlinks kept), and none of what git ignores (.venv, work/, ...)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if os.path.lexists(src):              # not one deleted in the working tree but still in git's index
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name, follow_symlinks=False)
    return dest


def user_env(**extra):
    """The environment of a user's shell: none of this test run's venv on PATH, nor its settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_PREFER_ENV_PATH", "BPTT_PYTHON", "PYTEST_XDIST_WORKER")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not Path(p).resolve().is_relative_to(ROOT))
    return {**env, **extra}


@pytest.mark.xdist_group("python_versions")
@pytest.mark.parametrize("minor", SUPPORTED)
def test_course_sets_up_and_grades_on(minor, tmp_path):
    python = find_python(minor)
    course = fresh_copy(tmp_path / "course")
    # A learner who tried under the old promise of 3.10 has the .venv that its failed setup left.
    older = next((p for p in [shutil.which(f"python{OLDER}"), *glob.glob(os.path.expanduser(
        f"~/.pyenv/versions/{OLDER}.*/bin/python{OLDER}"))] if p and minor_of(p) == OLDER), None)
    if older:
        subprocess.run([older, "-m", "venv", "--without-pip", course / ".venv"], check=True, timeout=120)

    start = time.monotonic()
    # `./course open` sets up the runtime requirements, then runs `python -m autograder open`: with
    # --help, that only prints its help (and shows that the package imports on this Python).
    setup = subprocess.run([course / "course", "open", "--help"], cwd=course, capture_output=True, text=True,
                           env=user_env(BPTT_PYTHON=python), timeout=1800)
    setup_time = time.monotonic() - start
    assert setup.returncode == 0, f"./course on Python {minor}:\n{setup.stdout}\n{setup.stderr}"
    assert minor_of(str(course / ".venv/bin/python")) == minor
    if older:
        assert "Making .venv again" in setup.stdout, setup.stdout
    assert "usage:" in setup.stdout and "open" in setup.stdout

    nb = support.write(support.solved("01_rnn_step_by_step"), tmp_path / "rnn_step_by_step.ipynb")
    start = time.monotonic()
    # the README's command, from the course's root; its gradebook cache kept apart from the user's
    checked = subprocess.run([".venv/bin/python", "-m", "autograder", "check", str(nb), "--json"], cwd=course,
                             capture_output=True, text=True, timeout=600,
                             env=user_env(XDG_CACHE_HOME=str(tmp_path / "cache")))
    check_time = time.monotonic() - start
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout)
    assert result["max_score"] > 0 and result["score"] == result["max_score"], \
        [t for t in result["tests"] if not t["passed"]]
    print(f"Python {minor} ({python}): set up in {setup_time:.0f} s, check in {check_time:.0f} s")


def minimal_copy(dest):
    """What ./course reads before it installs anything."""
    dest.mkdir()
    for name in ("course", "requirements.txt", "requirements-test.txt", "constraints.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


# what ./course asks an interpreter (its version, and whether it is new enough), answered as a
# Python 3.10 would: so that the one-line refusal is tested on every machine, with or without one
STAND_IN_310 = """#!/bin/sh
case "$2" in
    *"version_info[:3]"*) echo 3.10.12 ;;
    *) exit 1 ;;
esac
"""


def older_python(tmp_path):
    """A Python 3.10 of this machine, or else a stand-in that answers ./course's questions as one."""
    try:
        return find_python(OLDER)
    except pytest.skip.Exception:
        stand_in = tmp_path / "python3.10"
        stand_in.write_text(STAND_IN_310)
        stand_in.chmod(0o755)
        return str(stand_in)


def test_older_python_named_gets_one_line(tmp_path):
    python = older_python(tmp_path)
    course = minimal_copy(tmp_path / "course")
    done = subprocess.run([course / "course", "setup"], cwd=course, capture_output=True, text=True,
                          env=user_env(BPTT_PYTHON=python), timeout=120)
    assert done.returncode != 0
    assert done.stdout == ""
    assert ERROR_LINE.fullmatch(done.stderr.rstrip("\n")), done.stderr
    assert f"BPTT_PYTHON={python}" in done.stderr          # which Python it looked for
    assert not (course / ".venv").exists()


def test_older_python_on_path_gets_one_line(tmp_path):
    """A machine whose only Pythons are 3.10 (python3) and whatever `python` is: the search
    finds no 3.11+, says what it found and what it looked for, and makes no .venv."""
    python = older_python(tmp_path)
    course = minimal_copy(tmp_path / "course")
    bin_dir = tmp_path / "bin"                # a PATH with nothing but what ./course needs before pip
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "python3").symlink_to(python)
    (bin_dir / "python3.11").write_text("#!/bin/sh\nexit 127\n")     # a pyenv shim of a version not selected
    (bin_dir / "python3.11").chmod(0o755)
    done = subprocess.run([course / "course", "setup"], cwd=course, capture_output=True, text=True,
                          env=user_env(PATH=str(bin_dir)), timeout=120)
    assert done.returncode != 0
    assert done.stdout == ""
    assert ERROR_LINE.fullmatch(done.stderr.rstrip("\n")), done.stderr
    assert "found python3 3.10." in done.stderr
    assert "looked for python3.11, python3.12, python3.13, python3, python" in done.stderr
    assert not (course / ".venv").exists()


def test_the_promise_is_the_same_everywhere():
    """The README, ./course and pyproject.toml name the versions that this module tests."""
    readme = (ROOT / "README.md").read_text()
    tested = ", ".join(SUPPORTED[:-1]) + " and " + SUPPORTED[-1]
    assert f"Python {SUPPORTED[0]} or newer (tested on {tested})" in readme
    looked_for = re.search(r"^PYTHONS=\((.*)\)$", (ROOT / "course").read_text(), re.M).group(1).split()
    assert looked_for[:len(SUPPORTED)] == [f"python{v}" for v in SUPPORTED]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={SUPPORTED[0]}"
