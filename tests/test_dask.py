"""Grading on a Dask cluster without a shared file system: a real `dask scheduler` and two
`dask worker` processes, started as separate commands, each in an empty working directory of
its own. The jobs carry their files; only this process writes the course. A worker that dies
mid-job has its job run again elsewhere, and the submission is recorded once."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder import grade, portable, sample_class
from autograder.course import assignments

pytestmark = pytest.mark.xdist_group("dask")

A = "01_rnn_step_by_step"
MAX = sum(points for _, points in assignments()[A].graded)
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    top = tmp_path_factory.mktemp("dask")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    address_file = top / "scheduler.json"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--scheduler-file", str(address_file), "--port", "0",
                               "--no-dashboard"], cwd=top, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(top / "scheduler.log", "w"), start_new_session=True)]
    for _ in range(100):
        if address_file.exists() and address_file.stat().st_size:
            break
        time.sleep(0.2)
    address = json.loads(address_file.read_text())["address"]
    for i in range(2):
        here = top / f"worker{i}"         # its own empty working directory
        here.mkdir()
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--local-directory", str(here)], cwd=here, env=env,
                                      stdout=subprocess.DEVNULL, stderr=open(top / f"worker{i}.log", "w"),
                                      start_new_session=True))
    from distributed import Client
    with Client(address) as client:
        client.wait_for_workers(2, timeout=120)
    yield address
    for p in procs:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def small_class(where, keep):
    manifest = sample_class.make(A, where, cell_timeout=20)
    for d in (where / "submitted").iterdir():
        if not d.name.endswith(keep):
            subprocess.run(["rm", "-r", str(d)], check=True)
    return {s: i for s, i in manifest["students"].items() if s.endswith(keep)}


def test_grading_on_dask_workers_that_do_not_see_the_course(cluster, tmp_path):
    course = tmp_path / "course"
    picked = small_class(course, ("-correct", "-corrupted-json", "-mistake-da_prev_waa_not_transposed",
                                  "-imports-reference"))
    done = grade.grade_class(A, course, scheduler=cluster, feedback=True, progress=False)
    by = {r["student"]: r for r in done["students"]}
    assert set(by) == set(picked)
    for s, info in picked.items():
        expect = info["expect"]
        assert by[s]["status"] == expect["status"], (s, by[s]["reason"])
        if expect["score"] == "full":
            assert by[s]["score"] == MAX
        if expect["score"] == "partial":
            assert 0 < by[s]["score"] < MAX
        assert set(expect["mistakes"]) <= set(by[s]["mistakes"])
        assert set(expect["flags"]) == set(by[s]["flags"])
        assert (course / "feedback" / s / A / "rnn_step_by_step.html").is_file() == (by[s]["status"] == "graded")
    local = tmp_path / "local"
    small_class(local, tuple(p.split("-", 1)[1] and "-" + p.split("-", 1)[1] for p in picked))
    here = grade.grade_class(A, local, jobs=2, progress=False)
    assert {r["student"]: r["score"] for r in here["students"]} == {r["student"]: r["score"] for r in done["students"]}


def test_a_worker_killed_mid_job_is_retried_and_the_submission_recorded_once(cluster, tmp_path, monkeypatch):
    import psutil
    course = tmp_path / "course"
    small_class(course, ("-correct",))
    slow = "s99-slow"
    nb = json.loads(next((course / "submitted").glob(f"*/{A}/rnn_step_by_step.ipynb")).read_text())
    nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "import time\ntime.sleep(12)\n"})
    (course / "submitted" / slow / A).mkdir(parents=True)
    (course / "submitted" / slow / A / "rnn_step_by_step.ipynb").write_text(json.dumps(nb))
    imported, killed = [], []
    real = portable.import_result
    monkeypatch.setattr(portable, "import_result", lambda c, job, r: imported.append(job.student) or real(c, job, r))

    def nanny(process):
        return "dask" in " ".join(process.cmdline()) and "worker" in process.cmdline()

    def kill_the_worker_grading_it():
        """The Dask worker process (the nanny's child) whose sandboxed kernel has run 4 s."""
        for _ in range(600):
            for k in psutil.process_iter(["cmdline", "create_time"]):
                try:
                    if "bwrap" not in (k.info["cmdline"] or [""])[0] or time.time() - k.info["create_time"] < 4:
                        continue
                    chain = k.parents()
                    j = next((i for i, a in enumerate(chain) if nanny(a)), None)
                except psutil.Error:
                    continue
                if j:
                    chain[j - 1].kill()
                    killed.append(chain[j - 1].pid)
                    return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_worker_grading_it)
    killer.start()
    done = grade.grade_class(A, course, scheduler=cluster, students=[slow], progress=False)
    killer.join()
    by = {r["student"]: r for r in done["students"]}
    assert killed, "a worker was killed while it graded the slow submission"
    assert by[slow]["status"] == "graded" and by[slow]["score"] == MAX, by[slow]["reason"]
    assert imported == [slow], "the submission is recorded once"
