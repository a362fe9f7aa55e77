"""`course roster import FILE`: the LMS's roster into a real nbgrader gradebook (SQLite), then the exports.

The roster files (tests/fixtures/lms/) are in each LMS's documented shape (docs/lms.md cites the
pages): Canvas's gradebook export, with its "Points Possible" row, and Moodle's participants
download. The gradebook is read back through nbgrader's API, field by field.
"""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from autograder.cohort.export import export_grades
from autograder.cohort.roster import RosterError, RosterFields, import_roster, read_roster, roster_fields
from autograder.gradebook.config import COURSE_ID
from autograder.gradebook.nbgrader_run import new_gradebook

FIXTURES = Path(__file__).parent / "fixtures" / "lms"
CANVAS = FIXTURES / "canvas_gradebook_export.csv"
MOODLE = FIXTURES / "moodle_participants.csv"
COURSE = [str(Path(sys.executable).parent / "course")]


def _students(root: Path) -> dict[str, tuple[object, ...]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'var' / 'gradebook.db'}", COURSE_ID) as gb:
            fields = roster_fields(gb)
            return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id, fields.get(s.id)) for s in gb.students}


def _graded(root: Path) -> Path:
    """A gradebook with lesson 00-toy (3 points) where Canvas learner 20001 scored 3 (from a zip: no name yet)."""
    db = new_gradebook(root / "var" / "gradebook.db")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
            gb.add_assignment("00-toy")
            gb.add_notebook("00-toy", "00-toy")
            gb.add_grade_cell("add", "00-toy", "00-toy", max_score=3, cell_type="code")
            gb.add_student("20001", last_name="smithjohn", lms_user_id="20001")  # as intake leaves it
            gb.add_submission("00-toy", "20001")
            gb.find_grade("add", "00-toy", "00-toy", "20001").auto_score = 3
            gb.db.commit()
    return root


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_gradebook_export_fills_each_student_field_by_field(tmp_path):
    assert import_roster(CANVAS, tmp_path) == ("canvas", 3, 0)  # "Points Possible" is not a learner
    assert _students(tmp_path) == {
        "20001": ("John", "Smith", None, "20001", RosterFields("canvas", "S-1001", "jsmith", "Section A")),
        "20002": ("John", "Smith", None, "20002", RosterFields("canvas", "S-1002", "jsmith2", "Section B")),
        "77": ("Jo", "Lee", None, "77", RosterFields("canvas", "S-0077", "jlee", "Section A"))}


def test_moodle_participants_are_keyed_by_id_number_else_email(tmp_path):
    assert import_roster(MOODLE, tmp_path) == ("moodle", 3, 0)
    assert _students(tmp_path) == {
        "S-0077": ("Jo", "Lee", "jo.lee@example.edu", None, RosterFields("moodle", id_number="S-0077")),
        "S-1001": ("John", "Smith", "john.smith@example.edu", None, RosterFields("moodle", id_number="S-1001")),
        "jsmith2@example.edu": ("John", "Smith", "jsmith2@example.edu", None, RosterFields("moodle"))}


def test_a_moodle_groups_column_is_the_section_and_email_alone_is_enough(tmp_path):
    grouped = tmp_path / "grouped.csv"
    grouped.write_text('First name,Last name,Email address,Groups\nJo,Lee,jo.lee@example.edu,"Group B, Lab 2"\n')
    assert import_roster(grouped, tmp_path) == ("moodle", 1, 0)
    assert _students(tmp_path)["jo.lee@example.edu"][4] == RosterFields("moodle", section="Group B, Lab 2")


def test_a_learner_graded_from_a_zip_gets_the_rosters_name_and_canvas_export_carries_sis_and_section(tmp_path):
    root = _graded(tmp_path)
    assert import_roster(CANVAS, root) == ("canvas", 2, 1)  # 20001 was there: updated, not doubled
    out, _ = export_grades("canvas", root)
    assert _rows(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "00-toy"],
        ["    Points Possible", "", "", "", "", "3"],
        ["Lee, Jo", "77", "S-0077", "jlee", "Section A", ""],
        ["Smith, John", "20001", "S-1001", "jsmith", "Section A", "3"],
        ["Smith, John", "20002", "S-1002", "jsmith2", "Section B", ""]]


def test_moodle_export_keys_by_email_or_by_id_number(tmp_path):
    root = _graded(tmp_path)
    with sqlite3.connect(root / "var" / "gradebook.db") as db:  # a gradebook of Moodle learners only
        db.execute("DELETE FROM submitted_assignment")
        db.execute("DELETE FROM student")
    import_roster(MOODLE, root)
    by_email, _ = export_grades("moodle", root)
    assert [row[:3] for row in _rows(by_email)] == [["First name", "Last name", "Email address"],
                                                    ["Jo", "Lee", "jo.lee@example.edu"],
                                                    ["John", "Smith", "john.smith@example.edu"],
                                                    ["John", "Smith", "jsmith2@example.edu"]]
    done = subprocess.run([*COURSE, "export", "moodle", "--key", "idnumber", "--root", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1  # jsmith2 has no ID number: named, not dropped
    assert "1 learner(s) have no Moodle ID number in the gradebook (jsmith2@example.edu)" in done.stderr
    (root / "moodle_ids.csv").write_text(MOODLE.read_text().replace("Smith,,", "Smith,S-1002,"))
    import_roster(root / "moodle_ids.csv", root)  # the same person, found again by email, gets the ID number
    out, _ = export_grades("moodle", root, key="idnumber")
    assert _rows(out) == [["First name", "Last name", "ID number", "00-toy"], ["Jo", "Lee", "S-0077", ""],
                          ["John", "Smith", "S-1001", ""], ["John", "Smith", "S-1002", ""]]


def test_reimporting_updates_and_never_duplicates(tmp_path):
    import_roster(CANVAS, tmp_path)
    moved = tmp_path / "again.csv"
    moved.write_text(CANVAS.read_text().replace('"Lee, Jo",77,S-0077,jlee,Section A', '"Lee-Park, Jo",77,S-0077,'
                                                                                     'jlee,Section C'))
    assert import_roster(moved, tmp_path) == ("canvas", 0, 3)
    students = _students(tmp_path)
    assert len(students) == 3 and students["77"] == ("Jo", "Lee-Park", None, "77",
                                                     RosterFields("canvas", "S-0077", "jlee", "Section C"))


@pytest.mark.parametrize(("text", "says"), [
    ("name,email\nJo,jo@example.edu\n", "row 1: neither Canvas's gradebook export"),
    ("Student,ID,SIS User ID\n    Points Possible,,\n\"Lee, Jo\",77,S1\n\"Ng, Al\",,S2\n", "row 4 (Ng, Al) has no ID"),
    ("Student,ID\n\"Lee, Jo\",77\n\"Lee, J.\",77\n", "row 3 has the id '77' of row 2"),
    ("First name,Last name,ID number,Email address\nJo,Lee,1,jo@x.edu\nAl,Ng,,\n", "row 3 (Al Ng) has neither an ID number"),
    ("First name,Last name\nJo,Lee\n", "row 1: neither Canvas's gradebook export"),
    ("First name,Last name,Email address\nJo,Lee,jo@x.edu\nJo,Lee,JO@x.edu\n", "row 3 has the email 'jo@x.edu'"),
])
def test_a_bad_file_is_refused_in_one_line_naming_file_and_row_and_nothing_is_written(tmp_path, text, says):
    root = _graded(tmp_path)
    before = _students(root)
    bad = tmp_path / "roster.csv"
    bad.write_text(text)
    with pytest.raises(RosterError, match=r"^" + str(bad).replace("\\", "\\\\") + ": ") as raised:
        import_roster(bad, root)
    assert says in str(raised.value) and "\n" not in str(raised.value)
    assert _students(root) == before
    done = subprocess.run([*COURSE, "roster", "import", str(bad), "--root", str(root)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"course roster import: {bad}: ")


def test_a_failure_midway_leaves_no_learner_behind(tmp_path, monkeypatch):
    root = _graded(tmp_path)
    before = _students(root)
    from autograder.cohort import roster

    real = roster._existing
    calls = []

    def failing(gb, learner, lms):  # type: ignore[no-untyped-def]
        calls.append(learner.key)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(gb, learner, lms)

    monkeypatch.setattr(roster, "_existing", failing)
    with pytest.raises(OSError):
        import_roster(CANVAS, root)
    assert _students(root) == before


def test_the_command_line_says_what_it_did(tmp_path):
    done = subprocess.run([*COURSE, "roster", "import", str(CANVAS), "--root", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"{CANVAS} (Canvas gradebook export): 3 learner(s), 3 added, 0 updated in "
                           f"{tmp_path / 'var' / 'gradebook.db'}\n")
    assert read_roster(MOODLE)[0] == "moodle"


def test_a_moodle_zip_learner_is_found_in_the_roster_by_name_only_when_one_person_has_it(tmp_path):
    from autograder.cohort.lms_names import Choice, LmsFile
    from autograder.cohort.roster import adopt_roster

    import_roster(MOODLE, tmp_path)
    zipped = {user: LmsFile(f"{name}_{user}_assignsubmission_file_00-toy.ipynb", "moodle", user, name, "00-toy.ipynb")
              for user, name in [("31", "jo  LEE"), ("32", "John Smith"), ("33", "Ann Other"), ("34", "Jo Lee")]}
    one = adopt_roster(Choice(kept={"31": zipped["31"], "32": zipped["32"], "33": zipped["33"]}), tmp_path)
    assert sorted(one.kept) == ["32", "33", "S-0077"] and one.kept["S-0077"] is zipped["31"]
    assert one.notes["S-0077"] == ["Moodle participant 31, found in the roster by name as S-0077"]
    assert one.notes["33"] == ["Moodle participant 33: 0 roster learner(s) named 'Ann Other', kept under the "
                               "participant id"]
    two = adopt_roster(Choice(kept={"31": zipped["31"], "34": zipped["34"]}), tmp_path)  # two Jo Lees in the zip
    assert sorted(two.kept) == ["31", "34"]
    assert "one roster learner but two in this zip" in two.notes["34"][0]
