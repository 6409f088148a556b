"""JupyterLab on the course, set up for learners or for instructors.

Learners work in work/ (kept out of git), made from release/ and notebooks/ on first use.
Later runs add what is new in the course and never overwrite a learner's file, so pulling
course updates never conflicts with their work.

Some files hold an earlier assignment's solutions: 03, 04 and 05 ship assignment 01's RNN as
rnn_utils.py, 04 and 05 ship 02's LSTM as lstm_utils.py, and the companion notebook imports
03's language model from deep_rnn_utils.py (`locked_files()` finds them all: they are links to
a module of SOLUTIONS). In work/, each of them is first a stub that says how to get it, and
becomes the real file once `check` gives that earlier assignment full marks in work/ (`open`
checks the learner's saved notebook itself: nothing to edit by hand), or when the learner asks
for its folder with `open --unlock FOLDER`, which gives every such file of that folder. A class
gets release/ as it is: instructors release 03, 04 and 05 after 01 and 02 are due, and
notebooks/ after 03.

nbgrader's JupyterLab extensions are chosen per audience by the config directories in
jupyter/ (put first on JUPYTER_CONFIG_PATH): learners get the Validate button but not the
Assignment List, Course List or formgrader, which need an exchange or a gradebook they do not
have; instructors get formgrader and the Create Assignment toolbar on the course directory.
"""
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

from .course import RELEASE, ROOT, SOURCE, assignments

WORK = ROOT / "work"
JUPYTER_CONFIG = ROOT / "jupyter"
COMPANIONS = ROOT / "notebooks"
REFERENCE = ROOT / "autograder" / "reference"
# the reference modules that are an assignment's solutions, and that assignment
SOLUTIONS = {"rnn.py": "01_rnn_step_by_step", "lstm.py": "02_lstm_step_by_step", "deep_rnn.py": "03_deep_rnn_why_dx"}
STUB_MARK = "# Not the real file yet: `./course open` replaces this stub."


def course_files():
    """{path relative to work/: the course file it is a copy of}: the releases and notebooks/."""
    files = {}
    for src_root, prefix in [(RELEASE, ""), (COMPANIONS, "notebooks/")]:
        for src in sorted(src_root.rglob("*")):
            if src.is_file() and "__pycache__" not in src.parts and ".ipynb_checkpoints" not in src.parts:
                files[prefix + src.relative_to(src_root).as_posix()] = src
    return files


def solutions_in(relpath):
    """The assignment whose solutions the course file work/relpath holds, or None. Such a file is
    a link to a reference module (source/03_deep_rnn_why_dx/rnn_utils.py -> reference/rnn.py),
    whose copy in release/ is what work/ would receive."""
    origin = ROOT / relpath if relpath.startswith("notebooks/") else SOURCE / relpath
    target = origin.resolve()
    return SOLUTIONS.get(target.name) if origin.is_symlink() and target.parent == REFERENCE else None


def locked_files():
    """{relpath: assignment} of the course files that hold an earlier assignment's solutions."""
    return {rel: a for rel in course_files() if (a := solutions_in(rel))}


def unlock_folders():
    """{folder: the assignments whose solutions `open --unlock folder` gives}, folders sorted."""
    folders = {}
    for rel, assignment in sorted(locked_files().items()):
        folders.setdefault(rel.split("/")[0], set()).add(assignment)
    return {folder: sorted(found) for folder, found in sorted(folders.items())}


def stub(relpath, assignment):
    """What work/relpath holds until the learner completes `assignment`: a module that fails at
    import with a message saying how to get the real one."""
    nb = f"{assignment}/{assignments()[assignment].notebook}.ipynb"
    folder, name = relpath.split("/")[0], relpath.split("/")[-1]
    given = unlock_folders().get(folder, [assignment])
    answers = ("that assignment's answers" if given == [assignment] else
               f"the answers of {', '.join(given[:-1])} and {given[-1]}")
    message = (f"{name} holds the solutions of assignment {assignment}, so it is not in your work folder yet. "
               f"Complete {nb}, save it, make sure that `check` (its last cell, Check my work) gives it full "
               f"marks, then run ./course open again: it puts {name} here. To get it now without completing "
               f"{assignment} (it shows you {answers}): ./course open --unlock {folder}")
    return (f'{STUB_MARK}\n"""{message}"""\n\n\nclass NotUnlockedYet(Exception):\n'
            f'    """This file holds the solutions of an assignment that you have not completed yet."""\n\n\n'
            f"raise NotUnlockedYet(__doc__)\n")


def is_stub(path):
    return path.is_file() and path.read_text(errors="replace").startswith(STUB_MARK)


def assignment_complete(work, assignment, say=print):
    """True if `check` gives work/<assignment>/<notebook>.ipynb full marks. A notebook that is
    still the release's, or missing, is not checked."""
    a = assignments()[assignment]
    mine, given = Path(work) / a.id / f"{a.notebook}.ipynb", RELEASE / a.id / f"{a.notebook}.ipynb"
    if not mine.is_file() or mine.read_bytes() == given.read_bytes():
        return False
    from . import check as grader
    say(f"Checking {mine} ...")
    try:
        result = grader.check(mine)
    except Exception as e:             # a notebook that cannot be graded is not complete; open goes on
        say(f"  it could not be graded: {e}")
        return False
    say(f"  {result['score']:g} / {result['max_score']:g}")
    return result["score"] == result["max_score"]


def update_work_copy(work=WORK, unlock=(), say=print):
    """Copy every release and companion file that work lacks, and unlock what the learner has
    earned or asked for (see the module's docstring). Returns (added, unlocked, locked): the
    paths added or made real, and {path: assignment whose solutions it holds} of the files
    unlocked now and of those that are still stubs."""
    work = Path(work)
    added, unlocked, locked = [], {}, {}
    gated = locked_files()
    for rel, src in course_files().items():
        dest = work / rel
        if rel in gated and (not dest.exists() or is_stub(dest)):
            locked[dest] = (src, gated[rel], rel.split("/")[0])
        elif not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            added.append(dest)
    complete = {}
    for dest, (src, assignment, folder) in list(locked.items()):
        if folder not in unlock and assignment not in complete:
            complete[assignment] = assignment_complete(work, assignment, say)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if folder in unlock or complete[assignment]:
            shutil.copy2(src, dest)
            added.append(dest)
            unlocked[dest] = assignment
            del locked[dest]
        elif not dest.exists():
            dest.write_text(stub(dest.relative_to(work).as_posix(), assignment))
    return added, unlocked, {dest: assignment for dest, (_, assignment, _) in locked.items()}


def describe_locks(work, unlocked, locked, say=print):
    """Tell the learner what was unlocked, and what is still held back and how to get it."""
    for dest, assignment in unlocked.items():
        say(f"Unlocked {dest.relative_to(work)}: it holds the solutions of {assignment}.")
    if locked:
        say(f"Held back in {work.name}/ until you complete the assignment whose solutions they hold (when `check` "
            "gives it full marks, run ./course open again), or until you ask: ./course open --unlock FOLDER")
        for dest, assignment in sorted(locked.items()):
            say(f"  {dest.relative_to(work).as_posix():34s} the solutions of {assignment}")


def free_port(preferred):
    """preferred if nothing listens there, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue


def lab_command(mode, root, port, token, extra_args=()):
    """(argv, env) that start JupyterLab for mode 'learner' or 'instructor' on root."""
    env = dict(os.environ, JUPYTER_CONFIG_PATH=os.pathsep.join(
        [str(JUPYTER_CONFIG / mode)] + [p for p in os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]),
        JUPYTER_PREFER_ENV_PATH="1")
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
            *extra_args]
    if hasattr(os, "geteuid") and os.geteuid() == 0:     # containers and CI machines often run as root
        argv.append("--allow-root")
    return argv, env


def open_lab(mode="learner", directory=None, port=8888, extra_args=(), unlock=()):
    """Start JupyterLab in the foreground and print the URL to open."""
    if mode == "learner":
        root = Path(directory or WORK)
        added, unlocked, locked = update_work_copy(root, unlock)
        if added:
            files = "a new course file" if len(added) == 1 else f"{len(added)} new course files"
            print(f"Copied {files} into {root} (your own copy; course updates never overwrite it).")
        describe_locks(root, unlocked, locked)
        start = "lab/tree/01_rnn_step_by_step/rnn_step_by_step.ipynb"
    else:
        root = Path(directory or ROOT)     # formgrader reads nbgrader_config.py from here
        start = "lab"
    port, token = free_port(port), secrets.token_hex(16)
    argv, env = lab_command(mode, root.resolve(), port, token, extra_args)
    print(f"\n  Open this URL in your browser:  http://localhost:{port}/{start}?token={token}\n", flush=True)
    os.chdir(root)
    os.execvpe(argv[0], argv, env)     # JupyterLab takes over this process: Ctrl+C and signals reach it
