"""Workers started ahead of their submission (autograder.boundary.warm), tried on real sandboxed workers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from autograder.boundary import folder, warm
from autograder.boundary.remote import Learner
from autograder.boundary.sandbox import Limits
from autograder.boundary.session import LearnerSession


@pytest.fixture
def files(tmp_path: Path):  # type: ignore[no-untyped-def]
    release = tmp_path / "release"
    release.mkdir()
    (release / "data.txt").write_text("a release file", encoding="utf-8")
    yield release
    warm.discard()


def _kept() -> LearnerSession:
    (kept,) = warm._AHEAD.values()
    return kept


def test_the_next_session_is_the_worker_started_ahead_with_the_release_files_and_a_clock_from_now(files: Path) -> None:
    limits = Limits(submission_seconds=30)
    warm.ahead(files, limits=limits)
    taken = time.monotonic()
    with warm.session(files, limits=limits) as session:
        assert session.generation == 1, "no worker had been started ahead for these files"
        assert session.deadline >= taken + 30, "the submission's clock started when the worker did, not when taken"
        assert session.run_cell("TEXT = open('data.txt').read()") == {"ok": True}
        assert Learner(session)["TEXT"].value == "a release file"
    assert not warm._AHEAD


def test_a_submission_sees_nothing_of_the_one_graded_before_it(files: Path) -> None:
    warm.ahead(files)
    with warm.session(files) as first:
        warm.ahead(files)  # as a cohort does: the next worker starts while this one is graded
        assert first.run_cell("SECRET = 'the first learner'\nopen('notes.txt', 'w').write('mine')") == {"ok": True}
    with warm.session(files) as second:
        assert second.generation == 1, "the second submission did not get the worker started for it"
        assert second.run_cell("SECRET")["raised"]["type"] == "NameError"
        assert second.run_cell("import os\nassert not os.path.exists('notes.txt')") == {"ok": True}


def test_a_worker_that_died_while_waiting_is_replaced_and_the_submission_is_graded(files: Path) -> None:
    warm.ahead(files)
    waiting = _kept()
    os.killpg(waiting._process.pid, signal.SIGKILL)  # type: ignore[union-attr]
    with warm.session(files) as session:
        assert session is not waiting
        assert session.run_cell("x = 1 + 1") == {"ok": True}
        assert Learner(session)["x"].value == 2
    assert not waiting.workdir.exists(), "the dead worker's folder was left behind"


def test_other_files_or_limits_get_a_new_worker_and_only_one_is_kept(files: Path, tmp_path: Path) -> None:
    warm.ahead(files)
    first = _kept()
    other = tmp_path / "other"
    other.mkdir()
    warm.ahead(other)  # the one kept for `files` is ended
    assert first._process is None and not first.workdir.exists()
    with warm.session(files, limits=Limits(submission_seconds=30)) as session:
        assert session.generation == 0, "a worker started for other files was used"
    assert len(warm._AHEAD) == 1


def test_discard_ends_the_worker_and_removes_its_folder(files: Path) -> None:
    warm.ahead(files)
    kept = _kept()
    process = kept._process
    assert process is not None and process.poll() is None
    warm.discard()
    assert process.poll() is not None, "the worker kept ahead still runs"
    assert not kept.workdir.exists()


def test_a_forked_process_never_takes_its_parents_worker(files: Path) -> None:
    warm.ahead(files)
    kept = _kept()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it is given must be a new session of its own
        try:
            session = warm.session(files)
            new = session is not kept and session.generation == 0
            os.write(write, b"new" if new else b"parent's")
            if new:
                session.close()  # its folder; never the parent's worker
        finally:
            os._exit(0)
    os.close(write)
    said = os.read(read, 16)
    os.waitpid(pid, 0)
    os.close(read)
    assert said == b"new"
    assert _kept() is kept and kept._process is not None and kept._process.poll() is None, \
        "the child ended or took the parent's worker"
    with warm.session(files) as session:
        assert session is kept and session.run_cell("y = 2") == {"ok": True}


def test_the_interpreters_its_tests_ask_for_are_started_with_the_next_worker_and_end_with_its_session(files: Path) -> None:
    warm.ahead(files, interpreters=1)
    waiting = _kept()._interpreters[0]._process
    assert waiting is not None and waiting.poll() is None
    with warm.session(files) as session:
        session.start_interpreters_ahead(1)  # as the engine asks: the one started ahead counts, none more starts
        assert [i._process for i in session._interpreters] == [waiting]
        assert session.run_cell("SALT = hash('salt')") == {"ok": True}
        learner = Learner(session)
        with learner.fresh(interpreter=True) as other:
            assert other.session.parent._process is waiting, "a test's restart did not get the interpreter started ahead"
            assert other["SALT"].value != learner["SALT"].value, "the cells were not replayed in a new interpreter"
    assert waiting.poll() is not None, "an interpreter started ahead outlived its session"


def test_a_worker_folder_made_while_a_session_is_open_is_not_made_inside_its_folder() -> None:
    with LearnerSession() as session:  # the grader's temporary files go into the worker's folder meanwhile
        made = folder.make(1)
        try:
            assert session.workdir not in made.path.parents, "the new folder would go when this session's does"
        finally:
            made.close()
