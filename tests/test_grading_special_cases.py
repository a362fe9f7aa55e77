"""Hidden tests draw their inputs at grading time, so special-casing the public tests wins nothing.

For each lesson whose hidden tests take `rng`: the solution earns full marks under every one of
SEEDS, the same seed gives the same verdict, and every answer in tests/special_cases.py scores
no more than a blank (the released stub of that cell) scores on its exercise, under every seed.
"""

from __future__ import annotations

import inspect

import nbformat
import pytest
from special_cases import SPECIAL_CASES

from autograder.grade.engine import grade_submission, hidden_tests
from autograder.grade.variants import grade_variants
from course.grading.layout import find_lesson, lessons

SEEDS = (1, 2, 3, 4, 5)
DRAWING = [lesson for lesson in lessons()
           if any("rng" in inspect.signature(hidden_tests(lesson.number)._tests[name]).parameters
                  for name in hidden_tests(lesson.number).names)]


@pytest.mark.parametrize("lesson", DRAWING, ids=lambda lesson: lesson.slug)
def test_the_solution_earns_full_marks_under_every_seed(lesson):
    for seed in SEEDS:
        graded = grade_submission(lesson.source, lesson.source, files=lesson.release_dir, lesson=lesson.number, seed=seed)
        failed = {r.grade_id: r.message for r in graded.results if r.score < r.max_score}
        assert not failed and graded.seed == seed, (seed, failed)


def test_the_same_seed_draws_the_same_inputs():
    from autograder.hidden import draws

    assert [draws(7, "08", "x").random() for _ in range(2)] == [draws(7, "08", "x").random() for _ in range(2)]
    assert draws(7, "08", "x").random() != draws(8, "08", "x").random()
    assert draws(7, "08", "x").random() != draws(7, "08", "y").random()


@pytest.mark.parametrize("number", sorted(SPECIAL_CASES))
def test_special_cased_answers_score_no_more_than_a_blank_under_every_seed(number):
    lesson = find_lesson(number)
    cases = SPECIAL_CASES[number]
    for seed in SEEDS:
        blank = {r.solution: r.scores for r in grade_variants(lesson, _blanks(number, cases), seed=seed)}
        results = grade_variants(lesson, cases, seed=seed)
        winners = [f"{r.solution}[{r.index}] keeps {r.scores} (a blank: {blank[r.solution]})" for r in results
                   if any(got > blank[r.solution][test][0] for test, (got, _) in r.scores.items())]
        assert winners == [], f"seed {seed}: special-cased answers that still score:\n" + "\n".join(winners)


def _blanks(number: int, cases: dict[str, list[str]]) -> dict[str, list[str]]:
    """The released stub of each solution cell that `cases` replaces."""
    nb = nbformat.read(str(find_lesson(number, released=True).release), as_version=4)
    stubs = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    return {grade_id: [stubs[grade_id]] for grade_id in cases}
