"""The shop database the grader shares with the worker: its rows are the verdict's data, its schema is not.

The worker writes the shared SQLite file (it runs the tools), so the file is a channel from the
worker too. Rows are what a verdict judges (every refund row, every message); the shop's own
schema is the grader's: after each call the grader checks that none of the tables and indexes it
made was dropped or changed and that no view or trigger was added (a renamed `orders` replaced by a
view that never ends, a trigger that fires on the grader's own writes); a change fails the test.
Tables the learner's agent adds beside them (lesson 05's threads and events) are its own. And no statement the grader runs on it may
run longer than `STATEMENT_SECONDS`: SQLite's progress handler interrupts it.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from typing import Any

from course.shop import Shop

__all__ = ["STATEMENT_SECONDS", "check", "guard"]

STATEMENT_SECONDS = 20.0
_SCHEMAS: weakref.WeakKeyDictionary[Shop, list[Any]] = weakref.WeakKeyDictionary()


def _schema(conn: sqlite3.Connection) -> list[Any]:
    return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def guard(shop: Shop) -> None:
    """Before the worker first writes the shop's file: remember its schema, bound the grader's statements."""
    if shop in _SCHEMAS:
        return
    conn = shop.conn
    _SCHEMAS[shop] = _schema(conn)
    started = [time.monotonic()]
    conn.set_trace_callback(lambda _statement: started.__setitem__(0, time.monotonic()))
    conn.set_progress_handler(lambda: int(time.monotonic() - started[0] > STATEMENT_SECONDS), 10_000)


def check(shop: Shop) -> None:
    """After a call: the grader's tables are as they were, and nothing was added that runs code (a view, a
    trigger); new tables and indexes of the learner's own (lesson 05's threads and events) are fine."""
    kept = _SCHEMAS.get(shop)
    if kept is None:
        return
    now = _schema(shop.conn)
    added = [entry for entry in now if entry not in kept]
    if any(entry not in now for entry in kept) or any(entry[0] not in ("table", "index") for entry in added):
        raise AssertionError("your code changed the shop's own tables, or added a view or trigger to its database; "
                             "an agent changes the shop's rows through its tools, and keeps its own tables beside them.")
