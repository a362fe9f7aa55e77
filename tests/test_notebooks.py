"""Every real lesson, solutions/NN-slug, graded by real nbgrader (skipped while there is none).

Per lesson, in a scratch course (the committed files are never touched): the source is released
with nbgrader, then one autograde run grades the solution and the fresh release. The cells of the
release that are not graded run exactly as a learner runs them, so its autograded copy also shows
that the release runs top to bottom with the stubs' NotImplementedError as the only errors.
Wrong answers: tests/test_grading_wrong_answers.py; sync of releases and stage modules:
tests/test_grading_sync.py (separate files, so pytest-xdist's loadfile spreads them).
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course.grading import nbgrader_run
from course.grading.layout import Lesson, lessons
from course.grading.results import read_grades

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


def _submit(root: Path, student: str, slug: str, nb) -> None:
    folder = root / "var" / "submitted" / student / slug
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{slug}.ipynb"))


def _errors(nb) -> list[tuple[int, str, str]]:
    return [(i, o.ename, str(o.evalue)) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
            if o.output_type == "error"]


def _stderr(nb) -> list[tuple[int, str]]:
    return [(i, o.text[:300]) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
            if o.output_type == "stream" and o.name == "stderr"]


@pytest.fixture(scope="module", params=LESSONS, ids=lambda lesson: lesson.slug)
def graded(request, tmp_path_factory):
    lesson: Lesson = request.param
    root = tmp_path_factory.mktemp(lesson.slug)
    shutil.copytree(lesson.source_dir, root / "solutions" / lesson.slug,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    db = nbgrader_run.new_gradebook(root / "var" / "gradebook.db")
    nbgrader_run.generate_assignment(root, lesson.slug, gradebook=db)
    source = nbformat.read(str(lesson.source), as_version=4)
    release = nbformat.read(str(root / "notebooks" / lesson.slug / f"{lesson.slug}.ipynb"), as_version=4)
    _submit(root, "solution", lesson.slug, source)
    _submit(root, "release", lesson.slug, release)
    nbgrader_run.autograde(root, lesson.slug, gradebook=db)

    def autograded(student):
        return nbformat.read(str(root / "var" / "autograded" / student / lesson.slug / f"{lesson.slug}.ipynb"), as_version=4)

    grades = {s: read_grades(root, lesson.slug, s, gradebook=db) for s in ["solution", "release"]}
    return {"lesson": lesson, "source": source, "grades": grades, "autograded": autograded}


def test_the_solution_runs_cleanly_and_earns_full_marks(graded):
    grade = graded["grades"]["solution"]
    nb = graded["autograded"]("solution")
    assert _errors(nb) == []
    assert _stderr(nb) == [], "the solution writes to stderr (a warning?): graded cells that do score 0"
    assert grade.max_score > 0
    assert grade.score == grade.max_score, "\n".join(grade.lines())


def test_the_release_earns_zero_on_every_graded_cell(graded):
    grade = graded["grades"]["release"]
    assert [c.grade_id for c in grade.cells if c.score > 0] == [], "\n".join(grade.lines())


def test_the_release_runs_top_to_bottom_with_stubs_the_only_errors(graded):
    nb = graded["autograded"]("release")
    ungraded = [i for i, c in enumerate(nb.cells) if not c.metadata.get("nbgrader", {}).get("grade")]
    unexpected = [e for e in _errors(nb) if e[0] in ungraded and e[1] != "NotImplementedError"]
    assert unexpected == [], "release cells failed with something other than a stub's NotImplementedError"
    assert [i for i, _ in _stderr(nb) if i in ungraded] == [], "release cells write to stderr"


def test_every_hidden_test_called_by_the_notebook_exists(graded):
    lesson = graded["lesson"]
    calls = re.findall(r'hidden\("([^"]+)"', "\n".join(c.source for c in graded["source"].cells))
    if not calls:
        pytest.skip("no hidden tests in this lesson")
    module = importlib.import_module(f"autograder.hidden.nb{lesson.number:02d}")
    assert sorted(set(calls) - set(module.hidden.names)) == []
