"""A cohort's submissions as instructors have them: nbgrader's folder layout, or an LMS export (zip).

    intake = read_input("export.zip", root, lesson="01-natural-language-to-tool-calls")
    intake.submissions   # [Submission(student, slug, path, note)], one per learner and lesson
    intake.unmatched     # files that could not be tied to a learner: listed, never dropped silently

A folder is nbgrader's layout, DIR/<student>/<NN-slug>/<NN-slug>.ipynb (what `nbgrader collect`
or a JupyterHub exchange leaves). A lesson folder without that notebook is still a submission:
graded from its only other notebook (with a note), or scored 0 with the reason.

A zip is one assignment's export from Canvas or Moodle. It goes through nbgrader's own
`zip_collect` (ZipCollectApp: its ExtractorPlugin, and a FileNameCollectorPlugin that knows the
two LMS's file names) into var/lms/submitted/, which is then read as a folder. Anything wrong with
the input raises `InputError` with one sentence saying what is wrong and what to do.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets import List, Unicode

from course.grading.layout import Lesson, lessons

__all__ = ["InputError", "Intake", "Submission", "lms_collector", "read_input"]

# Canvas: login_[LATE_]userid_submissionid_original.ipynb ; Moodle: Full Name_userid_assignsubmission_file_original
CANVAS = r"(?P<student_id>[^_/]+)_(?:late_|LATE_)?\d+_\d+_(?P<file_id>.+)"
MOODLE = r"(?P<student_id>[^_/]+?)_\d+_assignsubmission_file_/?(?P<file_id>.+)"


class InputError(ValueError):
    """Input that cannot be graded; the message says what is wrong and what to do, in one line."""


@dataclass(frozen=True)
class Submission:
    student: str
    slug: str
    path: Path          # the notebook to grade (may not exist: then it scores 0, with the reason)
    note: str = ""      # how the input was read, when it was not the expected file


@dataclass
class Intake:
    submissions: list[Submission] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # files no learner could be found for
    no_source: dict[str, list[str]] = field(default_factory=dict)  # lesson folder -> students, no such lesson


def lms_collector() -> type[Any]:
    """The FileNameCollectorPlugin for Canvas and Moodle names (built here: nbgrader is imported only for a zip)."""
    from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

    class LmsCollector(FileNameCollectorPlugin):  # type: ignore[misc]
        """Canvas's and Moodle's submission file names; each notebook is the assignment's one notebook."""

        named_regexp = Unicode(CANVAS).tag(config=True)
        other_regexps = List([MOODLE]).tag(config=True)
        notebook = Unicode("").tag(config=True)

        def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(**kwargs)
            self.unmatched: list[str] = []
            self.renamed: dict[str, str] = {}

        def collect(self, submitted_file: str):  # type: ignore[no-untyped-def]
            base = Path(self.parent._format_collect_path(self.parent.extracted_directory))
            relative = Path(submitted_file).relative_to(base).as_posix()
            if Path(relative).suffix not in self.valid_ext:
                self.unmatched.append(relative)
                return None
            for pattern in [self.named_regexp, *self.other_regexps]:
                for candidate in ("/".join(relative.split("/")[-2:]), relative.rsplit("/", 1)[-1]):
                    match = re.fullmatch(pattern, candidate)
                    if match:
                        info = match.groupdict()
                        info["student_id"] = re.sub(r"[^\w.-]+", "-", info["student_id"]).strip("-").lower()
                        if self.notebook and info["file_id"] != self.notebook:
                            self.renamed[info["student_id"]] = info["file_id"]
                            info["file_id"] = self.notebook  # Canvas's "-1" resubmissions, "Untitled.ipynb"...
                        return info
            self.unmatched.append(relative)
            return None

    return LmsCollector


def _lessons(root: Path) -> dict[str, Lesson]:
    return {lesson.slug: lesson for lesson in lessons(root)}


def read_input(source: Path | str, root: Path, *, lesson: str | None = None) -> Intake:
    """The submissions in `source` (a folder in nbgrader's layout, or an LMS zip) for the course at `root`."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: no such file or folder; give the folder of <student>/<NN-slug>/<NN-slug>.ipynb "
                         "or the zip your LMS exported")
    if source.is_file():
        return _from_zip(source, root, lesson)
    return _from_folder(source, root, lesson)


def _from_folder(folder: Path, root: Path, only: str | None, notes: dict[str, str] | None = None) -> Intake:
    known = _lessons(root)
    intake = Intake()
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for lesson_dir in sorted(p for p in student.iterdir() if p.is_dir() and not p.name.startswith(".")):
            slug = lesson_dir.name
            if only and slug != only:
                continue
            if slug not in known:
                intake.no_source.setdefault(slug, []).append(student.name)
                continue
            expected = lesson_dir / f"{slug}.ipynb"
            note = (notes or {}).get(student.name, "")
            if not expected.is_file():
                others = sorted(p for p in lesson_dir.glob("*.ipynb") if not p.name.startswith("."))
                if len(others) == 1:
                    expected, note = others[0], f"graded {others[0].name} (the lesson's notebook is {slug}.ipynb)"
            intake.submissions.append(Submission(student.name, slug, expected, note))
    if not intake.submissions and not intake.no_source:
        raise InputError(f"{folder}: no submissions found; expected {folder}/<student>/<NN-slug>/<NN-slug>.ipynb "
                         f"(lessons: {', '.join(known) or 'none'})")
    return intake


def _from_zip(archive: Path, root: Path, lesson: str | None) -> Intake:
    if not zipfile.is_zipfile(archive):
        raise InputError(f"{archive}: not a zip file; give the zip your LMS exported, or a folder of "
                         "<student>/<NN-slug>/<NN-slug>.ipynb")
    known = _lessons(root)
    with zipfile.ZipFile(archive) as zipped:
        names = [n for n in zipped.namelist() if not n.endswith("/")]
    slug = lesson or _guess_lesson(names, known)
    if slug is None:
        raise InputError(f"{archive}: cannot tell which lesson it holds; say it with --lesson NN-slug "
                         f"(lessons: {', '.join(known)})")
    if slug not in known:
        raise InputError(f"lesson {slug!r} has no source (solutions/{slug}/{slug}.ipynb); lessons: {', '.join(known)}")
    if not any(re.fullmatch(p, n) or re.fullmatch(p, n.rsplit("/", 1)[-1]) for n in names for p in (CANVAS, MOODLE)):
        raise InputError(f"{archive}: not an LMS export (none of its {len(names)} files is named as Canvas or Moodle "
                         "name submissions); unzip it into <student>/<NN-slug>/<NN-slug>.ipynb and give that folder")
    work = root / "var" / "lms"
    shutil.rmtree(work, ignore_errors=True)
    (work / "downloaded" / slug / "archive").mkdir(parents=True)
    shutil.copyfile(archive, work / "downloaded" / slug / "archive" / archive.name)
    collector = _zip_collect(work, slug, known[slug])
    submitted = work / "submitted"
    if not submitted.is_dir():
        raise InputError(f"{archive}: no submission in it could be tied to a learner; unmatched: "
                         f"{', '.join(collector.unmatched[:5])}")
    notes = {student: f"the LMS file was named {name}" for student, name in collector.renamed.items()}
    intake = _from_folder(submitted, root, slug, notes)
    intake.unmatched += collector.unmatched
    return intake


def _zip_collect(work: Path, slug: str, lesson: Lesson):  # type: ignore[no-untyped-def]
    """nbgrader's `zip_collect SLUG` in this process, with the LMS file-name plugin; returns the plugin."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from traitlets.config import Config

    from autograder.gradebook.nbgrader_run import _quiet

    config = Config()
    config.CourseDirectory.root = str(work)
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.release_directory = str(lesson.release_dir.parent)
    config.ZipCollectApp.collector_plugin = lms_collector()
    config.LmsCollector.notebook = f"{slug}.ipynb"
    with _quiet():
        app = ZipCollectApp(config=config)
        app.log = logging.getLogger("course.grading.zip_collect")
        app.log.propagate = False
        if not app.log.handlers:
            app.log.addHandler(logging.NullHandler())  # what it skipped is in the plugin's `unmatched`
        app.initialize([slug])
        cwd = os.getcwd()
        try:
            app.start()
        finally:
            os.chdir(cwd)
    return app.collector_plugin_inst


def _guess_lesson(names: list[str], known: dict[str, Lesson]) -> str | None:
    found = {slug for name in names for slug in known if slug in name}
    return found.pop() if len(found) == 1 else None
