"""Hidden tests of lesson 11 (trigger from anywhere). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each one a `Remote` handle on the learner's object (autograder.boundary.remote).

The grader is the sender: it signs every delivery itself with `standardwebhooks`, the specification's
reference library, with a secret, ids, bodies and a "now" drawn at grading time, and hands the
learner's code that "now" (`verify_webhook`'s parameter, `webhook_app`'s clock) as a number or a
callback. What a verdict reads is the grader's own: status codes and bodies as plain data, the shop
database (threads, origins, deliveries, outbox, refunds, messages), the fake model's transcript, and
what the grader's own receivers were handed by `dispatch`.

Each exercise is scored on its own: `verify_webhook` (11.1), `accept` (11.2), `read_email` (11.3) and
`dispatch` (11.4) are called directly. Four tests score the webhook as a whole: the learner's app served
by uvicorn inside the worker, and reached over a real TCP socket on the worker's loopback
(`course.triggers.deliver`, called through `learner.course`), since the grader cannot reach into the
worker's network namespace.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sqlite3
from email.message import EmailMessage
from typing import Any

from autograder.boundary.remote import Learner, RaiseInWorker, Remote, raised
from autograder.hidden import HiddenTests
from autograder.hidden.calls import call as _call
from autograder.hidden.drawn import words
from autograder.hidden.runs import signed_headers as _signed
from autograder.hidden.runs import times as _times
from autograder.hidden.runs import world as _world
from course.brain import shop_brain
from course.llm import FakeModel
from course.shop import Scenario, Shop, draw_scenario, outcome_of, refunded_amount

hidden = HiddenTests("11")


_TOLERANCE = 300
_CHANNELS = ("notebook", "cli", "webhook", "email")


# --- the grader as a sender ------------------------------------------------------------------------

def _secret(rng: random.Random, lead: bool = False) -> str:
    """A drawn secret; with `lead`, one whose base64 starts with c, e, h, s or w (a letter of "whsec_")."""
    key = bytes(rng.getrandbits(8) for _ in range(rng.choice((24, 32))))
    if lead:  # the first base64 letter is the first byte's top six bits: 28 c, 30 e, 33 h, 44 s, 48 w
        key = bytes([rng.choice((28, 30, 33, 44, 48)) * 4 + rng.randrange(4)]) + key[1:]
    return "whsec_" + base64.b64encode(key).decode()


def _id(rng: random.Random) -> str:
    return f"msg_{rng.getrandbits(80):020x}"


def _now(rng: random.Random) -> int:
    return rng.randrange(1_700_000_000, 2_000_000_000)


def _bytes(learner: Learner, text: str) -> Remote:
    """`text` as bytes in the worker (JSON carries no bytes)."""
    return learner.course("course.triggers.serving:as_bytes")(text)


class _Now:
    """The clock handed to the learner's app: the drawn "now", never the machine's."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


def _no_sleep(seconds: Remote) -> None:
    return None


def _jitter() -> float:
    return 0.0


def _no_model(request: Any) -> Any:
    raise AssertionError("nothing here should call the model")


def _count(db: Shop, table: str, where: str = "", *args: Any) -> int:
    try:
        return int(db.conn.execute(f"SELECT count(*) FROM {table} {where}", args).fetchone()[0])
    except sqlite3.OperationalError:  # the learner's code never made the table: nothing in it
        return 0


def _row(db: Shop, sql: str, *args: Any) -> Any:
    """One row of a table the learner's code makes, or None when it never made it."""
    try:
        return db.conn.execute(sql, args).fetchone()
    except sqlite3.OperationalError:
        return None


# --- Exercise 11.1: verify_webhook -----------------------------------------------------------------

def _payload(rng: random.Random, raw: bool = False) -> str:
    """A JSON body; with `raw`, one whose bytes are not what json.dumps would make of its payload again."""
    return json.dumps({"type": "ticket", "note": f"{words(rng, 2)} — café n°{rng.randrange(100, 999)}",
                       "amount": round(rng.uniform(5, 900), 2)}, ensure_ascii=not raw and rng.random() < 0.5)


def _verify(verify_webhook: Remote, learner: Learner, headers: dict[str, str], body: str, secret: str, now: int,
            what: str) -> Any:
    return _call(f"verify_webhook on {what}", verify_webhook, headers, _bytes(learner, body), secret, now).value


def _refused(verify_webhook: Remote, WebhookRejected: Remote, learner: Learner, headers: dict[str, str], body: str,
             secret: str, now: int, what: str) -> None:
    error = raised(verify_webhook, headers, _bytes(learner, body), secret, now)
    assert error is not None, f"verify_webhook accepted {what}: refuse it with WebhookRejected (answered 401)."
    assert error.isa(WebhookRejected), (
        f"verify_webhook on {what} raised {error.type}, not WebhookRejected: the endpoint would answer 500, not 401.")


def _case(headers: dict[str, str], rng: random.Random, style: Any = None) -> dict[str, str]:
    style = style or rng.choice((str.lower, str.title, str.upper))
    return {style(name): value for name, value in headers.items()}


def _accepts_genuine(verify_webhook: Remote, learner: Learner, rng: random.Random, secret: str, now: int) -> None:
    """A refusal only counts from an endpoint that lets the sender in: a genuine delivery first."""
    msg_id, body = _id(rng), _payload(rng)
    headers = _signed(secret, msg_id, body, now - rng.randint(0, 200))
    error = raised(verify_webhook, headers, _bytes(learner, body), secret, now)
    assert error is None, (
        f"verify_webhook refused a genuine delivery, signed by the reference library a moment ago ({error}): "
        "refusing everything is not verifying.")


@hidden.test("genuine_deliveries_are_accepted")
def genuine_deliveries_are_accepted(rng, verify_webhook, learner):
    """Signed by the reference library: accepted whatever the header case, among several signatures, within
    the tolerance on either side (its edges included), whatever letter the secret's base64 starts with, with a
    body json.dumps would write otherwise; the payload returned."""
    offsets = [rng.randint(-_TOLERANCE, _TOLERANCE), rng.choice((-_TOLERANCE, _TOLERANCE)), rng.randint(-60, 60)]
    for n, offset in enumerate(offsets):
        secret, msg_id, body, now = _secret(rng, lead=n == 0), _id(rng), _payload(rng, raw=n == 0), _now(rng)
        headers = _signed(secret, msg_id, body, now + offset)
        what = f"a delivery signed {offset:+} s from now"
        if n == 2:  # a sender rotating its secret: one signature per key, the old key's first
            other = _signed(_secret(rng), msg_id, body, now + offset)["webhook-signature"]
            headers["webhook-signature"] = f"{other} {headers['webhook-signature']}"
            what = "a delivery with two signatures, the second under the right secret"
        headers = _case(headers, rng, (str.title, str.upper, str.lower)[n])
        got = _verify(verify_webhook, learner, headers, body, secret, now, what)
        assert got == json.loads(body), (
            f"verify_webhook on {what} (header names like {next(iter(headers))!r}) returned {got!r}, not its JSON "
            "payload: a sender using the Standard Webhooks reference library is refused.")


@hidden.test("forged_or_unsigned_deliveries_are_refused")
def forged_or_unsigned_deliveries_are_refused(rng, verify_webhook, WebhookRejected, learner):
    """Another secret, a changed body or id, a missing header, another scheme: WebhookRejected."""
    secret, msg_id, body, now = _secret(rng), _id(rng), _payload(rng), _now(rng)
    _accepts_genuine(verify_webhook, learner, rng, secret, now)
    headers = _signed(secret, msg_id, body, now - rng.randint(0, 200))
    changed = body.replace('"amount": ', '"amount": 1')
    missing = rng.choice(("webhook-id", "webhook-timestamp", "webhook-signature"))
    digest = headers["webhook-signature"].split(",", 1)[1]
    cases = [
        (_signed(_secret(rng), msg_id, body, now), body, "a delivery signed with another secret"),
        (headers, changed, "a delivery whose body was changed after signing"),
        ({**headers, "webhook-id": _id(rng)}, body, "a delivery whose webhook-id was changed after signing"),
        ({k: v for k, v in headers.items() if k != missing}, body, f"a delivery without {missing}"),
        ({**headers, "webhook-signature": f"v1a,{digest}"}, body, "a signature of another scheme (v1a,...)"),
        ({**headers, "webhook-signature": ""}, body, "an empty webhook-signature"),
    ]
    rng.shuffle(cases)
    for sent, raw, what in cases:
        _refused(verify_webhook, WebhookRejected, learner, _case(sent, rng), raw, secret, now, what)


@hidden.test("deliveries_outside_the_tolerance_are_refused")
def deliveries_outside_the_tolerance_are_refused(rng, verify_webhook, WebhookRejected, learner):
    """Correctly signed, but more than TOLERANCE seconds old or ahead, or with a timestamp that is no number."""
    secret, now = _secret(rng), _now(rng)
    _accepts_genuine(verify_webhook, learner, rng, secret, now)
    for offset in (-rng.randint(_TOLERANCE + 1, _TOLERANCE + 5), -rng.randint(3600, 30 * 86400),
                   rng.randint(_TOLERANCE + 1, _TOLERANCE + 5), rng.randint(3600, 86400)):
        msg_id, body = _id(rng), _payload(rng)
        what = f"a correctly signed delivery sent {abs(offset)} s {'ago' if offset < 0 else 'in the future'}"
        _refused(verify_webhook, WebhookRejected, learner, _signed(secret, msg_id, body, now + offset), body, secret,
                 now, what)
    msg_id, body = _id(rng), _payload(rng)
    headers = _signed(secret, msg_id, body, now)
    headers["webhook-timestamp"] = rng.choice(("soon", f"{now}s", "", "NaN"))
    _refused(verify_webhook, WebhookRejected, learner, headers, body, secret, now,
             f"a delivery whose webhook-timestamp is {headers['webhook-timestamp']!r}")


# --- Exercise 11.2: accept -------------------------------------------------------------------------

def _origin(rng: random.Random, Origin: Remote, crash: bool = False) -> tuple[Remote, tuple[str, str]]:
    channel = rng.choice(_CHANNELS)
    address = {"email": f"{words(rng)}.{rng.randrange(100, 999)}@example.org", "webhook":
               f"https://{words(rng)}.example/replies/{rng.randrange(1000, 9999)}", "cli": f"terminal-{words(rng)}",
               "notebook": f"notebook {words(rng)}"}[channel]
    if crash:
        address = f"crash:{address}"
    return Origin(channel=channel, address=address), (channel, address)


def _accepted(accept: Remote, ticket: Any, origin: Remote, delivery: str, what: str) -> tuple[Any, Any]:
    got = _call(f"accept({what})", accept, ticket, origin, delivery).value
    assert isinstance(got, list) and len(got) == 2 and isinstance(got[0], str), (
        f"accept({what}) returned {got!r}, not a pair (thread_id, new).")
    return got[0], got[1]


def _ticket_of(db: Shop, thread_id: str) -> dict[str, Any] | None:
    row = _row(db, "SELECT ticket FROM threads WHERE id = ?", thread_id)
    return json.loads(row[0]) if row else None


@hidden.test("accepting_starts_a_thread_with_its_origin")
def accepting_starts_a_thread_with_its_origin(rng, accept, Origin):
    """A new delivery: one thread for its ticket, its origin and its delivery stored, (id, True), no model call."""
    model = FakeModel(_no_model)
    with _world(model) as db:
        cases = [draw_scenario(db, rng, rng.choice(("refunded", "answered", "address_updated"))) for _ in range(2)]
        seen = []
        for n, case in enumerate(cases):
            origin, (channel, address) = _origin(rng, Origin)
            delivery = _id(rng)
            thread_id, new = _accepted(accept, case.ticket, origin, delivery, f"a new delivery on {channel}")
            assert new is True, f"accept on a delivery never seen returned new={new!r}, not True."
            assert (_ticket_of(db, thread_id) or {}).get("ticket_id") == case.ticket.ticket_id, (
                f"accept returned {thread_id!r}, but the shop holds no thread of that id for the ticket: start it "
                "with new_thread(ticket).")
            origin_row = _row(db, "SELECT channel, address FROM origins WHERE thread_id = ?", thread_id)
            assert origin_row == (channel, address), (
                f"The origins table holds {origin_row!r} for the new thread, not ({channel!r}, {address!r}).")
            row = _row(db, "SELECT thread_id FROM deliveries WHERE id = ?", delivery)
            assert row == (thread_id,), f"The deliveries table holds {row!r} for the delivery, not ({thread_id!r},)."
            seen.append(thread_id)
            assert _count(db, "threads") == n + 1, f"{_count(db, 'threads')} threads after {n + 1} deliveries."
    assert model.calls == 0 and len(set(seen)) == 2, (
        f"accept called the model {_times(model.calls)}: it only stores; the entry point runs the agent.")


@hidden.test("a_duplicate_delivery_starts_nothing")
def a_duplicate_delivery_starts_nothing(rng, accept, Origin):
    """The same delivery id again (even with another body): its thread, False, nothing stored; a new id: a thread."""
    with _world(FakeModel(_no_model)) as db:
        case, other = draw_scenario(db, rng, "refunded"), draw_scenario(db, rng, "answered")
        origin, _ = _origin(rng, Origin)
        delivery = _id(rng)
        first, _new = _accepted(accept, case.ticket, origin, delivery, "a new delivery")
        before = (_count(db, "threads"), _count(db, "origins"), _count(db, "deliveries"), _count(db, "events"))
        for ticket, what in ((case.ticket, "the same delivery again"), (other.ticket, "its id with another ticket")):
            thread_id, new = _accepted(accept, ticket, origin, delivery, what)
            after = (_count(db, "threads"), _count(db, "origins"), _count(db, "deliveries"), _count(db, "events"))
            assert (thread_id, new) == (first, False) and after == before, (
                f"accept on {what} returned ({thread_id!r}, {new!r}) and changed the counts of threads, origins, "
                f"deliveries and events from {before} to {after}: a delivery id seen before returns its thread and "
                "False, and stores nothing.")
        thread_id, new = _accepted(accept, case.ticket, origin, _id(rng), "another delivery of the same ticket")
        assert new is True and thread_id != first and _count(db, "threads") == before[0] + 1, (
            f"Another delivery id gave ({thread_id!r}, {new!r}): each delivery id starts its own thread.")


@hidden.test("a_crash_while_accepting_leaves_nothing")
def a_crash_while_accepting_leaves_nothing(rng, accept, Origin):
    """The origin's insert fails after new_thread (a CHECK the grader put on the table): nothing is left; the
    sender's retry then starts the thread."""
    with _world(FakeModel(_no_model)) as db:
        db.conn.execute("""CREATE TABLE IF NOT EXISTS origins (thread_id TEXT PRIMARY KEY, channel TEXT NOT NULL,
                           address TEXT NOT NULL CHECK (address NOT LIKE 'crash:%'))""")
        case = draw_scenario(db, rng, "refunded")
        origin, _ = _origin(rng, Origin, crash=True)
        delivery = _id(rng)
        raised(accept, case.ticket, origin, delivery)  # it should fail: the origin cannot be stored
        left = (_count(db, "threads"), _count(db, "origins"), _count(db, "deliveries"), _count(db, "events"))
        assert left == (0, 0, 0, 0), (
            f"The origin's insert failed after the thread was made, and the shop kept {left[0]} threads, {left[1]} "
            f"origins, {left[2]} deliveries, {left[3]} events: one transaction around the lookup, new_thread and both "
            "inserts, so a failure leaves nothing and the sender's retry starts the thread.")
        retry, _ = _origin(rng, Origin)
        thread_id, new = _accepted(accept, case.ticket, retry, delivery, "the retry of a delivery that failed")
        assert new is True and _count(db, "threads") == 1, (
            f"The retry of the delivery that failed gave ({thread_id!r}, {new!r}) with {_count(db, 'threads')} "
            "threads: it should start the thread.")


# --- Exercise 11.3: read_email ---------------------------------------------------------------------

_FIRST = ("Zoë", "Renée", "Björn", "Ana", "Malik", "Siobhán", "Kenji", "Olu", "Marta", "Théo")
_LAST = ("Brandt", "Dubois", "Åström", "Silva", "Okafor", "Ní Bhriain", "Sato", "Adeyemi", "Kowalska", "Lefèvre")


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    plain = "".join(ch for ch in f"{first}.{last}".encode("ascii", "ignore").decode() if ch.isalnum() or ch == ".")
    return f"{first} {last}", f"{plain}.{rng.randrange(10, 99)}@Example.{rng.choice(('com', 'org', 'net'))}"


def _lines(rng: random.Random, count: int) -> list[str]:
    return [f"{words(rng, 2).replace('_', ' ').capitalize()} — order {rng.randrange(1000, 9999)} ({rng.choice(('café', 'naïve', '€12', 'ok'))})."
            for _ in range(count)]


def _email(sender: str | None, subject: str, message_id: str, text: str | None, html: str | None = None,
           cte: str | None = None) -> str:
    mail = EmailMessage()
    if sender is not None:
        mail["From"] = sender
    mail["To"], mail["Subject"], mail["Message-ID"] = "support@brightside.example", subject, message_id
    if text is not None:
        if cte:
            mail.set_content(text, cte=cte)
        else:
            mail.set_content(text)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html")
    return mail.as_bytes().decode("utf-8")


def _number(message_id: str) -> int:
    return int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % 90_000 + 10_000


def _read(read_email: Remote, learner: Learner, raw: str, what: str) -> dict[str, Any]:
    got = _call(f"read_email on {what}", read_email, _bytes(learner, raw))
    value = got.value
    assert isinstance(value, dict) and "customer_email" in value, f"read_email on {what} returned {got}, not a Ticket."
    return value


@hidden.test("emails_become_tickets")
def emails_become_tickets(rng, read_email, learner):
    """Plain text, text with HTML, quoted-printable, base64, encoded words, a sender with no display name, a subject
    ending in spaces."""
    kinds = [("plain text", None, None), ("text and HTML", "html", None), ("quoted-printable", None, "quoted-printable"),
             ("base64 with HTML", "html", "base64")]
    rng.shuffle(kinds)  # three of the four (so quoted-printable or base64), and always a sender with no name
    kinds = [*kinds[:3], ("a sender with no name", None, None)]
    rng.shuffle(kinds)
    for what, html, cte in kinds:
        name, address = _person(rng)
        sender = address if what == "a sender with no name" else f"{name} <{address}>"
        subject = f"{words(rng, 2).replace('_', ' ')} {rng.choice(('✈', 'café', '№ 7', 'ok'))}"
        body = "\n".join(_lines(rng, rng.randint(1, 4)))
        message_id = f"<{rng.getrandbits(64):x}.{words(rng)}@mail.example>"
        raw = _email(sender, subject + " " * rng.randint(1, 3), message_id, body + "\n",
                     f"<p>{words(rng, 3)}</p>" if html else None, cte)
        got = _read(read_email, learner, raw, f"an email in {what}")
        want = {"customer_name": name if what != "a sender with no name" else address.split("@")[0],
                "customer_email": address.lower(), "subject": subject, "body": body, "ticket_id": _number(message_id)}
        wrong = {key: got.get(key) for key, value in want.items() if got.get(key) != value}
        assert not wrong, (
            f"read_email on an email in {what} gave {wrong}, not {({k: want[k] for k in wrong})}: the sender's name and "
            "address (lower case), the decoded subject, the plain-text part stripped, ticket_number(Message-ID).")


@hidden.test("replies_keep_only_what_is_new")
def replies_keep_only_what_is_new(rng, read_email, learner):
    """The lines before the first quoted line, without an "On ..., X wrote:" line just before it."""
    for attribution in (True, False):
        name, address = _person(rng)
        new = _lines(rng, rng.randint(1, 3))
        quoted = [f"> {line}" for line in _lines(rng, rng.randint(2, 4))]
        said = [f"On {rng.choice(('Mon', 'Tue', 'Fri'))}, {rng.randint(1, 28)} Nov 2026, Brightside support "
                "<support@brightside.example> wrote:"] if attribution else []
        text = "\n".join([*new, "", *said, *quoted, "", f"-- {words(rng)}"]) + "\n"
        raw = _email(f"{name} <{address}>", f"Re: {words(rng)}", f"<{rng.getrandbits(48):x}@m.example>", text)
        got = _read(read_email, learner, raw, "a reply quoting an earlier message")
        assert got["body"] == "\n".join(new), (
            f"read_email on a reply that quotes the earlier message gave the body {got['body']!r}, not "
            f"{chr(10).join(new)!r}: keep the lines before the first quoted one (and not an 'On ..., X wrote:' line).")


@hidden.test("emails_without_a_sender_or_text_are_refused")
def emails_without_a_sender_or_text_are_refused(rng, read_email, EmailRejected, learner):
    """No From, a From with no address, only HTML: EmailRejected (and a good email read)."""
    name, address = _person(rng)
    good = _email(f"{name} <{address}>", words(rng), f"<{words(rng)}@m.example>", "\n".join(_lines(rng, 2)) + "\n")
    error = raised(read_email, _bytes(learner, good))
    assert error is None, f"read_email refused a plain email from {address} ({error}): refusing everything reads nothing."
    cases = [("no From header", _email(None, words(rng), "<a@b>", "Hello.\n")),
             ("a From with a name and no address", _email(f"{words(rng)} {words(rng)}", words(rng), "<c@d>", "Hi.\n")),
             ("only an HTML part", _email(f"{name} <{address}>", words(rng), "<e@f>", None, f"<p>{words(rng, 3)}</p>"))]
    rng.shuffle(cases)
    for what, raw in cases:
        error = raised(read_email, _bytes(learner, raw))
        assert error is not None and error.isa(EmailRejected), (
            f"read_email on an email with {what} " + ("returned a ticket" if error is None else f"raised {error.type}")
            + ": raise EmailRejected, since there is nobody to answer or nothing to read.")


# --- Exercise 11.4: dispatch -----------------------------------------------------------------------

class _Receiver:
    """The grader's channel: keeps every reply it is handed, fails the ones listed in `fail` once each."""

    def __init__(self, channel: str, log: list[dict[str, Any]], fail: set[str] | None = None,
                 error: Remote | None = None) -> None:
        self.channel, self.log, self.fail, self.error = channel, log, fail or set(), error

    def __call__(self, reply: Remote) -> None:
        value = reply.value
        if not isinstance(value, dict):
            raise TypeError("a reply should be an Outgoing")
        if value.get("body") in self.fail and self.error is not None:
            self.fail.discard(value["body"])
            raise RaiseInWorker(self.error, f"the {self.channel} channel is down")
        self.log.append({**value, "to": self.channel})


def _threads(db: Shop, rng: random.Random, plan: list[tuple[str, int]], new_thread: Remote, append_event: Remote,
             inbox: Remote, ToolRequested: Remote, ToolResult: Remote) -> list[dict[str, str]]:
    """Threads with an origin and stored replies (sent messages); the replies in the order they were stored."""
    _call("inbox()", inbox)
    replies = []
    for channel, count in plan:
        case = draw_scenario(db, rng, "answered")
        thread_id = _call("new_thread", new_thread, case.ticket).value
        address = f"{words(rng)}-{rng.randrange(100, 999)}@{channel}.example"
        db.conn.execute("INSERT INTO origins (thread_id, channel, address) VALUES (?, ?, ?)", (thread_id, channel, address))
        for _ in range(count):
            body = f"{words(rng, 3)} {rng.randrange(1000, 9999)}"
            append_event(thread_id, ToolRequested(name="send_message", arguments=json.dumps({"body": body})))
            append_event(thread_id, ToolResult(name="send_message", result=json.dumps(
                {"message_id": rng.randrange(1, 999), "customer_email": case.ticket.customer_email, "body": body})))
            replies.append({"thread_id": thread_id, "channel": channel, "address": address, "body": body})
    return replies


def _shown(log: list[dict[str, Any]]) -> list[str]:
    return [f"{entry['to']}:{str(entry.get('body'))[:24]}" for entry in log]


@hidden.test("replies_reach_their_channel_once")
def replies_reach_their_channel_once(rng, dispatch, new_thread, append_event, inbox, ToolRequested, ToolResult):
    """Each reply to its own channel's sender, in the order stored, marked sent, never sent again; a channel with
    no sender waits until it has one."""
    with _world(FakeModel(_no_model)) as db:
        channels = list(_CHANNELS)
        rng.shuffle(channels)
        plan = [(channel, rng.randint(1, 2)) for channel in channels[:3]]
        replies = _threads(db, rng, plan, new_thread, append_event, inbox, ToolRequested, ToolResult)
        waiting = channels[rng.randrange(2)]  # a channel with replies stored before another channel's
        log: list[dict[str, Any]] = []
        senders = {channel: _Receiver(channel, log) for channel in channels if channel != waiting}
        count = _call("dispatch(senders)", dispatch, senders).value
        want = [r for r in replies if r["channel"] != waiting]
        got = [(e["to"], e.get("channel"), e.get("address"), e.get("body")) for e in log]
        assert got == [(r["channel"], r["channel"], r["address"], r["body"]) for r in want] and count == len(want), (
            f"dispatch handed the senders {_shown(log)} and returned {count!r}; expected the {len(want)} replies "
            f"whose channel has a sender, each to its own channel's sender, in the order they were stored.")
        count = _call("dispatch(senders) again", dispatch, senders).value
        assert len(log) == len(want) and count == 0, (
            f"A second dispatch sent {len(log) - len(want)} replies again (returned {count!r}): mark each reply sent.")
        senders[waiting] = _Receiver(waiting, log)
        count = _call("dispatch once the last channel has a sender", dispatch, senders).value
        late = [r["body"] for r in replies if r["channel"] == waiting]
        assert [e.get("body") for e in log[len(want):]] == late and count == len(late), (
            f"Once the {waiting} channel had a sender, dispatch sent {_shown(log[len(want):])}: the replies that "
            "waited should go then, once each.")
        unsent = _count(db, "outbox", "WHERE sent = 0")
        assert unsent == 0, f"{unsent} replies are still marked unsent in the outbox after they were all sent."


@hidden.test("a_failed_send_is_sent_again_later")
def a_failed_send_is_sent_again_later(rng, dispatch, new_thread, append_event, inbox, ToolRequested, ToolResult,
                                      learner):
    """A sender fails on one reply: those before it stay sent, it and the rest stay pending; the next round sends
    each of them once, with the same id."""
    with _world(FakeModel(_no_model)) as db:
        channel = rng.choice(_CHANNELS)
        replies = _threads(db, rng, [(channel, rng.randint(3, 5))], new_thread, append_event, inbox, ToolRequested,
                           ToolResult)
        k = rng.randrange(1, len(replies) - 1)
        log: list[dict[str, Any]] = []
        error = learner.course("course.shop.errors:ToolTimeout")
        failing = _Receiver(channel, log, {replies[k]["body"]}, error)
        raised(dispatch, {channel: failing})  # the sender's error may go through or be reported: either is fine
        bodies = [e.get("body") for e in log]
        assert bodies == [r["body"] for r in replies[:k]], (
            f"The {channel} sender failed on reply {k + 1} of {len(replies)}; before that failure dispatch had it "
            f"take {len(bodies)} replies: send them one at a time, in order, and stop at the one that fails.")
        marked = _count(db, "outbox", "WHERE sent = 1")
        assert marked == k, (
            f"After the failure on reply {k + 1}, {marked} replies are marked sent, not the {k} the channel took: mark "
            "each one right after its sender returns, and never one that was not sent.")
        ids = [e.get("id") for e in log]
        _call("dispatch after the failure", dispatch, {channel: failing})
        bodies = [e.get("body") for e in log]
        assert bodies == [r["body"] for r in replies], (
            f"After the next round the {channel} channel took {len(bodies)} replies for {len(replies)} stored: each "
            "one once, the one that failed included.")
        assert len({e.get("id") for e in log}) == len(replies) and ids == [e.get("id") for e in log[:k]], (
            "The replies' ids changed between rounds, or repeat: each reply keeps its outbox id.")


# --- The webhook as a whole, over a real socket --------------------------------------------------

def _ticket_body(case: Scenario, channel: str, address: str) -> str:
    return json.dumps({"type": "ticket", "ticket": case.ticket.model_dump(mode="json"),
                       "reply_to": {"channel": channel, "address": address}})


def _app(webhook_app: Remote, secret: str, now: int) -> Remote:
    """The learner's app in the worker, on the grader's clock (and no sleeping in its retries)."""
    return _call("webhook_app(secret, clock)", webhook_app, secret, _Now(now), sleep=_no_sleep, jitter=_jitter)


def _deliver(learner: Learner, app: Remote, requests: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    answers = _call(f"POST /webhook with {what}", learner.course("course.triggers.serving:deliver"), app, requests).value
    assert isinstance(answers, list) and len(answers) == len(requests), f"the server answered {answers!r}"
    failed = [a for a in answers if a.get("status") == 500]
    assert not failed, (
        f"POST /webhook with {what} was answered 500 {_times(len(failed))}: your code raised inside the endpoint "
        "(check(\"11.1\") and check(\"11.2\") say where).")
    return [{"status": a.get("status"), "json": a.get("json")} for a in answers]


def _thread_id(answer: dict[str, Any]) -> Any:
    body = answer.get("json")
    return body.get("thread_id") if isinstance(body, dict) else None


def _called(model: FakeModel) -> list[str]:
    return [name for name, _ in model.transcript.tool_calls()]


@hidden.test("a_signed_ticket_launches_over_a_real_socket")
def a_signed_ticket_launches_over_a_real_socket(rng, webhook_app, learner):
    """A signed ticket: 202 and its thread's id over a real socket; its origin stored; the agent ran on it."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        outcome = rng.choice(("refunded", "answered", "address_updated"))
        case = draw_scenario(db, rng, outcome)
        secret, now, address = _secret(rng), _now(rng), f"https://{words(rng)}.example/replies"
        body = _ticket_body(case, "webhook", address)
        app = _app(webhook_app, secret, now)
        [answer] = _deliver(learner, app, [{"headers": _signed(secret, _id(rng), body, now - rng.randint(0, 250)),
                                            "body": body}], "a signed ticket")
        thread_id = _thread_id(answer)
        assert answer["status"] == 202 and isinstance(thread_id, str), (
            f"A ticket signed by the reference library was answered {answer['status']} {answer['json']!r}, not 202 "
            "with its thread_id.")
        stored = _ticket_of(db, thread_id) or {}
        assert stored.get("ticket_id") == case.ticket.ticket_id, f"The answer names {thread_id!r}: no such thread."
        origin = _row(db, "SELECT channel, address FROM origins WHERE thread_id = ?", thread_id)
        assert origin == ("webhook", address), f"The thread's origin is {origin!r}, not ('webhook', {address!r})."
        got = outcome_of(db, case, called=_called(model))
    assert model.calls > 0 and got == outcome, (
        f"After the 202 the agent made {_times(model.calls)} model calls and the ticket ended {got!r}, not {outcome!r}: "
        "the agent should run on the accepted ticket.")


@hidden.test("bad_deliveries_get_401_and_launch_nothing")
def bad_deliveries_get_401_and_launch_nothing(rng, webhook_app, learner):
    """Forged, changed, unsigned, stale, from the future and replayed: 401 each, no thread, no model call; then a
    genuine one still gets in."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        secret, now = _secret(rng), _now(rng)
        body = _ticket_body(case, "webhook", f"https://{words(rng)}.example/r")
        replay_id = _id(rng)
        bad = [
            ("a forged signature", _signed(_secret(rng), _id(rng), body, now), body),
            ("a changed body", _signed(secret, _id(rng), body, now), body[:-1] + ', "refund": 999}'),
            ("no signature", {k: v for k, v in _signed(secret, _id(rng), body, now).items() if k != "webhook-signature"}, body),
            ("a stale timestamp", _signed(secret, _id(rng), body, now - rng.randint(_TOLERANCE + 1, 86400)), body),
            ("a timestamp from the future", _signed(secret, _id(rng), body, now + rng.randint(_TOLERANCE + 1, 86400)), body),
            ("a replay of last week's delivery", _signed(secret, replay_id, body, now - 7 * 86400 - rng.randint(0, 999)), body),
        ]
        rng.shuffle(bad)
        genuine = {"headers": _signed(secret, _id(rng), body, now), "body": body}
        app = _app(webhook_app, secret, now)
        answers = _deliver(learner, app, [{"headers": h, "body": b} for _, h, b in bad], "bad deliveries")
        threads, calls = _count(db, "threads"), model.calls
        [last] = _deliver(learner, app, [genuine], "a genuine delivery")
    wrong = [f"{what}: {answer['status']}" for (what, _, _), answer in zip(bad, answers, strict=True)
             if answer["status"] != 401]
    assert not wrong, f"These deliveries were not answered 401: {', '.join(wrong)}."
    assert threads == 0 and calls == 0, (
        f"After six bad deliveries the shop holds {threads} threads and the model was called {_times(calls)}: a "
        "refused delivery starts nothing.")
    assert last["status"] == 202, f"After them, a genuine delivery was answered {last['status']} {last['json']!r}, not 202."


@hidden.test("a_duplicate_delivery_launches_once")
def a_duplicate_delivery_launches_once(rng, webhook_app, learner):
    """The same webhook-id delivered again (re-signed later, as senders retry): the same thread, one run."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        secret, now, msg_id = _secret(rng), _now(rng), _id(rng)
        body = _ticket_body(case, rng.choice(("webhook", "cli")), f"{words(rng)}.example")
        sent = sorted(now - rng.randint(0, 280) for _ in range(rng.randint(2, 3)))
        app = _app(webhook_app, secret, now)
        answers = _deliver(learner, app, [{"headers": _signed(secret, msg_id, body, when), "body": body}
                                          for when in sent], f"one delivery sent {len(sent)} times")
        ids = {_thread_id(answer) for answer in answers}
        statuses = [answer["status"] for answer in answers]
        threads, refunds = _count(db, "threads"), _count(db, "refunds", "WHERE order_id = ?", case.order_id)
        told = _count(db, "messages m JOIN customers c ON c.id = m.customer_id", "WHERE c.email = ?",
                      case.ticket.customer_email)
    assert statuses == [202] * len(sent) and len(ids) == 1 and None not in ids, (
        f"One delivery sent {len(sent)} times (the same webhook-id) was answered {statuses} with threads {sorted(map(str, ids))}: "
        "202 each time, with the same thread.")
    assert threads == 1 and refunds == 1 and told == 1, (
        f"One delivery sent {len(sent)} times left {threads} threads, {refunds} refunds and {told} messages to the "
        "customer: it should launch the agent once.")


@hidden.test("an_approval_by_webhook_resumes_its_thread")
def an_approval_by_webhook_resumes_its_thread(rng, webhook_app, learner):
    """Two refunds wait for approval; a signed approval for one of them resumes that thread only."""
    model = FakeModel(shop_brain)
    with _world(model) as db:
        cases = [draw_scenario(db, rng, "approval_required") for _ in range(2)]
        secret, now = _secret(rng), _now(rng)
        app = _app(webhook_app, secret, now)
        bodies = [_ticket_body(case, "webhook", f"https://{words(rng)}.example/r") for case in cases]
        answers = _deliver(learner, app, [{"headers": _signed(secret, _id(rng), b, now), "body": b} for b in bodies],
                           "two tickets that need an approval")
        ids = [_thread_id(answer) for answer in answers]
        assert all(isinstance(i, str) for i in ids) and len(set(ids)) == 2, (
            f"Two tickets were answered {[a['status'] for a in answers]}, threads {ids}.")
        pick = rng.randrange(2)
        call_id = _count(db, "events", "WHERE thread_id = ?", ids[pick]) - 1  # the waiting request's position
        approval = json.dumps({"type": "approval", "thread_id": ids[pick], "approval": {
            "call_id": call_id, "approved": True, "comment": words(rng, 2), "by": f"{words(rng)}@brightside.example"}})
        [answer] = _deliver(learner, app, [{"headers": _signed(secret, _id(rng), approval, now + rng.randint(0, 200)),
                                            "body": approval}], "a signed approval")
        approved, other = cases[pick], cases[1 - pick]
        paid, unpaid = refunded_amount(db, approved), refunded_amount(db, other)
    assert answer["status"] in (200, 202), f"A signed approval was answered {answer['status']} {answer['json']!r}."
    assert abs(paid - (approved.expected.refund_amount or 0)) < 0.005 and unpaid == 0, (
        f"After the approval of one thread, ${paid:.2f} was refunded on it and ${unpaid:.2f} on the other: the "
        "approval resumes the thread it names, and only that one.")


__all__ = ["hidden"]
