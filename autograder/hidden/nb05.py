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

Every input is drawn from the grading's seed (`rng`): the tickets and orders (`draw_scenario`, a new
customer each), the threads' ids, the events of each thread (the story of a drawn ticket: a refund, a
question to the customer, a move, a parcel in transit), how many events another process stored first,
where a thread is forked, and the order the cases come in. Only thread_v1.sql is the lesson's own, and
it is stored under a drawn id.
"""

from __future__ import annotations

import json
import random
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
from autograder.hidden.drawn import Records, effects_follow_calls, runs, scenario_in, words
from course.brain import shop_brain
from course.grading.layout import find_lesson
from course.llm import FakeModel, use_model
from course.llm.settings import ConfigError
from course.shop import (
    Outcome,
    PaymentProviderDown,
    Scenario,
    Shop,
    Ticket,
    draw_scenario,
    outcome_of,
    refunded_amount,
    use_shop,
)
from course.shop.drawn import draw_address

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


def _ticket_event(ticket: Ticket) -> dict[str, Any]:
    return {"kind": "ticket", "subject": ticket.subject, "body": ticket.body, "customer_email": ticket.customer_email}


def _request(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "tool_call", "name": name, "arguments": json.dumps(arguments)}


def _result(name: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "tool_result", "name": name, "result": json.dumps(result)}


def _failed(name: str, error: str) -> dict[str, Any]:
    return {"kind": "tool_error", "name": name, "error": error}


def _finished(summary: str) -> dict[str, Any]:
    return {"kind": "finished", "summary": summary}


def _earlier(body: str, sent_on: str = "2026-10-20") -> dict[str, Any]:
    return {"kind": "earlier", "sender": "customer", "sent_on": sent_on, "body": body}


_REASONS = ("damaged", "not_received", "wrong_item", "unwanted", "other")


def _price(db: Shop, case: Scenario) -> float:
    """The price of the item a drawn refund ticket is about (the first line of its order)."""
    row = db.conn.execute("SELECT unit_price_cents FROM order_items WHERE order_id = ? ORDER BY rowid LIMIT 1",
                          (case.order_id,)).fetchone()
    return round(row[0] / 100, 2)


def _story(db: Shop, rng: random.Random, outcome: Outcome) -> tuple[Scenario, list[dict[str, Any]]]:
    """A ticket drawn into `db`, and the events of the agent handling it, as data (no model, no shop call).

    "refunded": the order looked up, the policy checked, the refund made, finished (every kind but `earlier`
    and `tool_error`); "ask_customer": an order that does not exist, a refused lookup, a question sent;
    "address_updated": an earlier message first, then the move; "answered": a parcel tracked and the customer told.
    """
    case = draw_scenario(db, rng, outcome)
    order, said = case.order_id, f"{words(rng).capitalize()} {rng.randrange(2, 99)}."
    events = [_ticket_event(case.ticket)]
    if outcome in ("refunded", "approval_required", "refused"):
        amount = _price(db, case)
        events += [_request("get_order", {"order_id": order}), _result("get_order", {"order_id": order, "status": "delivered"}),
                   _request("check_refund_policy", {"order_id": order, "amount": amount}),
                   _result("check_refund_policy", {"allowed": True, "needs_approval": False}),
                   _request("issue_refund", {"order_id": order, "amount": amount, "reason": rng.choice(_REASONS)}),
                   _result("issue_refund", {"refund_id": rng.randrange(1, 500), "amount": amount}),
                   _finished(f"Refunded ${amount:.2f} on order {order}. {said}")]
    elif outcome == "ask_customer":
        question = f"Could you check the number of order {order}? {said}"
        events += [_request("get_order", {"order_id": order}), _failed("get_order", f"No order {order}."),
                   _request("send_message", {"body": question}),
                   _result("send_message", {"message_id": rng.randrange(1, 500), "body": question}),
                   _finished(f"Asked for the order number. {said}")]
    elif outcome == "address_updated":
        address = str(case.expected.address)
        events = [_earlier(f"I am moving soon. {said}", f"2026-10-{rng.randint(10, 28)}"), *events,
                  _request("update_address", {"address": address}),
                  _result("update_address", {"customer_id": rng.randrange(9, 500), "address": address}),
                  _finished(f"Moved the customer to {address}.")]
    else:
        told = f"Order {order} is in transit. {said}"
        events += [_request("track_shipment", {"order_id": order}),
                   _result("track_shipment", {"order_id": order, "status": "in_transit"}),
                   _request("send_message", {"body": told}),
                   _result("send_message", {"message_id": rng.randrange(1, 500), "body": told}),
                   _finished(f"Told the customer where order {order} is.")]
    return case, events


def _new_id(rng: random.Random, ticket: Ticket, taken: tuple[str, ...] = ()) -> str:
    """A thread id as new_thread gives them, `ticket-<ticket id>-<n>`, not one of `taken`."""
    while (thread_id := f"ticket-{ticket.ticket_id}-{rng.randint(1, 9)}") in taken:
        pass
    return thread_id


def _unknown_id(rng: random.Random) -> str:
    """The id of a thread nobody stored (drawn tickets' ids are 10000-99999)."""
    return f"ticket-{rng.randrange(1000, 10_000)}-{rng.randint(1, 9)}"


def _tables(db: Shop) -> None:
    for sql in _TABLES:
        db.conn.execute(sql)


def _put_thread(db: Shop, thread_id: str, ticket: Ticket, events: list[dict[str, Any]], version: int = 2) -> None:
    """A thread as another process would store it: its row, then its events' rows (grader side)."""
    _tables(db)
    db.conn.execute("INSERT INTO threads VALUES (?, ?, ?, ?)",
                    (thread_id, ticket.model_dump_json(), version, db.today.isoformat()))
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


def _as_v1(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as schema version 1 stored them: a request's arguments as a JSON object, not as text."""
    return [{**e, "arguments": json.loads(e["arguments"])} if e["kind"] == "tool_call" else e for e in events]


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


def _thread(Thread: Remote, EVENT: Remote, ticket: Ticket, events: list[dict[str, Any]]) -> Remote:
    return Thread(ticket=ticket, events=_made(EVENT, events))


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
def events_come_back_in_order_as_their_classes(append_event, load_thread, EVENT, rng):
    """Two threads appended to in turn load back with their tickets and their own events in order, as their classes."""
    with _world() as db:
        stories = [_story(db, rng, "ask_customer"), _story(db, rng, "address_updated")]  # every kind of event
        rng.shuffle(stories)
        threads: dict[str, tuple[Ticket, list[dict[str, Any]]]] = {}
        for case, events in stories:
            threads[_new_id(rng, case.ticket, tuple(threads))] = (case.ticket, events)
        for thread_id, (ticket, _) in threads.items():
            _put_thread(db, thread_id, ticket, [])
        turns = [thread_id for thread_id, (_, events) in threads.items() for _ in events]
        rng.shuffle(turns)  # the two threads' events interleaved, each thread's in its own order
        positions: dict[str, list[Any]] = {thread_id: [] for thread_id in threads}
        for thread_id in turns:
            event = EVENT.validate_python(threads[thread_id][1][len(positions[thread_id])])
            got = _call(f"append_event({thread_id!r}, {event!r})", append_event, thread_id, event)
            positions[thread_id].append(got.value)
        for thread_id, (ticket, events) in threads.items():
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
            got_ticket = _attr(thread, "ticket").value
            assert got_ticket == ticket.model_dump(mode="json"), (
                f"The thread {thread_id} came back with the ticket {got_ticket!r}, not the one stored in its row.")


@hidden.test("threads_are_rows_in_the_shop_database")
def threads_are_rows_in_the_shop_database(append_event, load_thread, EVENT, rng):
    """append_event writes rows of the events table; rows written by another process are counted and loaded."""
    with _world() as db:
        case, story = _story(db, rng, "refunded")
        thread_id, first = _new_id(rng, case.ticket), rng.randint(1, 3)
        _put_thread(db, thread_id, case.ticket, story[:first])  # another process started this thread
        event = EVENT.validate_python(story[first])
        seq = _call(f"append_event({thread_id!r}, ...)", append_event, thread_id, event).value
        assert seq == first, (
            f"The thread {thread_id} already had {first} events in the events table (stored by another process), and "
            f"append_event returned {seq!r} for the next one, not {first}: count the thread's rows in the database.")
        _call(f"append_event({thread_id!r}, ...)", append_event, thread_id, EVENT.validate_python(story[first + 1]))
        rows = _rows(db, thread_id)
        want = [(i, e["kind"], e) for i, e in enumerate(story[:first + 2])]
        same = len(rows) == len(want) and all(r[:2] == w[:2] and _same_event(r[2], w[2]) for r, w in zip(rows, want, strict=True))
        assert same, (
            f"After two append_event calls, the shop's events table holds {[(s, k) for s, k, _ in rows]} for "
            f"{thread_id}, not {[(s, k) for s, k, _ in want]}: each event is one row (seq, kind, and the event's "
            "JSON as data), in the shop's own database.")
        _put_event(db, thread_id, story[first + 2])  # another process stores the next event
        _, got = _loaded(load_thread, thread_id)
        assert _same_events(got, story[:first + 3]), (
            f"Another process stored event {first + 2} in the events table, and load_thread returned {len(got)} events "
            f"({_kinds(got)}): read the thread from the database on every call, and keep no copy of it.")


@hidden.test("unknown_thread_raises_thread_not_found")
def unknown_thread_raises_thread_not_found(load_thread, ThreadNotFound, rng):
    """An id with no thread row raises the lesson's ThreadNotFound, and the message names the id."""
    for stored in (False, True):
        with _world() as db:
            unknown = [_unknown_id(rng)]
            if stored:
                case, story = _story(db, rng, "refunded")
                thread_id = _new_id(rng, case.ticket)
                _put_thread(db, thread_id, case.ticket, story[:rng.randint(1, 3)])
                unknown.append(_new_id(rng, case.ticket, (thread_id,)))  # the next thread of that ticket
                rng.shuffle(unknown)
            for thread_id in unknown:
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
def old_threads_load_through_upgrade(load_thread, rng):
    """The lesson's thread_v1.sql (stored under a new id), and other threads stored by version 1, load in today's shape."""
    with _world() as db:
        db.conn.executescript(_fixture())
        for (old_id,) in db.conn.execute("SELECT id FROM threads").fetchall():
            moved = _unknown_id(rng)
            db.conn.execute("INSERT INTO threads SELECT ?, ticket, schema_version, created_on FROM threads WHERE id = ?",
                            (moved, old_id))
            db.conn.execute("UPDATE events SET thread_id = ? WHERE thread_id = ?", (moved, old_id))
            db.conn.execute("DELETE FROM threads WHERE id = ?", (old_id,))
        stored = db.conn.execute("SELECT id, schema_version FROM threads").fetchall()
        for thread_id, version in stored:
            want = [_upgrade(data, version) for _, _, data in _rows(db, thread_id)]
            thread = _call(f"load_thread({thread_id!r}) on the thread of thread_v1.sql (schema version {version})",
                           load_thread, thread_id)
            got = thread.value.get("events") if isinstance(thread.value, dict) else None
            assert isinstance(got, list) and _same_events(got, want), (
                f"The thread of thread_v1.sql (stored as {thread_id}) came back with the kinds {_kinds(got or [])}, "
                f"not {_kinds(want)}.")
    with _world() as db:
        case, today = _story(db, rng, rng.choice(("refunded", "address_updated", "answered")))
        old = _as_v1(today)
        first = _new_id(rng, case.ticket)
        second = _new_id(rng, case.ticket, (first,))
        _put_thread(db, first, case.ticket, old, version=1)
        _put_thread(db, second, case.ticket, today, version=2)
        versions = [(first, 1), (second, 2)]
        rng.shuffle(versions)
        for thread_id, version in versions:
            thread = _call(f"load_thread({thread_id!r}) on a thread stored by schema version {version}", load_thread, thread_id)
            got = thread.value.get("events") if isinstance(thread.value, dict) else None
            assert isinstance(got, list) and _kinds(got) == _kinds(old), (
                f"A thread stored by schema version {version} came back with the kinds {_kinds(got or [])}, not {_kinds(old)}.")
            requests = [e for e in got if isinstance(e, dict) and e.get("kind") == "tool_call"]
            bad = next((e for e in requests if not isinstance(e.get("arguments"), str)), None)
            assert bad is None, (
                f"A thread stored by schema version {version} came back with the request {bad!r}; its arguments "
                "should be the JSON text of today's ToolRequested.")
            assert _same_events(got, today), (
                f"A thread stored by schema version {version} came back with other events than the ones stored.")


# --- Exercise 5.2: status_of and threads_with_status --------------------------------------------

def _status_cases(db: Shop, rng: random.Random) -> tuple[Ticket, list[tuple[str, list[dict[str, Any]], str]]]:
    """A drawn refund's ticket, and threads about it that end in each way (what, events, the status), in a drawn order."""
    case, story = _story(db, rng, "refunded")
    again = {**_ticket_event(case.ticket), "body": f"Any news? {words(rng).capitalize()}."}
    asked = {"order_id": case.order_id, "amount": _price(db, case)}
    cases: list[tuple[str, list[dict[str, Any]], str]] = [
        ("no event yet (a fork at 0)", [], "working"),
        ("the ticket alone", story[:1], "working"),
        ("earlier messages, then the ticket", [_earlier(f"{words(rng).capitalize()}?"), _earlier("Anyone?"), story[0]],
         "working"),
        ("a request", story[:2], "interrupted"),
        ("a request and its result", story[:rng.choice((3, 5))], "working"),
        ("a refused request", [*story[:2], _failed("get_order", f"No order {case.order_id}.")], "working"),
        ("a malformed call", [story[0], _failed("model", f"Unknown tool '{words(rng)}'.")], "working"),
        ("the refund request", story[:6], "interrupted"),
        ("a Finished", story, "done"),
        ("a Finished, then the customer writing again", [*story, again], "working"),
        ("a Finished, a new message, and a request", [*story, again, story[1]], "interrupted"),
        ("a Finished, a new message, and a second Finished", [*story, again, _finished(f"{words(rng)}.")], "done"),
        ("a request for approval", [*story[:5], _request("request_approval", asked)], "waiting"),
        ("a question to the customer", [story[0], _request("ask_customer", {"question": f"Which {words(rng)}?"})],
         "waiting"),
        ("an escalation", [*story[:3], _request("escalate", {"reason": f"{words(rng)}."})], "waiting"),
        ("a person's answer", [*story[:5], _request("request_approval", asked),
                               _result("request_approval", {"approved": rng.random() < 0.5})], "working"),
    ]
    rng.shuffle(cases)
    return case.ticket, cases


def _ending(events: list[dict[str, Any]]) -> str:
    return " → ".join(str(e["kind"]) for e in events[-3:]) or "no event"


@hidden.test("status_is_derived_from_the_last_event")
def status_is_derived_from_the_last_event(status_of, Thread, EVENT, rng):
    """done after a Finished, waiting after a call that asks a person, interrupted after any other ToolRequested,
    working after anything else: the last event decides."""
    with _world() as db:
        ticket, cases = _status_cases(db, rng)
    for what, events, want in cases:
        thread = _thread(Thread, EVENT, ticket, events)
        got = _call(f"status_of on a thread ending with {what}", status_of, thread).value
        assert got == want, (
            f"status_of on a thread ending with {what} (… {_ending(events)}) returned {got!r}, not {want!r}.")


class _Loads:
    """A scripted stand-in for load_thread: the Thread this test made for each id (kept in step with the rows)."""

    def __init__(self, Thread: Remote, EVENT: Remote, threads: dict[str, tuple[Ticket, list[dict[str, Any]]]],
                 missing: RaiseInWorker | None = None):
        self.Thread, self.EVENT, self.threads, self.missing = Thread, EVENT, threads, missing
        self.made: dict[str, Remote] = {}

    def refresh(self) -> None:
        self.made = {thread_id: _thread(self.Thread, self.EVENT, ticket, events)
                     for thread_id, (ticket, events) in self.threads.items()}

    def __call__(self, thread_id: Remote) -> Remote:
        key = thread_id.value
        if key not in self.made:
            if self.missing is not None:
                raise self.missing
            raise AssertionError(f"load_thread({key!r}) was called, and this test stored no such thread")
        return self.made[key]


def _cut(rng: random.Random, story: list[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    """The story up to a drawn place where its thread is `status`: done (all of it), interrupted (after a request),
    working (after the ticket, a result or an error)."""
    if status == "done":
        return list(story)
    kinds = ("tool_call",) if status == "interrupted" else ("ticket", "tool_result", "tool_error")
    end = rng.choice([i for i, event in enumerate(story) if event["kind"] in kinds])
    return list(story[:end + 1])


@hidden.test("threads_listed_by_status_follow_the_store")
def threads_listed_by_status_follow_the_store(threads_with_status, Thread, EVENT, learner, rng):
    """Stored threads listed by derived status, oldest first; an event another process appends moves its thread."""
    statuses = ["done", "done", "interrupted", "working", "working"]
    rng.shuffle(statuses)
    threads: dict[str, tuple[Ticket, list[dict[str, Any]]]] = {}
    stories: dict[str, list[dict[str, Any]]] = {}
    loads = _Loads(Thread, EVENT, threads)

    def listing() -> dict[str, Any]:
        loads.refresh()
        with learner.stand_ins(load_thread=loads):
            return {status: _call(f"threads_with_status({status!r})", threads_with_status, status).value
                    for status in ("working", "interrupted", "done")}

    def want() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"working": [], "interrupted": [], "done": []}
        for thread_id, (_, events) in threads.items():
            last = events[-1]["kind"]
            out["done" if last == "finished" else "interrupted" if last == "tool_call" else "working"].append(thread_id)
        return out

    with _world() as db:
        for status in statuses:
            case, story = _story(db, rng, rng.choice(("refunded", "ask_customer", "address_updated", "answered")))
            thread_id = _new_id(rng, case.ticket, tuple(threads))
            threads[thread_id], stories[thread_id] = (case.ticket, _cut(rng, story, status)), story
        for thread_id, (ticket, events) in threads.items():  # stored in this order: the oldest first
            _put_thread(db, thread_id, ticket, events)
        got = listing()
        expected = want()
        for status in expected:
            if sorted(got[status] or []) == sorted(expected[status]) and got[status] != expected[status]:
                raise AssertionError(
                    f"threads_with_status({status!r}) returned {got[status]}: the right threads, in another order. "
                    "List them oldest first, in the order their rows were stored.")
        assert got == expected, (
            f"With five stored threads, threads_with_status gave {got}; expected {expected}.")
        interrupted = expected["interrupted"][0]
        working = rng.choice(expected["working"])
        result = stories[interrupted][len(threads[interrupted][1])]
        for thread_id, event in ((interrupted, result), (working, _finished(f"Told the customer. {words(rng)}."))):
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


def _address(db: Shop, email: str) -> str:
    row = db.conn.execute("SELECT address FROM customers WHERE email = ?", (email,)).fetchone()
    return str(row[0])


def _messages(db: Shop) -> int:
    return int(db.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


_ACTS = {"issue_refund": "tool_result", "send_message": "tool_result", "update_address": "tool_result",
         "get_order": "tool_result", "done": "finished"}  # each intent, and the kind of event it gives


class _Acting:
    """A drawn refund ticket and a drawn move in `db`, and intents about them, as data."""

    def __init__(self, db: Shop, rng: random.Random):
        self.db, self.refund, self.move = db, draw_scenario(db, rng, "refunded"), draw_scenario(db, rng, "address_updated")
        self.amount = self.refund.expected.refund_amount or 0.0
        order = self.refund.order_id
        self.arguments = {
            "issue_refund": {"order_id": order, "amount": self.amount, "reason": rng.choice(_REASONS)},
            "send_message": {"body": f"Your refund of ${self.amount:.2f} is on its way. {words(rng).capitalize()}."},
            "update_address": {"address": draw_address(rng)},
            "get_order": {"order_id": order},
            "done": {"summary": f"Refunded the {words(rng)}."}}
        self.thread_id = _new_id(rng, self.refund.ticket)

    def ticket(self, name: str) -> Ticket:
        return self.move.ticket if name == "update_address" else self.refund.ticket

    def effects(self) -> tuple[float, int, str, str]:
        """What the shop shows of the three writing tools: the refunds, the messages sent, both customers' addresses."""
        return (refunded_amount(self.db, self.refund), _messages(self.db),
                _address(self.db, self.move.ticket.customer_email), _address(self.db, self.refund.ticket.customer_email))


@hidden.test("act_stores_the_event_of_its_effect")
def act_stores_the_event_of_its_effect(act, INTENTS, learner, rng):
    """Each intent is carried out once, and the event act returns is the one event it stores, in the thread given."""
    names = list(_ACTS)
    rng.shuffle(names)
    for name in names:
        kind, notes = _ACTS[name], _Notes()
        with _world() as db, learner.stand_ins(append_event=notes):
            case = _Acting(db, rng)
            intent, tid = INTENTS[name](**case.arguments[name]), case.thread_id
            before = case.effects()
            event = _call(f"act({tid!r}, {intent!r}, ticket)", act, tid, intent, case.ticket(name))
            after = case.effects()
        got = event.value
        assert isinstance(got, dict) and got.get("kind") == kind, (
            f"act({tid!r}, {intent!r}, ticket) returned {event!r}; expected the {_CLASSES[kind]} that "
            "execute returns for it.")
        assert len(notes.calls) == 1, (
            f"act({tid!r}, {intent!r}, ticket) called append_event {_times(len(notes.calls))}"
            f"{' (' + ', '.join(str(c[1].get('kind')) for c in notes.calls) + ')' if notes.calls else ''}; it "
            "should store exactly one event, the one execute returned (the loop stores the request).")
        thread_id, stored, _ = notes.calls[0]
        assert thread_id == tid, f"act stored its event in the thread {thread_id!r}, not in {tid!r}."
        assert stored == got, f"act stored {stored!r} but returned {got!r}: store the event you return."
        changed = sum(a != b for a, b in zip(before, after, strict=True))
        if name in ("issue_refund", "send_message", "update_address"):
            assert changed == 1, f"act({intent!r}) did not carry the intent out in the shop."
            if name == "issue_refund":
                assert after[0] == case.amount, f"act({intent!r}) refunded ${after[0]:.2f}, not ${case.amount:.2f}."
        else:
            assert changed == 0, f"act({intent!r}) changed the shop, and this intent only reads."


@hidden.test("failure_between_effect_and_event_changes_nothing")
def failure_between_effect_and_event_changes_nothing(act, INTENTS, learner, rng):
    """A failure after the effect and before its event is stored leaves neither, and the error reaches the caller."""
    full = RaiseInWorker(_sqlite_error(learner), "database or disk is full")
    names = ["issue_refund", "send_message", "update_address"]
    rng.shuffle(names)
    for name in names:
        with _world() as db, learner.stand_ins(append_event=_Notes(fail=full)):
            case = _Acting(db, rng)
            intent = INTENTS[name](**case.arguments[name])
            before = case.effects()
            try:
                got = act(case.thread_id, intent, case.ticket(name))
            except LearnerNotImplemented:
                raise
            except LearnerError:
                got = None
            after = case.effects()
        assert after == before, (
            f"act({intent!r}) with an append_event that fails (database or disk is full) left the {name} done in the "
            "shop with no event to record it: carry out the intent and store its event in one transaction, "
            "`with current_shop().transaction():`.")
        assert got is None, (
            f"act({intent!r}) with an append_event that fails returned {got!r} instead of raising: let the error "
            "reach the caller, so that nobody takes the step for done.")
    notes = _Notes()
    with _world() as db, learner.stand_ins(append_event=notes):
        case = _Acting(db, rng)
        intent = INTENTS["issue_refund"](**case.arguments["issue_refund"])
        db.fail_next("issue_refund", ConfigError("the worker was killed"), after=True)  # right after the refund is written
        try:
            got = act(case.thread_id, intent, case.refund.ticket)
        except LearnerNotImplemented:
            raise
        except LearnerError:
            got = None
        refunded = refunded_amount(db, case.refund)
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
def refusal_is_a_stored_error_event(act, INTENTS, learner, rng):
    """A refusal by the shop is an outcome, not a failure: act returns the ToolFailed and stores it, and raises nothing."""
    cases: list[tuple[Outcome, str, Any]] = [("refused", "issue_refund", None),  # out of the refund window
                                             ("refunded", "issue_refund", PaymentProviderDown()),
                                             ("ask_customer", "get_order", None)]  # an order that does not exist
    rng.shuffle(cases)
    for outcome, name, fault in cases:
        notes = _Notes()
        with _world() as db, learner.stand_ins(append_event=notes):
            case = draw_scenario(db, rng, outcome)
            arguments: dict[str, Any] = {"order_id": case.order_id}
            if name == "issue_refund":
                arguments.update(amount=_price(db, case), reason=rng.choice(_REASONS))
            intent = INTENTS[name](**arguments)
            if fault is not None:
                db.fail_next(name, fault)
            event = _call(f"act on {intent!r}, which the shop refuses", act, _new_id(rng, case.ticket), intent,
                          case.ticket)
            refunded = refunded_amount(db, case)
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
def a_crash_leaves_an_interrupted_thread(run_agent, load_thread, status_of, threads_with_status, learner, rng):
    """Killed right after writing a drawn ticket's refund: no refund, the thread stored and interrupted, in any process."""
    with _world(FakeModel(shop_brain)) as db:
        damaged = draw_scenario(db, rng, "refunded")
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
        assert len(ids) == 1, f"After the crash the store holds {len(ids)} threads, not the customer's one."
        thread_id = ids[0]
        kinds = [(kind, data.get("name")) for _, kind, data in _rows(db, thread_id)]
        assert kinds and kinds[-1] == ("tool_call", "issue_refund"), (
            f"After the crash the customer's stored thread ends with {kinds[-2:]}; it should end with the issue_refund request.")
        here = _call(f"load_thread({thread_id!r})", load_thread, thread_id)
        status = _call("status_of(the crashed thread)", status_of, here).value
        assert status == "interrupted", f"After the crash status_of(the customer's thread) is {status!r}, not 'interrupted'."
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
            f"Another process, opening the same shop file, read the customer's thread as {status_there!r} and listed "
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
             threads: dict[str, tuple[Ticket, list[dict[str, Any]]]]) -> Iterator[tuple[_Loads, _Notes]]:
    loads = _Loads(Thread, EVENT, threads, missing=RaiseInWorker(ThreadNotFound, "No such thread in the store."))
    loads.refresh()
    notes = _Notes()
    with learner.stand_ins(load_thread=loads, append_event=notes):
        yield loads, notes


def _original(db: Shop, rng: random.Random) -> tuple[str, Ticket, list[dict[str, Any]]]:
    """A drawn ticket's whole thread, stored by another process: its id, its ticket and its events."""
    case, story = _story(db, rng, rng.choice(("refunded", "ask_customer", "address_updated", "answered")))
    thread_id = _new_id(rng, case.ticket)
    _put_thread(db, thread_id, case.ticket, story)
    return thread_id, case.ticket, story


@hidden.test("fork_copies_a_prefix_into_a_new_thread")
def fork_copies_a_prefix_into_a_new_thread(fork_thread, Thread, EVENT, ThreadNotFound, learner, rng):
    """A fork is a new thread with the original's ticket and exactly its first `upto` events, in order."""
    with _world() as db:
        tid, ticket, story = _original(db, rng)
        with _forking(learner, Thread, EVENT, ThreadNotFound, {tid: (ticket, story)}) as (_, notes):
            uptos = [rng.randint(2, len(story) - 1), 1, len(story)]
            rng.shuffle(uptos)
            for upto in uptos:
                fork_id = _fork(fork_thread, tid, upto)
                assert fork_id != tid, f"fork_thread({tid!r}, {upto}) returned the original's own id."
                row = _thread_row(db, fork_id)
                assert row is not None, f"fork_thread({tid!r}, {upto}) returned {fork_id!r}, which has no thread row."
                assert Ticket.model_validate_json(row[0]) == ticket, (
                    f"The fork {fork_id} has another ticket than the thread it was forked from.")
                got = _content(db, notes, fork_id)
                assert _same_events(got, story[:upto]), (
                    f"fork_thread({tid!r}, {upto}) made a thread with the events {_kinds(got)}, not the "
                    f"original's first {upto}: {_kinds(story[:upto])}.")
            unknown = _unknown_id(rng)
            try:
                got_id = fork_thread(unknown, 2)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                assert error.isa(ThreadNotFound), f"fork_thread({unknown!r}, 2), an unknown thread, raised {error.type}."
            else:
                raise AssertionError(f"fork_thread({unknown!r}, 2), an unknown thread, returned {got_id!r}; "
                                     "it should raise ThreadNotFound.")


@hidden.test("fork_leaves_the_original_untouched")
def fork_leaves_the_original_untouched(fork_thread, Thread, EVENT, ThreadNotFound, learner, rng):
    """Forking (twice, at two places) changes none of the original's rows."""
    with _world() as db:
        tid, ticket, story = _original(db, rng)
        before = (_thread_row(db, tid), _rows(db, tid))
        with _forking(learner, Thread, EVENT, ThreadNotFound, {tid: (ticket, story)}):
            for upto in rng.sample(range(1, len(story)), 2):
                fork_id = _fork(fork_thread, tid, upto)
                after = (_thread_row(db, tid), _rows(db, tid))
                assert after == before, (
                    f"fork_thread({tid!r}, {upto}) changed the original thread: it now has "
                    f"{len(after[1])} events, not {len(before[1])}. Copy the events into the fork; leave the original as it was.")
                assert fork_id != tid, f"fork_thread({tid!r}, {upto}) returned the original's own id."
        count = db.conn.execute("SELECT count(*) FROM threads").fetchone()[0]
        assert count == 3, f"After two forks of one thread the store holds {count} threads, not 3."


@hidden.test("forks_are_threads_of_their_own")
def forks_are_threads_of_their_own(fork_thread, Thread, EVENT, ThreadNotFound, SCHEMA_VERSION, learner, rng):
    """Forks of one thread get ids of their own (ten and more of them too); a fork can be forked; a fork of a
    version-1 thread holds today's events, and its row says so."""
    with _world() as db:
        tid, ticket, story = _original(db, rng)
        threads = {tid: (ticket, story)}
        upto = rng.randint(3, len(story) - 1)
        with _forking(learner, Thread, EVENT, ThreadNotFound, threads) as (loads, notes):
            first, second = _fork(fork_thread, tid, upto), _fork(fork_thread, tid, upto)
            assert first != second, f"Two forks of {tid} both got the id {first!r}: each fork is a new thread."
            for fork_id in (first, second):
                assert _same_events(_content(db, notes, fork_id), story[:upto]), (
                    f"After forking {tid} twice, the fork {fork_id} does not hold the first {upto} events.")
            more = [_fork(fork_thread, tid, rng.randint(1, len(story))) for _ in range(rng.randint(9, 12))]
            ids = [first, second, *more]
            same = sorted({fork_id for fork_id in ids if ids.count(fork_id) > 1})
            assert not same, (f"After {len(ids)} forks of {tid}, the id {same[0]!r} was given to {ids.count(same[0])} of "
                              "them: each fork is a new thread, however many there are.")
            threads[first] = (ticket, story[:upto])
            loads.refresh()
            again = rng.randint(1, upto - 1)
            grandchild = _fork(fork_thread, first, again)
            assert grandchild not in (tid, *ids), (
                f"Forking the fork {first} returned {grandchild!r}, an id already in use.")
            got = _content(db, notes, grandchild)
            assert _same_events(got, story[:again]), (
                f"Forking the fork {first} at {again} made a thread with the events {_kinds(got)}, not "
                f"{_kinds(story[:again])}.")
    with _world() as db:
        case, today = _story(db, rng, rng.choice(("refunded", "address_updated", "answered")))
        tid, upto = _new_id(rng, case.ticket), rng.randint(3, len(today) - 1)
        _put_thread(db, tid, case.ticket, _as_v1(today), version=1)
        with _forking(learner, Thread, EVENT, ThreadNotFound, {tid: (case.ticket, today)}) as (_, notes):
            fork_id = _fork(fork_thread, tid, upto)
            got = _content(db, notes, fork_id)
            row = _thread_row(db, fork_id)
    request = next((e for e in got if isinstance(e, dict) and e.get("kind") == "tool_call"), None)
    assert _same_events(got, today[:upto]), (
        f"A fork of a thread stored by schema version 1 holds {request!r} as its request: once loaded, the "
        "events are in today's shape, so store them as SCHEMA_VERSION writes them.")
    today_version = SCHEMA_VERSION.value
    assert row is not None and row[1] == today_version, (
        f"The fork of a thread stored by schema version 1 has schema_version {row[1] if row else None} in its row: its "
        f"events are today's, so its row says SCHEMA_VERSION ({today_version}).")


__all__ = ["hidden"]
