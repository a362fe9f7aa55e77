"""A cohort's submissions as instructors have them: nbgrader's folder layout, or an LMS export (zip).

    intake = read_input("export.zip", root, lesson="01-natural-language-to-tool-calls")
    intake.submissions   # [Submission(student, slug, path, note)], one per learner and lesson
    intake.unmatched     # files that could not be tied to a learner: listed, never dropped silently

A folder is nbgrader's layout, DIR/<student>/<NN-slug>/<NN-slug>.ipynb (what `nbgrader collect`
or a JupyterHub exchange leaves). A lesson folder without that notebook is still a submission:
graded from its only other notebook (with a note), or scored 0 with the reason.

A zip is one assignment's export from Canvas or Moodle (the names it understands, and which file
of a learner is graded, are autograder.cohort.lms_names). Learners are keyed by the LMS's id in
the file name; each `Submission` keeps the learner's name, the LMS's late marker and the zip
entry's time. The files chosen go through nbgrader's own `zip_collect` (ZipCollectApp: its
ExtractorPlugin, and a FileNameCollectorPlugin that copies what was chosen) into var/lms/submitted/,
which is then read as a folder. Anything wrong with the input raises `InputError` with one
sentence saying what is wrong and what to do; nbgrader's own refusals are turned into one too.
"""

from __future__ import annotations

import logging
import os
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from traitlets import Dict

from autograder.cohort.lms_names import LmsFile, RefusedInput, choose, parse
from autograder.cohort.roster import adopt_roster
from autograder.cohort.submission import InputError, Intake, Learner, Submission, keep, kept
from course.grading.layout import Lesson, lessons

__all__ = ["InputError", "Intake", "Learner", "Submission", "gather", "lms_collector", "read_input"]


def lms_collector() -> type[Any]:
    """The FileNameCollectorPlugin that copies the files `lms_names.choose` kept, under the learner's LMS id.

    Built here: nbgrader is imported only for a zip. Its `chosen` maps a zip member to
    {"student_id", "file_id", "timestamp"}; any other file is listed in `unmatched` (or was left
    out on purpose, with a note) and zip_collect skips it."""
    from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

    class LmsCollector(FileNameCollectorPlugin):  # type: ignore[misc]
        """Canvas's and Moodle's submission file names, decided before zip_collect runs."""

        chosen = Dict({}).tag(config=True)

        def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(**kwargs)
            self.unmatched: list[str] = []

        def collect(self, submitted_file: str):  # type: ignore[no-untyped-def]
            base = Path(self.parent._format_collect_path(self.parent.extracted_directory))
            relative = Path(submitted_file).relative_to(base).as_posix()
            member = relative.split("/", 1)[-1]  # extracted/<archive name>/<member>
            info = self.chosen.get(member)
            if info is None:
                self.unmatched.append(relative)
                return None
            return dict(info)

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
            intake.submissions.append(kept(Submission(student.name, slug, expected, note), lesson_dir))
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
        infos = [i for i in zipped.infolist() if not i.is_dir()]
        parsed = [(i, parse(i.filename)) for i in infos]
        notebooks = [(i, f) for i, f in parsed if f is not None and f.file.endswith(".ipynb")]
        contents = {i.filename: zipped.read(i) for i, _ in notebooks}
    names = [i.filename for i in infos]
    slug = lesson or _guess_lesson(names, known)
    if slug is None:
        raise InputError(f"{archive}: cannot tell which lesson it holds; say it with --lesson NN-slug "
                         f"(lessons: {', '.join(known)})")
    if slug not in known:
        raise InputError(f"lesson {slug!r} has no source (solutions/{slug}/{slug}.ipynb); lessons: {', '.join(known)}")
    if not any(f is not None for _, f in parsed):
        raise InputError(f"{archive}: not an LMS export (none of its {len(names)} files is named as Canvas or Moodle "
                         "name submissions); unzip it into <student>/<NN-slug>/<NN-slug>.ipynb and give that folder")
    files = [_timed(f, i) for i, f in notebooks]
    try:
        choice = adopt_roster(choose(files, f"{slug}.ipynb", same=contents), root)  # Moodle: the roster's key
    except RefusedInput as error:
        raise InputError(f"{archive}: {error}") from None
    work = root / "var" / "lms"
    shutil.rmtree(work, ignore_errors=True)
    (work / "downloaded" / slug / "archive").mkdir(parents=True)
    shutil.copyfile(archive, work / "downloaded" / slug / "archive" / archive.name)
    chosen = {f.member: {"student_id": user, "file_id": f"{slug}.ipynb",
                         "timestamp": f.when.isoformat(sep=" ") if f.when else ""}
              for user, f in choice.kept.items()}
    collector = _zip_collect(archive, work, slug, known[slug], chosen)
    submitted = work / "submitted"
    if not submitted.is_dir():
        raise InputError(f"{archive}: no submission in it could be tied to a learner; unmatched: "
                         f"{', '.join(collector.unmatched[:5])}")
    notes = {user: "; ".join(([f"the LMS file was named {f.file}"] if f.file != f"{slug}.ipynb" and not
                              any(f.file in note for note in choice.notes.get(user, [])) else [])
                             + choice.notes.get(user, [])) for user, f in choice.kept.items()}
    intake = _from_folder(submitted, root, slug, notes)
    intake.submissions = [_with_learner(s, choice.kept.get(s.student)) for s in intake.submissions]
    left_out = {Path(m).name for m in choice.left_out}
    intake.unmatched += [n for n in collector.unmatched if Path(n).name not in left_out]
    return intake


def _timed(entry: LmsFile, info: zipfile.ZipInfo) -> LmsFile:
    try:
        when: datetime | None = datetime(*info.date_time)
    except ValueError:  # a zip entry with no real time (1980-00-00)
        when = None
    return LmsFile(entry.member, entry.lms, entry.user_id, entry.name, entry.file, entry.late, when)


def _with_learner(sub: Submission, entry: LmsFile | None) -> Submission:
    if entry is None:
        return sub
    return Submission(sub.student, sub.slug, sub.path, sub.note, Learner(entry.lms, entry.user_id, entry.name),
                      entry.late, entry.when, entry.member)


def _zip_collect(archive: Path, work: Path, slug: str, lesson: Lesson, chosen: dict[str, Any]):  # type: ignore[no-untyped-def]
    """nbgrader's `zip_collect SLUG` in this process, copying the `chosen` files; returns the plugin.

    nbgrader ends a refused collection with sys.exit(1) and its reason in a log: both are caught
    here and become one `InputError` line, so a refusal is never silent."""
    import io

    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from traitlets.config import Config

    from autograder.gradebook.nbgrader_run import _quiet

    config = Config()
    config.CourseDirectory.root = str(work)
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.release_directory = str(lesson.release_dir.parent)
    config.ZipCollectApp.collector_plugin = lms_collector()
    config.LmsCollector.chosen = chosen
    said = io.StringIO()
    with _quiet():
        app = ZipCollectApp(config=config)
        app.log = logging.getLogger("course.grading.zip_collect")
        app.log.propagate = False
        app.log.handlers = [logging.StreamHandler(said)]
        app.log.setLevel(logging.ERROR)  # what it skipped is in the plugin's `unmatched`
        cwd = os.getcwd()
        try:
            app.initialize([slug])
            app.start()
        except SystemExit:
            reason = " ".join(said.getvalue().split()) or "it stopped without saying why"
            raise InputError(f"{archive}: nbgrader's zip_collect refused it: {reason}") from None
        finally:
            os.chdir(cwd)
    return app.collector_plugin_inst


def _guess_lesson(names: list[str], known: dict[str, Lesson]) -> str | None:
    found = {slug for name in names for slug in known if slug in name}
    return found.pop() if len(found) == 1 else None


def gather(submissions: Path | str | None, root: Path, only: str | None = None) -> Intake:
    """The cohort: everything in var/submitted/ (nbgrader's place), after copying `submissions` there.

    What an LMS zip said of a submission (the learner, the file's name, LATE, the note) is written beside it
    (`lms.json`, and nbgrader's `timestamp.txt`), so a later run on var/submitted/ alone knows it too."""
    submitted = root / "var" / "submitted"
    if submissions is None:
        if not submitted.is_dir():
            raise InputError(f"{submitted}: no such folder; give the folder or LMS zip of submissions "
                             "(course autograde DIR|ZIP)")
        return read_input(submitted, root, lesson=only)
    given = read_input(submissions, root, lesson=only)
    for sub in given.submissions:
        target = submitted / sub.student / sub.slug / f"{sub.slug}.ipynb"
        if sub.path.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            if sub.path.is_file():
                shutil.copyfile(sub.path, target)
            else:
                target.unlink(missing_ok=True)
            keep(sub, target.parent)
    for slug, students in given.no_source.items():
        for student in students:
            (submitted / student / slug).mkdir(parents=True, exist_ok=True)
    intake = read_input(submitted, root, lesson=only)
    intake.unmatched = list(given.unmatched)
    return intake
