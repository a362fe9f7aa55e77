"""`course check NOTEBOOK`: grade one notebook on the learner's own machine, no JupyterHub needed.

With the course repository (solutions/ and autograder/ present) it runs REAL nbgrader autograde
in a temporary course: the lesson's source from solutions/, a fresh gradebook, and a copy of the
learner's notebook as the submission (deleted or edited test cells are restored from the source,
exactly as the instructor's grading would). It prints the score of each graded cell and the
failure messages, nothing of the hidden tests. In the student edition (no hidden tests) it runs
the notebook and its visible checks instead, and says so. The learner's file is never modified.

    course check notebooks/01-tools/01-tools.ipynb      # exit 0 once graded, 2 on a usage error

`grade(path)` returns a `LocalReport` (raises `CheckError` with a message for the learner);
`run(path)` prints it and returns the exit status (the CLI handler).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import nbformat

from . import nbgrader_run
from .config import CELL_TIMEOUT
from .layout import REPO_ROOT, Lesson, LessonError, find_lesson, lessons
from .results import NotebookGrade

__all__ = ["CheckError", "LocalReport", "grade", "run"]

_STUDENT = "learner"
_REPORT_MARK = "@@course-visible-report@@"


class CheckError(Exception):
    """A notebook that cannot be checked; the message says what to do."""


@dataclass
class LocalReport:
    path: Path
    lesson: Lesson
    hidden: bool  # True: real autograde with hidden tests; False: visible checks only
    grade: NotebookGrade | None = None
    visible: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # cells that raised (visible-only mode)

    def lines(self) -> list[str]:
        if self.hidden:
            head = [f"Grading {self.path} as lesson {self.lesson.slug} (nbgrader autograde, hidden tests included)"]
            return head + (self.grade.lines() if self.grade else []) + ["Your notebook was not modified."]
        out = [f"Checking {self.path} as lesson {self.lesson.slug}: hidden tests are not available here "
               "(student edition), so only the visible checks ran; the graded score may differ."]
        icons = {"passed": "✅", "failed": "❌", "todo": "⏳"}
        for result in self.visible:
            out.append(f"  {icons[result['status']]} {result['exercise']} {result['status']}")
            if result["status"] == "todo":
                out.append("     • " + next(c["message"] for c in result["cases"] if c["status"] == "todo"))
                continue
            for case in result["cases"]:
                if case["status"] == "failed":
                    out.append(f"     • {case['message']}" + (f"  (hint: {case['hint']})" if case["hint"] else ""))
        out += [f"  cell error: {e}" for e in self.errors]
        return out + ["Your notebook was not modified."]


def _read(path: Path, root: Path) -> Any:
    where = "notebooks/NN-slug/ of the course"
    for released in (True, False):
        try:
            lesson = find_lesson(path.stem, root, released=released)
        except LessonError:
            continue
        where = f"notebooks/{lesson.slug}/{lesson.slug}.ipynb of the course"
        break
    if not path.exists():
        raise CheckError(f"{path}: no such file. Give the path of your notebook, e.g. notebooks/01-<lesson>/01-<lesson>.ipynb")
    if path.is_dir():
        raise CheckError(f"{path} is a folder; give the notebook file inside it (…/NN-slug.ipynb)")
    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except (UnicodeDecodeError, ValueError, nbformat.ValidationError, KeyError, AttributeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckError(f"not a valid notebook: {path} ({detail}). Re-download it from {where}, "
                         "or restore the original with `git checkout -- <path>` and copy your answers back.") from None
    return nb


def _grade_ids(nb: Any) -> set[str]:
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")}


def _identify(path: Path, nb: Any, root: Path) -> tuple[Lesson, bool]:
    """The lesson this notebook belongs to, and whether its source (hidden tests) is available."""
    has_hidden = importlib.util.find_spec("autograder") is not None
    for released in (False, True):
        try:
            return find_lesson(path.stem, root, released=released), has_hidden and not released
        except LessonError:
            pass
    ids = _grade_ids(nb)  # renamed file: match by the nbgrader cell ids
    best, overlap = None, 0
    for released in (False, True):
        for lesson in lessons(root, released=released):
            candidate = lesson.release if released else lesson.source
            shared = len(ids & _grade_ids(nbformat.read(str(candidate), as_version=4)))
            if shared > overlap:
                best, overlap = (lesson, has_hidden and not released), shared
        if best:
            return best
    known = ", ".join(l.slug for l in lessons(root, released=True) or lessons(root)) or "none found"
    raise CheckError(f"{path.name} is not one of the course's notebooks (lessons: {known}). "
                     "Check the notebook you saved from notebooks/NN-slug/, keeping its name.")


def _autograde(path: Path, lesson: Lesson) -> NotebookGrade:
    from .scratch import ScratchCourse

    with ScratchCourse(lesson) as course:
        return course.autograde({_STUDENT: path})[_STUDENT].grade


def _visible_only(path: Path, nb: Any, lesson: Lesson) -> tuple[list[dict[str, Any]], list[str]]:
    from nbclient import NotebookClient

    code = ("from course.grading.visible import report_json as _course_report\n"
            f"print({_REPORT_MARK!r} + _course_report({lesson.number}, globals()))")
    nb.cells.append(nbformat.v4.new_code_cell(code))
    with tempfile.TemporaryDirectory(prefix="course-check-") as scratch:
        for sibling in path.parent.iterdir():  # the stage module and data files beside the notebook
            if sibling.is_file() and sibling.suffix != ".ipynb":
                shutil.copy(sibling, scratch)
        with nbgrader_run.grading_environment():
            NotebookClient(nb, timeout=CELL_TIMEOUT, allow_errors=True, kernel_name="python3",
                           resources={"metadata": {"path": scratch}},
                           extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]).execute()
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells[:-1] for o in c.get("outputs", [])
              if o.output_type == "error" and o.ename != "NotImplementedError"]
    for output in nb.cells[-1].get("outputs", []):
        if output.output_type == "stream" and _REPORT_MARK in output.text:
            return json.loads(output.text.split(_REPORT_MARK, 1)[1]), errors
    raise CheckError("the visible checks could not run: " + "; ".join(errors[-1:] or ["no report"]))


def grade(path: Path | str, root: Path | None = None) -> LocalReport:
    """Grade the notebook at `path` (see the module docstring)."""
    path = Path(path)
    root = Path(root or REPO_ROOT)
    nb = _read(path, root)
    lesson, hidden = _identify(path, nb, root)
    if hidden:
        try:
            return LocalReport(path, lesson, True, grade=_autograde(path, lesson))
        except nbgrader_run.NbgraderFailed as error:
            raise CheckError(f"grading {path} failed: {error}\n{error.log[-2000:]}") from None
    visible, errors = _visible_only(path, nb, lesson)
    return LocalReport(path, lesson, False, visible=visible, errors=errors)


def run(path: Path | str, root: Path | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print the report of `course check`; 0 once graded (whatever the score), 2 if it could not be."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        report = grade(path, root)
    except CheckError as error:
        print(f"course check: {error}", file=err)
        return 2
    print("\n".join(report.lines()), file=out)
    return 0
