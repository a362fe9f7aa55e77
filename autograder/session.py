"""A learner's notebook running in a sandboxed worker, as the grader drives it.

    with LearnerSession(files_dir) as session:    # starts the worker (autograder.sandbox)
        session.run_cell("def add(a, b): return a + b")
        session.request({"op": "call", "target": {"name": "add"}, "args": [2, 3]})

The session remembers the cells it ran. When the worker dies (os._exit, a segfault, a memory or
CPU limit, a hang past the wall clock), the request that was running raises `WorkerDied` with
the reason, and the next request starts a new worker and replays those cells first (a cell that
killed the worker is not replayed), so one crash costs only what needed the code that crashed.

Every run has an end: each request has a deadline (`Limits.call_seconds`) fixed when it is sent,
which no frame from the worker extends, and the whole session (its fresh workers included) has
one more (`Limits.submission_seconds`); past it the session raises `TimeLimit` at once for every
request left, so the remaining tests are "not run: time limit" and the batch goes on.

While a learner call runs, the worker may ask for a model completion; the session answers it from
`course.llm.current_fake()`, the grader's own fake model, so the transcript is the grader's. While
a cell runs no model is in play (cells use the worker's own fake): such a request gets a 503.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from course.llm import current_fake
from course.worker import channel

from . import folder
from .sandbox import INSIDE, Limits, PidsCgroup, Sandbox, detect, launch, worker_uid

__all__ = ["LearnerSession", "LocalSession", "TimeLimit", "WorkerDied"]

_MAX_RESTARTS = 8
_SIGNALS: dict[int, str] = {signal.SIGKILL: "it was killed (out of memory, or stopped from outside)",
            signal.SIGXCPU: "it used up its CPU time", signal.SIGXFSZ: "it wrote a file larger than allowed",
            signal.SIGSEGV: "it crashed (segmentation fault)", signal.SIGABRT: "it aborted"}


class WorkerDied(RuntimeError):
    """The worker ended while answering; `reason` says how, in the learner's terms."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TimeLimit(WorkerDied):
    """The submission used up its wall clock: nothing more of it runs."""


class LearnerSession:
    def __init__(self, files: Path | None = None, *, limits: Limits | None = None,
                 sandbox: Sandbox | None = None, workdir: Path | None = None,
                 deadline: float | None = None) -> None:
        self.limits = limits or Limits()
        self.sandbox = sandbox or detect()
        self.deadline = time.monotonic() + self.limits.submission_seconds if deadline is None else deadline
        self._folder: folder.WorkerFolder | None = None
        if workdir is None:  # a folder of its own (a sized tmpfs where possible), removed on close
            self._folder = folder.make(self.limits.disk_mb)
            workdir = self._folder.path
        self.workdir = workdir
        if files is not None:
            for item in Path(files).iterdir():
                if item.is_file() and item.suffix != ".ipynb":
                    shutil.copy(item, self.workdir / item.name)
        self.on_callback: Any = None     # set by the Learner: answers the worker's calls to grader functions
        self.cells: list[str] = []       # what the worker has run, to replay after a crash
        self.fatal: set[int] = set()     # cells that killed a worker: never replayed
        self.restarts = 0
        self.generation = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._cgroup: PidsCgroup | None = None
        self._sock: socket.socket | None = None
        self._deadlines: list[float] = []  # of the requests in progress (a callback's request nests in its call's)
        self._models = False                # whether a test's model is in play for the request in progress

    @property
    def out_of_time(self) -> bool:
        """Whether the submission's wall clock has run out: nothing more of it runs."""
        return time.monotonic() >= self.deadline

    def path_inside(self, path: Path) -> str:
        """Where the worker sees `path`, a file of its folder (its folder is not at the same path inside)."""
        return f"{INSIDE}/{path.name}" if self.sandbox.kind == "bubblewrap" else str(path)

    def share(self, path: Path) -> None:
        """Let the worker write `path`, a file of the grader's in its folder (a test shop, and SQLite's files beside it)."""
        uid = worker_uid()
        if uid is None:
            return
        for item in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
            try:
                os.chown(item, uid, uid, follow_symlinks=False)
            except FileNotFoundError:
                pass

    def clone(self) -> LearnerSession:
        """A second session that replays the same cells in a brand-new worker (a "fresh process").

        It works in the same folder, as another process on the learner's machine would: it sees the
        same files, so it can open the same shop database (a resume "after a restart").
        """
        other = LearnerSession(None, limits=self.limits, sandbox=self.sandbox, workdir=self.workdir,
                               deadline=self.deadline)
        other.cells = list(self.cells)
        other.fatal = set(self.fatal)
        return other

    # -- the worker's life --------------------------------------------------------------------------

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._process, self._cgroup = launch(self.workdir, theirs.fileno(), self.limits, self.sandbox)
        finally:
            theirs.close()
        self._sock = ours
        self.generation += 1
        hello = self._receive(self._deadline())
        if not (isinstance(hello, dict) and hello.get("ready")):
            self.kill()
            raise WorkerDied("the worker did not start")
        for index, source in enumerate(self.cells):
            if index not in self.fatal:
                self._exchange({"op": "run_cell", "source": source}, on_death=lambda i=index: self.fatal.add(i))

    def _ensure(self) -> None:
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

    def kill(self) -> None:
        """End the worker and everything it started (its process group), now."""
        process, self._process = self._process, None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
        if process is not None:
            process.wait()
        cgroup, self._cgroup = self._cgroup, None
        if cgroup is not None:
            _wait_until_empty(cgroup)  # its PID namespace is torn down: nothing it started outlives it
            cgroup.close()

    def close(self) -> None:
        if self._sock is not None:
            try:
                channel.send(self._sock, {"op": "stop"})
            except OSError:
                pass
        self.kill()
        if self._folder is not None:  # a clone leaves the folder it shares to its parent
            self._folder.close()

    def __enter__(self) -> LearnerSession:
        """Inside the block, the grader's temporary files (test shops) go where the worker can open them."""
        self._saved_tempdir = tempfile.tempdir
        tempfile.tempdir = str(self.workdir)
        return self

    def __exit__(self, *exc: object) -> None:
        tempfile.tempdir = self._saved_tempdir
        self.close()

    # -- requests -----------------------------------------------------------------------------------

    def run_cell(self, source: str) -> dict[str, Any]:
        """Run one cell; its answer ({"ok": True} or {"raised": ...}). A cell that kills the worker is not replayed."""
        try:
            self._ensure()  # first: a worker started now replays the cells before this one, not this one
        except WorkerDied as died:
            self.cells.append(source)
            return {"died": died.reason}
        self.cells.append(source)
        index = len(self.cells) - 1
        try:
            return self._exchange({"op": "run_cell", "source": source}, on_death=lambda: self.fatal.add(index))
        except WorkerDied as died:
            return {"died": died.reason}

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the worker's answer; `WorkerDied` if it ends first."""
        self._ensure()
        return self._exchange(message, models=True)

    def _deadline(self) -> float:
        """A new request's deadline: its own wall clock, within the submission's and any request it nests in."""
        return min([time.monotonic() + self.limits.call_seconds, self.deadline, *self._deadlines])

    def _exchange(self, message: dict[str, Any], on_death: Any = None, models: bool = False) -> dict[str, Any]:
        assert self._sock is not None
        deadline = self._deadline()
        self._deadlines.append(deadline)
        outer, self._models = self._models, models
        try:
            channel.send(self._sock, message)
            while True:
                reply = self._receive(deadline)
                if isinstance(reply, dict) and reply.get("op") == "model":
                    channel.send(self._sock, _model_answer(reply.get("body")) if self._models else _NO_MODEL)
                    continue
                if isinstance(reply, dict) and reply.get("op") == "callback" and self.on_callback is not None:
                    answer = self.on_callback(reply)  # may itself ask the worker things: nested exchanges
                    assert self._sock is not None
                    channel.send(self._sock, answer)
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

    def _receive(self, deadline: float) -> Any:
        """The worker's next frame, before `deadline` (time.monotonic()); else the worker is killed."""
        assert self._sock is not None
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            self._sock.settimeout(left)
            return channel.receive(self._sock)
        except TimeoutError:
            self.kill()
            if deadline >= self.deadline:
                raise TimeLimit(self.time_limit) from None
            raise WorkerDied(f"it ran for more than {self.limits.call_seconds:g} seconds without answering "
                             "(an endless loop?)") from None
        except (OSError, channel.ChannelError) as error:
            raise WorkerDied(self._death_reason(error)) from None

    @property
    def time_limit(self) -> str:
        return (f"the submission used up its {self.limits.submission_seconds:g} seconds in all "
                "(cells and tests together); what was left did not run")

    def _death_reason(self, error: Exception) -> str:
        process = self._process
        code = None
        if process is not None:
            try:
                code = process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
        self.kill()
        if isinstance(error, channel.ChannelError) and not isinstance(error, channel.ChannelClosed):
            return f"it sent the grader something that is not an answer ({error})"
        if code is None:
            return "it stopped answering"
        if code < 0:
            return _SIGNALS.get(-code, f"it was ended by signal {-code}")
        return f"the process exited with status {code} (os._exit or sys.exit outside a cell?)"


_NO_MODEL: dict[str, Any] = {"status": 503, "headers": {"content-type": "application/json"}, "body": {"error": {
    "message": "no model is in play while a cell runs in grading", "type": "server_error"}}}


def _wait_until_empty(cgroup: PidsCgroup, seconds: float = 5.0) -> None:
    """Wait (bounded) for the kernel to finish killing a dead worker's PID namespace, then kill what remains."""
    end = time.monotonic() + seconds
    while cgroup.pids() and time.monotonic() < end:
        cgroup.kill_all()
        time.sleep(0.005)


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


class LocalSession:
    """The same requests answered in this process, over `namespace` (plain nbgrader: no sandbox, trusted)."""

    generation = 1
    sandbox = Sandbox("in-kernel", False, "plain nbgrader: the hidden tests run in the learner's kernel")

    def __init__(self, namespace: dict[str, Any]) -> None:
        from course.worker.serve import Worker

        self.on_callback: Any = None
        self._worker = Worker(None, namespace, grader=lambda question: self.on_callback(question))

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        import json

        answer: dict[str, Any] = json.loads(json.dumps(self._worker.answer(message)))  # plain data, as over the channel
        return answer
