"""`course check NOTEBOOK`: check one notebook on the learner's own machine.

Where the grader is installed (the course repository: see course.grading.plugins) and the lesson's
source is there, the grader grades the notebook on the trusted path: the learner's code in a
sandboxed worker, the hidden tests outside it, scores per graded cell and their messages. In the
student edition it runs the notebook and its visible checks instead, and says so. Either way the
learner's file is never modified.

    course check notebooks/01-tools/01-tools.ipynb      # exit 0 once checked, 2 on a usage error

`read_notebook` and `identify` give clear `CheckError`s for a missing, malformed or foreign file;
`visible_report(path)` returns a `VisibleReport`; `run(path)` prints and returns the exit status.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import nbformat

from course.llm.settings import offline_environment

from .layout import REPO_ROOT, Lesson, LessonError, find_lesson, lessons
from .plugins import grader

__all__ = ["CELL_TIMEOUT", "CheckError", "VisibleReport", "identify", "read_notebook", "run", "visible_report"]

CELL_TIMEOUT = 60
_REPORT_MARK = "@@course-visible-report@@"


class CheckError(Exception):
    """A notebook that cannot be checked; the message says what to do."""


@dataclass
class VisibleReport:
    path: Path
    lesson: Lesson
    visible: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # cells that raised

    def lines(self) -> list[str]:
        out = [f"Checking {self.path} as lesson {self.lesson.slug}: hidden tests are not available here "
               "(student edition), so only the visible checks ran; the graded score may differ."]
        icons = {"passed": "✅", "failed": "❌", "todo": "⏳"}
        cause = [e for e in self.errors if e.startswith("ModuleNotFoundError")]
        out += [f"  cause: {e}" for e in cause]  # before the checks its missing names make fail
        for result in self.visible:
            out.append(f"  {icons[result['status']]} {result['exercise']} {result['status']}")
            if result["status"] == "todo":
                out.append("     • " + next(c["message"] for c in result["cases"] if c["status"] == "todo"))
                continue
            for case in result["cases"]:
                if case["status"] == "failed":
                    out.append(f"     • {case['message']}" + (f"  (hint: {case['hint']})" if case["hint"] else ""))
        out += [f"  cell error: {e}" for e in self.errors if e not in cause]
        return out + ["Your notebook was not modified."]


def read_notebook(path: Path, root: Path) -> Any:
    """The notebook at `path`, validated; a `CheckError` that says what to do otherwise."""
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


def identify(path: Path, nb: Any, root: Path) -> tuple[Lesson, bool]:
    """The lesson this notebook belongs to, and whether that lesson's source (with its tests) is in `root`."""
    for released in (False, True):
        try:
            return find_lesson(path.stem, root, released=released), not released
        except LessonError:
            pass
    ids = _grade_ids(nb)  # renamed file: match by the nbgrader cell ids
    best, overlap = None, 0
    for released in (False, True):
        for lesson in lessons(root, released=released):
            candidate = lesson.release if released else lesson.source
            shared = len(ids & _grade_ids(nbformat.read(str(candidate), as_version=4)))
            if shared > overlap:
                best, overlap = (lesson, not released), shared
        if best:
            return best
    known = ", ".join(lesson.slug for lesson in lessons(root, released=True) or lessons(root)) or "none found"
    raise CheckError(f"{path.name} is not one of the course's notebooks (lessons: {known}). "
                     "Check the notebook you saved from notebooks/NN-slug/, keeping its name.")


def visible_report(path: Path, nb: Any, lesson: Lesson) -> VisibleReport:
    """Run the notebook in a kernel (offline) and report its visible checks."""
    from nbclient import NotebookClient

    code = ("from course.grading.visible import report_json as _course_report\n"
            f"print({_REPORT_MARK!r} + _course_report({lesson.number}, globals()))")
    nb.cells.append(nbformat.v4.new_code_cell(code))
    with tempfile.TemporaryDirectory(prefix="course-check-") as scratch:
        # the lesson's stage modules and data files, then those beside the notebook (a carried stage wins):
        # a notebook saved elsewhere still starts from the agent its lesson starts from
        for folder in dict.fromkeys([lesson.release_dir, path.parent]):
            for sibling in folder.iterdir() if folder.is_dir() else ():
                if sibling.is_file() and sibling.suffix != ".ipynb":
                    shutil.copy(sibling, scratch)
        with offline_environment():
            NotebookClient(nb, timeout=CELL_TIMEOUT, allow_errors=True, kernel_name="python3",
                           resources={"metadata": {"path": scratch}},
                           extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]).execute()
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells[:-1] for o in c.get("outputs", [])
              if o.output_type == "error" and o.ename != "NotImplementedError"]
    missing = next((e for e in errors if e.startswith("ModuleNotFoundError")), None)
    if missing:  # the cause first: every "X is not defined" after it follows from it
        errors = [f"{missing} (the notebook's first cells could not import it: keep the notebook in its lesson's "
                  f"folder, {lesson.release_dir.name}/, beside the files that came with it)",
                  *(e for e in errors if e != missing)]
    for output in nb.cells[-1].get("outputs", []):
        if output.output_type == "stream" and _REPORT_MARK in output.text:
            return VisibleReport(path, lesson, json.loads(output.text.split(_REPORT_MARK, 1)[1]), errors)
    raise CheckError("the visible checks could not run: " + "; ".join(errors[-1:] or ["no report"]))


def run(path: Path | str, root: Path | None = None, out: TextIO | None = None, err: TextIO | None = None, *,
        json_path: Path | str | None = None) -> int:
    """Print the report of `course check` (and write it to `json_path`); 0 once checked, 2 if it could not be."""
    out, err = out or sys.stdout, err or sys.stderr
    path, root = Path(path), Path(root or REPO_ROOT)
    try:
        nb = read_notebook(path, root)
        lesson, has_source = identify(path, nb, root)
        plugin = grader()
        if has_source and plugin is not None:
            return int(plugin.check(path, lesson, out=out, err=err, json_path=json_path))
        report = visible_report(path, nb, lesson)
    except CheckError as error:
        print(f"course check: {error}", file=err)
        return 2
    print("\n".join(report.lines()), file=out)
    if json_path is not None:
        data = {"lesson": lesson.slug, "hidden_tests": False, "visible": report.visible, "errors": report.errors}
        Path(json_path).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0
