"""`course roster import FILE`: the LMS's roster into nbgrader's students, keyed by the LMS id.

    learners = read_roster(path)               # RosterLearner per row; RosterError names the file and row
    added, updated = import_roster(path, db)   # one transaction: every learner, or nothing

Why: a zip of submissions names its learners only as far as a file name can (Canvas: `smithjohn`
and a user id; Moodle: a full name and an id that changes per assignment), so formgrader showed
"None, None" and no export could carry a SIS id, a section or an email. The LMS already holds all
of it, in a CSV it exports:

  canvas  the gradebook export: `Student` ("Last, First"), `ID`, `SIS User ID`, `SIS Login ID`,
          `Section`, then grade columns; its "Points Possible" row (and a "Manual Posting" row,
          when a posting policy is set) holds no learner and is skipped. Keyed by `ID`, Canvas's
          user id: the same id intake reads from the zip's file names, so both land on one student.
  moodle  the participants page's download (`user/action_redir.php`, `download_participants`):
          `First name`, `Last name`, then the site's identity fields ("Show user identity": `ID
          number`, `Email address`...); a `Groups` column, when added, is the section. Moodle's
          participant id in a zip belongs to one assignment, so a Moodle learner is keyed by the ID
          number, else the email; a re-import finds the student by either, and a zip's learner is
          found by full name (`adopt_roster`).

Names and the email go where nbgrader keeps them (`Gradebook.update_or_create_student`:
`first_name`, `last_name`, `email`, `lms_user_id`). nbgrader's `Student` has no SIS id or section,
so those live in a small table of the course's own, `course_roster`, in the same SQLite file
(`var/gradebook.db`): the students and their table are written in one transaction. A file in
neither shape, a row without an id, or two rows with one id stop the import before anything is
written, with one line naming the file and the row.
"""

from __future__ import annotations

import contextlib
import csv
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.cohort.lms_names import Choice
from autograder.gradebook.config import COURSE_ID, GRADEBOOK

__all__ = ["ROSTER_TABLE", "RosterError", "RosterFields", "RosterLearner", "adopt_roster", "import_roster",
           "read_roster", "roster_fields"]

ROSTER_TABLE = "course_roster"
_CANVAS = ("Student", "ID")
_MOODLE = ("First name", "Last name")   # then the site's identity fields: "ID number", "Email address", ...
_SKIPPED = {"points possible", "manual posting", "muted"}   # Canvas's rows under the header: no learner
_SCHEMA = (f"CREATE TABLE IF NOT EXISTS {ROSTER_TABLE} (student_id VARCHAR(128) PRIMARY KEY, lms VARCHAR(16), "
           "sis_user_id VARCHAR(128), sis_login_id VARCHAR(128), section VARCHAR(256), id_number VARCHAR(128))")


class RosterError(ValueError):
    """The roster cannot be imported as it is; one line names the file, the row and what to do."""


@dataclass(frozen=True)
class RosterFields:
    """What the course keeps beside nbgrader's `Student`: the identifiers nbgrader has no field for."""

    lms: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""           # Canvas's Section; Moodle's Groups
    id_number: str = ""         # Moodle's ID number (the institution's id for the person)


@dataclass(frozen=True)
class RosterLearner:
    """One row of the roster: the student id nbgrader keys them by, and what the LMS says of them."""

    row: int                    # the line of the file (1 is the header), for messages
    key: str                    # Canvas: ID; Moodle: ID number, else email
    first_name: str
    last_name: str
    email: str
    lms_user_id: str            # Canvas's user id; empty for Moodle (its export holds none)
    fields: RosterFields


def _cell(row: dict[str, str | None], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value:
            return value.strip()
    return ""


def _shape(header: list[str], path: Path) -> str:
    if all(column in header for column in _CANVAS):
        return "canvas"
    if all(column in header for column in _MOODLE) and ("ID number" in header or "Email address" in header):
        return "moodle"
    shown = ", ".join(header[:6]) or "nothing"
    raise RosterError(f"{path}: row 1: neither Canvas's gradebook export (Student, ID, SIS User ID, ...) nor "
                      f"Moodle's participants download (First name, Last name, ID number, Email address); "
                      f"its header is: {shown}")


def _canvas(number: int, row: dict[str, str | None], path: Path) -> RosterLearner | None:
    student = _cell(row, "Student")
    if student.lower() in _SKIPPED or (not _cell(row, "ID") and any(
            (value or "").strip().lower() in _SKIPPED for value in row.values() if isinstance(value, str))):
        return None
    key = _cell(row, "ID")
    if not key:
        raise RosterError(f"{path}: row {number} ({student or 'no name'}) has no ID (Canvas's user id); export "
                          "the gradebook from Canvas again, or delete the row")
    last, _, first = student.partition(",")
    fields = RosterFields("canvas", _cell(row, "SIS User ID"), _cell(row, "SIS Login ID"), _cell(row, "Section"))
    return RosterLearner(number, key, first.strip(), last.strip(), "", key, fields)


def _moodle(number: int, row: dict[str, str | None], path: Path) -> RosterLearner:
    first, last = _cell(row, "First name"), _cell(row, "Last name")
    email, id_number = _cell(row, "Email address"), _cell(row, "ID number")
    if not (id_number or email):
        raise RosterError(f"{path}: row {number} ({' '.join(p for p in (first, last) if p) or 'no name'}) has "
                          "neither an ID number nor an email address; Moodle learners are matched by one of them")
    fields = RosterFields("moodle", section=_cell(row, "Groups", "Group"), id_number=id_number)
    return RosterLearner(number, id_number or email, first, last, email, "", fields)


def read_roster(path: Path) -> tuple[str, list[RosterLearner]]:
    """The LMS (`canvas` or `moodle`) whose export `path` is, and its learners; raises `RosterError`."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            reader.fieldnames = header
            lms = _shape(header, path)
            learners: list[RosterLearner] = []
            seen: dict[tuple[str, str], int] = {}   # ("id" | "email", value) -> the row that had it first
            for row in reader:
                number = reader.line_num
                learner = _canvas(number, row, path) if lms == "canvas" else _moodle(number, row, path)
                if learner is None:
                    continue
                for what, value in (("id", learner.key), ("email", learner.email.lower())):
                    if value and (what, value) in seen:
                        raise RosterError(f"{path}: row {number} has the {what} {value!r} of row "
                                          f"{seen[(what, value)]}; keep each learner once and import again")
                    if value:
                        seen[(what, value)] = number
                learners.append(learner)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"{path}: cannot be read as a CSV roster ({error})") from None
    if not learners:
        raise RosterError(f"{path}: row 2: no learner in it (only a header)")
    return lms, learners


def _existing(gb: Any, learner: RosterLearner, lms: str) -> str:
    """The student id `learner` already has in the gradebook (a re-import), else their key."""
    if lms == "canvas":
        return learner.key
    from sqlalchemy import text

    if learner.fields.id_number:
        found = gb.db.execute(text(f"SELECT student_id FROM {ROSTER_TABLE} WHERE id_number = :n"),
                              {"n": learner.fields.id_number}).first()
        if found:
            return str(found[0])
    if learner.email:
        for student in gb.students:
            if (student.email or "").lower() == learner.email.lower():
                return str(student.id)
    return learner.key


def import_roster(path: Path, root: Path) -> tuple[str, int, int]:
    """Write the roster at `path` into the gradebook of the course at `root`: (lms, added, updated)."""
    from autograder.gradebook.nbgrader_run import _quiet, new_gradebook

    lms, learners = read_roster(path)  # every row checked before the gradebook is opened
    db = root / GRADEBOOK
    if not db.is_file():
        new_gradebook(db)
    added = updated = 0
    with _quiet():
        from nbgrader.api import Gradebook
        from sqlalchemy import text

        with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb, _one_transaction(gb):
            gb.db.execute(text(_SCHEMA))
            known = {student.id for student in gb.students}
            for learner in learners:
                student_id = _existing(gb, learner, lms)
                values = {"first_name": learner.first_name, "last_name": learner.last_name}
                if learner.email:
                    values["email"] = learner.email
                if learner.lms_user_id:
                    values["lms_user_id"] = learner.lms_user_id
                gb.update_or_create_student(student_id, **values)
                f = learner.fields
                gb.db.execute(text(f"INSERT OR REPLACE INTO {ROSTER_TABLE} VALUES (:s, :l, :u, :g, :c, :n)"),
                              {"s": student_id, "l": f.lms, "u": f.sis_user_id, "g": f.sis_login_id,
                               "c": f.section, "n": f.id_number})
                added, updated = (added, updated + 1) if student_id in known else (added + 1, updated)
                known.add(student_id)
    return lms, added, updated


@contextlib.contextmanager
def _one_transaction(gb: Any) -> Iterator[None]:
    """Every write to `gb` inside is one transaction, committed at the end or rolled back on any error.

    nbgrader's `update_or_create_student` commits after each student; here its commit only flushes
    (the SQL is sent, the transaction stays open), so a failure at learner 90 leaves no learner 1-89."""
    session = gb.db
    session.commit = session.flush
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    finally:
        del session.commit
    session.commit()


def roster_fields(gb: Any) -> dict[str, RosterFields]:
    """Student id -> the course's own fields, from an open `nbgrader.api.Gradebook` (empty before any import)."""
    from sqlalchemy import text

    exists = gb.db.execute(text("SELECT name FROM sqlite_master WHERE type='table' AND name=:t"),
                           {"t": ROSTER_TABLE}).first()
    if not exists:
        return {}
    rows = gb.db.execute(text(f"SELECT student_id, lms, sis_user_id, sis_login_id, section, id_number "
                              f"FROM {ROSTER_TABLE}")).all()
    return {str(r[0]): RosterFields(*(str(v or "") for v in r[1:])) for r in rows}


def _moodle_names(db: Path) -> dict[str, list[str]]:
    """Full name (as Moodle writes it in a zip, folded) -> the roster's Moodle students of that name."""
    if not db.is_file():
        return {}
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        try:
            rows = connection.execute(f"SELECT s.id, s.first_name, s.last_name FROM student s JOIN {ROSTER_TABLE} r "
                                      "ON r.student_id = s.id WHERE r.lms = 'moodle'").fetchall()
        except sqlite3.OperationalError:  # no roster imported yet
            return {}
    names: dict[str, list[str]] = {}
    for student, first, last in rows:
        names.setdefault(_folded(f"{first or ''} {last or ''}"), []).append(str(student))
    return names


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def adopt_roster(choice: Choice, root: Path) -> Choice:
    """`choice` with each Moodle learner keyed by their roster student, where the roster names exactly one.

    Moodle's participant id changes with each assignment, so its zip alone cannot say that lesson 00's
    learner 77 is lesson 01's learner 912. Its file names do carry the full name: when exactly one
    learner of the imported Moodle roster has it, the submission is theirs (keyed by ID number or
    email, as the roster keys them). Otherwise the participant id stays the key, and a note says why."""
    names = _moodle_names(root / GRADEBOOK)
    if not names:
        return choice
    in_zip = Counter(_folded(e.name) for e in choice.kept.values() if e.lms == "moodle")
    adopted = Choice(left_out=list(choice.left_out))
    for user, entry in sorted(choice.kept.items()):
        notes = list(choice.notes.get(user, []))
        found = names.get(_folded(entry.name), []) if entry.lms == "moodle" else []
        alone = in_zip[_folded(entry.name)] == 1  # two "Jo Lee"s in one zip: neither is guessed to be the roster's
        key = found[0] if len(found) == 1 and alone and found[0] not in choice.kept else user
        if entry.lms == "moodle" and key != user:
            notes.append(f"Moodle participant {user}, found in the roster by name as {key}")
        elif entry.lms == "moodle":
            count = f"{len(found)} roster learner(s)" if len(found) != 1 else "one roster learner but two in this zip"
            notes.append(f"Moodle participant {user}: {count} named {entry.name!r}, kept under the participant id")
        adopted.kept[key] = entry
        if notes:
            adopted.notes[key] = notes
    return adopted
