"""Autograde of the toy course on the trusted path into a real nbgrader gradebook: scores, restored
cells, warnings, feedback, `course check`.

One cohort run (six submissions, one gradebook) serves most tests; `course check` runs twice more.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from toy_course import build_toy_course

from autograder.authoring.edition import build_student_edition
from autograder.authoring.release import release_all
from autograder.cohort import run as cohort
from course.grading import local

LESSON = "00-toy"
PLAUSIBLE_SHOUT = 'def shout(text: str) -> str:\n    """Return text in upper case, ending with \'!\'."""\n    return text.upper()'
RIGHT_ADD = 'def add(a, b):\n    """Return the sum of a and b."""\n    return a + b'
WARNING_ADD = ('import warnings\n\ndef add(a, b):\n    """Return the sum of a and b."""\n'
               '    warnings.warn("add() is deprecated", DeprecationWarning)\n    return a + b')
RIGHT_SHOUT = 'def shout(text: str) -> str:\n    return text.upper() + "!"'
OFFLINE_ADD = ('import os\n\ndef add(a, b):\n    offline = os.environ.get("COURSE_OFFLINE") == "1" and "OPENAI_API_KEY" not in os.environ\n'
               '    return a + b if offline else None')


def _answer(nb, answers: dict[str, str]):
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _drop(nb, *grade_ids: str):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in grade_ids]
    return nb


def _submit(root: Path, student: str, nb) -> None:
    folder = root / "incoming" / student / LESSON
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{LESSON}.ipynb"))


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    root = build_toy_course(tmp_path_factory.mktemp("toy"))
    release_all(root)
    return root


@pytest.fixture(scope="module")
def graded(toy):
    release = nbformat.read(str(toy / "notebooks" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    source = nbformat.read(str(toy / "solutions" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    copy = lambda nb: nbformat.from_dict(nb)  # noqa: E731
    _submit(toy, "solution", copy(source))
    _submit(toy, "release", copy(release))
    _submit(toy, "wrong", _answer(copy(release), {"add": RIGHT_ADD, "shout": PLAUSIBLE_SHOUT}))
    deleted = _drop(_answer(copy(release), {"add": RIGHT_ADD, "shout": RIGHT_SHOUT}), "shout_shouts", "check-0_2")
    _submit(toy, "deleted", _answer(deleted, {"add_adds": "pass  # learner edited the test"}))
    _submit(toy, "warns", _answer(copy(release), {"add": WARNING_ADD, "shout": RIGHT_SHOUT}))
    _submit(toy, "offline", _answer(copy(release), {"add": OFFLINE_ADD, "shout": RIGHT_SHOUT}))
    saved = {name: os.environ.get(name) for name in ("COURSE_OFFLINE", "OPENAI_API_KEY")}
    os.environ.update(COURSE_OFFLINE="0", OPENAI_API_KEY="sk-not-a-real-key")  # as on an instructor's laptop
    try:
        result = cohort.autograde_cohort(toy / "incoming", toy)
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    assert not result.failures, result.failures
    return {g.student: g for g in result.grades}


def test_the_solution_scores_full_marks_under_trusted_autograde(graded):
    grade = graded["solution"]
    assert [c.grade_id for c in grade.cells] == ["add_adds", "shout_shouts"]
    assert (grade.score, grade.max_score) == (3, 3)


def test_the_release_scores_zero_on_every_graded_cell(graded):
    grade = graded["release"]
    assert all(c.score == 0 for c in grade.cells) and grade.max_score == 3
    assert all("not implemented yet" in c.message for c in grade.cells)


def test_a_wrong_but_plausible_answer_loses_the_points_of_its_hidden_test(graded):
    grade = graded["wrong"]
    assert grade.cell("add_adds").passed
    shout = grade.cell("shout_shouts")
    assert shout.score == 0
    assert shout.message == "AssertionError: shout('hi') returned 'HI': it should end with '!'"


def test_deleted_and_edited_test_cells_are_restored_from_the_source(graded, toy):
    grade = graded["deleted"]
    assert (grade.score, grade.max_score) == (3, 3)
    assert grade.cell("shout_shouts").restored
    autograded = (toy / "var" / "autograded" / "deleted" / LESSON / f"{LESSON}.ipynb").read_text()
    assert "learner edited the test" not in autograded


def test_a_deprecation_warning_in_learner_code_costs_no_points(graded):
    grade = graded["warns"]  # plain nbgrader gives 0 to a test cell that writes to stderr; the trusted path does not
    assert grade.cell("add_adds").passed and grade.cell("shout_shouts").passed


def test_kernels_grade_offline_and_without_real_model_credentials(graded):
    assert graded["offline"].cell("add_adds").passed
    assert os.environ.get("OPENAI_API_KEY") is None


def test_grades_are_written_to_a_csv(graded, toy):
    rows = (toy / "var" / "grades.csv").read_text().splitlines()
    assert rows[0] == "student,lesson,grade_id,status,score,max_score,message,seed,name,late_penalty,integrity"
    assert len(rows) == 1 + 6 * (1 + 2)  # per learner and lesson: the total, then one row per test
    seed = os.environ["COURSE_GRADING_SEED"]  # tests/conftest.py pins it: each row carries the grading's seed
    assert f"wrong,00-toy,shout_shouts,failed,0,2,shout('hi') returned 'HI': it should end with '!',{seed},,," in rows  # no name, penalty or flag


def test_feedback_shows_the_failure_message_but_not_the_hidden_test_source(graded, toy):
    feedback = (toy / "var" / "feedback" / "wrong" / LESSON / f"{LESSON}.html").read_text()
    autograded = (toy / "var" / "autograded" / "wrong" / LESSON / f"{LESSON}.ipynb").read_text()
    assert "it should end with" in feedback and "it should end with" in autograded
    named = "<a href=\"#shout_shouts\">Check that shout upper-cases the text and ends it with '!'.</a>"
    assert ">Test cell<" not in feedback and named in feedback  # named by behaviour: its docstring's sentence
    for secret in ("autograder.hidden", "BEGIN HIDDEN TESTS", "toy-hidden-secret", "nb00.py", "hidden(&quot;"):
        assert secret not in feedback, secret
        assert secret not in autograded, secret


def test_course_check_grades_a_learners_notebook_without_modifying_it(toy, tmp_path):
    release = nbformat.read(str(toy / "notebooks" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    path = tmp_path / f"{LESSON}.ipynb"
    nbformat.write(_answer(release, {"add": RIGHT_ADD, "shout": PLAUSIBLE_SHOUT}), str(path))
    before = path.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    assert local.run(path, toy, out=out, err=err) == 0
    text = out.getvalue()
    assert "✅ add_adds" in text and "1 / 1" in text
    assert "❌ shout_shouts" in text and "it should end with '!'" in text
    assert "Score: 1 / 3" in text
    assert "autograder" not in text and "toy-hidden-secret" not in text
    assert path.read_bytes() == before


def test_course_check_without_hidden_tests_runs_the_visible_checks_and_says_so(toy, tmp_path):
    edition = build_student_edition(tmp_path / "edition", toy)
    path = edition / "notebooks" / LESSON / f"{LESSON}.ipynb"
    nbformat.write(_answer(nbformat.read(str(path), as_version=4), {"add": RIGHT_ADD}), str(path))
    before = path.read_bytes()
    out = io.StringIO()
    assert local.run(path, edition, out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert "hidden tests are not available" in text
    assert "✅ 0.1 passed" in text and "⏳ 0.2 todo" in text
    assert path.read_bytes() == before
    shutil.rmtree(edition)


def test_course_check_on_a_notebook_saved_outside_its_folder_still_starts_from_its_stage_or_says_why_first(toy, tmp_path):
    edition = build_student_edition(tmp_path / "edition", toy)
    moved = tmp_path / "elsewhere" / "01-next.ipynb"  # lesson 01-next starts with `from stage_00 import *`
    moved.parent.mkdir()
    shutil.copy(edition / "notebooks" / "01-next" / "01-next.ipynb", moved)
    out = io.StringIO()
    assert local.run(moved, edition, out=out, err=io.StringIO()) == 0
    assert "ModuleNotFoundError" not in out.getvalue() and "cause:" not in out.getvalue()
    (edition / "notebooks" / "01-next" / "stage_00.py").unlink()  # the stage is nowhere to be found
    out = io.StringIO()
    assert local.run(moved, edition, out=out, err=io.StringIO()) == 0
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("  cause: ModuleNotFoundError") and "stage_00" in lines[1], lines[:3]
    assert "keep the notebook in its lesson's folder" in lines[1]


def test_plain_nbgrader_autograde_still_works_running_the_same_tests_in_the_kernel(toy):
    """For instructors who want nbgrader's own autograde (it trusts the submission: tests run in its kernel)."""
    from autograder.grade.scratch import ScratchCourse
    from autograder.gradebook import nbgrader_run
    from autograder.gradebook.results import read_grades
    from course.grading.layout import find_lesson

    with ScratchCourse(find_lesson(LESSON, toy)) as course:
        release = nbformat.read(str(course.release), as_version=4)
        for student, nb in [("right", _answer(nbformat.from_dict(release), {"add": RIGHT_ADD, "shout": RIGHT_SHOUT})),
                            ("plausible", _answer(nbformat.from_dict(release), {"shout": PLAUSIBLE_SHOUT}))]:
            folder = course.root / "var" / "submitted" / student / LESSON
            folder.mkdir(parents=True)
            nbformat.write(nb, str(folder / f"{LESSON}.ipynb"))
        nbgrader_run.autograde(course.root, LESSON, gradebook=course.gradebook)
        right = read_grades(course.root, LESSON, "right", gradebook=course.gradebook)
        plausible = read_grades(course.root, LESSON, "plausible", gradebook=course.gradebook)
    assert (right.score, right.max_score) == (3, 3)
    assert plausible.score == 0 and "it should end with '!'" in plausible.cell("shout_shouts").message
