"""Every wrong answer kept in tests/wrong_answers/nbNN.py loses points on the hidden tests of its exercise.

`WRONG_ANSWERS = {solution grade id: source or [sources]}`: each replaces that solution cell.
All of a lesson's variants are scored in one sandboxed worker (autograder.variants), by the hidden
tests exactly as the trusted grader runs them; the solution and release themselves are graded
whole in tests/test_notebooks.py and tests/test_grading_releases_run.py. Skipped while no lesson keeps wrong answers.
"""

from __future__ import annotations

import importlib

import pytest

from course.grading.layout import Lesson, lessons
from autograder.variants import grade_variants


def _wrong_answers(lesson: Lesson) -> dict[str, list[str]]:
    try:
        module = importlib.import_module(f"tests.wrong_answers.nb{lesson.number:02d}")
    except ModuleNotFoundError:
        return {}
    return {grade_id: [v] if isinstance(v, str) else list(v) for grade_id, v in getattr(module, "WRONG_ANSWERS", {}).items()}


KEPT = [lesson for lesson in lessons() if _wrong_answers(lesson)]


@pytest.mark.skipif(not KEPT, reason="no lesson keeps wrong answers yet")
@pytest.mark.parametrize("lesson", KEPT, ids=lambda lesson: lesson.slug)
def test_each_kept_wrong_answer_loses_points_on_its_exercise(lesson):
    results = grade_variants(lesson, _wrong_answers(lesson))
    survivors = [f"{r.solution}[{r.index}] passes {sorted(r.scores) or 'no graded cell'}" for r in results if r.lost == 0]
    assert survivors == [], "wrong answers that lose no points:\n" + "\n".join(survivors)


def test_a_wrong_answer_that_is_in_fact_right_would_be_reported(tmp_path):
    from toy_course import ADD_SOLUTION, build_toy_course
    from autograder.export import export_all
    from course.grading.layout import find_lesson

    root = build_toy_course(tmp_path)
    export_all(root)
    results = grade_variants(find_lesson("00-toy", root), {
        "add": [ADD_SOLUTION, "def add(a, b):\n    return a - b"],
        "shout": ["def shout(text):\n    return text.upper()"],
    })
    assert [(r.solution, r.index, r.lost) for r in results] == [("add", 0, 0), ("add", 1, 1), ("shout", 0, 2)]
    assert "returned -1" in results[1].messages["add_adds"]
