"""Grading a class: `course autograde --jobs 2` against plain sequential `nbgrader autograde`, on one cohort.

    python -m benchmarks.cohort            # 200 learners of lesson 01 (about half an hour on 2 cores)
    python -m benchmarks.cohort 20         # a smaller cohort while developing
    python -m benchmarks.cohort 20 --lesson 5   # a cohort of a later lesson

The cohort is generated from the lesson: correct answers (40%), wrong-but-plausible ones from
tests/wrong_answers/nbNN.py (30%), blank releases (15%) and hostile submissions carrying an attack
cell from tests/attacks.py (15%). Each configuration grades the same notebooks into a gradebook of
its own in a scratch course, without feedback (plain autograde writes none): plain nbgrader (the
hidden tests in each learner's kernel, one notebook after another), the trusted cohort grader with
one job and with two. The floor is executing the solution notebook once with nbclient.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

import nbformat

from autograder.cohort.run import CohortResult, autograde_cohort
from autograder.grade.scratch import ScratchCourse
from autograder.gradebook import nbgrader_run
from course.grading.layout import REPO_ROOT, find_lesson

__all__ = ["cohort", "report"]

sys.path.insert(0, str(REPO_ROOT / "tests"))
from attacks import HOSTILE, gradebook_writer  # type: ignore[import-not-found]

from .timing import median_seconds


def _answers(source) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _fill(release, answers: dict[str, str]):  # type: ignore[no-untyped-def]
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def cohort(n: int, root: Path, number: int = 1) -> dict[str, object]:
    """n submissions of lesson `number`, mixed: correct, wrong-but-plausible, blank, hostile."""
    lesson = find_lesson(number)
    source = nbformat.read(str(lesson.source), as_version=4)
    release = nbformat.read(str(lesson.release), as_version=4)
    right = _answers(source)
    wrong_answers = importlib.import_module(f"wrong_answers.nb{number:02d}").WRONG_ANSWERS
    wrong = [(gid, variant) for gid, variants in wrong_answers.items() for variant in variants]
    attacks = [*HOSTILE.values(), gradebook_writer(str(root))]
    out: dict[str, object] = {}
    for i in range(n):
        kind = i % 20
        if kind < 8:
            nb = _fill(release, right)
        elif kind < 14:
            gid, variant = wrong[i % len(wrong)]
            nb = _fill(release, {**right, gid: variant})
        elif kind < 17:
            nb = nbformat.from_dict(release)
        else:
            nb = _fill(release, right)
            nb.cells.insert(2, nbformat.v4.new_code_cell(attacks[i % len(attacks)]))
        out[f"learner{i:03d}"] = nb
    return out


def _write(submissions: dict[str, object], folder: Path, slug: str) -> Path:
    for student, nb in submissions.items():
        (folder / student / slug).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / student / slug / f"{slug}.ipynb"))
    return folder



def _plain(course, slug: str) -> None:  # type: ignore[no-untyped-def]
    """Plain `nbgrader autograde` of every submission; it fails at the end when a notebook killed its kernel."""
    try:
        nbgrader_run.autograde(course.root, slug, gradebook=course.gradebook)
    except nbgrader_run.NbgraderFailed:
        pass  # the others are graded; the count of those without a result is printed


def _nbclient_once(lesson) -> None:  # type: ignore[no-untyped-def]
    from nbclient import NotebookClient

    nb = nbformat.read(str(lesson.source), as_version=4)
    with nbgrader_run.grading_environment():
        NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(lesson.release_dir)}}
                       ).execute()


def report(n: int = 200, repeat: int = 1, number: int = 1) -> None:
    lesson = find_lesson(number)
    slug = lesson.slug
    print(f"Grading a class: {n} submissions of {slug} (40% correct, 30% wrong-but-plausible, 15% blank, "
          f"15% hostile), median of {repeat} run(s)")
    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as tmp:
        tmp_path = Path(tmp)
        with ScratchCourse(lesson, tmp_path / "plain") as plain:
            _write(cohort(n, plain.root, number), plain.root / "var" / "submitted", slug)
            nbgrader = median_seconds(lambda: _plain(plain, slug), repeat)
            crashed = len(list((plain.root / "var" / "submitted").iterdir())) - len(
                list((plain.root / "var" / "autograded").iterdir()))
        timings = {}
        scores = {}
        # One seed for both runs: each grading draws its tests' inputs from its seed, so a wrong answer that fails
        # some drawn inputs and not others would score differently with different seeds.
        with mock.patch.dict(os.environ, {"COURSE_GRADING_SEED": "2026"}):
            for jobs in (1, 2):
                with ScratchCourse(lesson, tmp_path / f"jobs{jobs}") as course:
                    incoming = _write(cohort(n, course.root, number), tmp_path / f"incoming{jobs}", slug)
                    runs: list[CohortResult] = []

                    def grade(incoming: Path = incoming, root: Path = course.root, jobs: int = jobs,
                              runs: list[CohortResult] = runs) -> None:
                        runs.append(autograde_cohort(incoming, root, jobs=jobs, feedback=False, force=True))

                    timings[jobs] = median_seconds(grade, repeat)
                    scores[jobs] = sorted((g.student, g.score) for g in runs[-1].grades)
                    assert len(runs[-1].rows) == n, "count in must equal count out"
        once = median_seconds(lambda: _nbclient_once(lesson), 3)
    assert scores[1] == scores[2], "one job and two must give the same scores"
    per = timings[2] / n
    print(f"  plain nbgrader autograde, sequential  {nbgrader:8.1f} s  {nbgrader / n:6.2f} s/submission (baseline; "
          f"{crashed} notebook(s) left without a result)")
    print(f"  course autograde --jobs 1             {timings[1]:8.1f} s  {timings[1] / n:6.2f} s/submission  "
          f"{nbgrader / timings[1]:5.2f}x faster than plain")
    print(f"  course autograde --jobs 2             {timings[2]:8.1f} s  {per:6.2f} s/submission  "
          f"{nbgrader / timings[2]:5.2f}x faster than plain (goal >= 5x)")
    print(f"  --jobs 2 against --jobs 1             {timings[1] / timings[2]:5.2f}x (goal >= 1.8x)")
    print(f"  the solution run once with nbclient   {once:8.2f} s  (--jobs 2 costs {per / once:.2f}x that per submission)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cohort", description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200, help="learners in the cohort (200)")
    parser.add_argument("repeat", nargs="?", type=int, default=1, help="runs of each configuration (1)")
    parser.add_argument("--lesson", type=int, default=1, help="the lesson they submit (1)")
    args = parser.parse_args()
    report(args.n, args.repeat, args.lesson)
