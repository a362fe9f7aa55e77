"""Autograde one submission on the trusted path into a course's gradebook (instructor side).

    trusted_autograde(root, lesson, "maya", gradebook=db, files=release_dir)

Reads var/submitted/<student>/<lesson>/<lesson>.ipynb, grades it with autograder.grade.engine (learner
code in a sandboxed worker, hidden tests in this process), records scores and the autograded
notebook with autograder.gradebook.verdicts, and writes a JSON copy of the verdict beside the autograded
notebook (`verdict.json`). The lesson must already be in the gradebook (generate_assignment).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat

from autograder.grade.engine import Graded
from autograder.gradebook.config import COURSE_ID
from course.grading.layout import Lesson

__all__ = ["record_verdict", "trusted_autograde"]


def trusted_autograde(root: Path, lesson: Lesson, student: str, *, gradebook: Path, files: Path,
                      ahead: bool = False, checks: bool = False) -> Graded:
    """Grade and record one submission; returns the verdict (the autograded notebook is written beside it).
    `ahead`: more submissions of this lesson follow; `checks`: run the visible-check cells too
    (autograder.grade.engine.grade_submission)."""
    from autograder.grade.engine import grade_submission

    submitted = root / "var" / "submitted" / student / lesson.slug / f"{lesson.slug}.ipynb"
    source = nbformat.read(str(lesson.source), as_version=4)
    graded = grade_submission(source, submitted, files=files, lesson=lesson.number, ahead=ahead,
                              checks=checks)
    record_verdict(root, lesson.slug, student, graded, submitted, source=source, gradebook=gradebook)
    return graded


def record_verdict(root: Path, slug: str, student: str, graded: Graded, submitted: Path, *, source: Any,
                   gradebook: Path, extra: dict[str, Any] | None = None) -> Path:
    """Put a verdict into the gradebook, the autograded notebook and its `verdict.json`; returns that file."""
    from autograder.grade.plan import read_submission
    from autograder.gradebook.verdicts import record  # nbgrader's API: imported only when a grade is written

    cells, _ = read_submission(submitted)
    path = record(root, slug, student, graded, cells, source=source, gradebook=gradebook, course_id=COURSE_ID)
    verdict = {"student": student, "lesson": slug, "score": graded.score, "max_score": graded.max_score,
               "results": [asdict(r) for r in graded.results], "notes": graded.notes, "restored": graded.restored,
               "sandbox": graded.sandbox.describe() if graded.sandbox else None, "seed": graded.seed, **(extra or {})}
    out = path.parent / "verdict.json"
    out.write_text(json.dumps(verdict, indent=1, ensure_ascii=False), encoding="utf-8")
    return out
