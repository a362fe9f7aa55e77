"""Visible checks of lesson 11, trigger from anywhere: `check("11.1")` … `check("11.4")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh shop and
a model that must not be called (nothing here runs the agent), so it never touches the notebook's
state. Deliveries are signed with `course.triggers.webhook_headers`, which uses the Standard Webhooks
reference library: a ✅ means real senders get through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from course.checks.helpers import given as _given
from course.checks.helpers import swapped as _swapped
from course.grading import visible
from course.llm import FakeModel, use_model
from course.shop import SCENARIOS, Shop, use_shop
from course.triggers import new_secret, webhook_headers

_NOW = 1_793_577_600
_SECRET = new_secret(b"secret of the check, 24 b")  # its base64 starts with "c": whsec_c2Vj...
_BODY = json.dumps({"type": "ticket", "note": "café"}, ensure_ascii=False)  # the bytes sent, not json.dumps's own
_AISHA = SCENARIOS["where_is_my_order"]


def _rejected(verify_webhook, ns, headers: dict[str, str], body: str, now: int, what: str) -> None:
    try:
        got = verify_webhook(headers, body.encode(), _SECRET, now)
    except _given(ns, "WebhookRejected"):
        return
    except Exception as error:
        raise AssertionError(f"{what}: verify_webhook raised {type(error).__name__}: {error}, not WebhookRejected "
                             "(the endpoint would answer 500, not 401)") from None
    raise AssertionError(f"{what}: verify_webhook accepted it (returned {got!r}); it should raise WebhookRejected")


# --- 11.1 verify_webhook -----------------------------------------------------------------------

@visible("11.1", hint="Lower-case the header names; key = base64.b64decode(secret.removeprefix('whsec_')) (not lstrip); "
                      "sign the body's bytes as sent; accept if any of webhook-signature.split() matches.")
def signed_deliveries_are_accepted(verify_webhook, ns):
    headers = webhook_headers(_SECRET, "msg_check_1", _BODY, _NOW - 120)
    titled = {name.title(): value for name, value in headers.items()}
    got = verify_webhook(titled, _BODY.encode(), _SECRET, _NOW)
    assert got == json.loads(_BODY), f"a signed delivery (headers Webhook-Id, ...) gave {got!r}, not its JSON payload"
    old = webhook_headers(new_secret(b"last year's key, 24 bytes"), "msg_check_1", _BODY, _NOW)["webhook-signature"]
    rotated = {**headers, "webhook-signature": f"{old} {headers['webhook-signature']}"}
    assert verify_webhook(rotated, _BODY.encode(), _SECRET, _NOW) == json.loads(_BODY), (
        "a delivery with two signatures, the second one right, was not accepted")


@visible("11.1", hint="Sign f'{id}.{timestamp}.'.encode() + body with the key; compare with hmac.compare_digest.")
def forged_and_unsigned_deliveries_are_refused(verify_webhook, ns):
    headers = webhook_headers(_SECRET, "msg_check_2", _BODY, _NOW)
    _rejected(verify_webhook, ns, webhook_headers(new_secret(b"a stranger's key, 24 byte"), "msg_check_2", _BODY, _NOW),
              _BODY, _NOW, "a delivery signed with another secret")
    _rejected(verify_webhook, ns, headers, _BODY.replace("ticket", "refund"), _NOW, "a delivery whose body was changed")
    _rejected(verify_webhook, ns, {**headers, "webhook-id": "msg_check_3"}, _BODY, _NOW, "a delivery whose id was changed")
    unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
    _rejected(verify_webhook, ns, unsigned, _BODY, _NOW, "a delivery with no webhook-signature")
    digest = headers["webhook-signature"].split(",", 1)[1]
    _rejected(verify_webhook, ns, {**headers, "webhook-signature": f"v1a,{digest}"}, _BODY, _NOW,
              "a signature of another scheme (v1a,...): only a whole 'v1,<base64>' matches")


@visible("11.1", hint="abs(now - int(timestamp)) > TOLERANCE: reject, before or after; int() failing: reject too.")
def old_and_future_deliveries_are_refused(verify_webhook, ns):
    for offset in (-301, 301, -3600 * 24):
        headers = webhook_headers(_SECRET, "msg_check_4", _BODY, _NOW + offset)
        _rejected(verify_webhook, ns, headers, _BODY, _NOW, f"a delivery signed {offset:+} s from now")
    for stamp in ("soon", f"{_NOW}s"):
        headers = {**webhook_headers(_SECRET, "msg_check_4", _BODY, _NOW), "webhook-timestamp": stamp}
        _rejected(verify_webhook, ns, headers, _BODY, _NOW, f"a delivery whose webhook-timestamp is {stamp!r}")
    edge = webhook_headers(_SECRET, "msg_check_5", _BODY, _NOW - 300)
    assert verify_webhook(edge, _BODY.encode(), _SECRET, _NOW) == json.loads(_BODY), (
        "a delivery signed exactly TOLERANCE (300) seconds ago was refused; only more than that is too old")


# --- 11.2 accept ---------------------------------------------------------------------------------

@contextmanager
def _shop() -> Iterator[Shop]:
    def no_model(request: Any) -> Any:
        raise AssertionError("this check runs no agent: the model should not be called")
    with Shop.create() as db, use_shop(db), use_model(FakeModel(no_model)):
        yield db


def _counts(db: Shop) -> tuple[int, int, int]:
    return tuple(db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[return-value]
                 for table in ("threads", "origins", "deliveries"))


@visible("11.2", hint="In one transaction: new_thread(ticket), then INSERT the origin and the delivery; return (id, True).")
def a_new_delivery_starts_a_thread(accept, ns):
    with _shop() as db:
        origin = _given(ns, "Origin")(channel="email", address="aisha@example.com")
        got = accept(_AISHA.ticket, origin, "<check-1@mail.example>")
        assert isinstance(got, tuple) and len(got) == 2 and got[1] is True, f"a new delivery gave {got!r}, not (thread_id, True)"
        assert _counts(db) == (1, 1, 1), f"threads, origins, deliveries: {_counts(db)}, not (1, 1, 1)"
        row = db.conn.execute("SELECT channel, address FROM origins WHERE thread_id = ?", (got[0],)).fetchone()
        assert row == ("email", "aisha@example.com"), f"the thread's origin is {row!r}"


@visible("11.2", hint="SELECT thread_id FROM deliveries WHERE id = ?: if found, return (that id, False).")
def a_retry_returns_the_same_thread(accept, ns):
    with _shop() as db:
        origin = _given(ns, "Origin")(channel="webhook", address="https://desk.example/replies")
        first = accept(_AISHA.ticket, origin, "msg_check_6")
        again = accept(_AISHA.ticket, origin, "msg_check_6")
        assert again == (first[0], False), f"the same delivery again gave {again!r}, not ({first[0]!r}, False)"
        other = accept(_AISHA.ticket, origin, "msg_check_7")
        assert other[1] is True and other[0] != first[0], f"another delivery id gave {other!r}: a new thread"
        assert _counts(db) == (2, 2, 2), f"threads, origins, deliveries: {_counts(db)}, not (2, 2, 2)"


@visible("11.2", hint="Put the lookup, new_thread and both INSERTs inside one `with current_shop().transaction():`.")
def a_crash_leaves_nothing(accept, ns):
    real = _given(ns, "new_thread")

    def then_crash(ticket):
        real(ticket)
        raise ConnectionResetError("the process died here")
    with _shop() as db:
        origin = _given(ns, "Origin")(channel="cli", address="terminal")
        with _swapped(ns, new_thread=then_crash):
            try:
                accept(_AISHA.ticket, origin, "cli-check-8")
            except ConnectionResetError:
                pass
        assert _counts(db) == (0, 0, 0), (
            f"after a crash right after new_thread, threads, origins, deliveries are {_counts(db)}: all or nothing")
        assert accept(_AISHA.ticket, origin, "cli-check-8")[1] is True, "the retry after the crash started no thread"


# --- 11.3 read_email -----------------------------------------------------------------------------

def _mail(sender: str, subject: str, text: str | None, html: str | None = None, cte: str | None = None) -> bytes:
    mail = EmailMessage()
    if sender:
        mail["From"] = sender
    mail["To"], mail["Subject"], mail["Message-ID"] = "support@brightside.example", subject, "<check@mail.example>"
    if text is not None:
        if cte:
            mail.set_content(text, cte=cte)
        else:
            mail.set_content(text)
        if html is not None:
            mail.add_alternative(html, subtype="html")
    elif html is not None:
        mail.set_content(html, subtype="html")
    return mail.as_bytes()


@visible("11.3", hint="email.message_from_bytes(raw, policy=email.policy.default); parseaddr; get_body(('plain',))"
                      ".get_content(), which decodes; no display name: the address before '@'; strip the subject.")
def an_email_becomes_a_ticket(read_email, ns):
    raw = _mail("Zoë Brandt <Zoe.Brandt@Example.COM>", "Où est ma commande ?  ", "My order 1077 — the café one, please.\n",
                "<p>My order <b>1077</b>, please.</p>", cte="quoted-printable")
    ticket = read_email(raw)
    got = (ticket.customer_name, ticket.customer_email, ticket.subject, ticket.body)
    want = ("Zoë Brandt", "zoe.brandt@example.com", "Où est ma commande ?", "My order 1077 — the café one, please.")
    assert got == want, (f"a quoted-printable email with a subject ending in spaces gave (name, email, subject, body) "
                         f"{got!r}, not {want!r}")
    assert ticket.ticket_id == _given(ns, "ticket_number")("<check@mail.example>"), "use ticket_number(Message-ID)"
    nameless = read_email(_mail("Luis.Ortega@Example.com", "I moved", "New address below.\n"))
    assert nameless.customer_name == "Luis.Ortega", (
        f"a sender with no display name (From: Luis.Ortega@Example.com) gave the name {nameless.customer_name!r}, "
        "not 'Luis.Ortega': the part of the address before '@'")


@visible("11.3", hint="Keep the lines before the first one starting with '>' (nothing after it); drop a last one "
                      "ending with 'wrote:'.")
def the_quoted_message_is_dropped(read_email, ns):
    text = ("Yes, order 1081.\nThanks!\n\nOn Sun, 1 Nov 2026, Brightside support wrote:\n> Which order?\n> Sam\n"
            "\n-- \nLuis, sent from my phone\n")
    body = read_email(_mail("luis@example.com", "Re: I moved", text)).body
    assert body == "Yes, order 1081.\nThanks!", (
        f"the body is {body!r}: keep only the new lines, the ones before the quote (not the signature below it)")


@visible("11.3", hint="No '@' in the sender's address, or no text/plain part: raise EmailRejected.")
def emails_without_sender_or_text_are_refused(read_email, ns):
    for what, raw in [("no From", _mail("", "Hello", "Hi.")), ("a From with no address", _mail("Support Fan", "Hi", "Hi.")),
                      ("only HTML", _mail("a@example.com", "Hi", None, "<p>Hi.</p>"))]:
        try:
            got = read_email(raw)
        except _given(ns, "EmailRejected"):
            continue
        raise AssertionError(f"an email with {what} gave {got!r}; raise EmailRejected")


# --- 11.4 dispatch -------------------------------------------------------------------------------

def _replies(ns, db: Shop, plan: list[tuple[str, str, int]]) -> list[str]:
    """Threads from `plan` (channel, address, replies): each with its origin and its stored replies."""
    Origin, ToolRequested, ToolResult = (_given(ns, n) for n in ("Origin", "ToolRequested", "ToolResult"))
    new_thread, append_event, inbox = (_given(ns, n) for n in ("new_thread", "append_event", "inbox"))
    bodies = []
    for n, (channel, address, count) in enumerate(plan):
        ticket = _AISHA.ticket.model_copy(update={"ticket_id": 900 + n})
        thread_id = new_thread(ticket)
        inbox().execute("INSERT INTO origins (thread_id, channel, address) VALUES (?, ?, ?)",
                        (thread_id, Origin(channel=channel, address=address).channel, address))
        for k in range(count):
            body = f"Reply {k + 1} to ticket {900 + n} on {channel}."
            append_event(thread_id, ToolRequested(name="send_message", arguments=json.dumps({"body": body})))
            append_event(thread_id, ToolResult(name="send_message", result=json.dumps({"message_id": k, "body": body})))
            bodies.append(body)
    return bodies


@visible("11.4", hint="for reply in pending_replies(): no sender for its channel: continue; else "
                      "senders[reply.channel](reply), then UPDATE outbox SET sent = 1.")
def replies_go_to_their_channel_once(dispatch, ns):
    with _shop() as db:
        bodies = _replies(ns, db, [("cli", "terminal", 1), ("email", "a@example.com", 2),
                                   ("webhook", "https://desk.example/r", 1)])
        got: list[tuple[str, str, str]] = []
        senders = {channel: (lambda reply, c=channel: got.append((c, reply.address, reply.body)))
                   for channel in ("email", "webhook")}
        count = dispatch(senders)
        want = [("email", "a@example.com", bodies[1]), ("email", "a@example.com", bodies[2]),
                ("webhook", "https://desk.example/r", bodies[3])]
        assert got == want and count == 3, (
            f"with no sender for the first reply's channel (cli), dispatch sent {got!r} (returned {count!r}), not "
            f"{want!r}: skip a reply with no sender and go on with the next")
        assert dispatch(senders) == 0 and len(got) == 3, "a second dispatch sent replies again"
        senders["cli"] = lambda reply: got.append(("cli", reply.address, reply.body))
        assert dispatch(senders) == 1 and got[-1] == ("cli", "terminal", bodies[0]), (
            "the reply for a channel with no sender should wait, and go once its sender is there")


@visible("11.4", hint="Mark each reply right after its send; a sender that raises stops the round, nothing after it is marked.")
def a_failed_send_goes_again_later(dispatch, ns):
    with _shop() as db:
        bodies = _replies(ns, db, [("email", "a@example.com", 3)])
        got: list[str] = []

        def flaky(reply):
            if reply.body == bodies[1] and not flaky.failed:  # type: ignore[attr-defined]
                flaky.failed = True  # type: ignore[attr-defined]
                raise ConnectionError("the mail server is down")
            got.append(reply.body)
        flaky.failed = False  # type: ignore[attr-defined]
        try:
            dispatch({"email": flaky})
        except ConnectionError:
            pass
        assert got == bodies[:1], f"before the failure, dispatch sent {got!r}: send the first reply, stop at the second"
        dispatch({"email": flaky})
        assert got == bodies, f"after the next round the mail server got {got!r}, not each reply once, in order"


__all__: list[str] = []
