"""A worker started before its submission arrives, so that no submission of a cohort waits for one.

    session = warm.session(files, limits=limits)   # the worker started ahead for these files, or a new one
    warm.ahead(files, limits=limits)                # the next submission's: it starts while this one is graded
    with session: ...

A worker's start is the same for every submission of a lesson: the sandbox, an interpreter, and
the imports every notebook makes (IPython, pydantic, openai, and the widgets for a lesson that shows
them: about 0.6 s of CPU; course.worker, autograder.boundary.warmup).
Nothing of the submission is in it: the worker's folder holds the lesson's release files only,
and its first cell is the learner's. So a cohort starts the next worker while the current one is
graded, on the machine's other core, and each submission after the first finds its worker ready,
with the brand-new interpreter its tests' restarts fork already started beside it.
Plain nbgrader starts a kernel for every notebook; this is the trusted path's answer to that.

One worker is kept ahead at a time, for one set of files and limits, by the process that started
it (a forked child never sees its parent's); it is ended when that process exits (a pool process
included) or by `discard()`.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from pathlib import Path

from autograder.boundary.link import WorkerDied
from autograder.boundary.sandbox import Limits, Sandbox, detect
from autograder.boundary.session import LearnerSession

__all__ = ["ahead", "discard", "session"]

log = logging.getLogger(__name__)

_Key = tuple[str, Limits, Sandbox]
_AHEAD: dict[_Key, LearnerSession] = {}
_OWNER = [os.getpid()]  # the process whose workers _AHEAD holds
_LOCK = threading.Lock()  # a Dask worker grades in threads


def _mine() -> dict[_Key, LearnerSession]:
    """This process's workers kept ahead: after a fork, the parent's are forgotten here (never used, never ended)."""
    if _OWNER[0] != os.getpid():
        _AHEAD.clear()
        _OWNER[0] = os.getpid()
    return _AHEAD


def _key(files: Path | None, limits: Limits | None, sandbox: Sandbox | None) -> _Key:
    return (str(Path(files).resolve()) if files is not None else "", limits or Limits(), sandbox or detect())


def session(files: Path | None, *, limits: Limits | None = None, sandbox: Sandbox | None = None) -> LearnerSession:
    """A session for the next submission: the worker started ahead for these files (waited for; the submission's
    clock starts when it is ready), or a new session when there is none or it failed to start."""
    key = _key(files, limits, sandbox)
    with _LOCK:
        started = _mine().pop(key, None)
    if started is not None:
        try:
            started.ready()
            return started
        except WorkerDied:
            started.close()
    return LearnerSession(files, limits=key[1], sandbox=key[2])


def ahead(files: Path | None, *, limits: Limits | None = None, sandbox: Sandbox | None = None,
          interpreters: int = 0) -> None:
    """Start the worker of the next submission with these files now (it is not waited for), and the `interpreters`
    its tests will ask for (`LearnerSession.start_interpreters_ahead`). Never raises: where none can be started
    now, the next submission starts its own, as without this."""
    key = _key(files, limits, sandbox)
    with _LOCK:
        if key in _mine():
            return
    discard()  # one at a time: a worker kept for other files is not needed any more
    try:
        started = LearnerSession(files, limits=key[1], sandbox=key[2])
    except Exception:
        log.warning("could not prepare a worker ahead; the next submission starts its own", exc_info=True)
        return
    try:
        started.start_ahead()
        started.start_interpreters_ahead(interpreters)
    except Exception:
        started.close()
        log.warning("could not start a worker ahead; the next submission starts its own", exc_info=True)
        return
    with _LOCK:
        _mine()[key] = started


def discard() -> None:
    """End the worker kept ahead, if any (the batch is over)."""
    with _LOCK:
        kept = list(_mine().values())
        _AHEAD.clear()
    for started in kept:
        started.close()


atexit.register(discard)
