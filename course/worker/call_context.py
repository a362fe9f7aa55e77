"""What a learner call runs with in the worker: the grader's model, and the shop the grader names.

Each call the grader asks for (course.worker.serve) runs inside `CallContext(...)(context)`: the
model is the grader's (`RemoteModel`: every request goes back over the socket), and the shop is the
file the grader shares, with the failures it planned (by name, from course.worker.faults). The
shop is opened once per process and kept: a test makes hundreds of calls on one shop. Without a
socket (plain nbgrader: the learner's own kernel) a call runs in whatever model and shop are set.
Everything a call needs is imported with this module, in the worker before any fork: a fork that
imported it on its first call paid 5 ms for it, once per hidden test.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from course.llm import use_model
from course.shop import Shop, use_shop

from .faults import FAULT_KINDS
from .model import RemoteModel

__all__ = ["CallContext"]


class CallContext:
    """The model and shop of each call a worker answers (the shops it opened, kept per process)."""

    def __init__(self) -> None:
        self._shops: dict[tuple[int, str], tuple[Any, int]] = {}  # (pid, path) -> (an open Shop, its file's inode)

    @contextlib.contextmanager
    def __call__(self, sock: socket.socket | None, context: dict[str, Any]) -> Iterator[Any]:
        """The grader's model over `sock` (the worker's, a fork's own), and the shop `context` names with its
        planned failures, for the length of one call."""
        with contextlib.ExitStack() as stack:
            if sock is None:
                yield None
                return
            stack.enter_context(use_model(RemoteModel(sock)))
            shop = None
            if context.get("shop"):
                shop = self._shop(str(context["shop"]))
                shop.faults.load_data(context.get("faults") or [], FAULT_KINDS)
                stack.enter_context(use_shop(shop))
                stack.callback(_end_call, shop)
            yield shop

    def _shop(self, path: str) -> Any:
        """The shop file `path`, opened once per process: opening checks the whole file. Opened again when the
        file was replaced or learner code closed the shop."""
        try:
            inode = os.stat(path).st_ino
        except OSError:
            inode = -1  # Shop.open says what is wrong
        kept = self._shops.get((os.getpid(), path))  # a fork never uses a connection its parent opened
        if kept is not None and kept[1] == inode and _usable(kept[0]):
            return kept[0]
        shop = Shop.open(path)
        self._shops[(os.getpid(), path)] = (shop, inode)
        return shop


def _usable(shop: Any) -> bool:
    try:
        shop.conn.execute("SELECT 1")
    except Exception:  # closed by learner code (sqlite3.ProgrammingError), or no connection at all
        return False
    return not shop.closed


def _end_call(shop: Any) -> None:
    """What closing the shop after each call did: a transaction the call left open is rolled back."""
    try:
        if shop.conn.in_transaction:
            shop.conn.rollback()
        shop._savepoints = 0
    except Exception:
        pass  # a connection learner code broke is opened again on the next call
