"""A gradebook on PostgreSQL: `grade` writes where the course's nbgrader_config.py says
(CourseDirectory.db_url), and formgrader's API and `nbgrader export` read there the same scores
as from SQLite. A database that cannot be reached is one clear line, and loses nothing."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import postgres
import pytest

from autograder import sample_class

pytestmark = pytest.mark.xdist_group("postgres")

A = "01_rnn_step_by_step"
PICK = ("-correct", "-untouched", "-corrupted-json", "-returns-none", "-mistake-da_prev_waa_not_transposed",
        "-infinite-loop-cell")


@pytest.fixture(scope="module")
def server():
    if postgres.binaries() is None and not os.environ.get("BPTT_REQUIRE_BROWSER"):
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    with postgres.server() as srv:
        yield srv


def course(where, db_url=None, keep=PICK):
    sample_class.make(A, where, cell_timeout=5)
    for d in (where / "submitted").iterdir():
        if not d.name.endswith(keep):
            subprocess.run(["rm", "-r", str(d)], check=True)
    if db_url:
        with open(where / "nbgrader_config.py", "a") as f:
            f.write(f"c.CourseDirectory.db_url = {db_url!r}\n")
    return where


def cli(*args, cwd):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def formgrader_view(where):
    """What formgrader shows: its API's submissions of the assignment (nbgrader's NbGraderAPI)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.autograde import course_config
    cfg = course_config(where)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    return sorted((s["student"], s["score"], s["autograded"]) for s in api.get_submissions(A))


def exported(where):
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "export", "--to", "out.csv"], cwd=where,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(where / "out.csv") as f:
        return sorted((r["student_id"], r["score"], r["status"]) for r in csv.DictReader(f))


def test_grading_into_postgresql_reads_as_from_sqlite(server, tmp_path):
    lite, pg = course(tmp_path / "sqlite"), course(tmp_path / "postgres", server.url())
    for where in (lite, pg):
        done = cli("grade", A, "--course-dir", where, "--jobs", 2, "--json", cwd=where)
        assert done.returncode == 0, done.stderr[-2000:]
    assert not (pg / "gradebook.db").exists(), "the scores went to PostgreSQL"
    assert formgrader_view(pg) == formgrader_view(lite)
    assert exported(pg) == exported(lite)
    assert any(score == "18.0" for _, score, _ in exported(pg)) and any(s == "ungradeable" for *_, s in exported(pg))
    # the reports and the feedback read the same gradebook
    assert (pg / "reports" / A / "tests.csv").read_text() == (lite / "reports" / A / "tests.csv").read_text()
    for where in (lite, pg):
        done = cli("feedback", A, "--course-dir", where, cwd=where)
        assert done.returncode == 0, done.stderr[-2000:]
    feedback = [sorted(p.relative_to(where / "feedback").as_posix() for p in (where / "feedback").rglob("*.html"))
                for where in (lite, pg)]
    assert feedback[0] == feedback[1] and feedback[0]


def test_an_unreachable_database_is_one_clear_line_and_loses_nothing(server, tmp_path):
    pg = course(tmp_path / "postgres", server.url("gradebook2"))
    server.run("createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", "grader", "gradebook2")
    students = sorted(d.name for d in (pg / "submitted").iterdir())
    first = cli("grade", A, "--course-dir", pg, "--student", students[0], "--student", students[1], cwd=pg)
    assert first.returncode == 0, first.stderr[-2000:]
    before = formgrader_view(pg)
    server.stop()
    try:
        done = cli("grade", A, "--course-dir", pg, "--student", students[2], cwd=pg)
    finally:
        server.start()
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "cannot be reached" in lines[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert formgrader_view(pg) == before, "what was graded is still there"
