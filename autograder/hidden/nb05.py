"""Hidden tests of lesson 05 (unify execution state and business state). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters (parameter names = the names the notebook defines), each one a `Remote`
handle on the learner's object (autograder.boundary.remote); `learner` is the `Learner` itself.

The agent's threads live in the shop's SQLite file, so the shop a verdict reads is the grader's:
a fresh seeded shop per case (`Shop.create()`, kept in this process), which the worker opens for
each learner call. The tests write and read the store's tables through the grader's own connection
(`db.conn`), only between learner calls (never while one holds a transaction), with the grader's own
copy of the two tables' schema, and judge from the rows and the plain data learner calls return.
Events are made in the worker with the learner's given `EVENT` (`EVENT.validate_python(data)`), so
each is an instance of the learner's own event class. The old thread of 5.1 is the lesson's fixture,
`thread_v1.sql` in the lesson's source folder, plus one the test makes itself.

Each exercise is scored on its own. 5.2's listing runs with a scripted stand-in for `load_thread`;
5.3 runs with an `append_event` that only takes notes (or fails, raising `sqlite3.OperationalError`
in the worker with `RaiseInWorker`); 5.4 runs with both. The failure between an effect and its event
is injected two ways: that failing `append_event`, and a planned shop fault that fires right after the
refund is written (`db.fail_next(..., after=True)`; plans travel with each learner call). Two tests
score the agent as a whole (the given loop with the learner's functions, on the shop brain); one of
them reads the stored thread again in another process: `learner.fresh()` replays the notebook in a
brand-new worker, which opens the same shop file with a new connection (under plain nbgrader there is
no other process, and that part is skipped).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autograder.boundary.remote import (
    FreshWorkerUnavailable,
    LearnerError,
    LearnerNotImplemented,
    RaiseInWorker,
    Remote,
)
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.drawn import Records, effects_follow_calls, runs, scenario_in
from course.brain import shop_brain
from course.grading.layout import find_lesson
from course.llm import FakeModel, use_model
from course.llm.settings import ConfigError
from course.shop import SCENARIOS, PaymentProviderDown, Shop, Ticket, outcome_of, refunded_amount, use_shop

hidden = HiddenTests("05")

_TABLES = (
    """CREATE TABLE IF NOT EXISTS threads (id TEXT PRIMARY KEY, ticket TEXT NOT NULL,
        schema_version INTEGER NOT NULL, created_on TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (thread_id TEXT NOT NULL REFERENCES threads (id), seq INTEGER NOT NULL,
        kind TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (thread_id, seq))""",
)
_CLASSES = {"earlier": "Earlier", "ticket": "TicketReceived", "tool_call": "ToolRequested", "tool_result": "ToolResult",
            "tool_error": "ToolFailed", "finished": "Finished"}
_SHOP_TABLES = {"meta", "customers", "products", "orders", "order_items", "shipments", "refunds", "messages", "tickets"}


# --- helpers ----------------------------------------------------------------------------------

@contextmanager
def _world(model: FakeModel | None = None) -> Iterator[Shop]:
    """A fresh seeded shop as the current shop, and `model` (default: one that must not be called)."""
    with Shop.create() as db, use_shop(db), use_model(model or FakeModel.scripted()):
        yield db


def _ticket(scenario: str) -> Ticket:
    return SCENARIOS[scenario].ticket


def _ticket_event(scenario: str) -> dict[str, Any]:
    t = _ticket(scenario)
    return {"kind": "ticket", "subject": t.subject, "body": t.body, "customer_email": t.customer_email}


def _request(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "tool_call", "name": name, "arguments": json.dumps(arguments)}


def _result(name: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "tool_result", "name": name, "result": json.dumps(result)}


def _failed(name: str, error: str) -> dict[str, Any]:
    return {"kind": "tool_error", "name": name, "error": error}


def _finished(summary: str) -> dict[str, Any]:
    return {"kind": "finished", "summary": summary}


def _earlier(body: str) -> dict[str, Any]:
    return {"kind": "earlier", "sender": "customer", "sent_on": "2026-10-20", "body": body}


# Priya's unknown order: every kind of event but `earlier`; Luis's move, with an earlier message first.
_PRIYA = [_ticket_event("unknown_order"), _request("get_order", {"order_id": 1603}), _failed("get_order", "No order 1603."),
          _request("send_message", {"body": "Could you check your order number?"}),
          _result("send_message", {"message_id": 1, "body": "Could you check your order number?"}),
          _finished("Asked Priya for her order number.")]
_LUIS = [_earlier("I am moving next month."), _ticket_event("change_address"),
         _request("update_address", {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"}),
         _result("update_address", {"customer_id": 6, "address": "2150 Larimer St Unit 5B, Denver, CO 80205"}),
         _finished("Moved Luis's address.")]
# Maya's mug, as the agent handles it.
_MAYA = [_ticket_event("damaged_item"), _request("get_order", {"order_id": 1042}),
         _result("get_order", {"order_id": 1042, "status": "delivered"}),
         _request("check_refund_policy", {"order_id": 1042, "amount": 18.5}),
         _result("check_refund_policy", {"allowed": True, "needs_approval": False}),
         _request("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"}),
         _result("issue_refund", {"refund_id": 16, "amount": 18.5}), _finished("Refunded the mug.")]


def _tables(db: Shop) -> None:
    for sql in _TABLES:
        db.conn.execute(sql)


def _put_thread(db: Shop, thread_id: str, scenario: str, events: list[dict[str, Any]], version: int = 2) -> None:
    """A thread as another process would store it: its row, then its events' rows (grader side)."""
    _tables(db)
    db.conn.execute("INSERT INTO threads VALUES (?, ?, ?, ?)",
                    (thread_id, _ticket(scenario).model_dump_json(), version, db.today.isoformat()))
    for event in events:
        _put_event(db, thread_id, event)


def _put_event(db: Shop, thread_id: str, event: dict[str, Any]) -> None:
    seq = db.conn.execute("SELECT count(*) FROM events WHERE thread_id = ?", (thread_id,)).fetchone()[0]
    db.conn.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (thread_id, seq, event["kind"], json.dumps(event)))


def _rows(db: Shop, thread_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    try:
        rows = db.conn.execute("SELECT seq, kind, data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,))
        return [(seq, kind, json.loads(data)) for seq, kind, data in rows]
    except sqlite3.OperationalError:
        return []


def _thread_row(db: Shop, thread_id: str) -> tuple[str, int] | None:
    try:
        return db.conn.execute("SELECT ticket, schema_version FROM threads WHERE id = ?", (thread_id,)).fetchone()
    except sqlite3.OperationalError:
        return None


def _upgrade(data: dict[str, Any], version: int) -> dict[str, Any]:
    if version < 2 and data.get("kind") == "tool_call" and not isinstance(data.get("arguments"), str):
        return {**data, "arguments": json.dumps(data["arguments"])}
    return data


def _same_event(got: Any, want: dict[str, Any]) -> bool:
    """Equal events; a request's arguments compared as JSON, not as text."""
    if not isinstance(got, dict) or got.get("kind") != want.get("kind"):
        return False
    if want.get("kind") == "tool_call":
        try:
            return (got.get("name") == want["name"]
                    and json.loads(got.get("arguments")) == json.loads(want["arguments"]))
        except (TypeError, ValueError):
            return False
    return got == want


def _same_events(got: list[Any], want: list[dict[str, Any]]) -> bool:
    return len(got) == len(want) and all(_same_event(g, w) for g, w in zip(got, want, strict=True))


def _kinds(events: list[Any]) -> list[Any]:
    return [e.get("kind") if isinstance(e, dict) else type(e).__name__ for e in events]


def _made(EVENT: Remote, events: list[dict[str, Any]]) -> list[Remote]:
    """The events as instances of the learner's own classes (EVENT is given)."""
    return [EVENT.validate_python(event) for event in events]


def _thread(Thread: Remote, EVENT: Remote, scenario: str, events: list[dict[str, Any]]) -> Remote:
    return Thread(ticket=_ticket(scenario), events=_made(EVENT, events))


def _loaded(load_thread: Remote, thread_id: str) -> tuple[Remote, list[Any]]:
    thread = _call(f"load_thread({thread_id!r})", load_thread, thread_id)
    value = thread.value
    assert isinstance(value, dict) and isinstance(value.get("events"), list), (
        f"load_thread({thread_id!r}) returned {thread!r}; it should return a Thread.")
    return thread, value["events"]


def _times(n: int) -> str:
    return f"{n} time" + ("" if n == 1 else "s")


def _sqlite_error(learner: Any) -> Remote | type[Exception]:
    """sqlite3.OperationalError as the learner's worker has it (the given cell imports sqlite3)."""
    if learner.defines("sqlite3"):
        return _attr(learner["sqlite3"], "OperationalError")
    return ConfigError


# --- Exercise 5.1: append_event and load_thread -------------------------------------------------

@hidden.test("events_come_back_in_order_as_their_classes")
def events_come_back_in_order_as_their_classes(append_event, load_thread, EVENT):
    """Two threads appended to in turn load back with their tickets and their own events in order, as their classes."""
    threads = {"ticket-503-1": ("unknown_order", _PRIYA), "ticket-506-1": ("change_address", _LUIS)}
    with _world() as db:
        for thread_id, (scenario, _) in threads.items():
            _put_thread(db, thread_id, scenario, [])
        positions: dict[str, list[Any]] = {thread_id: [] for thread_id in threads}
        for index in range(max(len(events) for _, events in threads.values())):
            for thread_id, (_, events) in threads.items():
                if index < len(events):
                    event = EVENT.validate_python(events[index])
                    got = _call(f"append_event({thread_id!r}, {event!r})", append_event, thread_id, event)
                    positions[thread_id].append(got.value)
        for thread_id, (scenario, events) in threads.items():
            want = list(range(len(events)))
            assert positions[thread_id] == want, (
                f"Appending {len(events)} events to the new thread {thread_id}, append_event returned "
                f"{positions[thread_id]}; it should return each event's position in its own thread.")
            thread, got = _loaded(load_thread, thread_id)
            assert _same_events(got, events), (
                f"Two threads were appended to in turn; load_thread({thread_id!r}) gave the kinds {_kinds(got)}, not "
                f"{_kinds(events)}: load that thread's own events, in the order they were appended.")
            classes = [event.type for event in _attr(thread, "events")]
            wrong = [(i, c) for i, (c, e) in enumerate(zip(classes, events, strict=True)) if c != _CLASSES[e["kind"]]]
            assert not wrong, (
                f"Event {wrong[0][0]} of {thread_id} came back as a {wrong[0][1]}, not a {_CLASSES[events[wrong[0][0]]['kind']]}: "
                "read each stored event back as its own class.")
            ticket = _attr(thread, "ticket").value
            assert ticket == _ticket(scenario).model_dump(mode="json"), (
                f"The thread {thread_id} came back with the ticket {ticket!r}, not the one stored in its row.")


@hidden.test("threads_are_rows_in_the_shop_database")
def threads_are_rows_in_the_shop_database(append_event, load_thread, EVENT):
    """append_event writes rows of the events table; rows written by another process are counted and loaded."""
    with _world() as db:
        _put_thread(db, "ticket-501-1", "damaged_item", _MAYA[:2])  # another process started this thread
        event = EVENT.validate_python(_MAYA[2])
        seq = _call("append_event('ticket-501-1', ...)", append_event, "ticket-501-1", event).value
        assert seq == 2, (
            f"The thread ticket-501-1 already had 2 events in the events table (stored by another process), and "
            f"append_event returned {seq!r} for the next one, not 2: count the thread's rows in the database.")
        _call("append_event('ticket-501-1', ...)", append_event, "ticket-501-1", EVENT.validate_python(_MAYA[3]))
        rows = _rows(db, "ticket-501-1")
        want = [(i, e["kind"], e) for i, e in enumerate(_MAYA[:4])]
        same = len(rows) == len(want) and all(r[:2] == w[:2] and _same_event(r[2], w[2]) for r, w in zip(rows, want, strict=True))
        assert same, (
            f"After two append_event calls, the shop's events table holds {[(s, k) for s, k, _ in rows]} for "
            f"ticket-501-1, not {[(s, k) for s, k, _ in want]}: each event is one row (seq, kind, and the event's "
            "JSON as data), in the shop's own database.")
        _put_event(db, "ticket-501-1", _MAYA[4])  # another process stores the next result
        _, got = _loaded(load_thread, "ticket-501-1")
        assert _same_events(got, _MAYA[:5]), (
            f"Another process stored a fifth event in the events table, and load_thread returned {len(got)} events "
            f"({_kinds(got)}): read the thread from the database on every call, and keep no copy of it.")


@hidden.test("unknown_thread_raises_thread_not_found")
def unknown_thread_raises_thread_not_found(load_thread, ThreadNotFound):
    """An id with no thread row raises the lesson's ThreadNotFound, and the message names the id."""
    for stored in (False, True):
        with _world() as db:
            if stored:
                _put_thread(db, "ticket-501-1", "damaged_item", _MAYA[:1])
            for thread_id in ("ticket-999-1", "ticket-501-2"):
                try:
                    got = load_thread(thread_id)
                except LearnerNotImplemented:
                    raise
                except LearnerError as error:
                    assert error.isa(ThreadNotFound), (
                        f"load_thread({thread_id!r}), an id with no thread, raised {error.type}"
                        f"{': ' + error.message if error.message else ''}; it should raise ThreadNotFound.")
                    assert thread_id in error.message, (
                        f"load_thread({thread_id!r}) raised ThreadNotFound({error.message!r}): say which id was not found.")
                else:
                    raise AssertionError(f"load_thread({thread_id!r}), an id with no thread, returned {got!r}; "
                                         "it should raise ThreadNotFound.")


def _fixture() -> str:
    return (find_lesson(5).source_dir / "thread_v1.sql").read_text(encoding="utf-8")


@hidden.test("old_threads_load_through_upgrade")
def old_threads_load_through_upgrade(load_thread):
    """The lesson's thread_v1.sql, and another thread stored by version 1, load in today's shape."""
    with _world() as db:
        db.conn.executescript(_fixture())
        stored = db.conn.execute("SELECT id, schema_version FROM threads").fetchall()
        for thread_id, version in stored:
            want = [_upgrade(data, version) for _, _, data in _rows(db, thread_id)]
            thread = _call(f"load_thread({thread_id!r}) on the thread of thread_v1.sql (schema version {version})",
                           load_thread, thread_id)
            got = thread.value.get("events") if isinstance(thread.value, dict) else None
            assert isinstance(got, list) and _same_events(got, want), (
                f"The thread {thread_id} of thread_v1.sql came back with the kinds {_kinds(got or [])}, not {_kinds(want)}.")
    old = [_ticket_event("change_address"),
           {"kind": "tool_call", "name": "update_address", "arguments": {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"}},
           _result("update_address", {"customer_id": 6}), _finished("Moved Luis's address.")]
    with _world() as db:
        _put_thread(db, "ticket-506-1", "change_address", old, version=1)
        _put_thread(db, "ticket-506-2", "change_address", [_upgrade(e, 1) for e in old], version=2)
        for thread_id, version in (("ticket-506-1", 1), ("ticket-506-2", 2)):
            thread = _call(f"load_thread({thread_id!r}) on a thread stored by schema version {version}", load_thread, thread_id)
            got = thread.value.get("events") if isinstance(thread.value, dict) else None
            assert isinstance(got, list) and _kinds(got) == _kinds(old), (
                f"A thread stored by schema version {version} came back with the kinds {_kinds(got or [])}, not {_kinds(old)}.")
            request = got[1]
            assert isinstance(request, dict) and isinstance(request.get("arguments"), str), (
                f"A thread stored by schema version {version} came back with the request {request!r}; its arguments "
                "should be the JSON text of today's ToolRequested.")
            assert _same_events(got, [_upgrade(e, 1) for e in old]), (
                f"A thread stored by schema version {version} came back with other events than the ones stored.")


# --- Exercise 5.2: status_of and threads_with_status --------------------------------------------

_STATUS_CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("the ticket alone", [_ticket_event("damaged_item")], "working"),
    ("earlier messages, then the ticket", [_earlier("Hello?"), _earlier("Anyone?"), _ticket_event("damaged_item")], "working"),
    ("a request", _MAYA[:2], "interrupted"),
    ("a request and its result", _MAYA[:3], "working"),
    ("a refused request", [*_MAYA[:2], _failed("get_order", "No order 1042.")], "working"),
    ("a malformed call", [_MAYA[0], _failed("model", "Unknown tool 'refund_everything'.")], "working"),
    ("the refund request", _MAYA[:6], "interrupted"),
    ("a Finished", _MAYA, "done"),
    ("a Finished, then the customer writing again", [*_MAYA, _ticket_event("damaged_item")], "working"),
    ("a Finished, a new message, and a request", [*_MAYA, _ticket_event("damaged_item"), _MAYA[1]], "interrupted"),
    ("a Finished, a new message, and a second Finished", [*_MAYA, _ticket_event("damaged_item"), _finished("Again.")], "done"),
    ("a request for approval", [*_MAYA[:5], _request("request_approval", {"order_id": 1042, "amount": 18.5})], "waiting"),
    ("a question to the customer", [_MAYA[0], _request("ask_customer", {"question": "Which order?"})], "waiting"),
    ("an escalation", [*_MAYA[:3], _request("escalate", {"reason": "Out of steps."})], "waiting"),
    ("a person's answer", [*_MAYA[:5], _request("request_approval", {"order_id": 1042, "amount": 18.5}),
                           _result("request_approval", {"approved": True})], "working"),
]


def _ending(events: list[dict[str, Any]]) -> str:
    return " → ".join(str(e["kind"]) for e in events[-3:])


@hidden.test("status_is_derived_from_the_last_event")
def status_is_derived_from_the_last_event(status_of, Thread, EVENT):
    """done after a Finished, waiting after a call that asks a person, interrupted after any other ToolRequested,
    working after anything else: the last event decides."""
    for what, events, want in _STATUS_CASES:
        thread = _thread(Thread, EVENT, "damaged_item", events)
        got = _call(f"status_of on a thread ending with {what}", status_of, thread).value
        assert got == want, (
            f"status_of on a thread ending with {what} (… {_ending(events)}) returned {got!r}, not {want!r}.")


class _Loads:
    """A scripted stand-in for load_thread: the Thread this test made for each id (kept in step with the rows)."""

    def __init__(self, Thread: Remote, EVENT: Remote, threads: dict[str, tuple[str, list[dict[str, Any]]]],
                 missing: RaiseInWorker | None = None):
        self.Thread, self.EVENT, self.threads, self.missing = Thread, EVENT, threads, missing
        self.made: dict[str, Remote] = {}

    def refresh(self) -> None:
        self.made = {thread_id: _thread(self.Thread, self.EVENT, scenario, events)
                     for thread_id, (scenario, events) in self.threads.items()}

    def __call__(self, thread_id: Remote) -> Remote:
        key = thread_id.value
        if key not in self.made:
            if self.missing is not None:
                raise self.missing
            raise AssertionError(f"load_thread({key!r}) was called, and this test stored no such thread")
        return self.made[key]


@hidden.test("threads_listed_by_status_follow_the_store")
def threads_listed_by_status_follow_the_store(threads_with_status, Thread, EVENT, learner):
    """Stored threads listed by derived status, oldest first; an event another process appends moves its thread."""
    threads = {"ticket-506-1": ("change_address", list(_LUIS)), "ticket-502-1": ("large_refund", [_MAYA[0], _MAYA[1]]),
               "ticket-505-1": ("where_is_my_order", [_ticket_event("where_is_my_order")]),
               "ticket-501-1": ("damaged_item", list(_MAYA)), "ticket-504-1": ("out_of_window", list(_MAYA[:3]))}
    loads = _Loads(Thread, EVENT, threads)

    def listing() -> dict[str, Any]:
        loads.refresh()
        with learner.stand_ins(load_thread=loads):
            return {status: _call(f"threads_with_status({status!r})", threads_with_status, status).value
                    for status in ("working", "interrupted", "done")}

    def want() -> dict[str, list[str]]:
        order = list(threads)
        out: dict[str, list[str]] = {"working": [], "interrupted": [], "done": []}
        for thread_id in order:
            last = threads[thread_id][1][-1]["kind"]
            out["done" if last == "finished" else "interrupted" if last == "tool_call" else "working"].append(thread_id)
        return out

    with _world() as db:
        for thread_id, (scenario, events) in threads.items():  # stored in this order: the oldest first
            _put_thread(db, thread_id, scenario, events)
        got = listing()
        expected = want()
        for status in expected:
            if sorted(got[status] or []) == sorted(expected[status]) and got[status] != expected[status]:
                raise AssertionError(
                    f"threads_with_status({status!r}) returned {got[status]}: the right threads, in another order. "
                    "List them oldest first, in the order their rows were stored.")
        assert got == expected, (
            f"With five stored threads, threads_with_status gave {got}; expected {expected}.")
        for thread_id, event in (("ticket-502-1", _result("get_order", {"order_id": 1057})),
                                 ("ticket-505-1", _finished("Told Aisha where her jacket is."))):
            _put_event(db, thread_id, event)  # another process stores the next event, straight into the table
            threads[thread_id][1].append(event)
            got, expected = listing(), want()
            assert got == expected, (
                f"Another process stored a {event['kind']} event for {thread_id} in the events table, and then "
                f"threads_with_status gave {got}, not {expected}: derive each status from the events on every "
                "call, and keep no copy.")
        names = {name for (name,) in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        extra = sorted(names - _SHOP_TABLES - {"threads", "events"})
        assert not extra, f"The shop's database has new tables ({', '.join(extra)}): store no status, derive it."
        columns = [row[1] for row in db.conn.execute("PRAGMA table_info(threads)")]
        assert columns == ["id", "ticket", "schema_version", "created_on"], (
            f"The threads table has the columns {columns}: keep it as given, and store no status.")


# --- Exercise 5.3: act ----------------------------------------------------------------------------

class _Notes:
    """A stand-in for append_event that takes notes (thread id, event data, class) and returns a position,
    or raises `fail` in the worker (as a full disk would)."""

    def __init__(self, fail: RaiseInWorker | None = None):
        self.fail = fail
        self.calls: list[tuple[Any, Any, str]] = []

    def __call__(self, thread_id: Remote, event: Remote) -> int:
        self.calls.append((thread_id.value, event.value, event.type))
        if self.fail is not None:
            raise self.fail
        return len(self.calls) - 1


def _address(db: Shop, scenario: str) -> str:
    row = db.conn.execute("SELECT address FROM customers WHERE email = ?", (_ticket(scenario).customer_email,)).fetchone()
    return str(row[0])


def _messages(db: Shop) -> int:
    return int(db.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def _effects(db: Shop) -> tuple[float, int, str, str]:
    """What the shop shows of the three writing tools: Maya's refunds, the messages sent, Luis's address."""
    return (refunded_amount(db, SCENARIOS["damaged_item"]), _messages(db), _address(db, "change_address"),
            _address(db, "damaged_item"))


_ACTS = [
    ("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"}, "damaged_item", "tool_result"),
    ("send_message", {"body": "Your refund of $18.50 is on its way."}, "damaged_item", "tool_result"),
    ("update_address", {"address": "2150 Larimer St Unit 5B, Denver, CO 80205"}, "change_address", "tool_result"),
    ("get_order", {"order_id": 1042}, "damaged_item", "tool_result"),
    ("done", {"summary": "Refunded the mug."}, "damaged_item", "finished"),
]


@hidden.test("act_stores_the_event_of_its_effect")
def act_stores_the_event_of_its_effect(act, INTENTS, learner):
    """Each intent is carried out once, and the event act returns is the one event it stores, in the thread given."""
    for name, arguments, scenario, kind in _ACTS:
        intent = INTENTS[name](**arguments)
        notes = _Notes()
        with _world() as db, learner.stand_ins(append_event=notes):
            before = _effects(db)
            event = _call(f"act('ticket-7-1', {intent!r}, ticket)", act, "ticket-7-1", intent, _ticket(scenario))
            after = _effects(db)
        got = event.value
        assert isinstance(got, dict) and got.get("kind") == kind, (
            f"act('ticket-7-1', {intent!r}, ticket) returned {event!r}; expected the {_CLASSES[kind]} that "
            "execute returns for it.")
        assert len(notes.calls) == 1, (
            f"act('ticket-7-1', {intent!r}, ticket) called append_event {_times(len(notes.calls))}"
            f"{' (' + ', '.join(str(c[1].get('kind')) for c in notes.calls) + ')' if notes.calls else ''}; it "
            "should store exactly one event, the one execute returned (the loop stores the request).")
        thread_id, stored, _ = notes.calls[0]
        assert thread_id == "ticket-7-1", f"act stored its event in the thread {thread_id!r}, not in 'ticket-7-1'."
        assert stored == got, f"act stored {stored!r} but returned {got!r}: store the event you return."
        changed = sum(a != b for a, b in zip(before, after, strict=True))
        if name in ("issue_refund", "send_message", "update_address"):
            assert changed == 1, f"act({intent!r}) did not carry the intent out in the shop."
            if name == "issue_refund":
                assert after[0] == 18.5, f"act({intent!r}) refunded ${after[0]:.2f}, not $18.50."
        else:
            assert changed == 0, f"act({intent!r}) changed the shop, and this intent only reads."


@hidden.test("failure_between_effect_and_event_changes_nothing")
def failure_between_effect_and_event_changes_nothing(act, INTENTS, learner):
    """A failure after the effect and before its event is stored leaves neither, and the error reaches the caller."""
    full = RaiseInWorker(_sqlite_error(learner), "database or disk is full")
    for name, arguments, scenario, _ in _ACTS[:3]:
        intent = INTENTS[name](**arguments)
        with _world() as db, learner.stand_ins(append_event=_Notes(fail=full)):
            before = _effects(db)
            try:
                got = act("ticket-7-1", intent, _ticket(scenario))
            except LearnerNotImplemented:
                raise
            except LearnerError:
                got = None
            after = _effects(db)
        assert after == before, (
            f"act({intent!r}) with an append_event that fails (database or disk is full) left the {name} done in the "
            "shop with no event to record it: carry out the intent and store its event in one transaction, "
            "`with current_shop().transaction():`.")
        assert got is None, (
            f"act({intent!r}) with an append_event that fails returned {got!r} instead of raising: let the error "
            "reach the caller, so that nobody takes the step for done.")
    intent = INTENTS["issue_refund"](order_id=1042, amount=18.5, reason="damaged")
    notes = _Notes()
    with _world() as db, learner.stand_ins(append_event=notes):
        db.fail_next("issue_refund", ConfigError("the worker was killed"), after=True)  # right after the refund is written
        try:
            got = act("ticket-7-1", intent, _ticket("damaged_item"))
        except LearnerNotImplemented:
            raise
        except LearnerError:
            got = None
        refunded = refunded_amount(db, SCENARIOS["damaged_item"])
    assert refunded == 0, (
        f"The process failed right after act({intent!r}) wrote the refund, before its event was stored, and the "
        f"shop kept ${refunded:.2f} refunded: the refund and its event commit together, or not at all.")
    outcomes = [call[1].get("kind") for call in notes.calls if isinstance(call[1], dict)
                and call[1].get("kind") in ("tool_result", "tool_error", "finished")]
    assert not outcomes, (
        f"The process failed right after act({intent!r}) wrote the refund, and act stored a {outcomes[0]} event for "
        "a step that did not happen: let the failure roll the step back and reach the caller.")
    assert got is None, f"act({intent!r}) failed after the refund was written and returned {got!r} instead of raising."


@hidden.test("refusal_is_a_stored_error_event")
def refusal_is_a_stored_error_event(act, INTENTS, learner):
    """A refusal by the shop is an outcome, not a failure: act returns the ToolFailed and stores it, and raises nothing."""
    cases = [("issue_refund", {"order_id": 1013, "amount": 64.0, "reason": "damaged"}, "out_of_window", None),
             ("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"}, "damaged_item", PaymentProviderDown()),
             ("get_order", {"order_id": 1603}, "unknown_order", None)]
    for name, arguments, scenario, fault in cases:
        intent = INTENTS[name](**arguments)
        notes = _Notes()
        with _world() as db, learner.stand_ins(append_event=notes):
            if fault is not None:
                db.fail_next(name, fault)
            event = _call(f"act on {intent!r}, which the shop refuses", act, "ticket-7-1", intent, _ticket(scenario))
            refunded = refunded_amount(db, SCENARIOS[scenario])
        got = event.value
        assert isinstance(got, dict) and got.get("kind") == "tool_error", (
            f"The shop refuses {intent!r}, and act returned {event!r}; expected the ToolFailed that execute returns.")
        assert [call[1] for call in notes.calls] == [got], (
            f"The shop refused {intent!r}, and act stored {[call[1] for call in notes.calls]}: store the ToolFailed "
            "like any other event, so the model reads it on its next step.")
        assert refunded == 0, f"The shop refused {intent!r}, and yet ${refunded:.2f} was refunded."


# --- the agent as a whole -----------------------------------------------------------------------

_SCENARIO_RUNS = ["damaged_item", "out_of_window", "where_is_my_order", "change_address", "unknown_order", "long_thread"]


def _thread_id(run_agent: Remote, ticket: Ticket, what: str) -> str:
    got = _call(what, run_agent, ticket)
    thread_id = got.value
    assert isinstance(thread_id, str), f"{what} returned {got!r}; it should return the stored thread's id."
    return thread_id


@hidden.test("agent_handles_the_scenarios")
def agent_handles_the_scenarios(run_agent, rng):
    """With the shop brain the agent reaches each expected outcome, and its stored thread tells what it did."""
    for name, outcome in runs(_SCENARIO_RUNS, rng, ("refunded", "refused", "ask_customer", "answered", "address_updated")):
        model = FakeModel(shop_brain, context_window=3000)
        with _world(model) as db:
            scenario = scenario_in(db, rng, name, outcome)
            before = Records.of(db)
            thread_id = _thread_id(run_agent, scenario.ticket, f"run_agent on the {name} ticket")
            called = [tool for tool, _ in model.transcript.tool_calls()]
            got = outcome_of(db, scenario, called=called)
            effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"On the {name} ticket")
            expected = scenario.expected
            assert got == expected.outcome, f"On the {name} ticket the agent's outcome was {got!r}, not {expected.outcome!r}."
            if expected.refund_amount is not None and expected.outcome == "refunded":
                amount = refunded_amount(db, scenario)
                assert amount == expected.refund_amount, f"On the {name} ticket the agent refunded ${amount:.2f}."
            row = _thread_row(db, thread_id)
            rows = _rows(db, thread_id)
        assert row is not None, f"run_agent on the {name} ticket returned {thread_id!r}, and the store has no such thread."
        kinds = [kind for _, kind, _ in rows]
        assert kinds and kinds[-1] == "finished" and kinds.count("finished") == 1, (
            f"On the {name} ticket the stored thread's events are {kinds[-4:]} at the end: it should end with one Finished.")
        requested = [data.get("name") for _, kind, data in rows if kind == "tool_call"]
        assert requested == [tool for tool in called if tool != "done"], (
            f"On the {name} ticket the model called {called}, and the stored thread records the requests {requested}.")
        results = [data.get("name") for _, kind, data in rows if kind in ("tool_result", "tool_error")]
        assert results == requested, (
            f"On the {name} ticket the stored thread has results for {results}, and requests for {requested}: "
            "every request's event should be stored after it.")


@hidden.test("a_crash_leaves_an_interrupted_thread")
def a_crash_leaves_an_interrupted_thread(run_agent, load_thread, status_of, threads_with_status, learner):
    """Killed right after writing Maya's refund: no refund, the thread stored and interrupted, in any process."""
    damaged = SCENARIOS["damaged_item"]
    with _world(FakeModel(shop_brain)) as db:
        db.fail_next("issue_refund", ConfigError("the worker was killed"), after=True)
        try:
            got = run_agent(damaged.ticket)
        except LearnerNotImplemented:
            raise
        except LearnerError:
            got = None
        assert got is None, (
            f"The process failed right after the refund was written, and run_agent returned {got!r}: "
            "that failure should reach the caller.")
        refunded = refunded_amount(db, damaged)
        assert refunded == 0, (
            f"The process failed right after the refund was written, before its event was stored, and the shop "
            f"kept ${refunded:.2f} refunded: the refund and its event commit together, or not at all.")
        try:
            ids = [thread_id for (thread_id,) in db.conn.execute("SELECT id FROM threads")]
        except sqlite3.OperationalError:
            ids = []
        assert len(ids) == 1, f"After the crash the store holds {len(ids)} threads, not Maya's one."
        thread_id = ids[0]
        kinds = [(kind, data.get("name")) for _, kind, data in _rows(db, thread_id)]
        assert kinds and kinds[-1] == ("tool_call", "issue_refund"), (
            f"After the crash Maya's stored thread ends with {kinds[-2:]}; it should end with the issue_refund request.")
        here = _call(f"load_thread({thread_id!r})", load_thread, thread_id)
        status = _call("status_of(the crashed thread)", status_of, here).value
        assert status == "interrupted", f"After the crash status_of(Maya's thread) is {status!r}, not 'interrupted'."
        listed = _call("threads_with_status('interrupted')", threads_with_status, "interrupted").value
        assert listed == [thread_id], f"After the crash threads_with_status('interrupted') is {listed!r}, not [{thread_id!r}]."
        try:
            with learner.fresh() as other:
                with Shop.open(db.path) as same, use_shop(same):  # a new connection to the same file
                    there = _call(f"load_thread({thread_id!r}) in another process", other["load_thread"], thread_id)
                    status_there = other["status_of"](there).value
                    listed_there = other["threads_with_status"]("interrupted").value
        except FreshWorkerUnavailable:
            return  # plain nbgrader: the learner's kernel is the only process there is
        assert there.value == here.value and status_there == "interrupted" and listed_there == [thread_id], (
            f"Another process, opening the same shop file, read Maya's thread as {status_there!r} and listed "
            f"{listed_there!r} as interrupted: the thread must be in the database, and nowhere else.")


# --- Exercise 5.4: fork_thread ----------------------------------------------------------------------

def _fork(fork_thread: Remote, thread_id: str, upto: int) -> str:
    got = _call(f"fork_thread({thread_id!r}, {upto})", fork_thread, thread_id, upto)
    fork_id = got.value
    assert isinstance(fork_id, str), f"fork_thread({thread_id!r}, {upto}) returned {got!r}; it should return the fork's id."
    return fork_id


def _content(db: Shop, notes: _Notes, fork_id: str) -> list[Any]:
    """The fork's events: its rows (upgraded as its row's version says), then what append_event was given for it."""
    row = _thread_row(db, fork_id)
    version = row[1] if row is not None else 2
    stored = [_upgrade(data, version) for _, _, data in _rows(db, fork_id)]
    return stored + [event for thread_id, event, _ in notes.calls if thread_id == fork_id]


@contextmanager
def _forking(learner: Any, Thread: Remote, EVENT: Remote, ThreadNotFound: Remote,
             threads: dict[str, tuple[str, list[dict[str, Any]]]]) -> Iterator[tuple[_Loads, _Notes]]:
    loads = _Loads(Thread, EVENT, threads, missing=RaiseInWorker(ThreadNotFound, "No such thread in the store."))
    loads.refresh()
    notes = _Notes()
    with learner.stand_ins(load_thread=loads, append_event=notes):
        yield loads, notes


@hidden.test("fork_copies_a_prefix_into_a_new_thread")
def fork_copies_a_prefix_into_a_new_thread(fork_thread, Thread, EVENT, ThreadNotFound, learner):
    """A fork is a new thread with the original's ticket and exactly its first `upto` events, in order."""
    with _world() as db:
        _put_thread(db, "ticket-501-1", "damaged_item", _MAYA)
        with _forking(learner, Thread, EVENT, ThreadNotFound, {"ticket-501-1": ("damaged_item", _MAYA)}) as (_, notes):
            for upto in (5, 1, len(_MAYA)):
                fork_id = _fork(fork_thread, "ticket-501-1", upto)
                assert fork_id != "ticket-501-1", f"fork_thread('ticket-501-1', {upto}) returned the original's own id."
                row = _thread_row(db, fork_id)
                assert row is not None, f"fork_thread('ticket-501-1', {upto}) returned {fork_id!r}, which has no thread row."
                assert Ticket.model_validate_json(row[0]) == _ticket("damaged_item"), (
                    f"The fork {fork_id} has another ticket than the thread it was forked from.")
                got = _content(db, notes, fork_id)
                assert _same_events(got, _MAYA[:upto]), (
                    f"fork_thread('ticket-501-1', {upto}) made a thread with the events {_kinds(got)}, not the "
                    f"original's first {upto}: {_kinds(_MAYA[:upto])}.")
            try:
                got_id = fork_thread("ticket-999-1", 2)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                assert error.isa(ThreadNotFound), f"fork_thread('ticket-999-1', 2), an unknown thread, raised {error.type}."
            else:
                raise AssertionError(f"fork_thread('ticket-999-1', 2), an unknown thread, returned {got_id!r}; "
                                     "it should raise ThreadNotFound.")


@hidden.test("fork_leaves_the_original_untouched")
def fork_leaves_the_original_untouched(fork_thread, Thread, EVENT, ThreadNotFound, learner):
    """Forking (twice, at two places) changes none of the original's rows."""
    with _world() as db:
        _put_thread(db, "ticket-501-1", "damaged_item", _MAYA)
        before = (_thread_row(db, "ticket-501-1"), _rows(db, "ticket-501-1"))
        with _forking(learner, Thread, EVENT, ThreadNotFound, {"ticket-501-1": ("damaged_item", _MAYA)}):
            for upto in (3, 6):
                fork_id = _fork(fork_thread, "ticket-501-1", upto)
                after = (_thread_row(db, "ticket-501-1"), _rows(db, "ticket-501-1"))
                assert after == before, (
                    f"fork_thread('ticket-501-1', {upto}) changed the original thread: it now has "
                    f"{len(after[1])} events, not {len(before[1])}. Copy the events into the fork; leave the original as it was.")
                assert fork_id != "ticket-501-1", f"fork_thread('ticket-501-1', {upto}) returned the original's own id."
        count = db.conn.execute("SELECT count(*) FROM threads").fetchone()[0]
        assert count == 3, f"After two forks of one thread the store holds {count} threads, not 3."


@hidden.test("forks_are_threads_of_their_own")
def forks_are_threads_of_their_own(fork_thread, Thread, EVENT, ThreadNotFound, learner):
    """Two forks of one thread get two ids; a fork can be forked; a fork of a version-1 thread holds today's events."""
    with _world() as db:
        _put_thread(db, "ticket-501-1", "damaged_item", _MAYA)
        threads = {"ticket-501-1": ("damaged_item", _MAYA)}
        with _forking(learner, Thread, EVENT, ThreadNotFound, threads) as (loads, notes):
            first, second = _fork(fork_thread, "ticket-501-1", 4), _fork(fork_thread, "ticket-501-1", 4)
            assert first != second, f"Two forks of ticket-501-1 both got the id {first!r}: each fork is a new thread."
            for fork_id in (first, second):
                assert _same_events(_content(db, notes, fork_id), _MAYA[:4]), (
                    f"After forking ticket-501-1 twice, the fork {fork_id} does not hold the first 4 events.")
            threads[first] = ("damaged_item", _MAYA[:4])
            loads.refresh()
            grandchild = _fork(fork_thread, first, 2)
            assert grandchild not in ("ticket-501-1", first, second), (
                f"Forking the fork {first} returned {grandchild!r}, an id already in use.")
            got = _content(db, notes, grandchild)
            assert _same_events(got, _MAYA[:2]), (
                f"Forking the fork {first} at 2 made a thread with the events {_kinds(got)}, not {_kinds(_MAYA[:2])}.")
    old = [_ticket_event("where_is_my_order"), {"kind": "tool_call", "name": "track_shipment", "arguments": {"order_id": 1077}},
           _result("track_shipment", {"order_id": 1077, "status": "in_transit"}), _finished("Told Aisha.")]
    today = [_upgrade(event, 1) for event in old]
    with _world() as db:
        _put_thread(db, "ticket-505-1", "where_is_my_order", old, version=1)
        with _forking(learner, Thread, EVENT, ThreadNotFound, {"ticket-505-1": ("where_is_my_order", today)}) as (_, notes):
            fork_id = _fork(fork_thread, "ticket-505-1", 3)
            got = _content(db, notes, fork_id)
    assert _same_events(got, today[:3]), (
        f"A fork of a thread stored by schema version 1 holds {got[1:2] if len(got) > 1 else got!r} as its request: "
        "once loaded, the events are in today's shape, so store them as SCHEMA_VERSION writes them.")


__all__ = ["hidden"]
