"""What grading one notebook costs on the trusted path, against plain nbgrader autograde of the same.

Both grade the same submission (a lesson's solution notebook) into a real nbgrader gradebook, in
this process, side by side: plain `nbgrader autograde` (hidden tests in the learner's kernel) and
`autograder.trusted` (learner code in a sandboxed worker, hidden tests here). Floor: the
learner code's own run time, measured as the trusted path's worker running the cells alone.
"""

from __future__ import annotations

import shutil
from functools import partial

from autograder import nbgrader_run
from autograder.scratch import ScratchCourse
from autograder.session import LearnerSession
from autograder.trusted import trusted_autograde
from course.grading.layout import Lesson, find_lesson

from .timing import median_seconds


def _cells_only(lesson: Lesson) -> None:
    import nbformat

    nb = nbformat.read(str(lesson.source), as_version=4)
    with LearnerSession(lesson.release_dir) as session:
        for cell in nb.cells:
            if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
                session.run_cell(cell.source)


def report(lessons: tuple[int, ...] = (1, 4), repeat: int = 3) -> None:
    print("Grading one notebook (a lesson's solution), median of", repeat, "runs")
    for number in lessons:
        lesson = find_lesson(number)
        with ScratchCourse(lesson) as course:
            folder = course.root / "var" / "submitted" / "bench" / lesson.slug
            folder.mkdir(parents=True)
            shutil.copyfile(lesson.source, folder / f"{lesson.slug}.ipynb")
            plain = median_seconds(partial(nbgrader_run.autograde, course.root, lesson.slug, "bench",
                                    gradebook=course.gradebook), repeat)
            trusted = median_seconds(partial(trusted_autograde, course.root, lesson, "bench", gradebook=course.gradebook,
                                      files=course.release.parent), repeat)
        floor = median_seconds(partial(_cells_only, lesson), repeat)
        print(f"  {lesson.slug}")
        print(f"    plain nbgrader autograde   {plain:6.2f} s (baseline)")
        print(f"    trusted path               {trusted:6.2f} s  ({trusted / plain:.2f}× plain)")
        print(f"    learner cells alone        {floor:6.2f} s  (floor: worker start and the notebook's own code)")
