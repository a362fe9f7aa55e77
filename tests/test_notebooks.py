"""Every real lesson, solutions/NN-slug, graded by real nbgrader (skipped while there is none).

Per lesson, in a scratch course (the committed files are never touched): the source is released
with nbgrader, then one autograde run grades the solution, the fresh release, and every wrong
answer kept in tests/wrong_answers/nbNN.py (`WRONG_ANSWERS = {solution grade id: source or [sources]}`,
each put in place of that solution cell in the solution notebook). The release also runs on its
own with nbclient, as a learner would run it. The sync of the committed releases and stage
modules is tested in tests/test_grading_sync.py.
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course.grading import nbgrader_run
from course.grading.config import CELL_TIMEOUT
from course.grading.layout import Lesson, lessons
from course.grading.results import read_grades

LESSONS = lessons()
pytestmark = pytest.mark.skipif(not LESSONS, reason="no lesson in solutions/ yet")


def _wrong_answers(lesson: Lesson) -> dict[str, list[str]]:
    try:
        module = importlib.import_module(f"tests.wrong_answers.nb{lesson.number:02d}")
    except ModuleNotFoundError:
        return {}
    answers = getattr(module, "WRONG_ANSWERS", {})
    return {grade_id: [v] if isinstance(v, str) else list(v) for grade_id, v in answers.items()}


def _exercises(nb) -> dict[str, list[str]]:
    """Solution grade id -> the graded cells after it, up to the next solution cell."""
    out: dict[str, list[str]] = {}
    current = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
            out[current] = []
        elif meta.get("grade") and current is not None:
            out[current].append(meta["grade_id"])
    return out


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
    wrong = {}
    for grade_id, answers in _wrong_answers(lesson).items():
        for k, answer in enumerate(answers):
            nb = nbformat.from_dict(source)
            cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
            assert cells, f"tests/wrong_answers/nb{lesson.number:02d}.py: no solution cell {grade_id!r}"
            cells[0].source = answer.strip("\n")
            student = f"wrong-{re.sub('[^a-z0-9]+', '-', grade_id.lower())}-{k}"
            wrong[student] = (grade_id, k)
            _submit(root, student, lesson.slug, nb)
    nbgrader_run.autograde(root, lesson.slug, gradebook=db)

    def autograded(student):
        return nbformat.read(str(root / "var" / "autograded" / student / lesson.slug / f"{lesson.slug}.ipynb"), as_version=4)

    grades = {s: read_grades(root, lesson.slug, s, gradebook=db) for s in ["solution", "release", *wrong]}
    return {"lesson": lesson, "root": root, "source": source, "release": release, "grades": grades,
            "wrong": wrong, "autograded": autograded}


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
    from nbclient import NotebookClient

    nb = nbformat.from_dict(graded["release"])
    folder = graded["root"] / "notebooks" / graded["lesson"].slug
    with nbgrader_run.grading_environment():
        NotebookClient(nb, timeout=CELL_TIMEOUT, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}},
                       extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    unexpected = [e for e in _errors(nb) if e[1] != "NotImplementedError"]
    assert unexpected == [], "release cells failed with something other than a stub's NotImplementedError"


def test_each_kept_wrong_answer_loses_points_on_its_exercise(graded):
    exercises = _exercises(graded["source"])
    survivors = []
    for student, (grade_id, k) in graded["wrong"].items():
        tests = exercises.get(grade_id, [])
        grade = graded["grades"][student]
        lost = sum(c.max_score - c.score for c in grade.cells if c.grade_id in tests)
        if not tests or lost == 0:
            survivors.append(f"{grade_id}[{k}] passes {tests or 'no graded cell'}")
    assert survivors == [], "wrong answers that lose no points:\n" + "\n".join(survivors)


def test_every_hidden_test_called_by_the_notebook_exists(graded):
    lesson = graded["lesson"]
    calls = re.findall(r'hidden\("([^"]+)"', "\n".join(c.source for c in graded["source"].cells))
    if not calls:
        pytest.skip("no hidden tests in this lesson")
    module = importlib.import_module(f"autograder.hidden.nb{lesson.number:02d}")
    assert sorted(set(calls) - set(module.hidden.names)) == []
