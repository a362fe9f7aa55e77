"""A Moodle zip graded after `course roster import`: each learner lands on their roster student.

Moodle's participant id belongs to one assignment, so the zip's full name is what ties a submission
to the roster (keyed by ID number, else email); a name the roster holds twice, or not at all, keeps
the participant id and says so. Graded on the toy course (tests/toy_course.py), checked with SQL.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_lms_intake import LESSON, RIGHT_ADD, RIGHT_SHOUT, _notebook, _zip
from toy_course import build_toy_course

from autograder.authoring.release import release_all
from autograder.cohort import run as cohort
from autograder.cohort.export import export_grades
from autograder.cohort.roster import import_roster

MOODLE = Path(__file__).parent / "fixtures" / "lms" / "moodle_participants.csv"


@pytest.fixture
def toy(tmp_path_factory, tmp_path) -> Path:
    built = build_toy_course(tmp_path_factory.mktemp("toy"))
    release_all(built)
    root = tmp_path / "course"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("var"))
    return root


def test_a_moodle_zip_after_the_roster_grades_roster_learners_and_exports_by_email(toy, tmp_path):
    import_roster(MOODLE, toy)
    archive = _zip(tmp_path / "moodle.zip", [
        ("Jo Lee_77_assignsubmission_file_00-toy.ipynb", (2026, 12, 1, 9, 0, 0), _notebook(toy, add=RIGHT_ADD)),
        ("John Smith_5_assignsubmission_file_00-toy.ipynb", (2026, 12, 1, 9, 1, 0), _notebook(toy, shout=RIGHT_SHOUT)),
    ])
    result = cohort.autograde_cohort(archive, toy, jobs=1, feedback=False)
    assert {g.student: g.score for g in result.grades} == {"S-0077": 1, "5": 2}  # two John Smiths: not guessed
    with sqlite3.connect(toy / "var" / "gradebook.db") as db:
        students = sorted(db.execute("SELECT id, first_name, last_name, email, lms_user_id FROM student"))
    assert students == [("5", "John", "Smith", None, "5"), ("S-0077", "Jo", "Lee", "jo.lee@example.edu", None),
                        ("S-1001", "John", "Smith", "john.smith@example.edu", None),
                        ("jsmith2@example.edu", "John", "Smith", "jsmith2@example.edu", None)]
    totals = {row["student"]: row for row in csv.DictReader((toy / "var" / "grades.csv").open(encoding="utf-8"))
              if not row["grade_id"]}
    assert "Moodle participant 77, found in the roster by name as S-0077" in totals["S-0077"]["message"]
    assert totals["S-0077"]["name"] == "Jo Lee"  # the roster's name, in grades.csv
    assert "2 roster learner(s) named 'John Smith', kept under the participant id" in totals["5"]["message"]
    with sqlite3.connect(toy / "var" / "gradebook.db") as db:  # the instructor says who participant 5 is
        db.execute("DELETE FROM student WHERE id = '5'")
        db.execute("DELETE FROM submitted_assignment WHERE student_id = '5'")
    rows = list(csv.reader(export_grades("moodle", toy)[0].open(encoding="utf-8")))
    assert rows == [["First name", "Last name", "Email address", LESSON], ["Jo", "Lee", "jo.lee@example.edu", "1"],
                    ["John", "Smith", "john.smith@example.edu", ""], ["John", "Smith", "jsmith2@example.edu", ""]]
