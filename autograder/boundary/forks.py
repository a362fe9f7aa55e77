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
        """A test's process: the one asked for ahead if it still fits, else a fork now. Our end of its socket,
        its pid in the sandbox and the core it was asked to run on (the caller moves it if the test's differs)."""
        session = self.session
        self.settle()
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if ahead.pid is not None and (ahead.generation, ahead.cells) == (session.generation, len(session.cells)):
                self._ask_ahead()  # the next one, forked while this test runs
                return ahead.sock, ahead.pid, ahead.cpu
            self._drop(ahead)
        ours, theirs = socket.socketpair()
        try:
            answer = session._exchange({"op": "fork", "cpu": session._cpu}, fds=(theirs.fileno(),))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        pid = answer.get("ok")
        if type(pid) is not int:
            ours.close()
            raise WorkerDied("the worker could not fork a process for the test")
        self._ask_ahead()
        return ours, pid, session._cpu

    def drop_ahead(self) -> None:
        """A cell is about to run: a fork asked for ahead would not have it."""
        self.settle()
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            self._drop(ahead)

    def settle(self) -> None:
        """Read the answer the worker owes for the fork asked for ahead, if any; `WorkerDied` if it ends first."""
        session, ahead = self.session, self._ahead
        if session._sock is None:  # no worker: nothing it owes can come
            self.forget()
        elif ahead is not None and not ahead.answered:
            ahead.answered = True
            answer = session._receive(session._deadline())
            pid = answer.get("ok") if isinstance(answer, dict) else None
            ahead.pid = pid if type(pid) is int else None

    def forget(self) -> None:
        """The worker is gone, and its forks with it: nothing is owed."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.sock.close()

    def _ask_ahead(self) -> None:
        session = self.session
        ours, theirs = socket.socketpair()
        try:
            asked = self._send({"op": "fork", "cpu": session._cpu}, fds=(theirs.fileno(),))
        finally:
            theirs.close()
        if not asked:
            ours.close()
            return
        self._ahead = _Ahead(ours, session._cpu, len(session.cells), session.generation)

    def _drop(self, ahead: _Ahead) -> None:
        ahead.sock.close()
        if ahead.pid is not None and ahead.generation == self.session.generation:
            self.session._end(ahead.pid)

    def _send(self, message: dict[str, object], fds: tuple[int, ...]) -> bool:
        """Send to the worker without waiting for its answer; False if there is no worker to send to."""
        session = self.session
        if session._sock is None:
            return False
        try:
            session._send(message, session._deadline(), fds)
        except WorkerDied:  # it is gone: the next request starts another and says so
            return False
        return True
