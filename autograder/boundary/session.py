"""A learner's notebook running in a sandboxed worker, as the grader drives it.

    with LearnerSession(files_dir) as session:    # starts the worker (autograder.boundary.sandbox)
        session.run_cell("def add(a, b): return a + b")
        with session.fork() as test:               # a test's own process: a fork of the notebook
            test.request({"op": "call", "target": {"name": "add"}, "args": [2, 3]})

The session's worker runs the notebook's cells and nothing else: it is the pristine parent. Each hidden
test runs in a fork of it (`fork()`, course.worker.loop): every test starts from the cells alone, and what
it breaks or kills is gone with its fork. A test's "fresh process" (`clone()`) is another fork, taken in
milliseconds. A restart (`clone(interpreter=True)`) is a fork too, of a brand-new interpreter (its own hash
salt) that replayed the cells once, the first time a test asked: every restart starts from the cells alone
and holds nothing of the test in memory, as a restarted kernel would, for a fork's cost instead of an
interpreter's start and a replay each.

The session remembers the cells it ran. When the worker dies in a cell (os._exit, a segfault, a limit,
a hang), the next request starts a new worker and replays the cells first, except the one that killed
it: one crash costs only what needed the code that crashed. Requests, deadlines: autograder.boundary.link.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder.boundary import cores, folder, warmup
from autograder.boundary.forked import ForkedWorker
from autograder.boundary.forks import Forks
from autograder.boundary.link import Link, TimeLimit, WorkerDied, describe_exit
from autograder.boundary.sandbox import Limits, PidsCgroup, Sandbox, detect, launch, new_worker_uid
from course.worker import channel

__all__ = ["LearnerSession", "TimeLimit", "WorkerDied"]

_START_SECONDS = 60.0  # for a session's first worker to say hello (the sandbox, an interpreter, its imports)

class LearnerSession(Link):
    def __init__(self, files: Path | None = None, *, limits: Limits | None = None,
                 sandbox: Sandbox | None = None, workdir: Path | None = None,
                 deadline: float | None = None, uid: int | None = None, widgets: bool | None = None) -> None:
        limits = limits or Limits()
        self._folder: folder.WorkerFolder | None = None
        if workdir is None:  # a folder of its own (a sized tmpfs where possible), removed on close
            self._folder = folder.make(limits.disk_mb)
            workdir = self._folder.path
        super().__init__(limits, sandbox or detect(), workdir,
                         time.monotonic() + limits.submission_seconds if deadline is None else deadline,
                         new_worker_uid() if uid is None else uid)
        try:
            self.widgets = warmup.shows_widgets(files) if widgets is None else widgets  # imported before the hello
            for item in Path(files).iterdir() if files is not None else ():
                if item.is_file() and item.suffix != ".ipynb":
                    shutil.copy(item, self.workdir / item.name)
        except BaseException:
            if self._folder is not None:  # a mount made for this session goes with it
                self._folder.close()
            raise
        self.cells: list[str] = []       # what the worker has run, to replay after a crash
        self.fatal: set[int] = set()     # cells that killed a worker: never replayed
        self._process: subprocess.Popen[bytes] | None = None
        self._cgroup: PidsCgroup | None = None
        self._greeted = True             # False while a worker started ahead has not said hello yet
        self._interpreters: list[LearnerSession] = []  # started ahead for clone(interpreter=True)
        self._restarted: LearnerSession | None = None  # the cells replayed in a brand-new interpreter: restarts fork it
        self._cpu: int | None = None     # the core a test's processes run on (`one_core`)
        self.forks = Forks(self)         # tests' processes: the next one asked for while a test runs

    def fork(self) -> ForkedWorker:
        """A test's own process: a fork of this worker as the cells left it (started on its first request)."""
        return ForkedWorker(self)

    def clone(self, *, interpreter: bool = False) -> Link:
        """A "fresh process" in the same folder, as another process on the learner's machine would be: it sees
        the same files, so it opens the same shop database (a resume "after a restart").

        A fork of this worker; with `interpreter=True` a fork of a brand-new interpreter that replayed the
        cells (the same one for every restart while no cell runs in between).
        """
        if not interpreter:
            return self.fork()
        base = self._restarted
        if base is None or base.cells != self.cells:
            if base is not None:
                base.close()
            base = self._interpreters.pop(0) if self._interpreters else self._new_interpreter()
            base.deadline = self.deadline
            base.cells = list(self.cells)  # replayed once it has said hello
            base.fatal = set(self.fatal)
            self._restarted = base
        return base.fork()

    def start_interpreters_ahead(self, count: int) -> None:
        """Start the brand-new interpreters the next `count` calls of `clone(interpreter=True)` will get, now: their
        start (the sandbox, the imports) then runs beside the notebook's cells instead of when a test asks."""
        while len(self._interpreters) < count:
            self._interpreters.append(self._new_interpreter())
            self._interpreters[-1].start_ahead()

    def _new_interpreter(self) -> LearnerSession:
        return LearnerSession(None, limits=self.limits, sandbox=self.sandbox, workdir=self.workdir,
                              deadline=self.deadline, uid=self.uid, widgets=self.widgets)

    # -- the worker's life --------------------------------------------------------------------------

    def start_ahead(self) -> None:
        """Start the worker now and return at once: it imports what every notebook needs while the grader does
        something else (autograder.boundary.warm). `ready()` waits for it."""
        if self._sock is None and not self.generation:
            self._launch()
            self._greeted = False

    def ready(self) -> None:
        """Wait for a worker started ahead to be ready (the submission's clock starts then); `WorkerDied` if it failed."""
        self._ensure()

    def _ensure(self) -> None:
        super()._ensure()
        if not self._greeted:  # a worker started ahead: its hello comes before any answer
            self._greeted = True
            self._greet()

    def _start(self) -> None:
        self._launch()
        self._greet()

    def _launch(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._process, self._cgroup = launch(self.workdir, theirs.fileno(), self.limits, self.sandbox, self.uid,
                                                 widgets=self.widgets)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours
        self.generation += 1

    def _greet(self) -> None:
        """The worker's hello, then the cells it must run again (a worker started after a death).

        A session's first worker runs no learner code before its hello: it gets `_START_SECONDS` to start,
        and the submission's clock starts when it is ready. Any later worker starts on the submission's clock.
        """
        first = self.generation == 1 and not self.cells
        limit = time.monotonic() + _START_SECONDS if first else self._deadline()
        try:
            hello = self._receive(limit)
        except WorkerDied:  # past the start's own limit: no endless loop of the learner's, none of their code ran
            if first and time.monotonic() >= limit:
                raise WorkerDied(f"it did not start within {_START_SECONDS:g} seconds (an overloaded machine?)") from None
            raise
        if not (isinstance(hello, dict) and hello.get("ready")):
            self.kill()
            raise WorkerDied("the worker did not start")
        if first:
            self.deadline = time.monotonic() + self.limits.submission_seconds
        for index, source in enumerate(self.cells):
            if index not in self.fatal:
                self._exchange({"op": "run_cell", "source": source}, on_death=lambda i=index: self.fatal.add(i))

    def kill(self) -> None:
        """End the worker and everything it started (its process group, its PID namespace), now."""
        process, self._process = self._process, None
        self.forks.forget()
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
            cgroup.drain()  # its PID namespace is torn down: nothing it started outlives it
            cgroup.close()

    def close(self) -> None:
        while self._interpreters:  # started ahead and not asked for
            self._interpreters.pop().close()
        if self._restarted is not None:
            self._restarted.close()
            self._restarted = None
        if self._sock is not None:
            try:
                channel.send(self._sock, {"op": "stop"}, time.monotonic() + 1)
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
            self.forks.drop_ahead()  # a fork asked for before this cell would not have it
            return self._exchange({"op": "run_cell", "source": source}, on_death=lambda: self.fatal.add(index))
        except WorkerDied as died:
            return {"died": died.reason}

    @contextlib.contextmanager
    def one_core(self) -> Iterator[None]:
        """Inside the block (a test), this thread and the forks it asks for share a core (autograder.boundary.cores)."""
        with cores.pinned() as self._cpu:
            try:
                yield
            finally:
                self._cpu = None

    def _spawn(self) -> tuple[socket.socket, int, int | None]:
        """A fork of the worker (started first if need be): our end of its socket, its pid in the sandbox, and the
        core it was asked to run on (autograder.boundary.forks)."""
        self._ensure()
        return self.forks.take()

    def _exchange(self, message: dict[str, Any], on_death: Any = None, models: bool = False,
                  fds: tuple[int, ...] = ()) -> dict[str, Any]:
        self.forks.settle()  # first the answers the worker owes for forks (autograder.boundary.forks)
        return super()._exchange(message, on_death, models, fds)

    def _end(self, pid: int) -> int | None:
        """Kill and reap a fork (the worker is its parent); its exit code, or None when that cannot be known."""
        if self._sock is None:
            return None
        try:
            code = self._exchange({"op": "end", "pid": pid}).get("ok")
        except WorkerDied:
            return None
        return code if type(code) is int else None

    def _death_reason(self, error: Exception) -> str:
        code = None
        if self._process is not None:
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return describe_exit(code, error)

