"""The worker's request loop, and the forks that make a "fresh process" cheap.

    python -m course.worker FD   ->   serve(FD): answer the grader on socket FD until it stops

The grading worker runs a notebook's cells and then, for each hidden test, is asked to fork: the
child serves the test on a socket of its own (the grader sends it along with the request, as an
SCM_RIGHTS file descriptor), so every test starts from the notebook's cells and nothing else, and
a test that needs "a fresh process" gets another fork of the same pristine parent in milliseconds
instead of a new interpreter replaying the notebook. The parent never runs learner code while a
test runs; it only forks, and ends (kills and reaps) the children it forked when the grader asks.
A fork shares its parent's hash salt: a test that needs a brand-new interpreter asks the grader
for one (autograder.boundary.session).
"""

from __future__ import annotations

import os
import signal
import socket
from typing import Any

from . import channel
from .serve import Worker
from .values import short_text

__all__ = ["serve"]

_SERVING: list[int] = []  # the socket this process answers on: a process learner code forks never speaks on it
_CORES = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()  # every core the worker may use


def serve(fd: int) -> int:
    _SERVING.append(fd)
    os.register_at_fork(after_in_child=_close_serving)
    sock = socket.socket(fileno=fd)
    return _loop(Worker(sock), sock)


def _close_serving() -> None:
    try:
        os.close(_SERVING[0])
    except OSError:
        pass


def _loop(worker: Worker, sock: socket.socket) -> int:
    me = os.getpid()
    children: set[int] = set()
    channel.send(sock, {"ready": True, "pid": me})
    while True:
        try:
            request = channel.receive(sock)
        except channel.ChannelClosed:
            return 0
        op = request.get("op") if isinstance(request, dict) else None
        if op == "stop":
            return 0
        if op == "fork":
            child = _fork(worker, sock, request.get("cpu"))
            if child is None:  # this is the child: serve the test on its own socket
                return _loop(worker, worker.sock)  # type: ignore[arg-type]
            children.add(child)
            reply: dict[str, Any] = {"ok": child}
        elif op == "end":
            reply = {"ok": _end(children, request.get("pid"))}
        elif op == "pin":  # a test's process forked ahead of the test, moved to the test's core
            reply = {"ok": _pin(request.get("cpu"))}
        else:
            reply = worker.answer(request) if isinstance(request, dict) else {"failed": "a request must be an object"}
        if os.getpid() != me:  # learner code forked, and this is the child coming back: it has no say
            os._exit(0)
        try:
            channel.send(sock, reply)
        except channel.ChannelError as error:  # an answer too large to send: say so instead
            channel.send(sock, {"failed": short_text(str(error))})


def _fork(worker: Worker, sock: socket.socket, cpu: object = None) -> int | None:
    """Fork a child to serve the socket the grader sent with this request; its pid here, or None in the child.

    With a `cpu`, the child runs on that core only: the grader's, for the test (autograder.boundary.session).
    """
    _, fds, _, _ = socket.recv_fds(sock, 1, 1)
    if len(fds) != 1:
        raise SystemExit("the grader's fork request came without its socket")
    pid = os.fork()
    if pid:
        os.close(fds[0])
        return pid
    sock.detach()  # closed by the fork hook already; the child answers on its own socket only
    os.setpgid(0, 0)  # a group of its own: ending the test ends what the test started
    _pin(cpu)
    _SERVING[0] = fds[0]
    worker.sock = socket.socket(fileno=fds[0])
    return None


def _pin(cpu: object) -> bool:
    """Run this process on core `cpu` only, or on every core it may use when `cpu` is None; whether it moved."""
    if not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(0, {cpu} if type(cpu) is int else _CORES)
    except (OSError, ValueError):
        return False  # a core this sandbox may not use: the test runs wherever the kernel puts it
    return True


def _end(children: set[int], pid: object) -> int | None:
    """Kill and reap one of this process's forks; its wait status as os.waitstatus_to_exitcode gives it."""
    if type(pid) is not int or pid not in children:
        return None
    children.discard(pid)
    for kill in (os.killpg, os.kill):  # its process group (what the test started), then itself
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)

