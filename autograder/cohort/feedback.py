"""Feedback pages that follow the gradebook: each written again whenever what it shows has changed.

    failures = refresh_feedback(root, graded_now={("20001", "05-unify")})

A learner's page (nbgrader's `generate_feedback`, var/feedback/<student>/<lesson>/<lesson>.html) shows
what the gradebook holds: the grader's scores, a score or comment set by hand in formgrader, the late
penalty. `course autograde` grades again only what changed, yet an override in formgrader or a new late
policy changes a page with no regrade. So each submission's part of the gradebook is summed up in a
digest (var/grading/feedback.json), and a run writes again exactly the pages that were graded now or
whose digest moved: one source of truth, and no stale page for a learner to read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from autograder.gradebook import nbgrader_run
from autograder.gradebook.config import GRADEBOOK

__all__ = ["ONE_BY_ONE", "gradebook_digests", "refresh_feedback"]

ONE_BY_ONE = 8  # past this many learners of one lesson, one nbgrader run writes the whole lesson's pages
_SCORES = """
SELECT sa.student_id, a.name, sn.late_submission_penalty, 'grade', g.cell_id, g.auto_score, g.manual_score,
       g.extra_credit
  FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id
  JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN assignment a ON sa.assignment_id = a.id
UNION ALL
SELECT sa.student_id, a.name, sn.late_submission_penalty, 'comment', c.cell_id, c.auto_comment, c.manual_comment, NULL
  FROM comment c JOIN submitted_notebook sn ON c.notebook_id = sn.id
  JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN assignment a ON sa.assignment_id = a.id
"""


def gradebook_digests(db: Path) -> dict[tuple[str, str], str]:
    """(student, lesson) -> a digest of everything its feedback page shows from the gradebook."""
    rows: dict[tuple[str, str], list[str]] = {}
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        for student, lesson, *shown in connection.execute(_SCORES):
            rows.setdefault((str(student), str(lesson)), []).append(json.dumps(shown, default=str))
    return {key: hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest() for key, lines in rows.items()}


def refresh_feedback(root: Path, graded_now: Iterable[tuple[str, str]]) -> list[str]:
    """Write the pages of what was graded now or changed in the gradebook since its page was written; returns one
    line per nbgrader failure (its pages stay stale and are tried again on the next run)."""
    record = root / "var" / "grading" / "feedback.json"
    try:
        written: dict[str, str] = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = {}
    now = gradebook_digests(root / GRADEBOOK)
    stale: dict[str, set[str]] = {}
    for student, lesson in set(graded_now) | {key for key, digest in now.items() if written.get("/".join(key)) != digest}:
        if (student, lesson) in now:
            stale.setdefault(lesson, set()).add(student)
    failures = []
    for lesson, students in sorted(stale.items()):
        try:
            for student in sorted(students) if len(students) <= ONE_BY_ONE else ["*"]:
                nbgrader_run.generate_feedback(root, lesson, student)
        except nbgrader_run.NbgraderFailed as error:
            failures.append(f"{error}\n{error.log[-3000:]}")
            continue
        written.update({f"{student}/{lesson}": now[(student, lesson)] for student in students})
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(written, indent=0, sort_keys=True), encoding="utf-8")
    return failures
