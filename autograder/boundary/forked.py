"""One hidden test's process: a fork of a session's worker, which the session ends when the test does.

The session's worker is the pristine parent (autograder.boundary.session); a fork is taken in
milliseconds and starts from the cells alone, so what a test breaks or kills is gone with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autograder.boundary.link import Link, WorkerDied, describe_exit

if TYPE_CHECKING:
    from autograder.boundary.session import LearnerSession

__all__ = ["ForkedWorker"]


class ForkedWorker(Link):
    """One hidden test's process: a fork of the session's worker, which the session ends when the test does."""

    def __init__(self, parent: LearnerSession) -> None:
        super().__init__(parent.limits, parent.sandbox, parent.workdir, parent.deadline, parent.uid)
        self.parent = parent
        self._pid: int | None = None

    def clone(self, *, interpreter: bool = False) -> Link:
        return self.parent.clone(interpreter=interpreter)

    def _start(self) -> None:
        """A fork of the notebook's worker (again, after a death in this test: it starts from the cells again)."""
        self._sock, self._pid, cpu = self.parent._spawn()
        self.generation += 1
        hello = self._receive(self._deadline())
        if not (isinstance(hello, dict) and hello.get("ready")):
            self.kill()
            raise WorkerDied("the test's process did not start")
        if cpu != self.parent._cpu:  # asked for ahead, on another core than this test's
            self._exchange({"op": "pin", "cpu": self.parent._cpu})

    def kill(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        pid, self._pid = self._pid, None
        if pid is not None:
            self.parent._end(pid)

    close = kill

    def __enter__(self) -> ForkedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _death_reason(self, error: Exception) -> str:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        pid, self._pid = self._pid, None
        return describe_exit(self.parent._end(pid) if pid is not None else None, error)
