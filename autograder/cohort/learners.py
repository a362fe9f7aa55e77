"""What an LMS zip says about its learners, kept where nbgrader keeps learners: its gradebook.

    remember_learners(db, intake.submissions)

Why: the export to an LMS (autograder.cohort.export) needs each learner's LMS id, and formgrader
and `nbgrader export` show names; both read nbgrader's `Student` (its `lms_user_id`,
`first_name`, `last_name`). A learner from a zip is already keyed by the LMS id (the student id),
and gets here:
  - `lms_user_id`: the id from the file name, when the student has none yet;
  - a name, only where the gradebook has none (a roster or formgrader's entry wins): Moodle's
    full name split at its last space, Canvas's `lastfirst` (one word, lower case) as the last name;
(The submission's time, the zip entry's, becomes nbgrader's timestamp in autograder.gradebook.deadlines.)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from autograder.cohort.intake import Submission
from autograder.gradebook.config import COURSE_ID

__all__ = ["learner_names", "remember_learners", "split_name"]


def split_name(lms: str, name: str) -> tuple[str, str]:
    """(first, last) as far as the LMS's file name tells; Canvas's file names hold one lower-case word."""
    if lms == "moodle" and " " in name.strip():
        first, _, last = name.strip().rpartition(" ")
        return first, last
    return "", name.strip()


def remember_learners(gradebook: Path, submissions: Iterable[Submission]) -> int:
    """Put each zip learner's LMS id and name into the gradebook; returns how many learners."""
    from_zip = [s for s in submissions if s.learner is not None]
    if not from_zip:
        return 0
    from autograder.gradebook.nbgrader_run import _quiet

    with _quiet():
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{gradebook}", COURSE_ID) as gb:
            for sub in from_zip:
                assert sub.learner is not None
                student = gb.update_or_create_student(sub.student)
                if not student.lms_user_id and sub.student == sub.learner.lms_id:  # not a roster key (Moodle)
                    student.lms_user_id = sub.learner.lms_id
                if not (student.first_name or student.last_name):
                    student.first_name, student.last_name = split_name(sub.learner.lms, sub.learner.name)
            gb.db.commit()
    return len({s.student for s in from_zip})


def learner_names(gradebook: Path) -> dict[str, str]:
    """Each learner's name as the gradebook has it (a roster import, an LMS zip or formgrader put it there)."""
    if not gradebook.is_file():
        return {}
    from autograder.gradebook.nbgrader_run import _quiet

    with _quiet():
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{gradebook}", COURSE_ID) as gb:
            return {s.id: " ".join(part for part in (s.first_name, s.last_name) if part) for s in gb.students}
