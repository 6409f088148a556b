"""The instructor's reports of a graded assignment, in reports/<assignment>/ of the course:

    tests.csv     one row per student, one column per graded cell (grade_id), from the gradebook;
                  with status, total, integrity flags and, for a submission not graded, its reason
    grades.csv    nbgrader's CSV export of total scores (its CsvExportPlugin), with two more
                  columns: status and reason. An ungradeable or timed-out submission has an
                  empty score there, not 0.
    summary.md    the class summary: pass rate per graded cell, how often each catalogued mistake
                  was recognised (what to re-teach), integrity flags, and what could not be graded
    grading.json  what each grading found (grade.py)

Scores are read from the gradebook, so grades changed in formgrader show here too; the failure
messages come from the autograded notebooks. Feedback HTML for each student is in
feedback/<student>/<assignment>/ (nbgrader's layout, ready for `nbgrader release_feedback`).
"""
import csv
import json
import re
import statistics
from pathlib import Path

from nbgrader.plugins import CsvExportPlugin
from traitlets import Unicode

KNOWN_MISTAKE = re.compile(r"Known mistake \[([\w.-]+)\]")


def rows(course_dir, assignment, records, cfg):
    """One dict per student with a record: student, status, score, max_score, reason, flags,
    flag_details, restarts, tests (as in the grading contract) and mistakes (ids recognised)."""
    from nbgrader.api import Gradebook, MissingEntry

    from .autograde import results
    out = []
    with Gradebook(cfg.CourseDirectory.db_url) as gb:
        for student, rec in sorted(records.items()):
            row = {"student": student, "status": rec["status"], "score": None,
                   "max_score": sum(points for _, points in assignment.graded), "reason": rec.get("reason"),
                   "flags": rec.get("flags", []), "flag_details": rec.get("flag_details", {}),
                   "restarts": rec.get("restarts", []), "tests": [], "mistakes": []}
            if rec["status"] == "graded":
                try:
                    res = results(course_dir, assignment, student, cfg, gb)
                except (MissingEntry, OSError, ValueError, KeyError):
                    row.update(status="ungradeable", reason="its autograded results are gone since it was "
                                                            "graded: regrade it with --force")
                else:
                    found = {m for t in res["tests"] for m in KNOWN_MISTAKE.findall(t["message"])}
                    row.update(score=res["score"], tests=res["tests"], mistakes=sorted(found))
            out.append(row)
    return out


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary(assignment, table):
    """The class summary, as Markdown."""
    from . import mistakes as catalogue
    graded = [r for r in table if r["status"] == "graded"]
    others = [r for r in table if r["status"] != "graded"]
    counts = {s: sum(r["status"] == s for r in table) for s in ("graded", "ungradeable", "timed_out", "interrupted")}
    max_score = sum(p for _, p in assignment.graded)
    lines = [f"# {assignment.id}: class summary", "",
             f"{len(table)} submissions: {counts['graded']} graded, {counts['ungradeable']} ungradeable, "
             f"{counts['timed_out']} timed out" +
             (f", {counts['interrupted']} interrupted (run grade again)." if counts["interrupted"] else ".")]
    if graded:
        scores = [r["score"] for r in graded]
        lines.append(f"Scores of the graded ones (out of {max_score:g}): mean {statistics.mean(scores):.1f}, "
                     f"median {statistics.median(scores):g}, {sum(s >= max_score for s in scores)} with full marks, "
                     f"{sum(s == 0 for s in scores)} with 0.")
    lines += ["", f"## Pass rate per graded cell (of {len(graded)} graded)", "",
              "| graded cell | points | passed | pass rate |", "|---|---:|---:|---:|"]
    for grade_id, points in assignment.graded:
        passed = sum(t["passed"] for r in graded for t in r["tests"] if t["grade_id"] == grade_id)
        rate = f"{100 * passed / len(graded):.0f}%" if graded else "-"
        lines.append(f"| {grade_id} | {points:g} | {passed} | {rate} |")
    seen = {}
    for r in graded:
        for m in r["mistakes"]:
            seen.setdefault(m, []).append(r["student"])
    lines += ["", "## Known mistakes recognised", ""]
    if seen:
        lines += ["| mistake | in | students | what to re-teach |", "|---|---|---:|---|"]
        for m, students in sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            try:
                known = catalogue.get(m)
                where, hint = known.function, known.hint
            except KeyError:
                where, hint = "", ""
            lines.append(f"| {m} | {where} | {len(students)} | {_md(hint)} |")
    else:
        lines.append("None of the catalogued mistakes was recognised.")
    flagged = [r for r in table if r["flags"]]
    lines += ["", "## Integrity flags (reasons to look, not verdicts)", ""]
    if flagged:
        lines += ["| student | score | flags | where |", "|---|---:|---|---|"]
        for r in flagged:
            where = "; ".join(d for f in r["flags"] for d in r["flag_details"].get(f, [])[:2])
            score = "-" if r["score"] is None else f"{r['score']:g}"
            lines.append(f"| {r['student']} | {score} | {', '.join(r['flags'])} | {_md(where)} |")
    else:
        lines.append("No submission was flagged.")
    lines += ["", "## Not graded", ""]
    if others:
        lines += ["| student | status | reason |", "|---|---|---|"]
        lines += [f"| {r['student']} | {r['status']} | {_md(r['reason'])} |" for r in others]
    else:
        lines.append("Every submission was graded.")
    restarted = [r for r in graded if r["restarts"]]
    if restarted:
        lines += ["", "## Kernels replaced during grading (the rest of the notebook was still graded)", "",
                  "| student | cell | why |", "|---|---:|---|"]
        lines += [f"| {r['student']} | {cell} | {_md(why)} |" for r in restarted for cell, why in r["restarts"]]
    return "\n".join(lines) + "\n"


def write_tests_csv(path, assignment, table):
    ids = [g for g, _ in assignment.graded]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", "score", "max_score"] + ids + ["flags", "reason"])
        for r in table:
            scores = {t["grade_id"]: f"{t['score']:g}" for t in r["tests"]}
            w.writerow([r["student"], r["status"], "" if r["score"] is None else f"{r['score']:g}",
                        f"{r['max_score']:g}"] + [scores.get(g, "") for g in ids] +
                       [" ".join(r["flags"]), r["reason"] or ""])


class StatusCsvExport(CsvExportPlugin):
    """nbgrader's CSV export of total scores, plus each submission's grading status and reason.

    The statuses come from reports/<assignment>/grading.json, written by `python -m autograder
    grade`. A submission that could not be graded gets an empty score instead of nbgrader's 0.
    The course's nbgrader_config.py makes it the exporter of `nbgrader export`.
    """

    course_root = Unicode("", help="the course directory (default: nbgrader's)").tag(config=True)

    def export(self, gradebook):
        super().export(gradebook)
        dest = self.to or "grades.csv"
        root = Path(self.course_root or getattr(getattr(self.parent, "coursedir", None), "root", None) or ".")
        with open(dest, newline="") as f:
            table = list(csv.DictReader(f))
        records = {}
        for a in {r["assignment"] for r in table}:
            try:
                records[a] = json.loads((root / "reports" / a / "grading.json").read_text())["students"]
            except (OSError, ValueError, KeyError):
                records[a] = {}
        for r in table:
            rec = records[r["assignment"]].get(r["student_id"])
            if rec:
                r["status"], r["reason"] = rec["status"], rec.get("reason") or ""
            else:
                try:
                    gradebook.find_submission(r["assignment"], r["student_id"])
                    r["status"] = "graded"
                except Exception:       # nbgrader's MissingEntry: nothing submitted, or not graded
                    r["status"] = "no submission"
                r["reason"] = ""
            if r["status"] not in ("graded", "no submission"):     # no silent 0 for these
                r["raw_score"] = r["score"] = r["late_submission_penalty"] = ""
        with open(dest, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(table[0]) if table else [])
            w.writeheader()
            w.writerows(table)


def write(course_dir, assignment, records, cfg):
    """Write the reports of an assignment. Returns {"rows", "summary", "paths"}."""
    from nbgrader.api import Gradebook
    out = Path(course_dir) / "reports" / assignment.id
    out.mkdir(parents=True, exist_ok=True)
    table = rows(course_dir, assignment, records, cfg)
    paths = {"tests": out / "tests.csv", "grades": out / "grades.csv", "summary": out / "summary.md",
             "grading": out / "grading.json"}
    write_tests_csv(paths["tests"], assignment, table)
    exporter = StatusCsvExport(to=str(paths["grades"]), assignment=[assignment.id], course_root=str(course_dir))
    with Gradebook(cfg.CourseDirectory.db_url) as gb:
        exporter.export(gb)
    text = summary(assignment, table)
    paths["summary"].write_text(text)
    return {"rows": table, "summary": text, "paths": {k: str(v) for k, v in paths.items()}}
