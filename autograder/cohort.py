"""`course autograde [DIR]`: grade a cohort's submissions into var/gradebook.db, with sanitised feedback.

Submissions use nbgrader's layout, DIR/<student>/<NN-slug>/<NN-slug>.ipynb (what `nbgrader
collect` or `nbgrader zip_collect` leave); DIR defaults to var/submitted/ and is copied there
otherwise. Then, for each lesson that has submissions, sequentially (nbgrader cannot autograde
into one gradebook in parallel):

  1. register the lesson in var/gradebook.db from its source (generate_assignment into
     var/release/, so the committed notebooks/ is untouched); the gradebook is created if missing;
  2. autograde every student on the trusted path (autograder.trusted: the learner's code in a
     sandboxed worker, the hidden tests in this process; test cells and points from the source);
  3. write feedback to var/feedback/<student>/<lesson>/<lesson>.html with nbgrader's
     generate_feedback and the course's sanitiser (no hidden test source, no tracebacks);
  4. write var/grades.csv: student, lesson, grade id, score, max score, message.

The same with plain nbgrader, which runs the hidden tests inside each learner's kernel and so
trusts the submission (the config sets the feedback sanitiser too; note that generate_assignment
rewrites the committed release in notebooks/, which is harmless when in sync):

    cd autograder        # nbgrader reads ./nbgrader_config.py; it has no --config option
    nbgrader generate_assignment 01-tools --force
    nbgrader autograde 01-tools --force
    nbgrader generate_feedback 01-tools --force
"""

from __future__ import annotations

import contextlib
import csv
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from course.grading.layout import REPO_ROOT, lessons

from . import nbgrader_run
from .config import GRADEBOOK
from .results import NotebookGrade, read_grades
from .trusted import trusted_autograde

__all__ = ["CohortResult", "autograde_cohort"]


@dataclass
class CohortResult:
    grades: list[NotebookGrade] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # nbgrader errors, per lesson (details in the log)


def _students(submitted: Path, slug: str) -> list[str]:
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / slug / f"{slug}.ipynb").is_file())


@contextlib.contextmanager
def _exclusive(path: Path):
    """One grading run at a time per gradebook (nbgrader cannot share one between processes)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another grading run holds {path}; wait for it to finish") from None
        yield


def autograde_cohort(submissions: Path | str | None = None, root: Path | None = None, *,
                     feedback: bool = True) -> CohortResult:
    """Autograde every submission (see the module docstring)."""
    root = Path(root or REPO_ROOT)
    with _exclusive(root / "var" / "grading.lock"):
        return _autograde_cohort(submissions, root, feedback)


def _autograde_cohort(submissions: Path | str | None, root: Path, feedback: bool) -> CohortResult:
    submitted = root / "var" / "submitted"
    if submissions is not None and Path(submissions).resolve() != submitted.resolve():
        shutil.copytree(submissions, submitted, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    db = root / GRADEBOOK
    if not db.exists():
        nbgrader_run.new_gradebook(db)
    result = CohortResult()
    for lesson in lessons(root):
        students = _students(submitted, lesson.slug)
        if not students:
            continue
        try:
            nbgrader_run.generate_assignment(root, lesson.slug, overrides={"release_directory": "var/release"})
        except nbgrader_run.NbgraderFailed as error:
            result.failures.append(f"{error}\n{error.log[-3000:]}")
            continue
        for student in students:
            trusted_autograde(root, lesson, student, gradebook=db, files=root / "var" / "release" / lesson.slug)
        graded = [s for s in students if (root / "var" / "autograded" / s / lesson.slug / f"{lesson.slug}.ipynb").exists()]
        if feedback and graded:
            try:
                nbgrader_run.generate_feedback(root, lesson.slug)
            except nbgrader_run.NbgraderFailed as error:
                result.failures.append(f"{error}\n{error.log[-3000:]}")
        result.grades += [read_grades(root, lesson.slug, student) for student in graded]
    with open(root / "var" / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "lesson", "grade_id", "score", "max_score", "message"])
        for grade in result.grades:
            for cell in grade.cells:
                writer.writerow([grade.student, grade.assignment, cell.grade_id, cell.score, cell.max_score, cell.message])
    return result
