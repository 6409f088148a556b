"""The sandbox of grading kernels (autograder/sandbox.py, autograder/student/boot.py), the plain
data that crosses it (autograder/student/wire.py), and the judge's side of a call (judge.py)."""
import asyncio
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest

from autograder import judge
from autograder.course import ROOT
from autograder.sandbox import Sandbox, SandboxedKernelManager, bwrap_argv, check_available
from autograder.student import wire


def run(coroutine):
    """Run a coroutine to its end in a thread of its own (a test before may have left an event
    loop running in this one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_in_sandbox(code, timeout=60, **settings):
    """stdout of code run in a fresh sandboxed kernel; the kernel is gone afterwards."""
    async def go():
        km = SandboxedKernelManager(Sandbox(**settings))
        await km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        out = []
        try:
            await kc.wait_for_ready(timeout=60)
            await kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: out.append(
                m["content"].get("text", "") if m["msg_type"] == "stream" else
                m["content"].get("evalue", "") if m["msg_type"] == "error" else ""))
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        return "".join(out), km.scratch
    return run(go())


@pytest.fixture(scope="module", autouse=True)
def sandbox():
    check_available()


def test_the_kernel_sees_none_of_the_course_nor_the_home_directory(tmp_path):
    secret = Path.home() / ".cache" / "bptt-sandbox-test"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("secret")
    try:
        out, _ = run_in_sandbox(f"""
import os
for p in [{str(ROOT / 'source')!r}, {str(ROOT / 'autograder' / 'reference')!r}, {str(secret)!r},
          {str(ROOT / 'autograder' / 'hidden' / '__pycache__')!r}, '/etc/shadow', {str(tmp_path)!r}]:
    print(p, os.path.exists(p) and (os.path.isfile(p) or bool(os.listdir(p))))
try:
    import autograder
    print("autograder importable")
except ImportError:
    print("no autograder")
import numpy, ipykernel
print("numpy", numpy.__version__)
""")
    finally:
        secret.unlink()
    assert "no autograder" in out and "numpy" in out, out
    assert " True" not in out, out


def test_the_kernel_writes_only_its_scratch_folder_and_its_tmp(tmp_path):
    target = tmp_path / "written"
    out, scratch = run_in_sandbox(f"""
for p in [{str(target)!r}, {str(ROOT / 'autograder' / 'judge.py')!r}, {sys.prefix + '/pwned'!r}, 'here.txt', '/tmp/t.txt']:
    try:
        open(p, 'a').write('x')
        print(p, 'written')
    except OSError as e:
        print(p, 'refused', e.errno)
""")
    assert "here.txt written" in out and "/tmp/t.txt written" in out, out
    assert out.count("refused") == 3 and not target.exists(), out
    assert not scratch.exists(), "the scratch folder goes with the kernel"


def test_no_network_no_processes_and_limits():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    out, _ = run_in_sandbox(f"""
import os, socket, subprocess, numpy as np, threading
for host in ['127.0.0.1', 'pypi.org']:
    try:
        socket.create_connection((host, {port} if host[0] == '1' else 443), timeout=2); print('connected', host)
    except OSError:
        print('no network', host)
for start in [os.fork, lambda: subprocess.Popen(['true'])]:
    try:
        start(); print('started a process')
    except OSError:
        print('no process')
t = threading.Thread(target=lambda: print('a thread runs')); t.start(); t.join()
try:
    np.ones(400_000_000); print('allocated 3.2 GB')
except MemoryError:
    print('memory limited')
try:
    open('big', 'wb').write(b'x' * (70 << 20)); print('wrote 70 MB')
except OSError:
    print('file size limited')
print('pid', os.getpid())
""")
    listener.close()
    assert out.count("no network") == 2 and out.count("no process") == 2, out
    assert "a thread runs" in out and "memory limited" in out and "file size limited" in out, out
    assert int(out.split("pid ")[1].split()[0]) < 10, "a PID namespace of its own"


def test_killing_the_sandbox_kills_everything_in_it():
    """A running kernel's process tree dies with bubblewrap (its own PID namespace, --die-with-parent)."""
    async def go():
        km = SandboxedKernelManager(Sandbox())
        await km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)      # set up: bubblewrap's --die-with-parent holds from here
        kc.stop_channels()
        outer = psutil.Process(km.provisioner.pid)
        tree = [outer] + outer.children(recursive=True)
        outer.kill()
        await asyncio.sleep(1)
        alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        await km.cleanup_resources()
        return len(tree), alive
    n, alive = run(go())
    assert n >= 2 and not alive


def test_the_sandbox_command_confines_as_documented():
    argv = bwrap_argv(Path("/tmp/w"), Path("/tmp/c"), Sandbox())
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                 "--clearenv"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    writable = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert writable == ["/tmp/w", "/tmp/c"], "only the scratch folder and the sockets are writable"
    assert str(ROOT) not in " ".join(a for a in argv if not a.startswith(str(ROOT / ".venv"))
                                     and not a.startswith(str(ROOT / "autograder" / "student"))), \
        "the course directory is not in the sandbox"


def test_no_sandbox_is_refused_in_one_line_naming_the_override(tmp_path, monkeypatch):
    from autograder import sandbox
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox._probe.cache_clear()
    try:
        with pytest.raises(sandbox.SandboxUnavailable) as e:
            sandbox.check_available()
    finally:
        sandbox._probe.cache_clear()
    assert "\n" not in str(e.value) and "--no-sandbox" in str(e.value) and "bubblewrap" in str(e.value)


def test_check_says_what_no_sandbox_leaves_open(tmp_path):
    import support
    nb = support.write(support.solved("01_rnn_step_by_step"), tmp_path / "nb.ipynb")
    done = subprocess.run([sys.executable, "-m", "autograder", "check", str(nb), "--no-sandbox", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and '"score": 18.0' in done.stdout
    assert "unconfined" in done.stderr and "gradebook.db" in done.stderr


# ---- the data that crosses -------------------------------------------------------------

def test_plain_data_crosses_intact_and_shared_values_stay_shared():
    p = {"Wax": np.arange(6.0).reshape(2, 3), "ba": np.zeros((2, 1))}
    value = {"caches": ([(np.ones(2), p), (np.zeros(2), p)], np.arange(3)), "n": 3, "f": float("inf"),
             "s": "text", "none": None, "flag": True, "ints": np.array([1, 2], dtype=np.int64),
             "rng": np.random.default_rng(5)}
    back = wire.decode(wire.encode(value))
    assert back["caches"][0][0][1] is back["caches"][0][1][1], "the parameters dict is shared"
    assert np.array_equal(back["caches"][0][0][1]["Wax"], p["Wax"]) and back["f"] == float("inf")
    assert back["ints"].dtype == np.int64 and back["rng"].random() == np.random.default_rng(5).random()
    assert back["s"] == "text" and back["none"] is None and back["flag"] is True and back["n"] == 3


@pytest.mark.parametrize("text, why", [
    ('["array", 0, "|O8", [1], "AAAAAAAAAAA="]', "dtype"),           # object arrays: never
    ('["array", 0, "<f8", [10000000], "AAAAAAAAAAA="]', "too many values"),
    ('["array", 0, "<f8", [2], "AAAAAAAAAAA="]', "does not match its shape"),
    ('["int", "' + "9" * 500 + '"]', "400 digits"),
    ('["eval", "__import__(\'os\')"]', "unknown tag"),
    ('["ref", 7]', "malformed ref"),
    ("[" * 300 + "]" * 300, "malformed"),
    ("not json", "not JSON")])
def test_malformed_or_oversized_data_is_refused(text, why):
    with pytest.raises(wire.WireError, match=why):
        wire.decode(text)


def test_what_cannot_cross_arrives_as_its_kind_only():
    back = wire.decode(wire.encode({"s": {1, 2}, "o": object(), "k": {1: 2}}))
    assert [v.what for v in back.values()] == ["a set", "a object", "a dict"]


# ---- the judge's side of a call ----------------------------------------------------------

def test_the_judge_answers_only_for_the_functions_swapped_in_this_call():
    from autograder.reference.rnn import rnn_cell_backward
    from autograder.student.runner import PROMPT
    args = [np.ones((2, 1)), (np.ones((2, 1)), np.ones((2, 1)), np.ones((3, 1)),
                              {"Wax": np.ones((2, 3)), "Waa": np.ones((2, 2))})]
    shapes = {"rnn_cell_backward": {judge.signature(args)}}
    ask = lambda name, later=(), calls=0: wire.decode(judge._answer(
        PROMPT + wire.encode({"call": name, "args": args}), {"rnn_cell_backward": rnn_cell_backward}, [calls],
        shapes, 20, later))
    assert "value" in ask("rnn_cell_backward")
    assert "raised" in ask("rnn_backward") and "raised" in ask("__import__")
    assert "more than 20 calls" in ask("rnn_cell_backward", calls=20)["raised"]
    # not for a function that a later graded cell grades: its answers would stand in for that work
    assert "graded in a later cell" in ask("rnn_cell_backward", later={"rnn_cell_backward"})["raised"]
    assert judge._answer("the student's own input()", {}, [0], {}, 20, ()) == ""
    assert "raised" in wire.decode(judge._answer(PROMPT + "[", {}, [0], {}, 20, ()))


def test_the_judge_answers_only_arguments_shaped_as_the_references_calls():
    """The reference runs in the grading process: arguments of the student's choosing could make
    it build arrays of any size (Wax of (N, 1) times xt of (1, N) is N x N)."""
    from autograder.hidden import reference_calls
    from autograder.hidden.rnn import backward_cases
    from autograder.reference import rnn as ref
    from autograder.student.runner import PROMPT
    case = backward_cases()[0]
    _, (shapes, count) = reference_calls(ref.rnn_backward, case.args, {"rnn_cell_backward": ref.rnn_cell_backward})
    assert count == case.args[0].shape[2] and len(shapes["rnn_cell_backward"]) == 1     # one call per step
    cache = case.args[1][0][0]
    n = 4000
    huge = (np.ones((n, 1)), (np.ones((n, 1)), np.ones((n, 1)), np.ones((1, n)),
                              {"Wax": np.ones((n, 1)), "Waa": np.ones((n, n // n)), "ba": np.ones((n, 1))}))
    ask = lambda args: wire.decode(judge._answer(PROMPT + wire.encode({"call": "rnn_cell_backward", "args": args}),
                                                 {"rnn_cell_backward": ref.rnn_cell_backward}, [0], shapes, 99, ()))
    assert "value" in ask([case.args[0][:, :, 0], cache])
    assert "than the correct code passes it" in ask(list(huge))["raised"]
    nested = []
    nested.append(nested)
    assert judge.signature(nested) is None and judge.signature([[1.0]] * 20_000) is None


def test_text_from_student_code_is_one_short_printable_line():
    line = judge.student_line("a\nb\x1b[31m" + "c" * 500)
    assert "\n" not in line and "\x1b" not in line and len(line) <= 120


def test_the_hidden_tests_names_that_the_cell_does_not_define_are_the_students():
    import ast
    tree = ast.parse("from autograder.hidden.rnn import grade_rnn_backward\n"
                     "x = 1\ngrade_rnn_backward(rnn_backward, 'dx', x, len)")
    assert judge.free_names(tree) == ["rnn_backward"]


def test_grade_refuses_without_a_sandbox_and_no_sandbox_says_what_is_unprotected(tmp_path):
    from autograder import sample_class
    course = tmp_path / "course"
    sample_class.make("01_rnn_step_by_step", course)
    bin_only = str(Path(sys.executable).parent)             # nbgrader's tools, and no bwrap
    env = dict(os.environ, PATH=bin_only)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "01_rnn_step_by_step", "--course-dir",
                           str(course), "--student", "s01-correct"], env=env, capture_output=True, text=True,
                          timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "--no-sandbox" in lines[0], done.stderr
    assert not (course / "autograded").exists()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "01_rnn_step_by_step", "--course-dir",
                           str(course), "--student", "s01-correct", "--no-sandbox", "--json"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    student = json.loads(done.stdout)["students"][0]
    assert student["score"] == 18.0, student
    assert "unconfined" in done.stderr and "network" in done.stderr


def test_the_readme_states_the_limits_that_grading_has():
    """The README's section on what grading protects against names the code's own figures."""
    import re
    from autograder.execute import MAX_LIVE_OUTPUT  # noqa: F401 (the output cap is in the table)
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## What grading protects against"):text.index("## Layout")]
    s = Sandbox()
    assert f"{s.memory >> 30} GiB of address space" in section and f"{s.file_size >> 20} MB per file" in section
    assert f"/tmp` of {s.tmp_size >> 20} MB" in section
    assert f"{judge.FLOOR_SECONDS:g} s plus {judge.FACTOR} times what the reference" in section
    assert f"at most {judge.student_line.__defaults__[0]} characters" in section
    assert f"at most {judge.LARGER} times larger" in section
    n = len(__import__("exploits").ATTACKS) + len(__import__("exploits").NUMERICAL)
    words = {13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen", 18: "eighteen"}
    assert f"grades {words[n]} hostile" in section
    assert re.search(r"`tests/test_sandbox.py`", section)


def test_the_judge_answers_only_with_the_parameters_of_the_case():
    """While rnn_backward is graded, its calls of rnn_cell_backward are answered with the sequence
    case's parameters only: never with those of rnn_cell_backward's own hidden cases, whose
    answers a notebook could otherwise fetch, print, and replay when submitted again."""
    from autograder.hidden import reference_calls
    from autograder.hidden.rnn import backward_cases, cell_backward_cases
    from autograder.reference import rnn as ref
    from autograder.student.runner import PROMPT
    sequence, cell = backward_cases()[0], cell_backward_cases()[0]
    _, (shapes, _) = reference_calls(ref.rnn_backward, sequence.args, {"rnn_cell_backward": ref.rnn_cell_backward})
    ask = lambda args: wire.decode(judge._answer(PROMPT + wire.encode({"call": "rnn_cell_backward", "args": args}),
                                                 {"rnn_cell_backward": ref.rnn_cell_backward}, [0], shapes, 99, ()))
    own = sequence.args[1][0][0]
    assert "value" in ask([sequence.args[0][:, :, 0], own])
    assert "than the correct code passes it" in ask(list(cell.args))["raised"]           # the cell case's own parameters
    nudged = own[:3] + ({k: v * (1 + 1e-12) for k, v in own[3].items()},)
    assert "than the correct code passes it" in ask([sequence.args[0][:, :, 0], nudged])["raised"]
