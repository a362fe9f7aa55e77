"""`course export canvas|moodle|csv`: a real nbgrader gradebook (SQLite) written as each LMS imports it.

The expected files (tests/fixtures/lms/) are written in each format's documented shape (docs/lms.md
cites the pages); the exports are compared with them field by field, header first.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path

import pytest

from autograder.cohort.export import (
    CANVAS_IDENTITY,
    MOODLE_IDENTITY,
    CanvasExportPlugin,
    ExportError,
    export_grades,
    read_table,
    render,
)
from autograder.gradebook.config import COURSE_ID
from autograder.gradebook.nbgrader_run import new_gradebook

FIXTURES = Path(__file__).parent / "fixtures" / "lms"
COURSE = [str(Path(sys.executable).parent / "course")]
LESSONS = {"00-toy": {"add": 1.0, "shout": 2.0}, "01-next": {"add3": 2.0}}
# student id -> (first, last, email, lms id), and their auto scores by lesson and grade cell
LEARNERS = {"20001": ("John", "Smith", "john.smith@example.edu", "20001"),
            "20002": ("John", "Smith", "jsmith2@example.edu", "20002"),
            "77": ("Jo", "Lee", "jo.lee@example.edu", "77")}
SCORES = {("20001", "00-toy"): {"add": 1, "shout": 2}, ("20001", "01-next"): {"add3": 1.5},
          ("20002", "00-toy"): {"add": 0, "shout": 0}, ("20002", "01-next"): {"add3": 2},
          ("77", "00-toy"): {"add": 0, "shout": 2}}  # 77 did not submit 01-next: an empty cell, never 0


def _gradebook(root: Path, *, emails: bool = True, lms_ids: bool = True) -> Path:
    """A course root whose var/gradebook.db holds LESSONS, LEARNERS and SCORES, through nbgrader's API."""
    db = new_gradebook(root / "var" / "gradebook.db")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
            for lesson, cells in LESSONS.items():
                gb.add_assignment(lesson)
                gb.add_notebook(lesson, lesson)
                for name, points in cells.items():
                    gb.add_grade_cell(name, lesson, lesson, max_score=points, cell_type="code")
            for student, (first, last, email, lms_id) in LEARNERS.items():
                gb.add_student(student, first_name=first, last_name=last, email=email if emails else None,
                               lms_user_id=lms_id if lms_ids else None)
            for (student, lesson), cells in SCORES.items():
                gb.add_submission(lesson, student, timestamp=datetime(2026, 12, 1, 9, 30))
                for name, score in cells.items():
                    gb.find_grade(name, lesson, lesson, student).auto_score = score
            gb.db.commit()
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _same_fields(written: Path, expected: Path) -> None:
    with open(written, newline="", encoding="utf-8") as a, open(expected, newline="", encoding="utf-8") as b:
        got, want = list(csv.reader(a)), list(csv.reader(b))
    assert got[0] == want[0], "header"
    assert len(got) == len(want), "row count"
    for number, (row, model) in enumerate(zip(got[1:], want[1:], strict=True), start=2):
        assert len(row) == len(model), f"row {number} has {len(row)} fields"
        for column, (value, expected_value) in enumerate(zip(row, model, strict=True)):
            assert value == expected_value, f"row {number}, column {want[0][column]!r}: {value!r} != {expected_value!r}"


def test_canvas_export_is_canvas_gradebook_csv_field_by_field(tmp_path):
    out, table = export_grades("canvas", _gradebook(tmp_path))
    assert out == tmp_path / "var" / "export" / "canvas.csv"
    _same_fields(out, FIXTURES / "canvas_gradebook_import.csv")
    header = _rows(out)[0].keys()
    assert list(header)[:5] == CANVAS_IDENTITY and len(table.learners) == 3
    assert out.read_bytes().count(b"\r\n") == 5  # RFC 4180 line ends, as Canvas writes its own


def test_moodle_export_is_moodle_grade_import_csv_keyed_by_email(tmp_path):
    out, _ = export_grades("moodle", _gradebook(tmp_path))
    _same_fields(out, FIXTURES / "moodle_grade_import.csv")
    assert [row["Email address"] for row in _rows(out)] == ["jo.lee@example.edu", "john.smith@example.edu",
                                                            "jsmith2@example.edu"]
    assert list(_rows(out)[0])[:3] == MOODLE_IDENTITY


def test_a_manual_grade_from_formgrader_is_what_is_exported(tmp_path):
    root = _gradebook(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'var' / 'gradebook.db'}", COURSE_ID) as gb:
            gb.find_grade("shout", "00-toy", "00-toy", "20002").manual_score = 1.5  # what formgrader writes
            gb.db.commit()
    rows = {row["ID"]: row for row in _rows(export_grades("canvas", root)[0])}
    assert rows["20002"]["00-toy"] == "1.5" and rows["20001"]["00-toy"] == "3"


def test_the_plain_csv_has_one_row_per_learner_and_lesson_with_every_identifier(tmp_path):
    rows = _rows(export_grades("csv", _gradebook(tmp_path))[0])
    assert len(rows) == len(LEARNERS) * len(LESSONS)
    lee = {row["lesson"]: row for row in rows if row["student"] == "77"}
    assert lee["00-toy"] == {"student": "77", "lms_user_id": "77", "first_name": "Jo", "last_name": "Lee",
                             "email": "jo.lee@example.edu", "lesson": "00-toy", "score": "2", "max_score": "3",
                             "submitted_at": "2026-12-01 09:30:00", "late_penalty": ""}
    assert lee["01-next"]["score"] == "" and lee["01-next"]["submitted_at"] == ""


def test_learners_the_lms_cannot_match_stop_the_export_in_one_line_and_the_last_file_stays(tmp_path):
    root = _gradebook(tmp_path, emails=False, lms_ids=False)
    kept = root / "var" / "export" / "canvas.csv"
    kept.parent.mkdir(parents=True)
    kept.write_text("the last good export\n")
    for kind, words in [("canvas", "3 learner(s) have no Canvas user id in the gradebook (20001, 20002, 77)"),
                        ("moodle", "3 learner(s) have no email address in the gradebook (20001, 20002, 77)")]:
        with pytest.raises(ExportError, match=r"^" + words.replace("(", r"\(").replace(")", r"\)")) as raised:
            export_grades(kind, root)
        assert "\n" not in str(raised.value)
    assert kept.read_text() == "the last good export\n"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["canvas.csv"]  # no partial file left behind
    done = subprocess.run([*COURSE, "export", "moodle", "--root", str(root)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith("course export moodle: 3 learner(s) have no email address")


def test_no_gradebook_or_an_empty_one_is_said_plainly(tmp_path):
    with pytest.raises(ExportError, match="no gradebook yet"):
        export_grades("canvas", tmp_path)
    new_gradebook(tmp_path / "var" / "gradebook.db")
    with pytest.raises(ExportError, match="no learners yet"):
        export_grades("csv", tmp_path)
    with pytest.raises(ExportError, match="not an export format"):
        render("blackboard", read_table_of(tmp_path))


def read_table_of(root: Path):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'var' / 'gradebook.db'}", COURSE_ID) as gb:
            return read_table(gb)


def test_the_command_line_writes_where_asked_and_says_what(tmp_path):
    root = _gradebook(tmp_path)
    dest = tmp_path / "for-canvas.csv"
    done = subprocess.run([*COURSE, "export", "canvas", "--to", str(dest), "--root", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {dest}: 3 learner(s), 2 lesson(s), 5 score(s)\n"
    _same_fields(dest, FIXTURES / "canvas_gradebook_import.csv")


def test_nbgraders_own_export_command_takes_the_same_writer(tmp_path):
    root = _gradebook(tmp_path)
    dest = tmp_path / "via-nbgrader.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'var' / 'gradebook.db'}", COURSE_ID) as gb:
            CanvasExportPlugin(to=str(dest)).export(gb)
    _same_fields(dest, FIXTURES / "canvas_gradebook_import.csv")
