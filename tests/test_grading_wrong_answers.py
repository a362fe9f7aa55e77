"""Every wrong answer kept in tests/wrong_answers/nbNN.py loses points on the hidden tests of its exercise,
and fails that exercise's visible check, so that a ✅ means something.

`WRONG_ANSWERS = {solution grade id: source or [sources]}`: each replaces that solution cell.
`HIDDEN_ONLY = {solution grade id: {index: "why the visible check cannot see it"}}` names the few a
visible check is not expected to catch: at most one in five of a lesson's wrong answers.
All of a lesson's variants are scored in one sandboxed worker (autograder.grade.variants), by the hidden
tests exactly as the trusted grader runs them; the solution and release themselves are graded
whole in tests/test_notebooks.py and tests/test_grading_releases_run.py. Skipped while no lesson keeps wrong answers.
"""

from __future__ import annotations

import importlib

import pytest

from autograder.grade.variants import grade_variants
from course.grading.layout import Lesson, lessons


def _module(lesson: Lesson):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(f"tests.wrong_answers.nb{lesson.number:02d}")
    except ModuleNotFoundError:
        return None


def _wrong_answers(lesson: Lesson) -> dict[str, list[str]]:
    module = _module(lesson)
    answers = getattr(module, "WRONG_ANSWERS", {}) if module else {}
    return {grade_id: [v] if isinstance(v, str) else list(v) for grade_id, v in answers.items()}


def _hidden_only(lesson: Lesson) -> dict[str, dict[int, str]]:
    module = _module(lesson)
    return getattr(module, "HIDDEN_ONLY", {}) if module else {}


KEPT = [lesson for lesson in lessons() if _wrong_answers(lesson)]


@pytest.fixture(scope="module", params=KEPT, ids=lambda lesson: lesson.slug)
def scored(request):
    lesson = request.param
    return lesson, grade_variants(lesson, _wrong_answers(lesson))


@pytest.mark.skipif(not KEPT, reason="no lesson keeps wrong answers yet")
def test_each_kept_wrong_answer_loses_points_on_its_exercise(scored):
    _, results = scored
    survivors = [f"{r.solution}[{r.index}] passes {sorted(r.scores) or 'no graded cell'}" for r in results if r.lost == 0]
    assert survivors == [], "wrong answers that lose no points:\n" + "\n".join(survivors)


@pytest.mark.skipif(not KEPT, reason="no lesson keeps wrong answers yet")
def test_each_kept_wrong_answer_fails_its_visible_check(scored):
    lesson, results = scored
    hidden_only = _hidden_only(lesson)
    marked = sum(len(reasons) for reasons in hidden_only.values())
    assert all(reason.strip() for reasons in hidden_only.values() for reason in reasons.values())
    assert marked * 5 <= len(results), f"{marked} of {len(results)} wrong answers are hidden-only: at most one in five"
    missed = [f"{r.solution}[{r.index}]" for r in results
              if r.visible == "passed" and r.index not in hidden_only.get(r.solution, {})]
    caught = sum(r.visible != "passed" for r in results)
    assert missed == [], (f"{lesson.slug}: the visible checks catch {caught} of {len(results)} wrong answers; "
                          "these pass their visible check: " + ", ".join(missed))


def test_a_wrong_answer_that_is_in_fact_right_would_be_reported(tmp_path):
    from toy_course import ADD_SOLUTION, build_toy_course

    from autograder.authoring.export import export_all
    from course.grading.layout import find_lesson

    root = build_toy_course(tmp_path)
    export_all(root)
    results = grade_variants(find_lesson("00-toy", root), {
        "add": [ADD_SOLUTION, "def add(a, b):\n    return a - b"],
        "shout": ["def shout(text):\n    return text.upper()"],
    })
    assert [(r.solution, r.index, r.lost) for r in results] == [("add", 0, 0), ("add", 1, 1), ("shout", 0, 2)]
    assert "returned -1" in results[1].messages["add_adds"]
    assert [r.visible for r in results] == ["passed", "failed", "passed"]  # the toy's 0.2 check misses the '!'

