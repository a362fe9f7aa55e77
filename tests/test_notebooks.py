"""Every real lesson's solution, solutions/NN-slug, graded on the trusted path (skipped while there is none).

Each lesson is released and graded in a scratch course (autograder.grade.scratch): the committed
files are never touched. The other per-lesson checks live in their own files, so that
`pytest -n 2 --dist loadfile` spreads them over the workers:
    tests/test_grading_releases_run.py     the release runs top to bottom, earns 0 on every graded cell
    tests/test_grading_wrong_answers.py    each wrong answer in tests/wrong_answers/nbNN.py loses points
    tests/test_grading_sync.py             committed releases and stage modules match the sources
"""

from __future__ import annotations

import importlib
import re

import nbformat
import pytest

from autograder.grade.scratch import ScratchCourse
from course.grading.layout import Lesson, lessons

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


@pytest.fixture(scope="module", params=LESSONS, ids=lambda lesson: lesson.slug)
def solution(request, tmp_path_factory):
    lesson: Lesson = request.param
    course = ScratchCourse(lesson, tmp_path_factory.mktemp(lesson.slug))
    return lesson, course.autograde({"solution": lesson.source})["solution"]


def test_the_solution_runs_top_to_bottom_without_an_error_or_a_warning(solution):
    _, graded = solution
    runs = graded.verdict.runs
    assert [f"cell {i}: {run.error or run.died}" for i, run in enumerate(runs) if run.error or run.died] == []
    assert [f"cell {i}: {run.stderr}" for i, run in enumerate(runs) if run.stderr] == [], "a warning, or stray stderr"
    assert graded.verdict.notes == [] or not graded.verdict.sandbox.hides_files


def test_the_solution_earns_full_marks(solution):
    _, graded = solution
    assert graded.grade.max_score > 0
    assert graded.grade.score == graded.grade.max_score, "\n".join(graded.grade.lines())


def test_every_hidden_test_the_notebook_calls_exists(solution):
    lesson, _ = solution
    source = nbformat.read(str(lesson.source), as_version=4)
    calls = re.findall(r'hidden\("([^"]+)"', "\n".join(c.source for c in source.cells))
    if not calls:
        pytest.skip("no hidden tests in this lesson")
    module = importlib.import_module(f"autograder.hidden.nb{lesson.number:02d}")
    assert sorted(set(calls) - set(module.hidden.names)) == []


def test_every_test_that_asks_for_a_new_interpreter_is_marked_so_the_grader_starts_it_early():
    """A test that calls `learner.fresh(interpreter=True)` is registered with `interpreter=True`, and a capstone
    probe that calls `subject.restarted()` with `restarts=True` (autograder.hidden): unmarked, it still passes,
    but waits a second for its interpreter; marked without asking, it starts one for nothing."""
    import inspect

    from autograder.grade.engine import hidden_tests
    from autograder.rubric.probe import PROBES

    wrong = []
    for lesson in LESSONS:
        registry = hidden_tests(lesson.number)
        for name in registry.names:
            source = inspect.getsource(registry._tests[name])
            if "run_probe(" not in source and ("fresh(interpreter=True)" in source) != (name in registry.interpreters):
                wrong.append(f"lesson {lesson.number:02d}: {name}")
    wrong += [f"probe {p.id}" for p in PROBES.values() if (".restarted()" in inspect.getsource(p.run)) != p.restarts]
    assert PROBES, "no capstone probe registered"
    assert wrong == [], "marked wrongly: " + ", ".join(wrong)
