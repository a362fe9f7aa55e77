"""Feedback back to the LMS: `feedback_zip` names each learner's page as Canvas's "Re-Upload Submissions" and Moodle's
"Upload multiple feedback files in a zip" read it, and lists every learner it leaves out.

A course root is laid out by hand as `course autograde` and intake leave it (var/feedback/ pages, lms.json beside
each submission); nothing is graded. Each name is checked with the LMS's own rule (autograder.cohort.feedback_zip
cites them): Canvas takes the first two all-digit `_` parts as the user id and the id of the learner's file,
Moodle splits at the first four `_` into full name, participant id, plugin type, plugin name and file name.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest
import test_grading_cohort
from test_grading_cohort import RIGHT_ADD, RIGHT_SHOUT, _notebook

from autograder.cohort import run as cohort
from autograder.cohort.feedback_zip import FeedbackZipError, feedback_zip

built, toy = test_grading_cohort.built, test_grading_cohort.toy  # fixtures: a fresh copy of the toy course per test

LESSON = "00-toy"
LEARNERS = {  # student -> lms.json as intake writes it (None: not from an LMS zip)
    "20001": {"lms": "canvas", "lms_id": "20001", "name": "smithjohn", "late": True,
              "file": "smithjohn_LATE_20001_99187_00-toy-1.ipynb"},
    "20002": {"lms": "canvas", "lms_id": "20002", "name": "leejo", "late": False,
              "file": "submissions/leejo_20002_99188_00-toy.ipynb"},
    "77": {"lms": "moodle", "lms_id": "77", "name": "Jo Lee", "late": False,
           "file": "Jo Lee_77_assignsubmission_file_/00-toy.ipynb"},
    "78": {"lms": "moodle", "lms_id": "78", "name": "José Núñez", "late": False,
           "file": "José Núñez_78_assignsubmission_file_00-toy.ipynb"},
    "maya": None,
    "20003": {"lms": "canvas", "lms_id": "20003", "name": "doeann", "late": False,
              "file": "doeann_20099_99189_00-toy.ipynb"},  # the file is another learner's
}


def _course(root: Path, *, without_page: tuple[str, ...] = ("20002",)) -> Path:
    for student, said in LEARNERS.items():
        submitted = root / "var" / "submitted" / student / LESSON
        submitted.mkdir(parents=True)
        (submitted / f"{LESSON}.ipynb").write_text("{}")
        if said is not None:
            (submitted / "lms.json").write_text(json.dumps(said))
        if student not in without_page:
            page = root / "var" / "feedback" / student / LESSON / f"{LESSON}.html"
            page.parent.mkdir(parents=True)
            page.write_text(f"<html>feedback of {student}</html>", encoding="utf-8")
    return root


def _read(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_canvas_gets_each_page_under_the_downloaded_prefix_and_the_rest_are_listed(tmp_path):
    root = _course(tmp_path)
    path, left_out = feedback_zip(root, LESSON, "canvas")
    assert path == root / "var" / "export" / f"feedback-{LESSON}-canvas.zip"
    assert _read(path) == {"smithjohn_LATE_20001_99187_00-toy-feedback.html": "<html>feedback of 20001</html>"}
    for name in _read(path):  # Canvas's reading: the user id, then the id of that user's submitted file
        assert [part for part in name.split("_") if part.isdigit()][:2] == ["20001", "99187"]
    reasons = dict(line.split(": ", 1) for line in left_out)
    assert sorted(reasons) == ["20002", "20003", "77", "78", "maya"]
    assert "no feedback page" in reasons["20002"] and "not from an LMS zip" not in reasons["20002"]
    assert reasons["77"] == reasons["78"] == "from moodle, not canvas"
    assert "did not come from an LMS zip" in reasons["maya"] and "20003" in reasons["20003"]
    assert all("\n" not in line for line in left_out)


def test_moodle_gets_each_page_under_its_participant_prefix(tmp_path):
    root = _course(tmp_path, without_page=())
    path, left_out = feedback_zip(root, LESSON, "moodle", to=tmp_path / "out" / "moodle.zip")
    assert path == tmp_path / "out" / "moodle.zip"
    pages = _read(path)
    assert pages == {"Jo Lee_77_assignsubmission_file_00-toy-feedback.html": "<html>feedback of 77</html>",
                     "José Núñez_78_assignsubmission_file_00-toy-feedback.html": "<html>feedback of 78</html>"}
    for name in pages:  # Moodle's reading: full name, participant id, plugin type, plugin name, the file's own name
        full_name, participant, kind, plugin, own = name.split("_", 4)
        assert (kind, plugin, own) == ("assignsubmission", "file", f"{LESSON}-feedback.html")
        assert LEARNERS[participant]["name"] == full_name  # type: ignore[index]
    assert sorted(line.split(":")[0] for line in left_out) == ["20001", "20002", "20003", "maya"]


def test_a_new_zip_replaces_the_old_one_whole_and_leaves_nothing_beside_it(tmp_path):
    root = _course(tmp_path)
    target = root / "var" / "export" / f"feedback-{LESSON}-canvas.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"the previous export")
    feedback_zip(root, LESSON, "canvas")
    assert len(_read(target)) == 1 and sorted(p.name for p in target.parent.iterdir()) == [target.name]
    (root / "var" / "feedback" / "20001" / LESSON / f"{LESSON}.html").unlink()
    with pytest.raises(FeedbackZipError):
        feedback_zip(root, LESSON, "canvas")  # nobody left for Canvas: refused, the zip already there is kept
    assert len(_read(target)) == 1 and sorted(p.name for p in target.parent.iterdir()) == [target.name]


@pytest.mark.parametrize(("lesson", "lms", "words"), [
    (LESSON, "blackboard", "unknown LMS 'blackboard': give canvas or moodle"),
    ("01-next", "canvas", "no feedback for lesson 01-next"),
    ("../00-toy", "canvas", "is not a lesson name"),
])
def test_what_cannot_be_exported_is_one_line_saying_what_to_do(tmp_path, lesson, lms, words):
    with pytest.raises(FeedbackZipError) as raised:
        feedback_zip(_course(tmp_path), lesson, lms)
    assert isinstance(raised.value, ValueError) and words in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "var" / "export").exists()


def test_learners_graded_from_an_lms_zip_get_their_own_feedback_page_back(toy, tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"smithjohn_LATE_20001_99187_{LESSON}-1.ipynb", nbformat.writes(_notebook(toy, add=RIGHT_ADD)))
        zipped.writestr(f"Jo Lee_77_assignsubmission_file_/{LESSON}.ipynb",
                        nbformat.writes(_notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)))
    result = cohort.autograde_cohort(archive, toy, jobs=1)
    assert not result.failures and {g.student: g.score for g in result.grades} == {"20001": 1, "77": 3}
    canvas, left_out = feedback_zip(toy, LESSON, "canvas")
    assert left_out == ["77: from moodle, not canvas"]
    page = _read(canvas)[f"smithjohn_LATE_20001_99187_{LESSON}-feedback.html"]
    assert page == (toy / "var" / "feedback" / "20001" / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    assert "(Score: 1.0 / 3.0)" in page
    moodle, _ = feedback_zip(toy, LESSON, "moodle")
    assert "(Score: 3.0 / 3.0)" in _read(moodle)[f"Jo Lee_77_assignsubmission_file_{LESSON}-feedback.html"]
