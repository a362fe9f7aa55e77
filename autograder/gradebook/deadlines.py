"""Due dates, extensions and a late policy, kept in the gradebook and applied to every score it holds.

    with open_gradebook(db) as gb:
        set_due(gb, "05-unify", datetime(2027, 2, 1, 23, 59))        # nbgrader's Assignment.duedate
        extend(gb, "20001", "05-unify", timedelta(days=2))             # this learner's due date is 2 days later
        set_policy(gb, LatePolicy("per-day", 10, percent=True))        # 10 % of the lesson's points per day late
        apply_deadlines(gb, {("20001", "05-unify"): handed_in_at})     # every submission: how late, what it costs

Why here: nbgrader has the fields already: an assignment's `duedate`, a submission's `timestamp` and
`extension`, and each notebook's `late_submission_penalty`, which its feedback page and `nbgrader
export` subtract from the score. What it lacks is a policy between "none" and "zero", and a place for
an extension granted before the learner hands in (its `grant_extension` needs the submission to
exist, and a regrade replaces the submission). So the grants and the policy live in two small tables
of the course's own in the same file (`course_extensions`, `course_late_policy`; nbgrader ignores
them), and `apply_deadlines` writes nbgrader's fields from them after every grading run or change.
A penalty never takes a score below 0 (nbgrader's own rule), and a manual score set in formgrader is
penalised like any other: the penalty follows the score nbgrader holds.

Times have no zone: nbgrader stores them naive (UTC when a zone was given), and an LMS zip's entry
times are the LMS's local time. Give due dates in the zone the LMS uses.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nbgrader.plugins import LateSubmissionPlugin

from autograder.gradebook.config import COURSE_ID

__all__ = ["METHODS", "CourseLatePolicy", "LatePolicy", "Lateness", "apply_deadlines", "duration", "extend", "extensions",
           "open_gradebook", "policy", "set_due", "set_policy"]

METHODS = ("none", "zero", "fixed", "per-day")
DAY = 86400.0
_EXTENSIONS = ("CREATE TABLE IF NOT EXISTS course_extensions (student_id VARCHAR(128) NOT NULL, "
               "assignment VARCHAR(128) NOT NULL, minutes INTEGER NOT NULL, PRIMARY KEY (student_id, assignment))")
_POLICY = ("CREATE TABLE IF NOT EXISTS course_late_policy (id INTEGER PRIMARY KEY CHECK (id = 1), "
           "method VARCHAR(16) NOT NULL, amount FLOAT NOT NULL, percent BOOLEAN NOT NULL)")


@dataclass(frozen=True)
class LatePolicy:
    """What handing in late costs: nothing, everything, a fixed amount, or an amount per started day.

    `amount` is points, or a percentage of the lesson's points when `percent`."""

    method: str = "none"
    amount: float = 0.0
    percent: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"{self.method!r} is not a late policy; choose one of {', '.join(METHODS)}")
        if self.method in ("fixed", "per-day") and not (self.amount > 0 and math.isfinite(self.amount)):
            raise ValueError(f"a {self.method} late policy needs an amount above 0, e.g. `{self.method} 2` (points) "
                             f"or `{self.method} 10%`")
        if self.percent and self.amount > 100:
            raise ValueError(f"{self.amount:g}% is more than the lesson's points; give at most 100%")

    def penalty(self, score: float, max_score: float, seconds_late: float) -> float:
        """Points off `score` for a submission `seconds_late` after its due date; never more than `score`."""
        if seconds_late <= 0 or self.method == "none":
            return 0.0
        if self.method == "zero":
            return max(score, 0.0)
        points = self.amount * max_score / 100 if self.percent else self.amount
        days = math.ceil(seconds_late / DAY) if self.method == "per-day" else 1
        return round(min(points * days, max(score, 0.0)), 4)

    def describe(self) -> str:
        if self.method in ("none", "zero"):
            return {"none": "no penalty for handing in late", "zero": "a late submission scores 0"}[self.method]
        amount = f"{self.amount:g}%" if self.percent else f"{self.amount:g} point(s)"
        return f"{amount} off per day late (each started day counts)" if self.method == "per-day" else \
            f"{amount} off a late submission"


@dataclass(frozen=True)
class Lateness:
    """How late one submission is and what it costs, as `apply_deadlines` recorded it."""

    due: datetime | None
    extension: timedelta | None
    submitted_at: datetime | None
    seconds_late: float
    penalty: float

    def describe(self) -> str:
        if self.seconds_late <= 0:
            return ""
        said = f"handed in {duration(self.seconds_late)} late (due {self.due:%Y-%m-%d %H:%M}"
        said += f", with an extension of {duration(self.extension.total_seconds())})" if self.extension else ")"
        return said + (f": -{self.penalty:g} point(s)" if self.penalty else ": no penalty")


def duration(seconds: float) -> str:
    """'1 day(s) 2 h', '90 min' -> at most two units, for a person."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} day(s)"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{rest // 60} min"] * bool(rest // 60)
    return " ".join(parts[:2]) or f"{int(seconds)} s"


@contextlib.contextmanager
def open_gradebook(db: Path) -> Iterator[Any]:
    """nbgrader's `Gradebook` on `db`, quiet, with the course's tables in place; committed on leaving."""
    from autograder.gradebook.nbgrader_run import _quiet

    with _quiet():
        from nbgrader.api import Gradebook
        from sqlalchemy import text

        with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
            gb.db.execute(text(_EXTENSIONS))
            gb.db.execute(text(_POLICY))
            yield gb
            gb.db.commit()


def set_due(gb: Any, lesson: str, due: datetime | None) -> None:
    """The lesson's due date (None: no due date), in nbgrader's `Assignment.duedate`."""
    gb.update_or_create_assignment(lesson, duedate=due)


def extend(gb: Any, student: str, lesson: str, by: timedelta) -> None:
    """This learner's due date for `lesson` moves `by` later; a zero length removes the extension. Grants do not add."""
    from sqlalchemy import text

    if by < timedelta(0):
        raise ValueError(f"an extension of {by} is negative; give how much later the learner may hand in")
    gb.db.execute(text("DELETE FROM course_extensions WHERE student_id = :s AND assignment = :a"),
                  {"s": student, "a": lesson})
    if by:
        gb.db.execute(text("INSERT INTO course_extensions VALUES (:s, :a, :m)"),
                      {"s": student, "a": lesson, "m": math.ceil(by.total_seconds() / 60)})


def extensions(gb: Any) -> dict[tuple[str, str], timedelta]:
    from sqlalchemy import text

    rows = gb.db.execute(text("SELECT student_id, assignment, minutes FROM course_extensions")).all()
    return {(str(s), str(a)): timedelta(minutes=int(m)) for s, a, m in rows}


def set_policy(gb: Any, chosen: LatePolicy) -> None:
    from sqlalchemy import text

    gb.db.execute(text("INSERT OR REPLACE INTO course_late_policy VALUES (1, :m, :a, :p)"),
                  {"m": chosen.method, "a": chosen.amount, "p": chosen.percent})


def policy(gb: Any) -> LatePolicy:
    """The course's late policy (none until one is set), from any open `Gradebook` (it only reads)."""
    from sqlalchemy import text

    if not gb.db.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='course_late_policy'")).first():
        return LatePolicy()
    row = gb.db.execute(text("SELECT method, amount, percent FROM course_late_policy WHERE id = 1")).first()
    return LatePolicy(str(row[0]), float(row[1]), bool(row[2])) if row else LatePolicy()


def apply_deadlines(gb: Any, handed_in: Mapping[tuple[str, str], datetime | None]) -> dict[tuple[str, str], Lateness]:
    """Write each graded submission's time (from `handed_in`, when known), extension and late penalty into
    nbgrader's fields; returns (student, lesson) -> its `Lateness`, for every submission the gradebook holds."""
    chosen, granted, out = policy(gb), extensions(gb), {}
    for assignment in gb.assignments:
        for submission in assignment.submissions:
            key = (submission.student.id, assignment.name)
            if handed_in.get(key) is not None:
                submission.timestamp = handed_in[key]
            submission.extension = granted.get(key)
            late = submission.total_seconds_late
            penalty = chosen.penalty(submission.score, assignment.max_score, late)
            for number, notebook in enumerate(submission.notebooks):  # nbgrader sums them: one notebook per lesson
                notebook.late_submission_penalty = (penalty or None) if number == 0 else None
            out[key] = Lateness(assignment.duedate, submission.extension, submission.timestamp, late, penalty)
    gb.db.commit()
    return out


class CourseLatePolicy(LateSubmissionPlugin):  # type: ignore[misc]  # nbgrader is untyped
    """The course's policy for plain `nbgrader autograde` (autograder/nbgrader_config.py sets it)."""

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        preprocessor = self.parent  # nbgrader's AssignLatePenalties, with its gradebook open on the lesson
        gb = preprocessor.gradebook
        top = gb.find_assignment(preprocessor.assignment_id).max_score
        return policy(gb).penalty(score, top, total_seconds_late) or None
