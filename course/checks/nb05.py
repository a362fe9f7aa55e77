"""Visible checks of lesson 05, unify execution state and business state: `check("5.1")` … `check("5.4")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check works on a fresh
shop of its own (the store's tables are in the shop's file), so it never touches the notebook's
shops. The checks of 5.2 to 5.4 run with simple stand-ins of their own for the other exercises'
functions (an `append_event` that only takes notes, a `load_thread` that reads the rows plainly),
and put your functions back afterwards, so each judges its exercise alone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from course.grading import visible
from course.llm import FakeModel, use_model
from course.shop import SCENARIOS, PaymentProviderDown, Shop, Ticket, use_shop

_TOM = SCENARIOS["out_of_window"]
_AISHA = SCENARIOS["where_is_my_order"]
_GRACE = SCENARIOS["long_thread"]
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS threads (id TEXT PRIMARY KEY, ticket TEXT NOT NULL, schema_version INTEGER NOT NULL,"
    " created_on TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (thread_id TEXT NOT NULL REFERENCES threads (id), seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (thread_id, seq))",
)


class _Crash(Exception):
    """The process died here (a check's own failure)."""


@contextmanager
def _world() -> Iterator[Shop]:
    with Shop.create() as db, use_shop(db), use_model(FakeModel.scripted()):
        for sql in _SCHEMA:
            db.conn.execute(sql)
        yield db


@contextmanager
def _replaced(ns, **functions) -> Iterator[None]:
    """The notebook's functions replaced by the check's own for a moment, then put back."""
    saved = {name: ns[name] for name in functions if name in ns}
    ns.update(functions)
    try:
        yield
    finally:
        for name in functions:
            if name in saved:
                ns[name] = saved[name]
            else:
                ns.pop(name, None)


def _given(ns, name):
    assert name in ns, f"`{name}` is not defined: run the cells above, from the top."
    return ns[name]


def _tom_events() -> list[dict[str, Any]]:
    t = _TOM.ticket
    return [
        {"kind": "ticket", "subject": t.subject, "body": t.body, "customer_email": t.customer_email},
        {"kind": "tool_call", "name": "get_order", "arguments": '{"order_id": 1013}'},
        {"kind": "tool_result", "name": "get_order", "result": '{"order_id": 1013, "status": "delivered"}'},
        {"kind": "tool_call", "name": "issue_refund", "arguments": '{"order_id": 1013, "amount": 64.0, "reason": "damaged"}'},
        {"kind": "tool_error", "name": "issue_refund", "error": "The 30-day refund window has closed."},
        {"kind": "tool_call", "name": "send_message", "arguments": '{"body": "Sorry, Tom."}'},
        {"kind": "tool_result", "name": "send_message", "result": '{"message_id": 1}'},
        {"kind": "finished", "summary": "Told Tom the window has closed."},
    ]


def _put(db: Shop, thread_id: str, ticket: Ticket, events: list[dict[str, Any]], version: int = 2) -> None:
    db.conn.execute("INSERT INTO threads VALUES (?, ?, ?, ?)", (thread_id, ticket.model_dump_json(), version, "2026-11-02"))
    for seq, event in enumerate(events):
        db.conn.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (thread_id, seq, event["kind"], json.dumps(event)))


def _rows(db: Shop, thread_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    rows = db.conn.execute("SELECT seq, kind, data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,))
    return [(seq, kind, json.loads(data)) for seq, kind, data in rows]


def _dumped(events) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") if hasattr(e, "model_dump") else e for e in events]


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> bool:
    def norm(event: dict[str, Any]) -> dict[str, Any]:
        """A request's arguments compared as JSON; arguments that are not text never match."""
        if event.get("kind") != "tool_call":
            return event
        if not isinstance(event.get("arguments"), str):
            return {**event, "arguments": ("not JSON text", event.get("arguments"))}
        try:
            return {**event, "arguments": json.loads(event["arguments"])}
        except ValueError:
            return event
    return [norm(e) for e in got] == [norm(e) for e in want]


# --- 5.1 append_event and load_thread ------------------------------------------------------------

@visible("5.1", hint="seq is how many rows the thread already has in the events table; return it.")
def append_event_stores_rows_and_returns_positions(append_event, ns):
    EVENT = _given(ns, "EVENT")
    with _world() as db:
        _put(db, "ticket-505-1", _AISHA.ticket, _tom_events()[:2])  # another thread, already stored
        _put(db, "ticket-504-1", _TOM.ticket, [])
        got = [append_event("ticket-504-1", EVENT.validate_python(event)) for event in _tom_events()[:3]]
        rows = _rows(db, "ticket-504-1")
    assert got == [0, 1, 2], (f"appending 3 events to a new thread (another thread has 2) returned the positions {got}, "
                              "not [0, 1, 2]: count this thread's rows")
    assert [(seq, kind) for seq, kind, _ in rows] == [(0, "ticket"), (1, "tool_call"), (2, "tool_result")], (
        f"the events table holds {[(seq, kind) for seq, kind, _ in rows]} for the thread: one row per event, "
        "seq 0, 1, 2 and each event's kind")
    assert _same([data for _, _, data in rows], _tom_events()[:3]), \
        "the rows' data is not each event's JSON (event.model_dump_json())"


@visible("5.1", hint="Load the thread's own events (WHERE thread_id = ?), ORDER BY seq, each with EVENT.validate_python.")
def a_thread_loads_in_order_as_its_classes(load_thread, ns):
    with _world() as db:
        _put(db, "ticket-504-1", _TOM.ticket, _tom_events())
        _put(db, "ticket-505-1", _AISHA.ticket, _tom_events()[:2])
        thread = load_thread("ticket-504-1")
    assert isinstance(thread, _given(ns, "Thread")), f"load_thread returned {thread!r}, not a Thread"
    classes = [type(e).__name__ for e in thread.events]
    want = ["TicketReceived", "ToolRequested", "ToolResult", "ToolRequested", "ToolFailed", "ToolRequested",
            "ToolResult", "Finished"]
    assert classes == want, f"Tom's stored thread came back as {classes}, not {want}"
    assert _same(_dumped(thread.events), _tom_events()), "Tom's events came back with other contents than stored"
    assert thread.ticket == _TOM.ticket, "Tom's thread came back with another ticket than the one in its row"


@visible("5.1", hint="Read the database on every call, and keep no copy: another process may append to the thread.")
def rows_another_process_writes_are_seen(append_event, load_thread, ns):
    EVENT = _given(ns, "EVENT")
    with _world() as db:
        _put(db, "ticket-504-7", _TOM.ticket, _tom_events()[:2])  # stored by another process
        first = append_event("ticket-504-7", EVENT.validate_python(_tom_events()[2]))
        loaded = len(load_thread("ticket-504-7").events)
        event = _tom_events()[3]
        db.conn.execute("INSERT INTO events VALUES ('ticket-504-7', 3, ?, ?)", (event["kind"], json.dumps(event)))
        after = len(load_thread("ticket-504-7").events)
    assert first == 2, f"a thread with 2 rows stored by another process got its next event at position {first}, not 2"
    assert loaded == 3, (f"a thread with 2 rows stored by another process and 1 by append_event loaded with {loaded} "
                         "events, not 3")
    assert after == 4, f"after another process stored a fourth event, load_thread returned {after} events, not 4"


@visible("5.1", hint="No thread row: raise ThreadNotFound, with the id in the message.")
def an_unknown_id_raises_thread_not_found(load_thread, ns):
    ThreadNotFound = _given(ns, "ThreadNotFound")
    with _world():
        try:
            got = load_thread("ticket-404-1")
        except ThreadNotFound as error:
            assert "ticket-404-1" in str(error), f"ThreadNotFound({str(error)!r}) does not say which thread"
            return
    raise AssertionError(f"load_thread('ticket-404-1'), an unknown id, returned {got!r} instead of raising ThreadNotFound")


@visible("5.1", hint="Pass each event through upgrade_event(json.loads(data), version), the version from the thread's row.")
def a_version_1_thread_loads(load_thread, ns):
    old = _tom_events()[:4]
    for event in old:
        if event["kind"] == "tool_call":
            event["arguments"] = json.loads(event["arguments"])  # how version 1 stored them
    with _world() as db:
        _put(db, "ticket-504-1", _TOM.ticket, old, version=1)
        try:
            thread = load_thread("ticket-504-1")
        except Exception as error:
            lines = str(error).strip().splitlines() or [""]
            said = next((line.strip() for line in lines if "Input should" in line), lines[0].strip())
            raise AssertionError(f"a thread stored by version 1 did not load: {type(error).__name__} ({said[:110]})") from None
    request = thread.events[1]
    assert isinstance(request.arguments, str) and json.loads(request.arguments) == {"order_id": 1013}, (
        f"a version-1 request came back as {request!r}: its arguments should be today's JSON text")


# --- 5.2 status_of and threads_with_status -------------------------------------------------------

def _plain_loader(ns):
    """A stand-in for load_thread: the rows as they are, read back with EVENT."""
    Thread, EVENT, store = _given(ns, "Thread"), _given(ns, "EVENT"), _given(ns, "store")

    def load_thread(thread_id):
        conn = store()
        (ticket,) = conn.execute("SELECT ticket FROM threads WHERE id = ?", (thread_id,)).fetchone()
        rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
        return Thread(ticket=Ticket.model_validate_json(ticket), events=[EVENT.validate_json(d) for (d,) in rows])

    return load_thread


@visible("5.2", hint="Look at the last event only: Finished -> done, a ToolRequested -> waiting if its name is in "
                     "HUMAN_TOOLS, else interrupted; anything else -> working.")
def status_follows_the_last_event(status_of, ns):
    Thread, EVENT = _given(ns, "Thread"), _given(ns, "EVENT")
    events = _tom_events()
    again = {**events[0], "body": "But it cracked on day one!"}
    cases = [([], "working"), (events[:1], "working"), (events[:2], "interrupted"), (events[:3], "working"), (events[:4], "interrupted"),
             (events[:5], "working"), (events, "done"), ([*events, again], "working"),
             ([*events, again, events[1]], "interrupted"),
             ([*events[:3], {**events[1], "name": "ask_customer", "arguments": '{"question": "Which colour?"}'}], "waiting"),
             ([*events[:5], {**events[1], "name": "request_approval", "arguments": '{"order_id": 1013}'}], "waiting")]
    for chosen, want in cases:
        got = status_of(Thread(ticket=_TOM.ticket, events=[EVENT.validate_python(e) for e in chosen]))
        ending = " → ".join(f"{e['kind']} {e['name']}" if "name" in e else e["kind"] for e in chosen[-3:]) or "(no event)"
        assert got == want, f"a thread ending … {ending} is {got!r}, not {want!r}"


@visible("5.2", hint="Read the ids with ORDER BY rowid, and derive each status from the events on every call: no copy.")
def threads_are_listed_oldest_first_and_follow_the_store(threads_with_status, ns):
    events = _tom_events()
    with _world() as db, _replaced(ns, load_thread=_plain_loader(ns)):
        _put(db, "ticket-507-1", _GRACE.ticket, events)              # done
        _put(db, "ticket-505-1", _AISHA.ticket, events[:2])          # interrupted
        _put(db, "ticket-504-1", _TOM.ticket, events[:1])            # working
        _put(db, "ticket-505-2", _AISHA.ticket, events[:3])          # working
        _put(db, "ticket-505-2-fork-1", _AISHA.ticket, [])           # working: a fork at 0 has no event yet
        first = {status: threads_with_status(status) for status in ("working", "interrupted", "done")}
        db.conn.execute("INSERT INTO events VALUES ('ticket-505-1', 2, ?, ?)", (events[2]["kind"], json.dumps(events[2])))
        second = {status: threads_with_status(status) for status in ("working", "interrupted", "done")}
        tables = {name for (name,) in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = [row[1] for row in db.conn.execute("PRAGMA table_info(threads)")]
    want = {"working": ["ticket-504-1", "ticket-505-2", "ticket-505-2-fork-1"], "interrupted": ["ticket-505-1"],
            "done": ["ticket-507-1"]}
    assert first == want, (f"five threads, stored in the order 507-1, 505-1, 504-1, 505-2, 505-2-fork-1 (no event "
                           f"yet), were listed as {first}")
    want = {"working": ["ticket-505-1", "ticket-504-1", "ticket-505-2", "ticket-505-2-fork-1"], "interrupted": [],
            "done": ["ticket-507-1"]}
    assert second == want, f"after another process stored ticket-505-1's result, the threads were listed as {second}"
    assert tables <= {"meta", "customers", "products", "orders", "order_items", "shipments", "refunds", "messages",
                      "tickets", "threads", "events"}, "the shop's database has new tables: store no status"
    assert columns == ["id", "ticket", "schema_version", "created_on"], "the threads table changed: store no status"


# --- 5.3 act -------------------------------------------------------------------------------------

class _Notes:
    """A stand-in for append_event: takes notes, or fails as a full disk would."""

    def __init__(self, fail: bool = False):
        self.fail, self.calls = fail, []

    def __call__(self, thread_id, event):
        self.calls.append((thread_id, event))
        if self.fail:
            raise sqlite3.OperationalError("disk I/O error")
        return len(self.calls) - 1


def _message_count(db: Shop) -> int:
    return int(db.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


@visible("5.3", hint="Inside `with current_shop().transaction():` call execute, then append_event; return the event.")
def act_carries_out_the_intent_and_stores_its_event(act, ns):
    SendMessage, Done = _given(ns, "SendMessage"), _given(ns, "Done")
    for intent, kind in [(SendMessage(body="Your jacket arrives on Thursday."), "tool_result"),
                         (Done(summary="Told Aisha."), "finished")]:
        notes = _Notes()
        with _world() as db, _replaced(ns, append_event=notes):
            before = _message_count(db)
            event = act("ticket-505-1", intent, _AISHA.ticket)
            sent = _message_count(db) - before
        assert getattr(event, "kind", None) == kind, f"act(..., {intent!r}, ...) returned {event!r}"
        assert notes.calls == [("ticket-505-1", event)], (
            f"act(..., {intent!r}, ...) called append_event with {[(t, getattr(e, 'kind', e)) for t, e in notes.calls]}: "
            "store exactly the event it returns, once, in the thread it was given")
        assert sent == (1 if kind == "tool_result" else 0), f"act(..., {intent!r}, ...) sent {sent} messages"


@visible("5.3", hint="A refusal comes back from execute as a ToolFailed: store it and return it; nothing raises.")
def a_refusal_is_stored_as_a_tool_failed(act, ns):
    IssueRefund, ToolFailed = _given(ns, "IssueRefund"), _given(ns, "ToolFailed")
    notes = _Notes()
    with _world() as db, _replaced(ns, append_event=notes):
        db.fail_next("issue_refund", PaymentProviderDown())
        event = act("ticket-504-1", IssueRefund(order_id=1013, amount=20.0, reason="damaged"), _TOM.ticket)
    assert isinstance(event, ToolFailed), f"a refund the payment provider could not make came back as {event!r}"
    assert [e for _, e in notes.calls] == [event], "the ToolFailed was not stored, once, as the step's event"


@visible("5.3", hint="Both inside one `with current_shop().transaction():` block (the effect and append_event), and "
                     "catch nothing: an error leaving the block rolls the effect back.")
def a_failure_between_effect_and_event_undoes_both(act, ns):
    SendMessage, UpdateAddress = _given(ns, "SendMessage"), _given(ns, "UpdateAddress")
    moving = SCENARIOS["change_address"]
    for intent, ticket in [(SendMessage(body="On its way."), _AISHA.ticket),
                           (UpdateAddress(address="88 Harbour Road, Portland, ME 04101"), moving.ticket)]:
        with _world() as db, _replaced(ns, append_event=_Notes(fail=True)):
            before = (_message_count(db), db.conn.execute("SELECT address FROM customers ORDER BY id").fetchall())
            try:
                got = act("ticket-1-1", intent, ticket)
            except sqlite3.OperationalError:
                got = None
            after = (_message_count(db), db.conn.execute("SELECT address FROM customers ORDER BY id").fetchall())
        assert after == before, f"with an append_event that fails (disk I/O error), act({intent!r}) still changed the shop"
        assert got is None, f"with an append_event that fails, act({intent!r}) returned {got!r} instead of raising"
    notes = _Notes()
    with _world() as db, _replaced(ns, append_event=notes):
        db.fail_next("send_message", _Crash("the process died"), after=True)
        try:
            got = act("ticket-505-1", SendMessage(body="On its way."), _AISHA.ticket)
        except _Crash:
            got = None
        sent = db.conn.execute("SELECT count(*) FROM messages WHERE body = 'On its way.'").fetchone()[0]
    assert sent == 0 and got is None, "the process died right after a message was written, and the message was kept"


# --- 5.4 fork_thread -----------------------------------------------------------------------------

def _fork_content(db: Shop, notes: _Notes, fork_id: str, upgrade_event) -> list[dict[str, Any]]:
    row = db.conn.execute("SELECT schema_version FROM threads WHERE id = ?", (fork_id,)).fetchone()
    stored = [upgrade_event(data, row[0] if row else 2) for _, _, data in _rows(db, fork_id)]
    return stored + [e.model_dump(mode="json") for thread_id, e in notes.calls if thread_id == fork_id]


@contextmanager
def _forking(ns, threads: dict[str, list[dict[str, Any]]]) -> Iterator[_Notes]:
    Thread, EVENT, ThreadNotFound = _given(ns, "Thread"), _given(ns, "EVENT"), _given(ns, "ThreadNotFound")
    upgrade_event = _given(ns, "upgrade_event")

    def load_thread(thread_id):
        if thread_id not in threads:
            raise ThreadNotFound(f"No thread {thread_id!r}.")
        events = [EVENT.validate_python(upgrade_event(dict(e), 1)) for e in threads[thread_id]]
        return Thread(ticket=_TOM.ticket, events=events)

    notes = _Notes()
    with _replaced(ns, load_thread=load_thread, append_event=notes):
        yield notes


@visible("5.4", hint="A new threads row (new id, same ticket), then the first `upto` events: thread.events[:upto].")
def a_fork_holds_the_first_events_under_a_new_id(fork_thread, ns):
    upgrade_event = _given(ns, "upgrade_event")
    events = _tom_events()
    with _world() as db:
        _put(db, "ticket-504-1", _TOM.ticket, events)
        before = _rows(db, "ticket-504-1")
        with _forking(ns, {"ticket-504-1": events}) as notes:
            first, second = fork_thread("ticket-504-1", 3), fork_thread("ticket-504-1", 3)
            contents = [_fork_content(db, notes, fork_id, upgrade_event) for fork_id in (first, second)]
        ids = [thread_id for (thread_id,) in db.conn.execute("SELECT id FROM threads")]
        after = _rows(db, "ticket-504-1")
    assert "ticket-504-1" not in (first, second), "fork_thread returned the original's own id: a fork is a new thread"
    assert first != second, f"two forks of one thread both got the id {first!r}"
    with _world() as db:
        _put(db, "ticket-504-1", _TOM.ticket, events)
        with _forking(ns, {"ticket-504-1": events}):
            many = [fork_thread("ticket-504-1", 1) for _ in range(11)]
    assert len(set(many)) == 11, f"eleven forks of one thread got {len(set(many))} different ids: {many[8:]}"
    assert first in ids and second in ids, "a fork's id has no row in the threads table"
    for fork_id, content in zip((first, second), contents, strict=True):
        assert _same(content, events[:3]), (
            f"the fork {fork_id} of fork_thread('ticket-504-1', 3) holds {[e.get('kind') for e in content]}, not the first 3 events")
    assert after == before, "forking changed the original thread's rows"


@visible("5.4", hint="Store the fork's events as load_thread gives them (today's shape), with SCHEMA_VERSION in its row.")
def a_fork_of_an_old_thread_holds_todays_events(fork_thread, ns):
    upgrade_event = _given(ns, "upgrade_event")
    old = _tom_events()[:3]
    old[1] = {**old[1], "arguments": {"order_id": 1013}}  # as version 1 stored it
    with _world() as db:
        _put(db, "ticket-504-1", _TOM.ticket, old, version=1)
        with _forking(ns, {"ticket-504-1": old}) as notes:
            fork_id = fork_thread("ticket-504-1", 2)
            content = _fork_content(db, notes, fork_id, upgrade_event)
        version = db.conn.execute("SELECT schema_version FROM threads WHERE id = ?", (fork_id,)).fetchone()
    request = next((e for e in content if e.get("kind") == "tool_call"), None)
    assert version is not None and version[0] == _given(ns, "SCHEMA_VERSION"), (
        f"the fork of a version-1 thread has schema_version {version[0] if version else None} in its row: its events "
        "are today's, so its row says SCHEMA_VERSION")
    assert _same(content, _tom_events()[:2]), (
        f"a fork at 2 of a version-1 thread holds the events {[e.get('kind') for e in content]}, its request "
        f"being {request!r}; expected a ticket, then the request with its arguments as today's JSON text")

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import
