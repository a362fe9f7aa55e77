"""Every real lesson's release, generated fresh from its source, run as a learner runs it and autograded.

A release must run top to bottom: the only errors allowed are the stubs' NotImplementedError
(notebook authors wrap "you should see" cells in try/except NotImplementedError, or let them
raise it). Autograde restores the hidden tests, which must then give 0 on every graded cell.
The cells that are not graded run exactly as in the learner's kernel, so one autograde run
checks both. Skipped while solutions/ is empty.
"""

from __future__ import annotations

import pytest

from course.grading.layout import Lesson, lessons
from autograder.scratch import ScratchCourse

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


@pytest.fixture(scope="module", params=LESSONS, ids=lambda lesson: lesson.slug)
def release(request, tmp_path_factory):
    lesson: Lesson = request.param
    course = ScratchCourse(lesson, tmp_path_factory.mktemp(lesson.slug))
    return course.autograde({"release": course.release})["release"]


def _ungraded_outputs(nb, wanted):
    return [(i, o) for i, c in enumerate(nb.cells) if not c.metadata.get("nbgrader", {}).get("grade")
            for o in c.get("outputs", []) if wanted(o)]


def test_the_release_runs_top_to_bottom_with_the_stubs_as_the_only_errors(release):
    errors = _ungraded_outputs(release.notebook, lambda o: o.output_type == "error")
    unexpected = [f"cell {i}: {o.ename}: {o.evalue}" for i, o in errors if o.ename != "NotImplementedError"]
    assert unexpected == []


def test_the_release_writes_nothing_to_stderr(release):
    stderr = _ungraded_outputs(release.notebook, lambda o: o.output_type == "stream" and o.name == "stderr")
    assert [f"cell {i}: {o.text[:200]}" for i, o in stderr] == []


def test_the_release_earns_zero_on_every_graded_cell(release):
    assert [c.grade_id for c in release.grade.cells if c.score > 0] == [], "\n".join(release.grade.lines())
