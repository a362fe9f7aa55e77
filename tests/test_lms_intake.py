"""Intake you can trust: Canvas and Moodle file names, learners keyed by LMS id, double uploads, namesakes.

Before this, two learners sharing a name slug (`smithjohn_20001_…`, `smithjohn_20002_…`) or one
learner's two uploads made `course autograde` exit 1 and print nothing: nbgrader's zip_collect
stopped on "Duplicate submission file" with its log hidden. These tests grade such zips on the toy
course (tests/toy_course.py) with the real command, and check the gradebook with plain SQL.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from autograder.cohort import run as cohort
from autograder.cohort.intake import gather
from autograder.cohort.lms_names import LmsFile, RefusedInput, choose, parse

LESSON = "00-toy"
RIGHT_ADD = "def add(a, b):\n    return a + b"
RIGHT_SHOUT = "def shout(text):\n    return text.upper() + '!'"
COURSE = [str(Path(sys.executable).parent / "course")]


def _notebook(toy: Path, *, add: str | None = None, shout: str | None = None) -> str:
    nb = nbformat.read(str(toy / "notebooks" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = {"add": add, "shout": shout}.get(gid) or cell.source
    return nbformat.writes(nb)


def _zip(path: Path, entries: list[tuple[str, tuple[int, ...], str | bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, when, text in entries:
            zipped.writestr(zipfile.ZipInfo(name, when), text)  # type: ignore[arg-type]
    return path


def _sql(toy: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(toy / "var" / "gradebook.db") as db:
        return sorted(db.execute(query).fetchall())


# --- the names ---------------------------------------------------------------------------------------

def test_canvas_and_moodle_names_are_read_with_the_id_the_late_marker_and_the_resubmission():
    late = parse("smithjohn_LATE_20001_99187_05-x-2.ipynb")
    assert late == LmsFile("smithjohn_LATE_20001_99187_05-x-2.ipynb", "canvas", "20001", "smithjohn",
                           "05-x-2.ipynb", late=True)
    assert (late.original, late.attempt) == ("05-x.ipynb", 2)
    on_time = parse("smithjohn_20002_99188_05-x.ipynb")
    assert on_time is not None and (on_time.user_id, on_time.late, on_time.attempt) == ("20002", False, 0)
    assert parse("bobjones_late_1043_99188_05-x-1.ipynb").late  # type: ignore[union-attr]
    moodle = parse("Jo Lee_77_assignsubmission_file_05-x.ipynb")
    in_folder = parse("Jo Lee_77_assignsubmission_file_/05-x.ipynb")
    assert moodle is not None and (moodle.lms, moodle.user_id, moodle.name, moodle.file) == (
        "moodle", "77", "Jo Lee", "05-x.ipynb")
    assert in_folder is not None and (in_folder.user_id, in_folder.file) == ("77", "05-x.ipynb")
    assert parse("Untitled.ipynb") is None and parse("05-x/holiday.ipynb") is None


def _file(user: str, name: str, when: int, *, lms: str = "canvas") -> LmsFile:
    return LmsFile(f"{user}/{name}", lms, user, "smithjohn", name, when=datetime(2026, 12, 1, 9, when))


def test_the_latest_resubmission_is_kept_and_the_others_are_named_not_lost():
    files = [_file("1", "05-x.ipynb", 30), _file("1", "05-x-1.ipynb", 10), _file("2", "05-x.ipynb", 0)]
    choice = choose(files, "05-x.ipynb")
    assert {user: f.file for user, f in choice.kept.items()} == {"1": "05-x-1.ipynb", "2": "05-x.ipynb"}
    assert choice.left_out == ["1/05-x.ipynb"]
    assert "also uploaded, not graded: 05-x.ipynb" in " ".join(choice.notes["1"])
    assert all("shares the name 'smithjohn'" in " ".join(choice.notes[u]) for u in ("1", "2"))
    by_time = choose([_file("3", "Untitled.ipynb", 50), _file("3", "05-x.ipynb", 5)], "05-x.ipynb")
    assert by_time.kept["3"].file == "05-x.ipynb"  # the lesson's own notebook before any other


def test_two_different_notebooks_nothing_orders_are_refused_naming_both_and_the_same_one_twice_is_not():
    twins = [_file("1", "05-x.ipynb", 0), LmsFile("1/again/05-x.ipynb", "canvas", "1", "smithjohn", "05-x.ipynb",
                                                   when=datetime(2026, 12, 1, 9, 0))]
    with pytest.raises(RefusedInput, match=r"learner 1 uploaded different notebooks .*: 1/05-x.ipynb, "
                                           r"1/again/05-x.ipynb; keep one and zip again"):
        choose(twins, "05-x.ipynb", same={"1/05-x.ipynb": b"a", "1/again/05-x.ipynb": b"b"})
    assert choose(twins, "05-x.ipynb", same={"1/05-x.ipynb": b"a", "1/again/05-x.ipynb": b"a"}).kept["1"]
    with pytest.raises(RefusedInput, match="id 1 names a Canvas and a Moodle learner"):
        choose([_file("1", "05-x.ipynb", 0), _file("1", "05-x.ipynb", 1, lms="moodle")], "05-x.ipynb")
    assert set(choose([_file("1", "05-x.ipynb", 0), _file("2", "05-x.ipynb", 0, lms="moodle")], "05-x.ipynb").kept) \
        == {"1", "2"}


# --- graded for real ---------------------------------------------------------------------------------

def test_namesakes_and_a_double_upload_are_graded_by_canvas_id_where_they_made_autograde_exit_1(toy, tmp_path):
    archive = _zip(tmp_path / "canvas.zip", [
        ("smithjohn_20001_99001_00-toy.ipynb", (2026, 12, 1, 9, 0, 0), _notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)),
        ("smithjohn_20002_99002_00-toy.ipynb", (2026, 12, 1, 9, 5, 0), _notebook(toy, add=RIGHT_ADD)),
        ("leejo_20003_99003_00-toy.ipynb", (2026, 12, 1, 10, 0, 0), _notebook(toy)),
        ("leejo_LATE_20003_99004_00-toy-1.ipynb", (2026, 12, 2, 8, 0, 0), _notebook(toy, add=RIGHT_ADD)),
        ("smithjohn_20001_99001_report.pdf", (2026, 12, 1, 9, 0, 0), "%PDF"),
    ])
    done = subprocess.run([*COURSE, "autograde", str(archive), "--root", str(toy), "--jobs", "1", "--quiet",
                           "--no-feedback"], capture_output=True, text=True, cwd=toy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("3 submission(s): 3 graded, 0 without a score")
    assert done.stderr == "unmatched (no learner found in its name, not graded): canvas/smithjohn_20001_99001_report.pdf\n"
    assert _sql(toy, "SELECT id, last_name, lms_user_id FROM student") == [
        ("20001", "smithjohn", "20001"), ("20002", "smithjohn", "20002"), ("20003", "leejo", "20003")]
    assert _sql(toy, "SELECT student_id, timestamp FROM submitted_assignment") == [
        ("20001", "2026-12-01 09:00:00.000000"), ("20002", "2026-12-01 09:05:00.000000"),
        ("20003", "2026-12-02 08:00:00.000000")]  # the resubmission's time: it is the one graded
    totals = {line.split(",")[0]: line for line in (toy / "var" / "grades.csv").read_text().splitlines()
              if line.split(",")[2:3] == [""]}
    assert totals["20003"].split(",")[4] == "1"  # the -1 resubmission (add right), not the blank first upload
    assert "the LMS marked this submission late" in totals["20003"]
    assert "also uploaded, not graded: 00-toy.ipynb" in totals["20003"]
    assert "shares the name 'smithjohn' with LMS id 20002" in totals["20001"]
    assert totals["20003"].endswith(",leejo,,")  # the learner's name as the gradebook has it
    exported = subprocess.run([*COURSE, "export", "canvas", "--root", str(toy)], capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    rows = (toy / "var" / "export" / "canvas.csv").read_text().splitlines()
    assert rows[2:] == ["leejo,20003,,,,1", "smithjohn,20001,,,,3", "smithjohn,20002,,,,1"]


def test_a_moodle_zip_keys_learners_by_participant_id_and_keeps_their_names(toy, tmp_path):
    archive = _zip(tmp_path / "moodle.zip", [
        ("Jo Lee_77_assignsubmission_file_00-toy.ipynb", (2026, 12, 1, 9, 0, 0), _notebook(toy, add=RIGHT_ADD)),
        ("Jo Lee_78_assignsubmission_file_/00-toy.ipynb", (2026, 12, 1, 9, 1, 0), _notebook(toy, shout=RIGHT_SHOUT)),
    ])
    result = cohort.autograde_cohort(archive, toy, jobs=1, feedback=False)
    assert {g.student: g.score for g in result.grades} == {"77": 1, "78": 2}
    assert _sql(toy, "SELECT id, first_name, last_name, lms_user_id FROM student") == [
        ("77", "Jo", "Lee", "77"), ("78", "Jo", "Lee", "78")]
    for given in (archive, None):  # the zip, then var/submitted/ alone: what the zip said is kept beside each copy
        learners = {s.student: s for s in gather(given, toy).submissions}
        assert learners["78"].learner is not None and learners["78"].learner.name == "Jo Lee"
        assert learners["78"].submitted_at == datetime(2026, 12, 1, 9, 1) and not learners["78"].late
        assert learners["78"].lms_file == "Jo Lee_78_assignsubmission_file_/00-toy.ipynb"
        assert learners["77"].lms_file == "Jo Lee_77_assignsubmission_file_00-toy.ipynb"


def test_a_double_upload_nothing_can_order_stops_in_one_line_naming_the_files_and_grades_nothing(toy, tmp_path):
    same_time = (2026, 12, 1, 9, 0, 0)
    archive = _zip(tmp_path / "twice.zip", [
        ("smithjohn_20001_99001_00-toy.ipynb", same_time, _notebook(toy, add=RIGHT_ADD)),
        ("smithjohn_20001_99001_Untitled.ipynb", same_time, _notebook(toy, shout=RIGHT_SHOUT)),
        ("smithjohn_20001_99001_00-toy copy.ipynb", same_time, _notebook(toy)),
        ("leejo_20003_99003_00-toy.ipynb", same_time, _notebook(toy)),
        ("leejo_20003_99005_00-toy.ipynb", same_time, _notebook(toy, add=RIGHT_ADD)),
    ])
    done = subprocess.run([*COURSE, "autograde", str(archive), "--root", str(toy), "--lesson", LESSON, "--quiet"],
                          capture_output=True, text=True, cwd=toy)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert "learner 20003 uploaded different notebooks" in done.stderr
    assert "leejo_20003_99003_00-toy.ipynb, leejo_20003_99005_00-toy.ipynb" in done.stderr
    assert not (toy / "var" / "gradebook.db").exists() and not (toy / "var" / "submitted").exists()


def test_autograde_help_says_which_file_names_it_understands():
    done = subprocess.run([*COURSE, "autograde", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for words in ["lastfirst[_LATE]_<userid>_<submissionid>_<file>", "Full Name_<participantid>_assignsubmission_file_",
                  '"-1", "-2"', "<student>/<NN-slug>/<NN-slug>.ipynb", "docs/lms.md"]:
        assert words in done.stdout, words


def test_a_refusal_from_nbgraders_zip_collect_is_one_line_not_a_silent_exit(toy, tmp_path):
    from autograder.cohort.intake import InputError, _zip_collect
    from course.grading.layout import lessons

    archive = _zip(tmp_path / "dup.zip", [("a.ipynb", (2026, 12, 1, 9, 0, 0), _notebook(toy)),
                                          ("b.ipynb", (2026, 12, 1, 9, 0, 0), _notebook(toy))])
    work = tmp_path / "lms"
    (work / "downloaded" / LESSON / "archive").mkdir(parents=True)
    shutil.copyfile(archive, work / "downloaded" / LESSON / "archive" / "dup.zip")
    both = {name: {"student_id": "1", "file_id": f"{LESSON}.ipynb", "timestamp": ""} for name in ("a.ipynb", "b.ipynb")}
    lesson = next(x for x in lessons(toy) if x.slug == LESSON)
    with pytest.raises(InputError, match=r"zip_collect refused it: Duplicate submission file") as raised:
        _zip_collect(archive, work, LESSON, lesson, both)  # what used to end the run with exit 1 and no word
    assert "\n" not in str(raised.value)
