"""Grade notebooks of one lesson in a scratch course, never touching the repository's files.

    from autograder.grade.scratch import ScratchCourse
    with ScratchCourse(lesson) as course:             # copies solutions/NN-slug, fresh gradebook,
        release = course.release                      # releases it with nbgrader (into the scratch)
        graded = course.autograde({"solution": lesson.source, "release": release})
        graded["release"].grade.lines()               # scores and messages (autograder.gradebook.results)
        graded["release"].notebook                    # the autograded notebook (all outputs)

Each submission is graded on the trusted path (autograder.grade.engine: the learner's code in a
sandboxed worker, the hidden tests here), sequentially, into the scratch gradebook. Used by
`course check` and the notebook tests; a `root` folder can be given instead of a temporary one.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from autograder.grade.engine import Graded as Verdict
from autograder.grade.trusted import trusted_autograde
from autograder.gradebook import nbgrader_run
from autograder.gradebook.results import NotebookGrade, read_grades
from course.grading.layout import WORKING_FILES, Lesson

__all__ = ["Graded", "ScratchCourse"]


@dataclass(frozen=True)
class Graded:
    grade: NotebookGrade  # scores and messages, as read back from the gradebook
    notebook: Any  # the autograded notebook
    verdict: Verdict  # the engine's own record: every cell's run (errors, stderr), notes


class ScratchCourse:
    def __init__(self, lesson: Lesson, root: Path | str | None = None) -> None:
        self.lesson = lesson
        self._tmp = None if root else tempfile.TemporaryDirectory(prefix="course-scratch-")
        self.root = Path(root) if root else Path(self._tmp.name)  # type: ignore[union-attr]
        shutil.copytree(lesson.source_dir, self.root / "solutions" / lesson.slug, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*WORKING_FILES))
        self.gradebook = nbgrader_run.new_gradebook(self.root / "var" / "gradebook.db")
        nbgrader_run.generate_assignment(self.root, lesson.slug, gradebook=self.gradebook)

    @property
    def release(self) -> Path:
        return self.root / "notebooks" / self.lesson.slug / f"{self.lesson.slug}.ipynb"

    def autograde(self, submissions: dict[str, Path | str | Any], *, checks: bool = False) -> dict[str, Graded]:
        """Grade each submission (a path or a notebook node), keyed by a student id; `checks`: run the
        lesson's visible-check cells too, which grading skips (autograder.grade.engine)."""
        slug = self.lesson.slug
        for student, notebook in submissions.items():
            folder = self.root / "var" / "submitted" / student / slug
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            if isinstance(notebook, (str, Path)):
                shutil.copyfile(notebook, folder / f"{slug}.ipynb")
            else:
                nbformat.write(notebook, str(folder / f"{slug}.ipynb"))
        out = {}
        for student in submissions:
            verdict = trusted_autograde(self.root, self.lesson, student, gradebook=self.gradebook,
                                        files=self.release.parent, checks=checks)
            path = self.root / "var" / "autograded" / student / slug / f"{slug}.ipynb"
            out[student] = Graded(read_grades(self.root, slug, student, gradebook=self.gradebook),
                                  nbformat.read(str(path), as_version=4), verdict)
        return out

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> ScratchCourse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
