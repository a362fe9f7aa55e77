"""What one submission is, and what is kept beside its copy in var/submitted/ so later runs know it too.

    Submission(student, slug, path, note, learner, late, submitted_at, lms_file)

A submission taken from an LMS zip is copied into nbgrader's layout, var/submitted/<student>/<slug>/,
and what the zip said of it is written beside the copy: `lms.json` (the learner, the file's path in
the zip, the LMS's LATE marker, how the input was read) and nbgrader's own `timestamp.txt` (the zip
entry's time; `nbgrader collect` writes the same file). A run on var/submitted/ alone, a regrade of
one learner, the late policy and the feedback zip for the LMS all read them back (`kept`). A sidecar
that cannot be read is ignored, never fatal: the notebook is still graded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["LMS_FILE", "TIMESTAMP_FILE", "InputError", "Intake", "Learner", "Submission", "keep", "kept"]

LMS_FILE = "lms.json"        # beside a submission taken from an LMS zip: who, the LMS's file name, late, the note
TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's: when it was handed in (what `nbgrader collect` and zip_collect write)


class InputError(ValueError):
    """Input that cannot be graded; the message says what is wrong and what to do, in one line."""


@dataclass(frozen=True)
class Learner:
    """Who a submission is from, as the LMS named them (the gradebook's student id is `lms_id`)."""

    lms: str            # "canvas" or "moodle"
    lms_id: str         # Canvas's user id, Moodle's participant id
    name: str           # Canvas: "lastfirst" (lower case, no space); Moodle: the full name


@dataclass(frozen=True)
class Submission:
    student: str
    slug: str
    path: Path          # the notebook to grade (may not exist: then it scores 0, with the reason)
    note: str = ""      # how the input was read, when it was not the expected file
    learner: Learner | None = None        # from an LMS zip: who, by LMS id
    late: bool = False                    # the LMS marked it late (Canvas's LATE)
    submitted_at: datetime | None = None  # the zip entry's time, as the LMS wrote it (or timestamp.txt's)
    lms_file: str = ""                    # the file's path in the LMS's zip (feedback goes back under its name)


@dataclass
class Intake:
    submissions: list[Submission] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # files no learner could be found for
    no_source: dict[str, list[str]] = field(default_factory=dict)  # lesson folder -> students, no such lesson


def keep(sub: Submission, folder: Path) -> None:
    """Write what the input said of `sub` beside its copy (or remove what an earlier input said)."""
    (folder / LMS_FILE).unlink(missing_ok=True)
    if sub.learner is not None:
        said = {"lms": sub.learner.lms, "lms_id": sub.learner.lms_id, "name": sub.learner.name, "file": sub.lms_file,
                "late": sub.late, "note": sub.note}
        (folder / LMS_FILE).write_text(json.dumps(said, indent=1) + "\n", encoding="utf-8")
    if sub.submitted_at is not None:
        (folder / TIMESTAMP_FILE).write_text(sub.submitted_at.isoformat(sep=" ") + "\n", encoding="utf-8")
    else:
        (folder / TIMESTAMP_FILE).unlink(missing_ok=True)


def kept(sub: Submission, folder: Path) -> Submission:
    """`sub` with what `_keep` (or nbgrader) wrote beside it; a sidecar that cannot be read is ignored, never fatal."""
    when = _timestamp(folder / TIMESTAMP_FILE)
    try:
        said = json.loads((folder / LMS_FILE).read_text(encoding="utf-8"))
        learner = Learner(str(said["lms"]), str(said["lms_id"]), str(said["name"]))
        late, lms_file, note = bool(said.get("late")), str(said.get("file", "")), str(said.get("note", ""))
    except (OSError, ValueError, KeyError, TypeError):
        learner, late, lms_file, note = None, False, "", ""
    return Submission(sub.student, sub.slug, sub.path, sub.note or note, learner, late, when, lms_file)


def _timestamp(path: Path) -> datetime | None:
    """nbgrader's timestamp.txt, read as nbgrader reads it (`parse_utc`: a time zone, if given, becomes UTC)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None
