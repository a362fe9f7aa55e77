"""Every real lesson's solution, solutions/NN-slug, under real nbgrader autograde (skipped while there is none).

Each lesson is released and graded in a scratch course (autograder.scratch): the committed
files are never touched. The other per-lesson checks live in their own files, so that
`pytest -n 2 --dist loadfile` spreads them over the workers:
    tests/test_grading_releases_run.py     the release runs top to bottom, earns 0 on every graded cell
    tests/test_grading_wrong_answers.py    each wrong answer in tests/wrong_answers/nbNN.py loses points
    tests/test_grading_sync.py             committed releases and stage modules match the sources
"""

from __future__ import annotations

import importlib
import re

import pytest

from course.grading.layout import Lesson, lessons
from autograder.scratch import ScratchCourse

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


def outputs(nb, kind: str) -> list[tuple[int, str]]:
    """(cell index, text) of every error ("error") or stderr ("stderr") output of a notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if kind == "error" and output.output_type == "error":
                found.append((index, f"{output.ename}: {output.evalue}"))
            elif kind == "stderr" and output.output_type == "stream" and output.name == "stderr":
                found.append((index, output.text[:300]))
    return found


@pytest.fixture(scope="module", params=LESSONS, ids=lambda lesson: lesson.slug)
def solution(request, tmp_path_factory):
    lesson: Lesson = request.param
    course = ScratchCourse(lesson, tmp_path_factory.mktemp(lesson.slug))
    return lesson, course.autograde({"solution": lesson.source})["solution"]


def test_the_solution_runs_top_to_bottom_without_an_error_or_a_warning(solution):
    _, graded = solution
    assert outputs(graded.notebook, "error") == []
    assert outputs(graded.notebook, "stderr") == [], "stderr output (a warning?) in a graded cell scores 0"


def test_the_solution_earns_full_marks(solution):
    _, graded = solution
    assert graded.grade.max_score > 0
    assert graded.grade.score == graded.grade.max_score, "\n".join(graded.grade.lines())


def test_every_hidden_test_the_notebook_calls_exists(solution):
    lesson, graded = solution
    calls = re.findall(r'hidden\("([^"]+)"', "\n".join(c.source for c in graded.notebook.cells))
    if not calls:
        pytest.skip("no hidden tests in this lesson")
    module = importlib.import_module(f"autograder.hidden.nb{lesson.number:02d}")
    assert sorted(set(calls) - set(module.hidden.names)) == []
