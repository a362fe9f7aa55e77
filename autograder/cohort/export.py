"""Grades the LMS imports: `course export canvas|moodle|csv`, from nbgrader's gradebook.

    export_grades("canvas", root)        # -> var/export/canvas.csv (or `to=`), one row per learner

Why: `nbgrader export` writes name slugs and nbgrader's own columns, which neither LMS can match
to its learners. Each format here is the one the LMS reads back (docs/lms.md cites the pages):

  canvas  Canvas's gradebook CSV: `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then one
          column per lesson, in points; a second row "Points Possible" holds each lesson's maximum
          (optional for Canvas, written as Canvas's own export writes it). Canvas matches a row by
          `ID` (its user id: nbgrader's `Student.lms_user_id`, filled from the LMS zip by intake); the
          SIS ids and the section come from `course roster import` (autograder.cohort.roster).
  moodle  Moodle's grade import CSV: `First name`, `Last name`, `Email address`, then one column
          per lesson; on import, map "Email address" to "useremail" and each lesson to its grade item
          (or, `key="idnumber"`, `ID number` in its place, mapped to "useridnumber").
  csv     the course's own: one row per learner and lesson, with every identifier the gradebook holds.

Scores are nbgrader's (`SubmittedAssignment.score`: a manual grade from formgrader counts over the
automatic one), less its late penalty (`course term late`, autograder.gradebook.deadlines), as nbgrader's
feedback shows them; the csv format also says the penalty. A lesson a learner did not submit is left empty, which both LMS read as "no grade
given", never as a zero. A learner the LMS could not match (no Canvas id, no email for Moodle)
stops the export with one line naming them: a file that silently drops learners is not written.
The same writers serve `nbgrader export --exporter autograder.cohort.export.CanvasExportPlugin`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nbgrader.plugins.export import ExportPlugin

from autograder.gradebook.config import COURSE_ID, GRADEBOOK

__all__ = ["CANVAS_IDENTITY", "FORMATS", "MOODLE_IDENTITY", "CanvasExportPlugin", "ExportError", "GradeTable",
           "Learner", "MoodleExportPlugin", "export_grades", "read_table", "render"]

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDENTITY = ["First name", "Last name", "Email address"]
FORMATS = ("canvas", "moodle", "csv")
_CSV_HEADER = ["student", "lms_user_id", "first_name", "last_name", "email", "lesson", "score", "max_score",
               "submitted_at", "late_penalty"]


class ExportError(ValueError):
    """The grades cannot be written in this format as they are; one line says who or what is missing."""


@dataclass(frozen=True)
class Learner:
    student: str            # nbgrader's student id (the LMS id, for a learner from an LMS zip)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    sis_user_id: str = ""   # these four from `course roster import` (autograder.cohort.roster)
    sis_login_id: str = ""
    section: str = ""
    id_number: str = ""     # Moodle's ID number


@dataclass
class GradeTable:
    """Everything an export needs, read from the gradebook in one pass."""

    learners: list[Learner] = field(default_factory=list)
    lessons: list[tuple[str, float]] = field(default_factory=list)               # (lesson, max score)
    scores: dict[tuple[str, str], tuple[float, datetime | None]] = field(default_factory=dict)  # after any penalty
    penalties: dict[tuple[str, str], float] = field(default_factory=dict)  # late penalties taken off those scores


def read_table(gb: Any) -> GradeTable:
    """The learners, lessons and scores of an open `nbgrader.api.Gradebook`."""
    from nbgrader.api import MissingEntry

    from autograder.cohort.roster import RosterFields, roster_fields

    table = GradeTable()
    roster = roster_fields(gb)
    for student in gb.students:
        more = roster.get(student.id, RosterFields())
        table.learners.append(Learner(student.id, student.first_name or "", student.last_name or "",
                                      student.email or "", student.lms_user_id or "", more.sis_user_id,
                                      more.sis_login_id, more.section, more.id_number))
    for assignment in gb.assignments:
        table.lessons.append((assignment.name, float(assignment.max_score)))
        for learner in table.learners:
            try:
                submission = gb.find_submission(assignment.name, learner.student)
            except MissingEntry:
                continue
            penalty = float(submission.late_submission_penalty or 0.0)
            table.scores[(learner.student, assignment.name)] = (max(float(submission.score) - penalty, 0.0),
                                                                submission.timestamp)
            if penalty:
                table.penalties[(learner.student, assignment.name)] = penalty
    return table


def _number(value: float) -> str:
    return f"{value:g}"


def _missing(what: str, learners: list[Learner], fix: str) -> ExportError:
    names = ", ".join(sorted(learner.student for learner in learners)[:8]) + (" ..." if len(learners) > 8 else "")
    return ExportError(f"{len(learners)} learner(s) have no {what} in the gradebook ({names}); {fix}")


def _canvas(table: GradeTable) -> list[list[str]]:
    missing = [learner for learner in table.learners if not learner.lms_user_id]
    if missing:
        raise _missing("Canvas user id", missing, "grade their Canvas zip with `course autograde`, or set it with "
                       "`nbgrader db student add ID --lms-user-id N`, then export again")
    rows = [CANVAS_IDENTITY + [name for name, _ in table.lessons],
            ["    Points Possible", "", "", "", ""] + [_number(top) for _, top in table.lessons]]
    for learner in sorted(table.learners, key=lambda x: (x.last_name.lower(), x.first_name.lower(), x.student)):
        name = ", ".join(part for part in (learner.last_name, learner.first_name) if part) or learner.student
        scores = [table.scores.get((learner.student, lesson)) for lesson, _ in table.lessons]
        rows.append([name, learner.lms_user_id, learner.sis_user_id, learner.sis_login_id, learner.section] + ["" if s is None else _number(s[0]) for s in scores])
    return rows


def _moodle(table: GradeTable, key: str = "email") -> list[list[str]]:
    if key == "idnumber":
        return _moodle_by_id_number(table)
    missing = [learner for learner in table.learners if not learner.email]
    if missing:
        raise _missing("email address", missing, "Moodle matches grades by email or ID number: set each email with "
                       "`nbgrader db student add ID --email ADDRESS` (the file names of Moodle's zip hold none), "
                       "then export again")
    rows = [MOODLE_IDENTITY + [name for name, _ in table.lessons]]
    for learner in sorted(table.learners, key=lambda x: (x.last_name.lower(), x.first_name.lower(), x.student)):
        scores = [table.scores.get((learner.student, lesson)) for lesson, _ in table.lessons]
        rows.append([learner.first_name, learner.last_name, learner.email]
                    + ["" if s is None else _number(s[0]) for s in scores])
    return rows


def _moodle_by_id_number(table: GradeTable) -> list[list[str]]:
    missing = [learner for learner in table.learners if not learner.id_number]
    if missing:
        raise _missing("Moodle ID number", missing, "import Moodle's participants download with its ID number column "
                       "(`course roster import FILE`), or export keyed by email (--key email)")
    rows = [MOODLE_IDENTITY[:2] + ["ID number"] + [name for name, _ in table.lessons]]
    for learner in sorted(table.learners, key=lambda x: (x.last_name.lower(), x.first_name.lower(), x.student)):
        scores = [table.scores.get((learner.student, lesson)) for lesson, _ in table.lessons]
        rows.append([learner.first_name, learner.last_name, learner.id_number]
                    + ["" if s is None else _number(s[0]) for s in scores])
    return rows


def _plain(table: GradeTable) -> list[list[str]]:
    rows = [list(_CSV_HEADER)]
    for learner in sorted(table.learners, key=lambda x: x.student):
        for lesson, top in table.lessons:
            found = table.scores.get((learner.student, lesson))
            when = found[1].isoformat(sep=" ") if found and found[1] else ""
            rows.append([learner.student, learner.lms_user_id, learner.first_name, learner.last_name, learner.email,
                         lesson, "" if found is None else _number(found[0]), _number(top), when,
                         _number(table.penalties[(learner.student, lesson)])
                         if (learner.student, lesson) in table.penalties else ""])
    return rows


def render(kind: str, table: GradeTable, key: str = "email") -> str:
    """The CSV text of `table` in format `kind` (canvas, moodle, csv); raises `ExportError`.

    `key`: what Moodle matches rows by, `email` or `idnumber` (Moodle's "Identify user by")."""
    writers = {"canvas": _canvas, "moodle": _moodle, "csv": _plain}
    if kind not in writers:
        raise ExportError(f"{kind!r} is not an export format; choose one of {', '.join(FORMATS)}")
    if key not in ("email", "idnumber"):
        raise ExportError(f"{key!r} is not a Moodle key; choose email or idnumber")
    if not table.learners:
        raise ExportError("the gradebook has no learners yet; grade a cohort first (course autograde DIR|ZIP)")
    buffer = io.StringIO()
    rows = _moodle(table, key) if kind == "moodle" else writers[kind](table)
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def export_grades(kind: str, root: Path, to: Path | None = None, key: str = "email") -> tuple[Path, GradeTable]:
    """Write the gradebook of the course at `root` as `kind`; returns the file written and what it holds."""
    from autograder.gradebook.nbgrader_run import _quiet

    db = root / GRADEBOOK
    if not db.is_file():
        raise ExportError(f"{db}: no gradebook yet; grade a cohort first (course autograde DIR|ZIP)")
    with _quiet():
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
            table = read_table(gb)
    text = render(kind, table, key)  # before any file is touched: a refused export leaves the last one in place
    out = to or root / "var" / "export" / f"{kind}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="")
    partial.replace(out)
    return out, table


class _LmsExportPlugin(ExportPlugin):  # type: ignore[misc]  # nbgrader is untyped
    kind = "csv"

    def export(self, gradebook: Any) -> None:
        dest = Path(self.to or f"{self.kind}.csv")
        dest.write_text(render(self.kind, read_table(gradebook)), encoding="utf-8", newline="")


class CanvasExportPlugin(_LmsExportPlugin):
    """`nbgrader export --exporter autograder.cohort.export.CanvasExportPlugin --to canvas.csv`."""

    kind = "canvas"


class MoodleExportPlugin(_LmsExportPlugin):
    """`nbgrader export --exporter autograder.cohort.export.MoodleExportPlugin --to moodle.csv`."""

    kind = "moodle"
