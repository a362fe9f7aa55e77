"""Run real nbgrader in this process: gradebooks, generate_assignment, autograde, feedback.

In-process nbgrader costs ~1 s per notebook against ~3.5 s for the `nbgrader` command (most of
it start-up). Each run:
  - builds the course configuration for `root` (autograder.gradebook.config), optionally with another
    gradebook or other directories (`overrides`, e.g. {"release_directory": "var/release"});
  - captures nbgrader's log and raises `NbgraderFailed` (with the log) when nbgrader fails;
  - runs kernels with COURSE_OFFLINE=1 and without real-model variables in their environment;
  - silences SQLAlchemy's warnings from inside nbgrader in this process.
Runs are not thread-safe (nbgrader changes the working directory); never run two into one gradebook.

A new gradebook is created in-process in ~0.1 s (`new_gradebook`), instead of the ~2.4 s nbgrader
spends running alembic as a subprocess to stamp its schema version.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder.gradebook.config import nbgrader_config
from course.llm.settings import offline_environment

__all__ = ["NbgraderFailed", "alembic_head", "autograde", "generate_assignment", "generate_feedback",
           "grading_environment", "new_gradebook"]

_counter = itertools.count()


class NbgraderFailed(RuntimeError):
    """nbgrader reported a failure; `log` holds what it said."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message)
        self.log = log


def alembic_head() -> str:
    """The schema revision nbgrader's migrations end at (what `alembic heads` would print)."""
    import nbgrader.dbutil

    revisions, parents = set(), set()
    for path in Path(nbgrader.dbutil.ALEMBIC_DIR, "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision\s*=\s*['\"](\w+)['\"]", text, flags=re.M)
        down = re.search(r"^down_revision\s*=\s*['\"](\w+)['\"]", text, flags=re.M)
        if revision:
            revisions.add(revision.group(1))
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"cannot tell nbgrader's schema head from its migrations: {sorted(heads)}")
    return heads.pop()


def new_gradebook(path: Path | str) -> Path:
    """Create an empty, stamped gradebook at `path` (as nbgrader would, without the alembic subprocess)."""
    from sqlalchemy import create_engine, text

    with _quiet():
        from nbgrader.api import Base

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        engine = create_engine(f"sqlite:///{path}", future=True)
        try:
            Base.metadata.create_all(bind=engine)
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": alembic_head()})
        finally:
            engine.dispose()
    return path


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SAWarning and friends from nbgrader's SQLAlchemy models
        yield


grading_environment = offline_environment  # kernels started inside get COURSE_OFFLINE=1, no real-model settings


def _run(converter: str, root: Path | str, assignment: str, *, student: str = "*", gradebook: Path | str | None = None,
         overrides: dict[str, Any] | None = None, **traits: Any) -> str:
    with _quiet():
        import nbgrader.converters as converters
        from nbgrader.coursedir import CourseDirectory

        config = nbgrader_config(root, gradebook=gradebook)
        for name, value in (overrides or {}).items():
            setattr(config.CourseDirectory, name, value)
        buffer = io.StringIO()
        log = logging.getLogger(f"course.grading.nbgrader.{next(_counter)}")
        log.propagate = False
        log.setLevel(logging.INFO)
        handler = logging.StreamHandler(buffer)
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
        log.addHandler(handler)
        coursedir = CourseDirectory(config=config, log=log)
        coursedir.assignment_id = assignment
        coursedir.student_id = student
        app = getattr(converters, converter)(coursedir=coursedir, config=config, log=log)
        for name, value in traits.items():
            setattr(app, name, value)
        try:
            with grading_environment():
                app.start()
        except Exception as error:  # NbGraderException and anything nbgrader let through
            raise NbgraderFailed(f"nbgrader {converter} {assignment} failed: {error}", buffer.getvalue()) from error
        finally:
            log.removeHandler(handler)
        return buffer.getvalue()


def generate_assignment(root: Path | str, assignment: str, **options: Any) -> str:
    """`nbgrader generate_assignment ASSIGNMENT --force`; returns nbgrader's log."""
    return _run("GenerateAssignment", root, assignment, student=".", force=True, create_assignment=True, **options)


def autograde(root: Path | str, assignment: str, student: str = "*", **options: Any) -> str:
    """`nbgrader autograde ASSIGNMENT --student STUDENT --force` (students in var/submitted)."""
    return _run("Autograde", root, assignment, student=student, force=True, create_student=True, **options)


def generate_feedback(root: Path | str, assignment: str, student: str = "*", **options: Any) -> str:
    """`nbgrader generate_feedback` with the course's sanitiser and template: HTML in var/feedback/STUDENT/ASSIGNMENT/.

    nbgrader's page lists every graded cell as "Test cell"; the course's template (autograder.gradebook.config,
    autograder.gradebook.preprocessors) names each by what it checks, with its score and, for a lost test, its
    message, so a learner sees at a glance which behaviour lost the points and why.
    """
    return _run("GenerateFeedback", root, assignment, student=student, force=True, **options)
