"""One channel to one worker process: a request, its deadline, and what the worker may ask meanwhile.

The grading side of the trust boundary reads frames here and nowhere else (course.worker.channel
parses them: JSON only, with size and depth limits). A request's deadline is fixed when it is sent
(`Limits.call_seconds`, within the submission's own `deadline` and within any request it nests in);
no frame the worker sends moves it. While a request is in progress the worker may send:
  {"op": "model", "body": ...}     a model request: answered by the grader's fake model
                                   (`course.llm.current_fake()`, so the transcript is the grader's),
                                   only while a test's call is in progress; else a 503
  {"op": "callback", "id": n, ...} a call to grader function n (a stand-in), answered by `on_callback`
Anything else that is not the answer, or no answer in time, ends the worker (`WorkerDied`, or
`TimeLimit` when the submission's own clock ran out).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

from autograder.boundary.sandbox import INSIDE, Limits, Sandbox
from course.llm import current_fake
from course.worker import channel

__all__ = ["Link", "TimeLimit", "WorkerDied", "describe_exit"]


class WorkerDied(RuntimeError):
    """The worker ended while answering; `reason` says how, in the learner's terms."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TimeLimit(WorkerDied):
    """The submission used up its wall clock: nothing more of it runs."""


_MAX_RESTARTS = 8
_SHARED: set[Path] = set()  # files already handed to the worker's uid (a folder's files die with it)

_NO_MODEL: dict[str, Any] = {"status": 503, "headers": {"content-type": "application/json"}, "body": {"error": {
    "message": "no model is in play while a cell runs in grading", "type": "server_error"}}}


class Link:
    """What a session with one worker process shares: its socket, clocks, folder and callbacks.

    Subclasses say how the process starts (`_start`), ends (`kill`) and why it died (`_death_reason`).
    """

    def __init__(self, limits: Limits, sandbox: Sandbox, workdir: Path, deadline: float, uid: int | None) -> None:
        self.limits = limits
        self.uid = uid  # the host uid its workers run as (a root grader), else None
        self.sandbox = sandbox
        self.workdir = workdir
        self.deadline = deadline
        self.on_callback: Any = None       # set by the Learner: answers the worker's calls to grader functions
        self.generation = 0                # how many worker processes this session has started
        self.restarts = 0
        self._sock: socket.socket | None = None
        self._deadlines: list[float] = []  # of the requests in progress (a callback's request nests in its call's)
        self._models = False               # whether a test's model is in play for the request in progress

    # -- what subclasses provide ------------------------------------------------------------------

    def _start(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def _death_reason(self, error: Exception) -> str:
        raise NotImplementedError

    # -- the folder and the clock ---------------------------------------------------------------

    @property
    def out_of_time(self) -> bool:
        """Whether the submission's wall clock has run out: nothing more of it runs."""
        return time.monotonic() >= self.deadline

    @property
    def time_limit(self) -> str:
        return (f"the submission used up its {self.limits.submission_seconds:g} seconds in all "
                "(cells and tests together); what was left did not run")

    def path_inside(self, path: Path) -> str:
        """Where the worker sees `path`, a file of its folder (its folder is not at the same path inside)."""
        return f"{INSIDE}/{path.name}" if self.sandbox.kind == "bubblewrap" else str(path)

    def share(self, path: Path) -> None:
        """Let the worker write `path`, a file of the grader's in its folder (a test shop, and SQLite's files beside it).

        Once per file: SQLite running as root gives the files it makes beside a database the database's owner.
        """
        if self.uid is None or path in _SHARED:
            return
        _SHARED.add(path)
        for item in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
            try:
                os.chown(item, self.uid, self.uid, follow_symlinks=False)
            except FileNotFoundError:
                pass

    # -- requests -----------------------------------------------------------------------------------

    def _ensure(self) -> None:
        """A worker process to ask, started (again, up to `_MAX_RESTARTS` times) if need be, within the time left."""
        if self.out_of_time:
            self.kill()
            raise TimeLimit(self.time_limit)
        if self._sock is not None:
            return
        if self.generation and self.restarts >= _MAX_RESTARTS:
            raise WorkerDied(f"the worker was restarted {_MAX_RESTARTS} times; the remaining tests were not run")
        if self.generation:
            self.restarts += 1
        self._start()

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request for a test and return the worker's answer; `WorkerDied` if it ends first."""
        self._ensure()
        return self._exchange(message, models=True)

    def _deadline(self) -> float:
        """A new request's deadline: its own wall clock, within the submission's and any request it nests in."""
        return min([time.monotonic() + self.limits.call_seconds, self.deadline, *self._deadlines])

    def _exchange(self, message: dict[str, Any], on_death: Any = None, models: bool = False,
                  fds: tuple[int, ...] = ()) -> dict[str, Any]:
        assert self._sock is not None
        deadline = self._deadline()
        self._deadlines.append(deadline)
        outer, self._models = self._models, models
        try:
            self._send(message, deadline, fds)
            while True:
                reply = self._receive(deadline)
                if isinstance(reply, dict) and reply.get("op") == "model":
                    self._send(_model_answer(reply.get("body")) if self._models else _NO_MODEL, deadline)
                    continue
                if isinstance(reply, dict) and reply.get("op") == "callback" and self.on_callback is not None:
                    answer = self.on_callback(reply)  # may itself ask the worker things: nested exchanges
                    self._send(answer, deadline)
                    continue
                if not isinstance(reply, dict):
                    raise channel.ChannelError("an answer that is not an object")
                return reply
        except WorkerDied:
            if on_death:
                on_death()
            raise
        except (OSError, channel.ChannelError) as error:
            reason = self._death_reason(error)
            if on_death:
                on_death()
            raise WorkerDied(reason) from None
        finally:
            self._deadlines.pop()
            self._models = outer

    def _send(self, message: dict[str, Any], deadline: float, fds: tuple[int, ...] = ()) -> None:
        """One frame to the worker (and `fds` right after it, on one byte), all before `deadline`."""
        def send() -> None:
            assert self._sock is not None
            channel.send(self._sock, message, deadline)
            if fds:
                socket.send_fds(self._sock, [b"\0"], list(fds))
        self._before(deadline, send)

    def _receive(self, deadline: float) -> Any:
        """The worker's next frame, whole, before `deadline` (time.monotonic()); else the worker is killed."""
        return self._before(deadline, lambda: channel.receive(self._sock, deadline))  # type: ignore[arg-type]

    def _before(self, deadline: float, io: Any) -> Any:
        assert self._sock is not None
        try:
            return io()
        except TimeoutError:
            self.kill()
            if deadline >= self.deadline:
                raise TimeLimit(self.time_limit) from None
            raise WorkerDied(f"it ran for more than {self.limits.call_seconds:g} seconds without answering "
                             "(an endless loop?)") from None
        except (OSError, channel.ChannelError) as error:
            raise WorkerDied(self._death_reason(error)) from None


def describe_exit(code: int | None, error: Exception) -> str:
    """Why a worker ended, from its exit code (negative: a signal) or None when it is still unknown."""
    if isinstance(error, channel.ChannelError) and not isinstance(error, channel.ChannelClosed):
        return f"it sent the grader something that is not an answer ({error})"
    if code is None:
        return "it stopped answering"
    if code < 0:
        return _SIGNALS.get(-code, f"it was ended by signal {-code}")
    return f"the process exited with status {code} (os._exit or sys.exit outside a cell?)"


_SIGNALS: dict[int, str] = {
    signal.SIGKILL: "it was killed (out of memory, or stopped from outside)", signal.SIGXCPU: "it used up its CPU time",
    signal.SIGXFSZ: "it wrote a file larger than allowed", signal.SIGSEGV: "it crashed (segmentation fault)",
    signal.SIGABRT: "it aborted"}


def _model_answer(body: Any) -> dict[str, Any]:
    """The grader's fake model answers one request from the worker."""
    fake = current_fake()
    if fake is None:
        return {"status": 503, "headers": {"content-type": "application/json"},
                "body": {"error": {"message": "no model is available while grading", "type": "server_error"}}}
    answer = fake.handle(body if isinstance(body, (str, dict)) else "")
    stream = [chunk.decode("utf-8") for chunk in answer.stream] if answer.stream is not None else None
    return {"status": answer.status, "headers": answer.headers, "body": answer.body, "stream": stream,
            "timeout": answer.timeout}
