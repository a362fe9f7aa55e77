"""What grading one notebook costs on the trusted path, against plain nbgrader autograde of the same.

    python -m benchmarks.grading          # every lesson (several minutes on 2 cores)
    python -m benchmarks.grading 5 6      # some of them

Both grade the same submission (a lesson's solution notebook) into a real nbgrader gradebook, in
this process, side by side: plain `nbgrader autograde` (hidden tests in the learner's kernel, a new
kernel per notebook) and `autograder.grade.trusted` (learner code in a sandboxed worker, hidden
tests here), twice: one submission alone (its worker starts when it arrives), and a submission of
a cohort, as `course autograde` grades them (its worker was started while the one before it was
graded: autograder.boundary.warm). The three take turns, one run each a round, so that a slower
minute of the machine weighs on each of them alike. Floor: the notebook's own run time as a learner
runs it top to bottom (its visible checks included, which grading skips), in a new worker.
"""

from __future__ import annotations

import shutil
import statistics
from functools import partial

from autograder.boundary import warm
from autograder.boundary.session import LearnerSession
from autograder.grade.scratch import ScratchCourse
from autograder.grade.trusted import trusted_autograde
from autograder.gradebook import nbgrader_run
from course.grading.layout import Lesson, find_lesson
from course.grading.layout import lessons as all_lessons

from .in_process import seconds as in_one_process
from .timing import median_seconds, seconds


def _cells_only(lesson: Lesson) -> None:
    import nbformat

    nb = nbformat.read(str(lesson.source), as_version=4)
    with LearnerSession(lesson.release_dir) as session:
        for cell in nb.cells:
            if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
                session.run_cell(cell.source)


def report(lessons: tuple[int, ...] | None = None, repeat: int = 3) -> None:
    """Every lesson by default; a table of medians and the ratios at the end."""
    numbers = lessons or tuple(lesson.number for lesson in all_lessons())
    print("Grading one notebook (a lesson's solution), median of", repeat, "runs")
    rows = []
    for number in numbers:
        lesson = find_lesson(number)
        with ScratchCourse(lesson) as course:
            folder = course.root / "var" / "submitted" / "bench" / lesson.slug
            folder.mkdir(parents=True)
            shutil.copyfile(lesson.source, folder / f"{lesson.slug}.ipynb")
            grade = partial(trusted_autograde, course.root, lesson, "bench", gradebook=course.gradebook,
                            files=course.release.parent)
            plain_run = partial(nbgrader_run.autograde, course.root, lesson.slug, "bench", gradebook=course.gradebook)
            runs: dict[str, list[float]] = {"plain": [], "alone": [], "cohort": []}
            for _ in range(repeat):  # interleaved: a slower minute of the machine weighs on each the same
                runs["plain"].append(seconds(plain_run))
                runs["alone"].append(seconds(grade))
                grade(ahead=True)  # the first of a cohort starts the second's worker
                runs["cohort"].append(seconds(partial(grade, ahead=True)))
                warm.discard()
            plain, alone, cohort = (statistics.median(runs[k]) for k in ("plain", "alone", "cohort"))
        floor = median_seconds(partial(_cells_only, lesson), repeat)
        own = in_one_process(number, repeat)
        rows.append((lesson.slug[:2], plain, alone, cohort, floor, own))
        print(f"  {lesson.slug}: plain {plain:.2f} s, trusted alone {alone:.2f} s, in a cohort {cohort:.2f} s, "
              f"learner cells alone {floor:.2f} s, cells and tests in one process {own:.2f} s", flush=True)
    print()
    print("  lesson | plain nbgrader | trusted, alone | trusted, in a cohort | ratio to plain | learner cells alone"
          " | ratio to cells | cells and tests, one process")
    for slug, plain, alone, cohort, floor, own in rows:
        print(f"  {slug:>6} | {plain:12.2f} s | {alone:12.2f} s | {cohort:18.2f} s | {cohort / plain:13.2f}× |"
              f" {floor:17.2f} s | {cohort / floor:13.2f}× | {own:26.2f} s")
    print("\n  The ratios are a cohort's (what `course autograde` costs per notebook); goal: at most 0.5× plain and"
          " 1.5× the cells.")


if __name__ == "__main__":
    import sys

    report(tuple(int(a) for a in sys.argv[1:]) or None)
