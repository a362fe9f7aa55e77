"""A term's round trip, as an instructor runs it with the real commands, on lesson 01's real notebooks.

A Canvas class: two learners sharing a name, a double upload, a late hand-in within its extension and one
without, a copied notebook and the reference stage pasted in; roster, deadlines, grading, a score set by
hand then a regrade, the integrity report, the Canvas gradebook import and the feedback zip, each checked
field by field. Then a Moodle class of its own, through Moodle's participants, grades import and feedback.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_lms_intake import _zip
from test_term import _totals

from course.grading.layout import REPO_ROOT, find_lesson
from course.grading.stagecode import MARKER

SLUG = "01-natural-language-to-tool-calls"
LESSON = find_lesson(SLUG)
COURSE = [str(Path(sys.executable).parent / "course")]
CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,01-natural-language-to-tool-calls (4411)
    Points Possible,,,,,22.00
"Smith, John",20001,S-1001,jsmith,Section A,
"Smith, John",20002,S-1002,jsmith2,Section B,
"Lee, Jo",20003,S-1003,jlee,Section A,
"Park, Kim",20004,S-1004,kpark,Section B,
"Copy, Cat",20005,S-1005,ccopy,Section A,
"Paste, Pat",20006,S-1006,ppaste,Section B,
"""
MOODLE_ROSTER = """First name,Last name,ID number,Email address
Ana,Ruiz,M-01,ana.ruiz@example.edu
Ben,Okafor,M-02,ben.okafor@example.edu
"""


def _course(tmp: Path) -> Path:
    """A course of one lesson, lesson 01 as the repository has it, with no gradebook yet."""
    root = tmp / "course"
    for part in ("solutions", "notebooks"):
        shutil.copytree(REPO_ROOT / part / SLUG, root / part / SLUG)
    shutil.copytree(REPO_ROOT / "stages", root / "stages")
    return root


def _notebook(answers: str = "solution") -> bytes:
    """The release with its answer cells: the reference's (markers gone), the blank stubs, or the stage pasted."""
    source = nbformat.read(str(LESSON.source), as_version=4)
    reference = {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source) for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(str(REPO_ROOT / "notebooks" / SLUG / f"{SLUG}.ipynb"), as_version=4)
    first = True
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in reference and answers == "solution":
            cell.source = reference[gid]
        elif gid in reference and answers == "stage":  # the next lesson's given stage, pasted whole
            cell.source = (REPO_ROOT / "stages" / "stage_01.py").read_text(encoding="utf-8") if first else "pass"
            first = False
    return nbformat.writes(nb).encode()


def _run(root: Path, *args: str) -> str:
    done = subprocess.run([*COURSE, *args[:1], "--root", str(root), *args[1:]], capture_output=True, text=True,
                          cwd=root, timeout=900)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def canvas(tmp_path_factory) -> Path:
    """The Canvas class, graded once: roster, deadlines, the zip, a score set by hand, that learner regraded."""
    tmp = tmp_path_factory.mktemp("canvas")
    root = _course(tmp)
    (tmp / "roster.csv").write_text(CANVAS_ROSTER, encoding="utf-8")
    right, blank, stage = _notebook(), _notebook("blank"), _notebook("stage")
    archive = _zip(tmp / "submissions.zip", [
        (f"smithjohn_20001_99001_{SLUG}.ipynb", (2026, 12, 1, 9, 0, 0), right),
        (f"smithjohn_20002_99002_{SLUG}.ipynb", (2026, 12, 1, 9, 5, 0), blank),                 # same name, other id
        (f"leejo_20003_99003_{SLUG}.ipynb", (2026, 12, 1, 10, 0, 0), blank),                    # a double upload:
        (f"leejo_LATE_20003_99004_{SLUG}-1.ipynb", (2026, 12, 2, 14, 0, 0), right),             # ...the latest counts
        (f"parkkim_LATE_20004_99005_{SLUG}.ipynb", (2026, 12, 2, 14, 0, 0), right),             # late, no extension
        (f"copycat_20005_99006_{SLUG}.ipynb", (2026, 12, 1, 11, 0, 0), right),                  # 20001's, copied
        (f"pastepat_20006_99007_{SLUG}.ipynb", (2026, 12, 1, 11, 30, 0), stage),                # stage_01 pasted
    ])
    _run(root, "roster", "import", str(tmp / "roster.csv"))
    _run(root, "term", "due", SLUG, "2026-12-01 12:00")
    _run(root, "term", "late", "per-day", "10%")
    _run(root, "term", "extend", "20003", SLUG, "2d")
    _run(root, "autograde", str(archive), "--jobs", "2", "--quiet")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'var' / 'gradebook.db'}", "twelve-factor-agents") as gb:  # as formgrader does
        notebook = gb.find_submission_notebook(SLUG, SLUG, "20002")
        first = sorted(notebook.grades, key=lambda g: g.name)[0]
        first.manual_score = first.max_score
        gb.db.commit()
        (root / "by-hand.txt").write_text(f"{first.name} {first.max_score:g}", encoding="utf-8")
    _run(root, "autograde", "--student", "20002", "--quiet")
    return root


def test_every_canvas_learner_is_graded_under_their_canvas_id_with_the_deadline_applied(canvas):
    totals = _totals(canvas)
    assert set(totals) == {"20001", "20002", "20003", "20004", "20005", "20006"}  # namesakes stay two
    assert {s: totals[s]["name"] for s in ("20001", "20002", "20003")} == {
        "20001": "John Smith", "20002": "John Smith", "20003": "Jo Lee"}  # the roster's names
    assert totals["20001"]["score"] == "22" and totals["20005"]["score"] == "22"
    assert totals["20003"]["score"] == "22" and totals["20003"]["late_penalty"] == ""  # late, within its extension
    assert "also uploaded, not graded" in totals["20003"]["message"]  # the blank first upload, named
    assert (totals["20004"]["score"], totals["20004"]["late_penalty"]) == ("17.6", "4.4")  # 2 started days of 10% of 22
    assert "handed in 1 day(s) 2 h late (due 2026-12-01 12:00): -4.4 point(s)" in totals["20004"]["message"]
    gid, top = (canvas / "by-hand.txt").read_text().split()
    assert totals["20002"]["score"] == top  # a blank hand-in, with the score set by hand kept through its regrade
    by_hand = next(r for r in _csv(canvas / "var" / "grades.csv") if r["student"] == "20002" and r["grade_id"] == gid)
    assert by_hand["status"] == "by-hand"


def test_the_integrity_report_flags_the_copy_and_the_pasted_stage_for_a_person_to_judge(canvas):
    totals = _totals(canvas)
    assert "identical with 20001" in totals["20005"]["integrity"]
    assert "reference-code" in totals["20006"]["integrity"]
    assert totals["20002"]["integrity"] == ""  # a blank hand-in is nobody's copy
    flags = _csv(canvas / "var" / "integrity.csv")
    assert {"student": "20001", "lesson": SLUG, "kind": "identical", "other": "20005"} in [
        {k: f[k] for k in ("student", "lesson", "kind", "other")} for f in flags]
    assert totals["20005"]["score"] == "22"  # flagged, never marked down
    assert "Integrity: hand-ins to look at twice" in (canvas / "var" / "report.html").read_text(encoding="utf-8")


def test_the_canvas_export_is_canvas_s_gradebook_import_field_by_field(canvas):
    _run(canvas, "export", "canvas")
    rows = list(csv.reader(io.StringIO((canvas / "var" / "export" / "canvas.csv").read_text(encoding="utf-8"))))
    _, top = (canvas / "by-hand.txt").read_text().split()
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", SLUG]
    assert rows[1] == ["    Points Possible", "", "", "", "", "22"]
    assert rows[2:] == [
        ["Copy, Cat", "20005", "S-1005", "ccopy", "Section A", "22"],
        ["Lee, Jo", "20003", "S-1003", "jlee", "Section A", "22"],
        ["Park, Kim", "20004", "S-1004", "kpark", "Section B", "17.6"],
        ["Paste, Pat", "20006", "S-1006", "ppaste", "Section B", "22"],
        ["Smith, John", "20001", "S-1001", "jsmith", "Section A", "22"],
        ["Smith, John", "20002", "S-1002", "jsmith2", "Section B", top],
    ]


def test_the_feedback_zip_names_each_page_as_canvas_downloaded_it(canvas):
    said = _run(canvas, "feedback", "canvas", SLUG)
    with zipfile.ZipFile(canvas / "var" / "export" / f"feedback-{SLUG}-canvas.zip") as zipped:
        names = sorted(zipped.namelist())
        page = zipped.read(f"parkkim_LATE_20004_99005_{SLUG}-feedback.html").decode()
    assert names == sorted(f"{prefix}_{SLUG}-feedback.html" for prefix in (
        "smithjohn_20001_99001", "smithjohn_20002_99002", "leejo_LATE_20003_99004", "parkkim_LATE_20004_99005",
        "copycat_20005_99006", "pastepat_20006_99007"))
    assert "Late submission penalty (Score: -4.4)" in page and "0 learner(s) left out" in said


def test_a_moodle_class_goes_round_through_moodle_s_own_files(tmp_path):
    root = _course(tmp_path)
    (tmp_path / "participants.csv").write_text(MOODLE_ROSTER, encoding="utf-8")
    archive = _zip(tmp_path / "moodle.zip", [
        (f"Ana Ruiz_501_assignsubmission_file_{SLUG}.ipynb", (2026, 12, 1, 9, 0, 0), _notebook()),
        (f"Ben Okafor_502_assignsubmission_file_/{SLUG}.ipynb", (2026, 12, 1, 9, 0, 0), _notebook("blank")),
    ])
    _run(root, "roster", "import", str(tmp_path / "participants.csv"))
    _run(root, "autograde", str(archive), "--jobs", "2", "--quiet")
    _run(root, "export", "moodle")
    rows = list(csv.reader(io.StringIO((root / "var" / "export" / "moodle.csv").read_text(encoding="utf-8"))))
    assert rows == [["First name", "Last name", "Email address", SLUG],
                    ["Ben", "Okafor", "ben.okafor@example.edu", "0"],
                    ["Ana", "Ruiz", "ana.ruiz@example.edu", "22"]]
    _run(root, "export", "moodle", "--key", "idnumber")
    assert (root / "var" / "export" / "moodle.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "Ben,Okafor,M-02,0", "Ana,Ruiz,M-01,22"]
    _run(root, "feedback", "moodle", SLUG)
    with zipfile.ZipFile(root / "var" / "export" / f"feedback-{SLUG}-moodle.zip") as zipped:
        assert sorted(zipped.namelist()) == [f"Ana Ruiz_501_assignsubmission_file_{SLUG}-feedback.html",
                                             f"Ben Okafor_502_assignsubmission_file_{SLUG}-feedback.html"]
