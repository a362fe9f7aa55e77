"""The file names Canvas and Moodle give submissions, and which file of each learner is graded.

    Canvas   lastfirst[_LATE]_<userid>_<submissionid>_<file>        smithjohn_LATE_20001_99187_05-x-1.ipynb
    Moodle   Full Name_<participantid>_assignsubmission_file_<file>  Jo Lee_77_assignsubmission_file_05-x.ipynb
             (or the same prefix as a folder: Jo Lee_77_assignsubmission_file_/05-x.ipynb)

Why this module: nbgrader's zip_collect keys a learner by whatever its plugin returns and stops
the whole run (`sys.exit(1)`, its log hidden) when two files land on one learner. So the decision
is made here first, from the zip's own listing, and zip_collect only copies what was decided:

  - a learner is keyed by the id the LMS put in the name (Canvas's user id, Moodle's participant
    id), never by the name: two `smithjohn`s with different ids are two learners;
  - one learner with several notebooks keeps one: the latest resubmission (Canvas appends `-1`,
    `-2`... to the original name), then the latest zip time; the others are named in a note;
  - when nothing tells two different notebooks apart, `choose` refuses with one line naming them;
  - Canvas's `LATE` marker and the zip entry's time are kept with the file (`LmsFile.late`, `.when`).

Moodle's participant id belongs to one assignment: the same person has another in the next
lesson's zip, so across lessons learners from Moodle are told apart only once a roster is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

__all__ = ["CANVAS", "MOODLE", "Choice", "LmsFile", "RefusedInput", "choose", "parse"]

CANVAS = re.compile(r"(?P<name>[^_/]+)_(?:(?P<late>late|LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>[^/]+)")
MOODLE = re.compile(r"(?P<name>[^_/]+?)_(?P<user>\d+)_assignsubmission_file_/?(?P<file>[^/]+)")
_RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[A-Za-z0-9]+)$")


class RefusedInput(ValueError):
    """The zip cannot be graded as it is; the message names the files, in one line."""


@dataclass(frozen=True)
class LmsFile:
    """One file of an LMS export, as its name describes it."""

    member: str          # its path inside the zip
    lms: str             # "canvas" or "moodle"
    user_id: str         # the LMS's id of the learner: the key
    name: str            # the name part (Canvas: "lastfirst", lower case; Moodle: the full name)
    file: str            # the learner's own file name, resubmission suffix included
    late: bool = False   # Canvas wrote LATE into the name
    when: datetime | None = None  # the zip entry's time (the LMS wrote it; no time zone)

    @property
    def original(self) -> str:
        """The file name the learner uploaded, without Canvas's `-N` resubmission suffix."""
        match = _RESUBMITTED.match(self.file)
        return f"{match['stem']}{match['ext']}" if match else self.file

    @property
    def attempt(self) -> int:
        """Canvas's resubmission number: 0 for the first upload, N for `name-N.ext`."""
        match = _RESUBMITTED.match(self.file)
        return int(match["n"]) if match else 0


@dataclass
class Choice:
    """What `choose` decided: one notebook per learner, and why any other file was left out."""

    kept: dict[str, LmsFile] = field(default_factory=dict)       # user id -> the notebook to grade
    notes: dict[str, list[str]] = field(default_factory=dict)    # user id -> what was decided about them
    left_out: list[str] = field(default_factory=list)            # members not graded (superseded uploads)


def parse(member: str) -> LmsFile | None:
    """The LMS file `member` (a path inside the zip) names, or None when it is named by neither LMS."""
    parts = PurePosixPath(member).parts
    candidates = ["/".join(parts[-2:]), parts[-1]] if len(parts) > 1 else [member]
    for candidate in candidates:
        found = MOODLE.fullmatch(candidate)
        if found:
            return LmsFile(member, "moodle", found["user"], found["name"].strip(), found["file"])
        found = CANVAS.fullmatch(candidate)
        if found and "/" not in candidate:
            return LmsFile(member, "canvas", found["user"], found["name"], found["file"], late=bool(found["late"]))
    return None


def _order(entry: LmsFile) -> tuple[int, datetime, str]:
    return (entry.attempt, entry.when or datetime.min, entry.member)


def choose(files: list[LmsFile], notebook: str, same: dict[str, bytes] | None = None) -> Choice:
    """Pick each learner's notebook among `files` (all .ipynb); `notebook` is the lesson's file name.

    `same` maps a member to its bytes, to tell a re-upload of the same notebook from a different one.
    Raises `RefusedInput` when a learner's notebooks cannot be ordered (same attempt, same time,
    different content), or when one id is both a Canvas and a Moodle learner's."""
    by_user: dict[str, list[LmsFile]] = {}
    for entry in files:
        by_user.setdefault(entry.user_id, []).append(entry)
    for user, entries in sorted(by_user.items()):
        if len({e.lms for e in entries}) > 1:  # Canvas's 77 and Moodle's 77 are not one learner
            listed = ", ".join(sorted(e.member for e in entries))
            raise RefusedInput(f"id {user} names a Canvas and a Moodle learner ({listed}); grade each LMS's zip "
                               "on its own")
    choice = Choice()
    names: dict[str, set[str]] = {}
    for user, entries in sorted(by_user.items()):
        names.setdefault(_slug(entries[0].name), set()).add(user)
        named = [e for e in entries if e.original == notebook] or entries  # the lesson's notebook first
        named.sort(key=_order)
        best = named[-1]
        rivals = [e for e in named[:-1] if _order(e)[:2] == _order(best)[:2]]
        if rivals and (same is None or any(same.get(r.member) != same.get(best.member) for r in rivals)):
            listed = ", ".join(e.member for e in [*rivals, best])
            raise RefusedInput(f"learner {user} uploaded different notebooks with nothing to tell which is the "
                               f"latest (same resubmission number, same time): {listed}; keep one and zip again")
        choice.kept[user] = best
        notes = choice.notes.setdefault(user, [])
        if best.late:
            notes.append("the LMS marked this submission late")
        others = [e for e in entries if e is not best]
        if others:
            notes.append(f"graded {best.file} (the latest upload); also uploaded, not graded: "
                         f"{', '.join(e.file for e in others)}")
            choice.left_out += [e.member for e in others]
    for slug, users in names.items():
        if len(users) > 1:
            for user in users:
                namesakes = ", ".join(sorted(users - {user}))
                choice.notes[user].append(f"shares the name {slug!r} with LMS id {namesakes}: kept apart by id")
    choice.notes = {user: notes for user, notes in choice.notes.items() if notes}
    return choice


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-").lower()
