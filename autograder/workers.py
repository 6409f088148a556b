"""Where the grading jobs run: long-lived local worker processes, or a Dask cluster.

Both run grade.grade_submission, one submission at a time per worker, and yield each record as
it is done. A worker imports nbgrader once and keeps a kernel warm for its next submission,
which is most of the speed-up over one nbgrader process per submission.

LocalPool (the default) also guards against a worker that hangs outside the notebook's own
time limit: after `hard_limit` seconds it kills the worker, with its kernels, and starts a new
one. On Dask, the notebook's time limit is enforced inside the job, and the jobs carry their
files (portable.py): the workers need not see the course directory.
"""
import multiprocessing
import os
import signal
import time
from collections import deque
from multiprocessing.connection import wait


def _worker(conn, log_path, job_function, prepare):
    """A worker process: prepare, say so, then run job_function on each job received on conn."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # Ctrl-C is for the instructor's process
    if log_path:                                       # kernels' and nbgrader's chatter: not the terminal
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    from .kernels import POOL
    try:
        if prepare is not None:
            prepare()
        conn.send("ready")
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:
                return
            job, more = message
            POOL.keep_warm = more                      # no kernel to warm after the last job
            conn.send(job_function(job))
    finally:
        POOL.close()                                   # the kernel kept warm for a next job


class _Worker:
    def __init__(self, ctx, log_path, job_function, prepare):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, str(log_path or ""), job_function, prepare),
                                   daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def kill(self):
        """Kill the worker and everything it started (its kernels run in sessions of their own)."""
        import psutil
        try:
            tree = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        for p in tree:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.kill()
        self.process.join(5)
        self.conn.close()


# what a worker imports before it can grade (about 2 s of CPU): imported once, in the fork server
PRELOAD = ["autograder.startup", "autograder.grade", "autograder.workers", "autograder.execute", "autograder.feedback",
           "autograder.integrity", "autograder.preprocessors", "autograder.reports", "nbgrader.apps"]


def context():
    """Where workers come from: forked from a clean server process that has imported what they
    need (Unix), so that they start at once; else spawned afresh."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_early():
    """Start the fork server now, so that it imports while this process does other work.

    It starts with Ctrl-C ignored (a disposition that survives exec): the instructor's Ctrl-C is
    for this process, which stops the workers itself, and must not print the fork server's
    traceback from the middle of its imports.
    """
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            forkserver.ensure_running()
        finally:
            signal.signal(signal.SIGINT, previous)


class LocalPool:
    """n worker processes on this machine, each running job_function (grade.grade_submission)
    after prepare (grade.prepare_worker: import nbgrader, start a kernel)."""

    def __init__(self, n, log_path=None, job_function=None, prepare=None):
        if job_function is None:
            from .grade import grade_submission as job_function
            from .grade import prepare_worker as prepare
        self._ctx = context()
        start_early()
        self._args = (log_path, job_function, prepare)
        self.workers = [_Worker(self._ctx, *self._args) for _ in range(n)]
        self._failed_starts = 0

    def run(self, jobs, hard_limit, lost, on_start=None):
        """Grade jobs; yield their records as they finish.

        hard_limit: seconds a worker may spend on one job before it is killed and replaced.
        lost(job, why[, status]) makes the record of a job whose worker was stopped (timed_out)
        or died (ungradeable). on_start(jobs), if given, is called with each job as it is sent
        to a worker.
        """
        pending, busy = deque(jobs), {}           # busy: conn -> (worker, job, start time)
        try:
            while pending or busy:
                idle = [w for w in self.workers if w.ready and w.conn not in busy]
                while idle and pending:
                    w, job = idle.pop(), pending.popleft()
                    if on_start:
                        on_start([job])
                    w.conn.send((job, bool(pending)))
                    busy[w.conn] = (w, job, time.monotonic())
                starting = {w.conn: w for w in self.workers if not w.ready}
                for conn in wait(list(busy) + list(starting), timeout=1.0):
                    if conn in starting:
                        self._started(starting[conn])
                        continue
                    w, job, _ = busy.pop(conn)
                    try:
                        record = conn.recv()
                    except (EOFError, OSError):
                        record = lost(job, "the grading worker died while grading this submission", "ungradeable")
                        self._replace(w)
                    yield record
                for conn, (w, job, started) in list(busy.items()):
                    if time.monotonic() - started > hard_limit:
                        del busy[conn]
                        self._replace(w)
                        yield lost(job, f"grading did not finish within {hard_limit:g} s; the worker was stopped")
        finally:
            for w, _, _ in list(busy.values()):    # interrupted (Ctrl-C): stop what still runs
                self._replace(w, start=False)

    def _started(self, w):
        try:
            w.ready = w.conn.recv() == "ready"
        except (EOFError, OSError):
            self._failed_starts += 1
            if self._failed_starts > 3:
                raise RuntimeError("grading workers fail to start; see reports/<assignment>/grade.log") from None
            self._replace(w)

    def _replace(self, w, start=True):
        w.kill()
        self.workers.remove(w)
        if start:
            self.workers.append(_Worker(self._ctx, *self._args))

    def close(self):
        for w in self.workers:
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in self.workers:
            w.process.join(10)
            if w.process.is_alive():
                w.kill()
        self.workers = []


def _the(value):
    return value


class DaskPool:
    """The workers of a Dask distributed cluster (`dask worker SCHEDULER_ADDRESS --nthreads 1`).

    The workers need this course's environment (the autograder package, nbgrader, bubblewrap),
    not its directory: each job carries the submission's files and the assignment's source
    (portable.py), and comes back as a record and an autograded notebook, which this process
    writes into the course. A job whose worker dies is run again elsewhere (Dask's own retry),
    and recorded once, when its result arrives.
    """

    def __init__(self, address):
        from distributed import Client
        self.client = Client(address)

    def run(self, jobs, hard_limit, lost, on_start=None):
        from distributed import as_completed

        from .autograde import course_config
        from .portable import grade_portable, import_result, portable, source
        if not jobs:
            return
        course_dir = jobs[0].course_dir
        cfg = course_config(course_dir)
        # the same for every job: sent once to the scheduler, as a task (not scattered data) so that
        # it is made again elsewhere if the worker that holds it dies
        shared = self.client.submit(_the, source(course_dir, jobs[0].assignment.id), pure=False,
                                    key=f"source-{jobs[0].assignment.id}-{time.time_ns()}")
        if on_start:                  # all at once: the instructor's process records no result before
            on_start(jobs)
        futures = {}
        for i, job in enumerate(jobs):
            futures[self.client.submit(grade_portable, portable(job, cfg), shared, pure=False, retries=2,
                                       key=f"grade-{job.student}-{i}-{time.time_ns()}")] = job
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as e:        # its workers died, or the job could not be run there
                yield lost(job, f"the Dask workers failed on it: {type(e).__name__}: {e}"[:300], "ungradeable")
                continue
            try:
                yield import_result(course_dir, job, result)
            except Exception as e:        # the gradebook or the course directory, here
                yield lost(job, f"its result could not be recorded: {type(e).__name__}: {e}"[:300], "ungradeable")

    def close(self):
        self.client.close()
