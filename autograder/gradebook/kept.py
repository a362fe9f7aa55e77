"""nbgrader's gradebook, opened once per file in this process: a cohort records a verdict per submission.

    with gradebook_at(path, course_id) as gb:   # an nbgrader `Gradebook`, its whole API
        gb.add_submission(...)

Opening `nbgrader.api.Gradebook` makes a new SQLAlchemy engine, checks every table, and then compiles
each statement the gradebook runs again, since the compiled forms are kept by the engine: 20 ms of a
submission's 55 ms in `verdicts.record`. Here the first opening of a file is nbgrader's own (it checks
the tables, adds the course); later ones reuse its engine and so its compiled statements. Every use
still opens its own SQLite connection (no pool), so a file replaced on disk is the new file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["gradebook_at"]

_ENGINES: dict[str, tuple[tuple[int, int], Any]] = {}  # path -> (its file's device and inode, an engine)


@contextmanager
def gradebook_at(path: Path | str, course_id: str) -> Iterator[Any]:
    """An nbgrader `Gradebook` of the gradebook file at `path` (autograder.gradebook.nbgrader_run.new_gradebook makes
    one) for `course_id`."""
    from nbgrader.api import Gradebook
    from sqlalchemy import create_engine
    from sqlalchemy.orm import scoped_session, sessionmaker
    from sqlalchemy.pool import NullPool

    where = str(Path(path).resolve())
    url = f"sqlite:///{where}"
    kept = _ENGINES.get(where)
    if kept is None or kept[0] != _identity(where):
        with Gradebook(url, course_id):  # nbgrader's own opening: tables, alembic version, the course
            pass
        kept = (_identity(where), create_engine(url, future=True, poolclass=NullPool))
        _ENGINES[where] = kept
    gb = Gradebook.__new__(Gradebook)  # nbgrader's Gradebook on the kept engine: what its __init__ sets
    gb.engine, gb.authenticator = kept[1], None
    gb.db = scoped_session(sessionmaker(autoflush=True, bind=kept[1], future=True))
    try:
        gb.check_course(course_id=course_id)
        gb.course_id = course_id
        yield gb
    finally:
        gb.db.remove()


def _identity(path: str) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_dev, found.st_ino
