"""Feedback back to the LMS: one zip of every learner's feedback page, named as the LMS's upload reads it.

    path, left_out = feedback_zip(root, "00-toy", "canvas")   # -> var/export/feedback-00-toy-canvas.zip

Each learner's page (var/feedback/<student>/<lesson>/<lesson>.html, from `course autograde`) goes in
as `<prefix><lesson>-feedback.html`, where the prefix is the one the LMS gave that learner's file in
the zip of submissions it was graded from. Intake keeps that file's name beside the submission
(var/submitted/<student>/<lesson>/lms.json: "lms", "lms_id", "name", "file", "late"):

  canvas  `lastfirst[_LATE]_<userid>_<attachmentid>_`, e.g. `smithjohn_LATE_20001_99187_00-toy-feedback.html`.
          Assignment page → "Re-Upload Submissions" takes the zip and attaches each file as a comment on
          that learner's submission. Canvas reads the first two all-digit `_` parts of a name as the
          user id and the id of a file of that user's submission, and ignores a file whose ids do
          not match one (canvas-lms `Assignment#generate_comments_from_files` and
          `#infer_comment_context_from_filename`, app/models/assignment.rb; the download names them
          the same way, lib/content_zipper.rb `zip_assignment`:
          <https://github.com/instructure/canvas-lms/blob/master/app/models/assignment.rb>,
          <https://github.com/instructure/canvas-lms/commit/0d34bd47aeb56a6e9bdcad261e752d40649d8a77>
          on the Download / Re-Upload Submissions pair). So the prefix is kept exactly as downloaded.
  moodle  `Full Name_<participantid>_assignsubmission_file_`, e.g.
          `Jo Lee_77_assignsubmission_file_00-toy-feedback.html`. View all submissions → Grading
          action "Upload multiple feedback files in a zip" (the assignment needs "Feedback files" on)
          splits each name at its first four `_` into full name, participant id, plugin type and
          name, and the file's own name, and files it as that participant's feedback (Moodle's
          `assignfeedback_file_zip_importer::is_valid_filename_for_import`,
          <https://github.com/moodle/moodle/blob/main/mod/assign/feedback/file/importziplib.php>;
          RWTH Aachen's RWTHmoodle guide on feedback files by ZIP archive,
          <https://help.itc.rwth-aachen.de/en/service/8d9eb2f36eea4fcaa9abd0e1ca008b22/article/0cfca4212fef4712ad2d432ac83eaf3e/>).
          A zip downloaded "in folders" names the folder with the same prefix; the file is flat here.

A learner without lms.json (not from an LMS zip), from the other LMS, whose file name neither LMS
wrote or whose id it does not hold, or without a feedback page, is left out and listed with the
reason, never dropped silently. The zip is written beside its target and renamed into place, so a
failed run leaves the previous zip as it was. What cannot be exported at all (an unknown LMS, a
lesson without feedback, no learner of that LMS) raises `FeedbackZipError`, one line saying what to do.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from autograder.cohort.export import ExportError
from autograder.cohort.lms_names import CANVAS, MOODLE
from autograder.cohort.submission import LMS_FILE

__all__ = ["LMS_NAMES", "FeedbackZipError", "feedback_zip"]

LMS_NAMES = ("canvas", "moodle")


class FeedbackZipError(ExportError):  # ExportError is a ValueError
    """No zip of feedback can be written as asked; one line says what to do."""


def feedback_zip(root: Path, lesson: str, lms: str, to: Path | None = None) -> tuple[Path, list[str]]:
    """Write the zip of `lesson`'s feedback pages for `lms` ("canvas" or "moodle"); returns it and the learners
    left out, one line each ("maya: no lms.json ..."). See the module docstring."""
    if lms not in LMS_NAMES:
        raise FeedbackZipError(f"unknown LMS {lms!r}: give canvas or moodle")
    if not lesson or lesson.startswith(".") or any(c in lesson for c in "/\\"):
        raise FeedbackZipError(f"{lesson!r} is not a lesson name: give one as in var/feedback/, e.g. 01-tools")
    var = Path(root) / "var"
    pages = {p.parent.parent.name: p for p in (var / "feedback").glob(f"*/{lesson}/{lesson}.html") if p.is_file()}
    if not pages:
        raise FeedbackZipError(f"no feedback for lesson {lesson} in {var / 'feedback'}: grade it first "
                               f"(course autograde --lesson {lesson}), which writes each learner's page")
    students = sorted(set(pages) | {d.parent.name for d in (var / "submitted").glob(f"*/{lesson}") if d.is_dir()})
    entries: dict[str, Path] = {}
    left_out: list[str] = []
    for student in students:
        name, reason = _entry(var / "submitted" / student / lesson / LMS_FILE, lesson, lms)
        if student not in pages:
            reason = reason or f"no feedback page (var/feedback/{student}/{lesson}/{lesson}.html): grade it first"
        elif name in entries:
            reason = f"its feedback would be named {name!r}, as another learner's is"
        if reason:
            left_out.append(f"{student}: {reason}")
        else:
            entries[name] = pages[student]
    if not entries:
        raise FeedbackZipError(f"no learner of lesson {lesson} came from a {lms} zip of submissions ("
                               f"{len(left_out)} left out, e.g. {left_out[0]}); grade the LMS's zip with "
                               "course autograde ZIP first")
    target = Path(to) if to is not None else var / "export" / f"feedback-{lesson}-{lms}.zip"
    _write(target, entries)
    return target, left_out


def _entry(sidecar: Path, lesson: str, lms: str) -> tuple[str, str]:
    """(the learner's file name in the zip, "") or ("", why the learner is left out)."""
    try:
        said = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "", "no lms.json beside the submission: it did not come from an LMS zip"
    except (OSError, ValueError) as error:
        return "", f"its lms.json cannot be read ({type(error).__name__})"
    came = said.get("lms") if isinstance(said, dict) else None
    if came != lms:
        return "", f"from {str(came)[:20] if came else 'no LMS'}, not {lms}"
    prefix = _prefix(str(said.get("file", "")), lms, str(said.get("lms_id", "")))
    if not prefix:
        return "", (f"its LMS file name {str(said.get('file', ''))[:120]!r} is not one {lms} writes with its id "
                    f"{str(said.get('lms_id', ''))[:40]!r}")
    return f"{prefix}{lesson}-feedback.html", ""


def _prefix(member: str, lms: str, lms_id: str) -> str:
    """The LMS's prefix of the learner's file `member` (its path in the LMS's zip), or "" if it has none for `lms_id`."""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    candidates = ["/".join(parts[-2:]), *parts[-1:]] if lms == "moodle" else list(parts[-1:])
    for candidate in candidates:
        found = (MOODLE if lms == "moodle" else CANVAS).fullmatch(candidate)
        if found and found["user"] == lms_id:
            prefix = candidate[:found.start("file")].rstrip("/")
            return prefix if all(c.isprintable() for c in prefix) else ""
    return ""


def _write(target: Path, entries: dict[str, Path]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, page in sorted(entries.items()):
                archive.write(page, name)
        os.chmod(partial, 0o644)  # as any file the course writes (mkstemp makes it private)
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
