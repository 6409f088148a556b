"""Grading at scale: a generated class (the sample class of an assignment, repeated with distinct
student ids) graded through the local pool and through a Dask cluster of real processes on this
machine, in the same run, with the sandbox on.

    python benchmarks/class_scale.py [ASSIGNMENT] [--students 400] [--workers 2]

Prints each path's throughput in submissions per second per core, the per-job overhead of Dask
against a local job (goal: under 20%), the CPU that the instructor's process spends recording
each Dask job's result (one after another, however many workers), and the projected time for
5,000 students on 10 machines of 16 cores. Both paths must give every student the same score.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import sample_class

BIN = Path(sys.executable).parent


def make_class(where, assignment, students):
    """The sample class, repeated until it has `students` submissions, each with its own id."""
    base = where.parent / "sample"
    names = sorted(sample_class.make(assignment, base, cell_timeout=5)["students"])
    shutil.copytree(base, where, ignore=shutil.ignore_patterns("submitted"))
    for i in range(students):
        name = names[i % len(names)]
        shutil.copytree(base / "submitted" / name, where / "submitted" / f"{name}-{i // len(names):03d}")
    return where


def grade(course, assignment, *extra):
    """(wall seconds, CPU seconds of the grade command and what it started, {student: (status, score)})."""
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    started, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course-dir", str(course),
                           "--json", *map(str, extra)], env=env, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return seconds, cpu, {s["student"]: (s["status"], s["score"]) for s in json.loads(done.stdout)["students"]}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dask_cluster(top, workers):
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    address_file = top / "scheduler.json"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--scheduler-file", str(address_file), "--port", "0",
                               "--no-dashboard"], cwd=top, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    while not (address_file.exists() and address_file.stat().st_size):
        time.sleep(0.2)
    address = json.loads(address_file.read_text())["address"]
    for i in range(workers):
        here = top / f"worker{i}"
        here.mkdir()
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--local-directory", str(here)], cwd=here, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    from distributed import Client
    with Client(address) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("assignment", nargs="?", default="01_rnn_step_by_step")
    ap.add_argument("--students", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2, help="local worker processes, and Dask workers")
    args = ap.parse_args()
    cores = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        local_course = make_class(tmp / "local", args.assignment, args.students)
        shutil.copytree(local_course, tmp / "dask")
        local_s, _, local_scores = grade(local_course, args.assignment, "--jobs", args.workers)
        address, procs = dask_cluster(tmp, args.workers)
        try:
            # on Dask, the grade command's own CPU is the instructor's process alone, which
            # records every job's result: work that does not spread over the workers
            dask_s, parent_cpu, dask_scores = grade(tmp / "dask", args.assignment, "--scheduler", address)
        finally:
            for p in procs:
                os.killpg(p.pid, signal.SIGKILL)
    n = args.students
    per_core = {k: n / s / cores for k, s in (("local", local_s), ("dask", dask_s))}
    overhead = dask_s / local_s - 1
    print(f"class                  {n} submissions of {args.assignment} (the sample class, repeated); "
          f"{args.workers} workers on {os.cpu_count()} cores; sandbox on")
    print(f"local pool             {local_s:7.1f} s   {per_core['local']:.3f} submissions/s/core")
    print(f"Dask, 2 real workers   {dask_s:7.1f} s   {per_core['dask']:.3f} submissions/s/core")
    print(f"Dask per-job overhead  {100 * overhead:+.1f}% of a local job's time (goal: under 20%)")
    per_job = parent_cpu / n
    print(f"instructor's process   {per_job * 1000:7.0f} ms of CPU per job on Dask (recording its result)")
    for k in ("local", "dask"):
        spread = 5000 / (per_core[k] * 160)
        projected = max(spread, 5000 * per_job) if k == "dask" else spread
        print(f"projected, 5,000 students on 10 machines of 16 cores ({k} throughput"
              f"{', or the instructor recording one result after another if slower' if k == 'dask' else ''}): "
              f"{projected / 60:.1f} min")
    same = local_scores == dask_scores
    print(f"identical statuses and scores: {same}")
    sys.exit(0 if same and overhead < 0.2 else 1)


if __name__ == "__main__":
    main()
