"""The shop database the grader shares with the worker: its rows are the verdict's data, its schema is not.

The worker writes the shared SQLite file (it runs the tools), so the file is a channel from the
worker too. Rows are what a verdict judges (every refund row, every message); the schema is the
grader's: after each call the grader checks that no table, view, trigger or index was added,
dropped or changed (a renamed `orders` replaced by a view that never ends, a trigger that fires on
the grader's own writes), and a change fails the test. And no statement the grader runs on it may
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
    """After a call: the schema is still the grader's, or the test fails with what to fix."""
    kept = _SCHEMAS.get(shop)
    if kept is not None and _schema(shop.conn) != kept:
        raise AssertionError("your code changed the shop database's structure (its tables, views, triggers or "
                             "indexes); an agent changes rows through the shop's tools, never the schema.")
