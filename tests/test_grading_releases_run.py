"""Every real lesson's release, generated fresh from its source, run as a learner runs it and autograded.

A release must run top to bottom: the only errors allowed are the stubs' NotImplementedError
(notebook authors wrap the cells that run exercises in `with needs("N.k"):`, course.grading.demo).
The trusted grader then runs the hidden tests, which must give 0 on every graded cell. And a given
cell never breaks in code the learner did not write: with every exercise answered subtly wrong
(each stub returns None instead of raising), no given cell raises.
The cells run in the grading worker exactly as in the learner's kernel, so one grading run checks
both; it runs the visible-check cells too (`checks=True`), which grading itself skips. Skipped while
solutions/ is empty.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.grade.scratch import ScratchCourse
from course.grading.layout import Lesson, lessons

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


@pytest.fixture(scope="module", params=LESSONS, ids=lambda lesson: lesson.slug)
def graded(request, tmp_path_factory):
    lesson: Lesson = request.param
    course = ScratchCourse(lesson, tmp_path_factory.mktemp(lesson.slug))
    wrong = _returning_none(nbformat.read(str(course.release), as_version=4))
    return {**course.autograde({"release": course.release, "wrong": wrong}, checks=True), "notebook": wrong}


@pytest.fixture(scope="module")
def release(graded):
    return graded["release"]


def _returning_none(nb):  # type: ignore[no-untyped-def]
    """Every exercise answered subtly wrong: a function stub returns None, a class stub gets no fields."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            functions = "def " in cell.source
            cell.source = cell.source.replace("raise NotImplementedError()", "return None" if functions else "pass")
    return nb


def test_no_given_cell_breaks_when_an_exercise_is_wrong(graded):
    given = {cell.metadata.get("nbgrader", {}).get("grade_id", "") for cell in graded["notebook"].cells
             if not (cell.metadata.get("nbgrader", {}).get("solution") or cell.metadata.get("nbgrader", {}).get("grade"))}
    code = [cell for cell in graded["notebook"].cells if cell.cell_type == "code"  # as the worker ran them: no test cells
            and not (cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution"))]
    broken = [f"cell {i} ({(code[i].source.splitlines() or [''])[0][:60]}): {r.error or r.died}"
              for i, r in enumerate(graded["wrong"].verdict.runs) if r.grade_id in given and (r.error or r.died)]
    assert broken == [], "given cells that break on a wrong answer (wrap them in `with needs(...)`):\n" + "\n".join(broken)


def test_the_release_runs_top_to_bottom_with_the_stubs_as_the_only_errors(release):
    runs = release.verdict.runs
    assert [f"cell {i}: {r.error or r.died}" for i, r in enumerate(runs)
            if r.died or (r.error and r.error_type != "NotImplementedError")] == []


def test_the_release_writes_nothing_to_stderr(release):
    assert [f"cell {i}: {r.stderr}" for i, r in enumerate(release.verdict.runs) if r.stderr] == []


def test_the_release_earns_zero_on_every_graded_cell(release):
    assert [c.grade_id for c in release.grade.cells if c.score > 0] == [], "\n".join(release.grade.lines())


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_the_releases_test_cells_show_no_output(lesson):
    """A test cell's visible part (its docstring) must not echo back as Out[]: its last statement is not an expression."""
    import ast

    import nbformat

    nb = nbformat.read(str(lesson.release), as_version=4)
    echoing = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
               and isinstance(ast.parse(c.source).body[-1:][0] if ast.parse(c.source).body else None, ast.Expr)]
    assert echoing == []
