"""`course check NOTEBOOK` where the grader is installed: the trusted path, for one learner.

The lesson's source and a fresh gradebook go into a scratch course (autograder.grade.scratch), a copy of
the notebook is the submission, and it is graded exactly as the instructor's batch would grade it:
learner code in a sandboxed worker, hidden tests here. The score is printed by this process after
the worker is gone, so nothing the notebook prints can pose as it; `--json FILE` writes it as data.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from autograder.grade.scratch import ScratchCourse
from course.grading.layout import Lesson

__all__ = ["check"]

_STUDENT = "learner"


def check(path: Path, lesson: Lesson, *, out: TextIO, err: TextIO, json_path: Path | None = None) -> int:
    """Grade `path` as `lesson` and print the report; 0 once graded."""
    with ScratchCourse(lesson) as course:
        grade = course.autograde({_STUDENT: path})[_STUDENT].grade
    lines = [f"Grading {path} as lesson {lesson.slug} (trusted grader: your code ran in a sandbox, the hidden "
             "tests outside it)", *grade.lines(), "Your notebook was not modified."]
    print("\n".join(lines), file=out)
    if json_path is not None:
        data = {"lesson": lesson.slug, "score": grade.score, "max_score": grade.max_score,
                "cells": [asdict(cell) for cell in grade.cells], "notes": list(grade.notes)}
        Path(json_path).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0
