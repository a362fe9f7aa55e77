"""A term's deadlines: a due date per lesson, extensions per learner, a late policy, shown in every output.

The policy's arithmetic is checked on its own; then a Canvas zip of the toy course (tests/toy_course.py)
is graded with the real `course term` and `course autograde` commands, and grades.csv, the feedback
page, both exports and nbgrader's own fields are read back as an instructor and the LMS would.
"""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import datetime, timedelta

import pytest
from test_lms_intake import COURSE, LESSON, RIGHT_ADD, RIGHT_SHOUT, _notebook, _sql, _zip

from autograder.cohort.term import parse_due, parse_length, parse_policy
from autograder.gradebook.deadlines import DAY, CourseLatePolicy, LatePolicy, open_gradebook

HOUR = 3600.0


def test_the_policies_cost_what_they_say_and_never_more_than_the_score():
    per_day = LatePolicy("per-day", 10, percent=True)
    assert per_day.penalty(20, 24, 0) == 0 and per_day.penalty(20, 24, -5) == 0
    assert per_day.penalty(20, 24, 1) == 2.4          # a started day counts
    assert per_day.penalty(20, 24, DAY + HOUR) == 4.8  # two started days
    assert per_day.penalty(3, 24, 9 * DAY) == 3        # never below 0
    assert LatePolicy("fixed", 2).penalty(20, 24, 5 * DAY) == 2
    assert LatePolicy("zero").penalty(17, 24, 1) == 17
    assert LatePolicy().penalty(17, 24, 9 * DAY) == 0
    assert "10% off per day late" in per_day.describe()


@pytest.mark.parametrize(("method", "amount", "said"), [
    ("per-day", None, "needs an amount"), ("fixed", "-1", "above 0"), ("fixed", "two", "not an amount"),
    ("zero", "2", "takes no amount"), ("per-day", "150%", "at most 100%"),
])
def test_a_policy_that_makes_no_sense_is_refused_with_what_to_give(method, amount, said):
    with pytest.raises(ValueError, match=said):
        parse_policy(method, amount)


def test_dates_and_lengths_are_read_as_an_instructor_writes_them():
    assert parse_due("2027-02-01") == datetime(2027, 2, 1, 23, 59, 59)  # a date alone: the end of that day
    assert parse_due("2027-02-01 09:30") == datetime(2027, 2, 1, 9, 30)
    assert parse_due("2027-02-01T09:30+01:00") == datetime(2027, 2, 1, 8, 30)  # as nbgrader stores it: UTC
    assert parse_due("none") is None
    assert parse_length("1d12h") == timedelta(days=1, hours=12) and parse_length("90m") == timedelta(minutes=90)
    assert parse_length("0") == timedelta(0)
    for bad, parse in (("next friday", parse_due), ("2 days", parse_length), ("3x", parse_length)):
        with pytest.raises(ValueError, match="give"):
            parse(bad)


def _term(toy, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COURSE, "term", "--root", str(toy), *args], capture_output=True, text=True)


def _totals(toy) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO((toy / "var" / "grades.csv").read_text(encoding="utf-8")))
    return {row["student"]: row for row in rows if not row["grade_id"]}


def _autograde(toy, *more: str) -> str:
    done = subprocess.run([*COURSE, "autograde", *more, "--root", str(toy), "--jobs", "1", "--quiet"],
                          capture_output=True, text=True, cwd=toy)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_late_submission_pays_the_policy_an_extension_spares_it_and_every_output_shows_it(toy, tmp_path):
    archive = _zip(tmp_path / "canvas.zip", [
        ("ontime_20001_99001_00-toy.ipynb", (2026, 12, 1, 11, 0, 0), _notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)),
        ("late_LATE_20002_99002_00-toy.ipynb", (2026, 12, 2, 14, 0, 0), _notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)),
        ("extended_LATE_20003_99003_00-toy.ipynb", (2026, 12, 2, 14, 0, 0), _notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)),
    ])
    for change in (["due", LESSON, "2026-12-01 12:00"], ["late", "per-day", "1"], ["extend", "20003", LESSON, "2d"]):
        done = _term(toy, *change)
        assert done.returncode == 0, done.stderr
    shown = _term(toy)
    assert "late policy: 1 point(s) off per day late" in shown.stdout
    assert f"{LESSON}" in shown.stdout and "due 2026-12-01 12:00" in shown.stdout
    assert "extension: 20003 on 00-toy: 2 day(s) later" in shown.stdout

    _autograde(toy, str(archive))
    totals = _totals(toy)  # full marks are 3; 20002 is 1 day 2 h late: two started days, 2 points
    assert (totals["20001"]["score"], totals["20001"]["late_penalty"]) == ("3", "")
    assert (totals["20002"]["score"], totals["20002"]["late_penalty"]) == ("1", "2")
    assert "handed in 1 day(s) 2 h late (due 2026-12-01 12:00): -2 point(s)" in totals["20002"]["message"]
    assert (totals["20003"]["score"], totals["20003"]["late_penalty"]) == ("3", "")  # within its extension
    assert _sql(toy, "SELECT a.student_id, n.late_submission_penalty FROM submitted_notebook n "
                     "JOIN submitted_assignment a ON n.assignment_id = a.id") == [
        ("20001", None), ("20002", 2.0), ("20003", None)]  # nbgrader's own field: formgrader and its export read it
    page = (toy / "var" / "feedback" / "20002" / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    assert "Late submission penalty (Score: -2.0)" in page and "Score: 1.0 / 3.0" in page
    report = (toy / "var" / "report.html").read_text(encoding="utf-8")
    assert "<tr><td>late (20002)</td><td>1 / 3</td><td>33</td><td>2 of 2</td><td></td><td>-2</td></tr>" in report
    assert subprocess.run([*COURSE, "export", "canvas", "--root", str(toy)]).returncode == 0
    canvas = (toy / "var" / "export" / "canvas.csv").read_text().splitlines()
    assert canvas[2:] == ["extended,20003,,,,3", "late,20002,,,,1", "ontime,20001,,,,3"]
    assert subprocess.run([*COURSE, "export", "csv", "--root", str(toy)]).returncode == 0
    plain = {r["student"]: r for r in csv.DictReader(io.StringIO((toy / "var" / "export" / "csv.csv").read_text()))}
    assert (plain["20002"]["score"], plain["20002"]["late_penalty"], plain["20002"]["submitted_at"]) == (
        "1", "2", "2026-12-02 14:00:00")

    # the policy changes: a run that grades nothing applies it to the gradebook, grades.csv and the feedback
    assert _term(toy, "late", "none").returncode == 0
    assert "(0 graded now, 3 unchanged" in _autograde(toy)
    assert subprocess.run([*COURSE, "export", "canvas", "--root", str(toy)]).returncode == 0
    assert "late,20002,,,,3" in (toy / "var" / "export" / "canvas.csv").read_text()
    assert (_totals(toy)["20002"]["score"], _totals(toy)["20002"]["late_penalty"]) == ("3", "")
    assert "handed in 1 day(s) 2 h late (due 2026-12-01 12:00): no penalty" in _totals(toy)["20002"]["message"]
    page = (toy / "var" / "feedback" / "20002" / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    assert "Late submission penalty" not in page and "Score: 3.0 / 3.0" in page

    # a regrade from var/submitted alone keeps the time the zip gave: the penalty comes back with the policy
    assert _term(toy, "late", "fixed", "50%").returncode == 0
    _autograde(toy, "--force")
    assert (_totals(toy)["20002"]["score"], _totals(toy)["20002"]["late_penalty"]) == ("1.5", "1.5")


def test_nbgraders_own_autograde_uses_the_same_policy(toy):
    from nbgrader.preprocessors import AssignLatePenalties

    assert _term(toy, "late", "per-day", "1").returncode == 0
    with open_gradebook(toy / "var" / "gradebook.db") as gb:
        gb.update_or_create_assignment(LESSON)
        step = AssignLatePenalties(plugin_class=CourseLatePolicy)
        step.gradebook, step.assignment_id = gb, LESSON  # what nbgrader sets before it asks the plugin
        step.init_plugin()
        assert step.plugin_inst.late_submission_penalty("20002", 3.0, DAY + 1) == 2  # two started days
        assert step.plugin_inst.late_submission_penalty("20002", 3.0, 0) is None


def test_bad_term_changes_are_refused_in_one_line_and_change_nothing(toy):
    for change, said in ((["due", "99-nope", "2027-01-01"], "not a lesson"),
                         (["due", LESSON, "soon"], "not a date"),
                         (["extend", "20001", LESSON, "forever"], "not a length"),
                         (["late", "per-day"], "needs an amount")):
        done = _term(toy, *change)
        assert done.returncode == 2 and said in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert "late policy: no penalty" in _term(toy).stdout


def test_a_reader_that_leaves_early_loses_no_change_and_sees_no_traceback(toy):
    reader = subprocess.Popen([*COURSE, "term", "--root", str(toy), "late", "fixed", "1"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # as `| head -0` would: the first line printed meets a closed pipe
    assert reader.wait(timeout=120) in (0, 141)
    assert "Traceback" not in reader.stderr.read().decode()
    assert "late policy: 1 point(s) off a late submission" in _term(toy).stdout
