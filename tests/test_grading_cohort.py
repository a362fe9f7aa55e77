"""A class graded at once: LMS zips, parallel jobs into one gradebook, resume after a kill, re-runs, Dask.

Small cohorts of the toy lesson (tests/toy_course.py: `add` is 1 point, `shout` 2), each run in a
course of its own (a copy of one built toy course), so the runs cannot see each other's gradebooks.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from attacks import FORK_BOMB, KILLERS, REPLACERS, gradebook_writer
from toy_course import build_toy_course

from autograder.authoring.release import release_all
from autograder.cohort import run as cohort
from autograder.cohort.intake import InputError

LESSON = "00-toy"
RIGHT_ADD = "def add(a, b):\n    return a + b"
RIGHT_SHOUT = "def shout(text):\n    return text.upper() + '!'"
PLAUSIBLE_SHOUT = "def shout(text):\n    return text.upper()"
COURSE = [str(Path(sys.executable).parent / "course")]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = build_toy_course(tmp_path_factory.mktemp("toy"))
    release_all(root)
    return root


@pytest.fixture
def toy(built, tmp_path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("var"))
    return root


def _notebook(toy: Path, *, add: str | None = None, shout: str | None = None, first: str = ""):
    nb = nbformat.read(str(toy / "notebooks" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = {"add": add, "shout": shout}.get(gid) or cell.source
    if first:
        nb.cells.insert(2, nbformat.v4.new_code_cell(first))
    return nb


def _folder(toy: Path, cohort_: dict[str, object]) -> Path:
    incoming = toy / "incoming"
    for student, nb in cohort_.items():
        (incoming / student / LESSON).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(incoming / student / LESSON / f"{LESSON}.ipynb"))
    return incoming


def _mixed(toy: Path, n: int) -> dict[str, object]:
    """n learners: full marks, the plausible shout (1 point) and blank in turn."""
    kinds = [dict(add=RIGHT_ADD, shout=RIGHT_SHOUT), dict(add=RIGHT_ADD, shout=PLAUSIBLE_SHOUT), {}]
    return {f"learner{i:02d}": _notebook(toy, **kinds[i % 3]) for i in range(n)}


EXPECTED = [3.0, 1.0, 0.0]


def _gradebook(toy: Path) -> list[tuple[str, float]]:
    """(student, total auto score) of every submission in the gradebook, read with plain SQL."""
    with sqlite3.connect(toy / "var" / "gradebook.db") as db:
        return sorted(db.execute(
            "SELECT s.student_id, SUM(g.auto_score) FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id "
            "JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.id").fetchall())


# --- input as instructors have it ------------------------------------------------------------------

def test_an_lms_zip_goes_through_zip_collect_and_unmatched_files_are_listed(toy, tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"mayasmith_1042_99187_{LESSON}.ipynb", nbformat.writes(_notebook(toy, add=RIGHT_ADD)))
        zipped.writestr(f"bobjones_late_1043_99188_{LESSON}-1.ipynb",  # Canvas: late, resubmitted
                        nbformat.writes(_notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT)))
        zipped.writestr(f"Jo Lee_77_assignsubmission_file_/{LESSON}.ipynb",  # Moodle: one folder per learner
                        nbformat.writes(_notebook(toy, shout=RIGHT_SHOUT)))
        zipped.writestr("Untitled.ipynb", nbformat.writes(_notebook(toy)))
        zipped.writestr("readme.txt", "from the LMS")
    result = cohort.autograde_cohort(archive, toy, jobs=1, feedback=False)
    assert {g.student: g.score for g in result.grades} == {"1042": 1, "1043": 3, "77": 2}  # keyed by LMS id
    assert sorted(name.rsplit("/", 1)[-1] for name in result.unmatched) == ["Untitled.ipynb", "readme.txt"]
    assert (toy / "var" / "submitted" / "77" / LESSON / f"{LESSON}.ipynb").is_file()
    assert "Untitled.ipynb" in (toy / "var" / "report.html").read_text()
    notes = {row.student: row.reason for row in result.rows}
    assert f"{LESSON}-1.ipynb" in notes["1043"] and "marked this submission late" in notes["1043"]


def test_bad_input_gets_one_line_saying_what_to_do(toy, tmp_path):
    not_zip = tmp_path / "grades.txt"
    not_zip.write_text("not a zip")
    no_lms = tmp_path / "photos.zip"
    with zipfile.ZipFile(no_lms, "w") as zipped:
        zipped.writestr(f"{LESSON}/holiday.ipynb", "{}")
    for given, words in [(tmp_path / "nowhere", "no such file or folder"), (not_zip, "not a zip file"),
                         (no_lms, "not an LMS export")]:
        with pytest.raises(InputError) as raised:
            cohort.autograde_cohort(given, toy)
        assert words in str(raised.value) and "\n" not in str(raised.value)
    with cohort._exclusive(toy / "var" / "grading.lock"):  # another run holds the gradebook
        with pytest.raises(cohort.GradebookBusy, match="another grading run holds"):
            cohort.autograde_cohort(_folder(toy, _mixed(toy, 1)), toy)
    done = subprocess.run([*COURSE, "autograde", str(tmp_path / "nowhere"), "--root", str(toy)],
                          capture_output=True, text=True, cwd=toy)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "no such file or folder" in done.stderr


def test_a_lesson_with_no_source_is_reported_and_its_submissions_counted(toy):
    incoming = _folder(toy, _mixed(toy, 2))
    (incoming / "learner00" / "07-no-such-lesson").mkdir()
    nbformat.write(_notebook(toy), str(incoming / "learner00" / "07-no-such-lesson" / "07-no-such-lesson.ipynb"))
    result = cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False)
    assert len(result.failures) == 1 and "07-no-such-lesson: no lesson has this name" in result.failures[0]
    assert sorted((r.lesson, r.status) for r in result.rows) == [
        ("00-toy", "graded"), ("00-toy", "graded"), ("07-no-such-lesson", "not-graded")]


# --- parallel, into one gradebook ----------------------------------------------------------------

def test_parallel_jobs_grade_into_one_gradebook_and_hostile_learners_cost_their_neighbours_nothing(toy):
    learners = _mixed(toy, 6)
    hostile = {"hostile-gradebook": gradebook_writer(str(toy), databases=[str(toy / "var" / "gradebook.db")]),
               "hostile-exit": KILLERS["os-exit"], "hostile-bomb": FORK_BOMB,
               "hostile-stub": REPLACERS["stub-modules"]}
    learners.update({name: _notebook(toy, first=cell) for name, cell in hostile.items()})
    result = cohort.autograde_cohort(_folder(toy, learners), toy, jobs=2)
    assert not result.failures
    expected = {f"learner{i:02d}": EXPECTED[i % 3] for i in range(6)} | {name: 0.0 for name in hostile}
    assert {g.student: g.score for g in result.grades} == expected
    assert _gradebook(toy) == sorted(expected.items())  # each learner once, with the right total
    rows = (toy / "var" / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(expected) * 3 and len(result.rows) == len(expected)  # count in = count out
    for student in expected:
        assert (toy / "var" / "feedback" / student / LESSON / f"{LESSON}.html").is_file()
    report = (toy / "var" / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 4 and "it should end with" in report


# --- nothing lost, nothing twice ---------------------------------------------------------------------

def _in_background(toy: Path, incoming: Path, *, stderr: int) -> subprocess.Popen[str]:
    """`course autograde --jobs 2` in a process group of its own, its lines unbuffered, to be stopped mid-run."""
    return subprocess.Popen([*COURSE, "autograde", str(incoming), "--root", str(toy), "--jobs", "2", "--no-feedback"],
                            stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=toy,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)


def test_a_batch_killed_in_the_middle_resumes_where_it_stopped(toy):
    incoming = _folder(toy, _mixed(toy, 9))
    run = _in_background(toy, incoming, stderr=subprocess.DEVNULL)
    seen = [run.stdout.readline() for _ in range(2)]  # two submissions recorded...
    os.killpg(run.pid, signal.SIGKILL)                # ...then the whole run is killed
    run.wait()
    run.stdout.close()
    assert all(f"  {LESSON}  " in line for line in seen), seen
    result = cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False)
    assert 2 <= result.resumed < 9 and result.resumed + len(result.graded_now) == 9
    expected = {f"learner{i:02d}": EXPECTED[i % 3] for i in range(9)}
    assert {g.student: g.score for g in result.grades} == expected
    assert _gradebook(toy) == sorted(expected.items())


def test_ctrl_c_stops_a_run_with_a_sentence_and_the_next_run_goes_on(toy):
    incoming = _folder(toy, _mixed(toy, 6))
    run = _in_background(toy, incoming, stderr=subprocess.PIPE)
    seen = run.stdout.readline()                   # one submission recorded...
    os.killpg(run.pid, signal.SIGINT)              # ...then Ctrl-C, as a terminal sends it to the whole group
    _, said = run.communicate(timeout=300)
    assert f"  {LESSON}  " in seen and run.returncode == 130, (seen, said)
    assert "stopped" in said and "Run the same command again" in said and "Traceback" not in said, said
    result = cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False)
    assert 1 <= result.resumed < 6 and result.resumed + len(result.graded_now) == 6
    assert {g.student: g.score for g in result.grades} == {f"learner{i:02d}": EXPECTED[i % 3] for i in range(6)}


def test_student_regrades_one_learner_and_keeps_everyone_elses_verdicts(toy):
    incoming = _folder(toy, _mixed(toy, 3))
    first = cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False)
    scores = {g.student: g.score for g in first.grades}
    for name in ("learner01", "learner02"):  # both change their notebooks to the right answers
        nbformat.write(_notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT), str(incoming / name / LESSON / f"{LESSON}.ipynb"))
    one = cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False, student="learner02")
    assert one.graded_now == [("learner02", LESSON)] and one.resumed == 2
    assert {g.student: g.score for g in one.grades} == {**scores, "learner02": 3}  # learner01 kept, as graded
    assert len((toy / "var" / "grades.csv").read_text().splitlines()) == 1 + 3 * 3  # the whole class, still
    with pytest.raises(cohort.InputError, match="no submission of learner 'nobody'"):
        cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False, student="nobody")


def test_a_score_set_by_hand_survives_a_regrade_and_reaches_grades_csv(toy):
    from nbgrader.api import Gradebook

    incoming = _folder(toy, _mixed(toy, 2))
    cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False)
    with Gradebook(f"sqlite:///{toy / 'var' / 'gradebook.db'}", "twelve-factor-agents") as gb:  # as formgrader does
        notebook = gb.find_submission_notebook(LESSON, LESSON, "learner01")
        lost = next(g for g in notebook.grades if g.auto_score < g.max_score)
        lost.manual_score = lost.max_score
        notebook.comments[0].manual_comment = "Right idea; I checked it by hand."
        gb.db.commit()
        gid, top, answer = lost.name, lost.max_score, notebook.comments[0].name
    again = cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False, student="learner01")
    assert again.graded_now == [("learner01", LESSON)]
    assert {g.student: g.score for g in again.grades}["learner01"] == EXPECTED[1] + top
    with Gradebook(f"sqlite:///{toy / 'var' / 'gradebook.db'}", "twelve-factor-agents") as gb:
        kept = gb.find_grade(gid, LESSON, LESSON, "learner01")
        assert (kept.manual_score, kept.auto_score) == (top, 0)  # the grader's score kept beside the instructor's
        assert gb.find_comment(answer, LESSON, LESSON, "learner01").manual_comment == "Right idea; I checked it by hand."
    rows = {(r[0], r[2]): r for r in csv.reader((toy / "var" / "grades.csv").open()) if r[0] == "learner01"}
    assert rows[("learner01", "")][4] == f"{EXPECTED[1] + top:g}"
    assert rows[("learner01", gid)][3:5] == ["by-hand", f"{top:g}"] and "the grader gave 0" in rows[("learner01", gid)][6]


def test_re_runs_grade_only_what_changed_and_give_identical_scores(toy):
    incoming = _folder(toy, _mixed(toy, 3))
    first = cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False)
    table = (toy / "var" / "grades.csv").read_bytes()
    again = cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False)
    assert len(first.graded_now) == 3 and again.graded_now == [] and again.resumed == 3
    forced = cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False, force=True)
    assert len(forced.graded_now) == 3 and (toy / "var" / "grades.csv").read_bytes() == table
    nbformat.write(_notebook(toy, add=RIGHT_ADD, shout=RIGHT_SHOUT), str(incoming / "learner02" / LESSON / f"{LESSON}.ipynb"))
    changed = cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False)
    assert changed.graded_now == [("learner02", LESSON)]
    assert {g.student: g.score for g in changed.grades} == {"learner00": 3, "learner01": 1, "learner02": 3}
    source = toy / "solutions" / LESSON / f"{LESSON}.ipynb"
    nb = nbformat.read(str(source), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new closing note."))
    nbformat.write(nb, str(source))
    assert len(cohort.autograde_cohort(incoming, toy, jobs=2, feedback=False).graded_now) == 3


# --- past one machine -----------------------------------------------------------------------------

def test_a_dask_cluster_grades_the_jobs_and_this_process_writes_the_gradebook(toy):
    distributed = pytest.importorskip("distributed")
    incoming = _folder(toy, _mixed(toy, 3))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = cohort.autograde_cohort(incoming, toy, scheduler=cluster.scheduler_address, feedback=False)
        ran = cluster.scheduler.task_prefixes.get("grade_job")  # the jobs went through the cluster's scheduler
        assert ran is not None and sum(ran.state_counts.values()) >= 3, list(cluster.scheduler.task_prefixes)
    assert {g.student: g.score for g in result.grades} == {"learner00": 3, "learner01": 1, "learner02": 0}
    assert _gradebook(toy) == [("learner00", 3), ("learner01", 1), ("learner02", 0)]


def test_every_row_of_grades_csv_carries_the_seed_and_seed_grades_again_with_it(toy):
    incoming = _folder(toy, _mixed(toy, 2))
    cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False, seed=4242)
    rows = list(csv.DictReader((toy / "var" / "grades.csv").open(encoding="utf-8")))
    verdict = json.loads((toy / "var" / "autograded" / "learner00" / LESSON / "verdict.json").read_text("utf-8"))
    assert rows and {row["seed"] for row in rows} == {"4242"} and verdict["seed"] == 4242
    assert "drew their inputs from seed 4242" in (toy / "var" / "report.html").read_text()
    cohort.autograde_cohort(incoming, toy, jobs=1, feedback=False, force=True, seed=7)
    assert {row["seed"] for row in csv.DictReader((toy / "var" / "grades.csv").open(encoding="utf-8"))} == {"7"}
    refused = subprocess.run([*COURSE, "autograde", str(incoming), "--root", str(toy), "--seed", "-3"],
                             capture_output=True, text=True, cwd=toy)
    assert refused.returncode == 2 and "is not a seed" in refused.stderr


def test_each_submission_after_the_first_gets_a_worker_started_while_the_one_before_was_graded(toy, monkeypatch):
    from autograder.boundary import warm

    given: list[int] = []
    take = warm.session

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        session = take(*args, **kwargs)
        given.append(session.generation)  # 1: its worker was already started; 0: it starts on its first cell
        return session

    monkeypatch.setattr(warm, "session", recording)
    result = cohort.autograde_cohort(_folder(toy, _mixed(toy, 3)), toy, jobs=1, feedback=False)
    assert len(result.graded_now) == 3
    assert given == [0, 1, 1]
    assert not warm._AHEAD, "the worker started for a submission after the last one outlived the run"
