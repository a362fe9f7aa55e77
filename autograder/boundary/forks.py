"""Tests' processes from a session's worker: the next one asked for while a test runs.

Every hidden test runs in a fork of the notebook's worker (autograder.boundary.forked). When a test
takes its process, the next one is asked for at once: the worker forks it (copying its page tables,
2-3 ms for a notebook's worker) while the test runs, on another core, and the next test finds it
waiting. The worker's answer is read before anything else is asked of it (`settle`), so every other
request still gets its own answer. A process asked for ahead is a test's only while it is a fork of
the same cells by the same worker; when a cell runs, or the worker is another, it is ended unused.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograder.boundary.link import WorkerDied

if TYPE_CHECKING:
    from autograder.boundary.session import LearnerSession

__all__ = ["Forks"]


@dataclass
class _Ahead:
    """A fork asked for before a test wanted it."""

    sock: socket.socket
    cpu: int | None   # the core it was asked to run on
    cells: int        # the cells its worker had run when it was asked for
    generation: int   # which of the session's worker processes forked it
    answered: bool = False  # whether the worker's answer (its pid) is read
    pid: int | None = None


class Forks:
    """The forks of one session's worker: the one asked for ahead, and the worker's answer it may still owe."""

    def __init__(self, session: LearnerSession) -> None:
        self.session = session
        self._ahead: _Ahead | None = None

    def take(self) -> tuple[socket.socket, int, int | None]:
        """A test's process: the one asked for ahead if it still fits, else one asked for now. Our end of its socket,
        its pid in the sandbox and the core it was asked to run on (the caller moves it if the test's differs)."""
        session = self.session
        self.settle()
        ahead, self._ahead = self._ahead, None
        if ahead is not None and (ahead.pid is None or (ahead.generation, ahead.cells) != (session.generation,
                                                                                            len(session.cells))):
            self._drop(ahead)
            ahead = None
        if ahead is None:
            ahead = self._ask()  # `WorkerDied` if the worker is gone
            self._answer(ahead)
        pid = ahead.pid
        if pid is None:
            ahead.sock.close()
            raise WorkerDied("the worker could not fork a process for the test")
        try:
            self._ahead = self._ask()  # the next one, forked while this test runs
        except WorkerDied:
            pass  # the test's own request finds out, and says so
        return ahead.sock, pid, ahead.cpu

    def drop_ahead(self) -> None:
        """A cell is about to run: a fork asked for ahead would not have it."""
        self.settle()
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            self._drop(ahead)

    def settle(self) -> None:
        """Read the answer the worker owes for the fork asked for ahead, if any; `WorkerDied` if it ends first."""
        if self.session._sock is None:  # no worker: nothing it owes can come
            self.forget()
        elif self._ahead is not None:
            self._answer(self._ahead)

    def forget(self) -> None:
        """The worker is gone, and its forks with it: nothing is owed."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.sock.close()

    def _ask(self) -> _Ahead:
        """Ask the worker for a fork, without waiting for its answer."""
        session = self.session
        if session._sock is None:
            raise WorkerDied("the worker is gone")
        ours, theirs = socket.socketpair()
        try:
            session._send({"op": "fork", "cpu": session._cpu}, session._deadline(), (theirs.fileno(),))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return _Ahead(ours, session._cpu, len(session.cells), session.generation)

    def _answer(self, ahead: _Ahead) -> None:
        """Read the worker's answer to `ahead`'s fork request (its pid, or None if it could not fork), once."""
        if ahead.answered:
            return
        ahead.answered = True
        session = self.session
        answer = session._receive(session._deadline())
        pid = answer.get("ok") if isinstance(answer, dict) else None
        ahead.pid = pid if type(pid) is int else None

    def _drop(self, ahead: _Ahead) -> None:
        ahead.sock.close()
        if ahead.pid is not None and ahead.generation == self.session.generation:
            self.session._end(ahead.pid)
