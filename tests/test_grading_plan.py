"""Which cells grading runs: the lesson's own visible-check cells are skipped, and only those.

A visible check (`check("0.1")`, a locked cell of the source) is the learner's feedback at their
desk; the grader shows no cell output and the checks are worth nothing, so grading skips them
unless asked (`checks=True`, what the release tests use). Here the learner's `add` ends its
process when a visible check calls it: the note that a cell stopped the worker tells whether the
check ran.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.grade.engine import grade_submission
from autograder.grade.plan import visible_checks

LESSON = "00-toy"
ADD_THAT_DIES_IN_A_CHECK = '''import inspect, os

def add(a, b):
    if any(frame.function == "adds_two_small_numbers" for frame in inspect.stack()):
        os._exit(3)  # only the visible check of 0.1 calls add from there
    return a + b'''


def _source(toy: Path) -> Path:
    return toy / "solutions" / LESSON / f"{LESSON}.ipynb"


def _submission(toy: Path, *, extra_check: bool = False):
    nb = nbformat.read(str(toy / "notebooks" / LESSON / f"{LESSON}.ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":
            cell.source = ADD_THAT_DIES_IN_A_CHECK
    if extra_check:  # the learner's own cell, not the lesson's: it runs like any code they wrote
        nb.cells.append(nbformat.v4.new_code_cell('check("0.1")'))
    return nb


def _grade(toy: Path, nb, **kwargs):
    return grade_submission(_source(toy), nb, files=toy / "notebooks" / LESSON, lesson=0, seed=1, **kwargs)


def _stopped(graded) -> list[str]:
    return [note for note in graded.notes if "stopped the grading worker" in note]


def test_the_lessons_visible_check_cells_are_found_in_the_source(toy):
    source = nbformat.read(str(_source(toy)), as_version=4)
    found = visible_checks(source)
    assert len(found) == 2
    assert {c.source.strip() for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") in found} == {
        'check("0.1")', 'check("0.2")'}


def test_grading_skips_the_lessons_visible_checks(toy):
    graded = _grade(toy, _submission(toy))
    assert _stopped(graded) == []
    assert graded.result("add_adds").status == "passed"  # add itself is right
    feedback = visible_checks(nbformat.read(str(_source(toy)), as_version=4))
    assert not [run for run in graded.runs if run.grade_id in feedback]


def test_checks_true_runs_them(toy):
    graded = _grade(toy, _submission(toy), checks=True)
    assert len(_stopped(graded)) == 1, graded.notes


def test_a_check_the_learner_added_still_runs(toy):
    graded = _grade(toy, _submission(toy, extra_check=True))
    assert len(_stopped(graded)) == 1, graded.notes
