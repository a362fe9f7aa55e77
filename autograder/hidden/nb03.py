"""Hidden tests of lesson 03, own your context window. Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell (`hidden("grade_id", globals())`);
its parameters are the learner's names, as `Remote` handles on the learner's objects. They check
behaviour: what `redact` and `render_event` return, the messages `build_context` returns (sizes by
this process's `count_message_tokens`, which events they show, in which order), what the stored
thread still holds afterwards, and — for the agent — what the fake model received and what happened
in the shop (both the grader's own). Threads are built in the learner's process from the learner's
event classes: Grace's long thread with real tool results, and synthetic threads whose every event
carries a unique letters-only marker. Everything judged is plain data: the `.value` of what the
learner's code returned.

Each exercise is scored on its own: the tests of 3.2 call the learner's `render_event` with a
scripted stand-in for `redact` (it masks only the secrets of the test's own inputs), and the tests
of 3.3 call `build_context` with a few-line stand-in for `render_event` (the event's fields on one
line, long digit runs and addresses masked), so an unfinished or wrong 3.1 or 3.2 costs nothing in
3.3. The agent's tests (`context_smaller_than_stage_2_messages` and the three after it) score the
whole stage-3 agent and use all of the learner's functions.
"""

from __future__ import annotations

import inspect
import json
import random
import re
from dataclasses import dataclass
from typing import Any

from autograder.boundary.remote import LearnerError, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.drawn import Records, effects_follow_calls, runs
from course.brain import shop_brain
from course.llm import FakeModel, count_message_tokens, use_model
from course.shop import SCENARIOS, Shop, Ticket, draw_scenario, outcome_of, use_shop
from course.shop import tools as shop_tools

hidden = HiddenTests("03")

_GRACE = SCENARIOS["long_thread"]
_EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HUGE = 10_000_000
_NOTE_ROOM = 40  # tokens a note about dropped messages may take on top of the required events


# --- helpers -------------------------------------------------------------------------------------

def _digits(text: str) -> str:
    return re.sub(r"[ -]", "", text)


def _card_leaks(text: str, cards: list[str]) -> list[str]:
    """The cards whose digits still appear in `text`, however they are spaced."""
    squeezed = _digits(text)
    return [card for card in cards if _digits(card) in squeezed]


def _shown(got: Remote) -> str:
    """What the learner's code returned, for a message: the repr of its text, or a short repr of the object."""
    value = got.value
    return repr(value) if isinstance(value, str) else got.shown


def _messages(got: Remote) -> list[dict]:
    """What build_context returned, as plain data, after checking it is a non-empty list of chat messages."""
    items = list(got) if got.isa("list") else []
    assert items, f"build_context should return a non-empty list of chat messages, not {got.type} {got.shown:.80}"
    for item in items:
        message = item.value
        assert item.isa("dict") and isinstance(message, dict) and "role" in message, \
            f"each message should be a dict with a 'role' and a 'content', not {item.shown:.80}"
    return [item.value for item in items]


def _text(messages: list[dict]) -> str:
    """Everything the model would read in `messages` (plain chat messages, checked by `_messages`)."""
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            parts += [str(part.get("text", "")) for part in content if isinstance(part, dict)]
        elif content is not None:
            parts.append(str(content))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            parts.append(f"{function.get('name', '')}({function.get('arguments', '')})")
    return "\n".join(parts)


def _size(messages: list[dict]) -> int:
    return count_message_tokens(messages)


@dataclass(frozen=True)
class _Event:
    """One event of a test thread: its class's name, the fields it was made with, the learner's object."""

    kind: str
    fields: dict[str, Any]
    remote: Remote


@dataclass(frozen=True)
class _Thread:
    """A test thread: its ticket and events as this process made them, and the learner's Thread object."""

    ticket: Ticket
    events: list[_Event]
    remote: Remote


class _Kit:
    """The learner's event classes, to build threads with (in the learner's process)."""

    def __init__(self, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
        self.Thread = Thread
        self.classes = {"Earlier": Earlier, "TicketReceived": TicketReceived, "ToolRequested": ToolRequested,
                        "ToolResult": ToolResult, "ToolFailed": ToolFailed, "Finished": Finished}

    def event(self, kind: str, **fields: Any) -> _Event:
        return _Event(kind, fields, self.classes[kind](**fields))

    def thread(self, ticket: Ticket, events: list[_Event]) -> _Thread:
        return _Thread(ticket, list(events), self.Thread(ticket=ticket, events=[e.remote for e in events]))

    def without_history(self, thread: _Thread) -> _Thread:
        """The same thread (its very ticket and event objects) without its Earlier events."""
        kept = [e for e in thread.events if e.kind != "Earlier"]
        return _Thread(thread.ticket, kept, self.Thread(ticket=thread.remote.ticket, events=[e.remote for e in kept]))


def _build(build_context: Remote, ContextTooLong: Remote | None, thread: _Thread, budget: int) -> list[dict] | None:
    """build_context(thread, budget) as checked plain messages; None when it raised ContextTooLong."""
    try:
        got = build_context(thread.remote, budget)
    except LearnerNotImplemented:
        raise
    except LearnerError as error:
        if ContextTooLong is None or not error.isa(ContextTooLong):
            raise
        return None
    return _messages(got)


def _letters(i: int) -> str:
    return chr(97 + i // 26 % 26) + chr(97 + i % 26)


_WORDS = ["parcel", "warehouse", "blanket", "courier", "linen", "tray", "walnut", "sleeve", "label", "sorting", "facility", "patience", "weekend", "guest", "mother", "window", "route", "trace", "counter", "porch", "neighbour", "ribbon", "pantry", "kettle", "lantern", "basket", "quilt"]


class _Synthetic:
    """A thread whose every event carries a unique marker (letters only, so no redaction touches it)."""

    def __init__(self, kit: _Kit, seed: int, n_history: int, sensitive: bool = False):
        rng = random.Random(seed)
        self.history_marks = [f"mkhist{_letters(i)}{_letters(seed)}mk" for i in range(n_history)]
        self.required_marks: list[str] = []
        self.cards: list[str] = []
        self.emails: list[str] = []
        email = f"vela.quist{_letters(seed)}@example.com"
        ticket = Ticket(ticket_id=900 + seed, customer_email=email, customer_name="Vela Quist",
                        subject="Re: the parcel", body="See below.")
        events: list[_Event] = []
        for i, mark in enumerate(self.history_marks):
            words = 6 if i == n_history - 1 else rng.randint(15, 110)
            body = f"{mark} " + " ".join(rng.choice(_WORDS) for _ in range(words)) + "."
            if sensitive and i in (n_history - 1, n_history - 3, 2):
                card = ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"][i % 3]
                other = f"kit.{_letters(i)}+home@mail-{_letters(seed)}.example.org"
                body += f" Card {card}, copy {other}."
                self.cards.append(card)
                self.emails.append(other)
            events.append(kit.event("Earlier", sender="customer" if i % 2 == 0 else "agent",
                                    sent_on=f"2026-09-{1 + i % 28:02d}", body=body))
        mark = self._required("ticket", seed)
        body = f"{mark} where is my parcel? " + " ".join(rng.choice(_WORDS) for _ in range(40))
        if sensitive:
            body += " My card 6011-0009-9013-9424, my email " + email
            self.cards.append("6011-0009-9013-9424")
            self.emails.append(email)
        events.append(kit.event("TicketReceived", subject="Re: the parcel", body=body, customer_email=email))
        for step in range(1 + seed % 3):
            mark = self._required(f"args{step}", seed)
            events.append(kit.event("ToolRequested", name="get_order",
                                    arguments=json.dumps({"order_id": 1088, "note": mark})))
            mark = self._required(f"result{step}", seed)
            result = {"order_id": 1088, "status": "delivered", "note": mark, "cancelled_on": None,
                      "items": [{"name": rng.choice(_WORDS), "price": 24.0}]}
            if sensitive:
                result["customer_email"] = email
                result["payment"] = "card 4111-1111-1111-1111"
                self.cards.append("4111-1111-1111-1111")
            events.append(kit.event("ToolResult", name="get_order", result=json.dumps(result)))
        mark = self._required("error", seed)
        args = {"customer_email": email, "body": f"{mark} hello"} if sensitive else {"body": f"{mark} hello"}
        events.append(kit.event("ToolRequested", name="send_message", arguments=json.dumps(args)))
        mark = self._required("failed", seed)
        events.append(kit.event("ToolFailed", name="send_message", error=f"{mark} the mail server timed out" +
                                (f" for {email}" if sensitive else "")))
        mark = self._required("finished", seed)
        events.append(kit.event("Finished", summary=f"{mark} told the customer" + (f" at {email}" if sensitive else "")))
        self.thread = kit.thread(ticket, events)
        self.label = f"a test thread with {n_history} earlier messages"

    def _required(self, what: str, seed: int) -> str:
        mark = f"mkreq{what}{_letters(seed)}mk"
        self.required_marks.append(mark)
        return mark


def _grace_after_the_run(kit: _Kit) -> _Thread:
    """Grace's thread as the agent leaves it: her history, the ticket, four real tool calls and results, the end."""
    ticket = _GRACE.ticket
    events = [kit.event("Earlier", sender=m.sender, sent_on=m.sent_on.isoformat(), body=m.body) for m in ticket.history]
    events.append(kit.event("TicketReceived", subject=ticket.subject, body=ticket.body,
                            customer_email=ticket.customer_email))
    calls = [("get_order", {"order_id": 1088}),
             ("check_refund_policy", {"order_id": 1088, "amount": 24.0}),
             ("issue_refund", {"order_id": 1088, "amount": 24.0, "reason": "not_received", "idempotency_key": "hidden-1088"}),
             ("send_message", {"customer_email": ticket.customer_email,
                               "body": "Hi Grace,\n\nI've refunded $24.00 for the pillowcases on order 1088.\n\nBrightside Goods support"})]
    with Shop.create() as db, use_shop(db):
        for name, args in calls:
            result = getattr(shop_tools, name)(**args)
            events.append(kit.event("ToolRequested", name=name, arguments=json.dumps(args)))
            events.append(kit.event("ToolResult", name=name, result=result.model_dump_json()))
    events.append(kit.event("Finished", summary="Refunded $24.00 on order 1088 and told the customer."))
    return kit.thread(ticket, events)


def _threads(kit: _Kit) -> list[tuple[str, _Thread]]:
    synthetic = [_Synthetic(kit, seed, n) for seed, n in ((1, 40), (2, 25), (3, 60))]
    return [("Grace's finished thread", _grace_after_the_run(kit))] + [(s.label, s.thread) for s in synthetic]


def _required_size(build_context: Remote, kit: _Kit, thread: _Thread) -> int:
    """Tokens the learner's own context takes for the thread without its history."""
    return _size(_build(build_context, None, kit.without_history(thread), _HUGE))


def _budgets(required: int, full: int, rng: random.Random) -> list[int]:
    """Budgets from just below what the required events need to just above everything: the edges, and a few
    drawn between them at grading time (each grading tries others, so no table of budgets can pass them)."""
    low, high = required + _NOTE_ROOM, full + 5
    drawn = {rng.randrange(low, high) for _ in range(6)} if high > low else set()
    return sorted({required - 1, low, low + 1, low + 3, *drawn, full - 1, full, full + 1, high, 1_800, 1_200})


def _positions(text: str, marks: list[str]) -> list[int]:
    return [text.find(mark) for mark in marks if mark in text]


# --- stand-ins: each exercise is scored with simple grader functions in place of the earlier ones --

_SECRETS = {"4111-1111-1111-1111": "[card]", "david.liu@example.org": "[email]", "grace.liu@example.com": "[email]"}


def _scripted_redact(text: Remote) -> str:
    """Stand-in for the learner's redact in the tests of 3.2: masks only the secrets those tests use."""
    value = text.value
    assert isinstance(value, str), f"render_event passed redact a {text.type}, not the rendered text"
    for secret, mask in _SECRETS.items():
        value = value.replace(secret, mask)
    return value


def _unredacted(text: Remote) -> str:
    """Stand-in for the learner's redact where nothing secret is rendered: the text as it is."""
    return text.value if isinstance(text.value, str) else text.shown


_LONG_DIGITS = re.compile(r"\d(?:[ -]?\d){12,}")


def _render_stand_in(event: Remote) -> str:
    """Stand-in for the learner's render_event in the tests of 3.3: the event's fields on one line, masked."""
    fields = event.value if isinstance(event.value, dict) else {}
    text = f"<{fields.get('kind', event.type)} " + " ".join(f"{v}" for k, v in fields.items() if k != "kind") + ">"
    return _EMAIL_LIKE.sub("[email]", _LONG_DIGITS.sub("[card]", text))


def _standing_in(**functions: Any):
    """Run the decorated test with these grader functions in place of the learner's (`Learner.stand_ins`)."""
    def wrap(test):
        signature = inspect.signature(test)
        params = [p for p in signature.parameters.values() if p.name != "learner"]

        def run(learner, **kwargs):
            with learner.stand_ins(**functions):
                return test(**({"learner": learner} if "learner" in signature.parameters else {}), **kwargs)

        run.__signature__ = signature.replace(parameters=[inspect.Parameter("learner", inspect.Parameter.KEYWORD_ONLY),
                                                          *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]])
        run.__doc__ = test.__doc__
        return run
    return wrap


# --- 3.1 redact ----------------------------------------------------------------------------------

_CARDS = ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5500 0000 0000 0004",
          "3782 822463 10005", "6011-0009-9013-9424", "4012888888881881", "4222222222222"]
_EMAILS = ["grace.liu.work@example.com", "David.Liu+orders@Example.co.uk", "a_b-c@mail-server.example.org",
           "sam@brightside.shop"]


@hidden.test("redact_masks_cards_and_emails")
def _(redact):
    for card in _CARDS:
        for text in (f"The card is {card}, expiry 09/28.", f"({card})", f"card:{card}.", card):
            got = redact(text)
            assert got.isa("str") and isinstance(got.value, str), f"redact should return a str, not {got.type}"
            shown, got = _shown(got), got.value
            assert not _card_leaks(got, [card]), f"redact({text!r}) returned {shown}: the card number is still readable"
            assert "[card]" in got, f"redact({text!r}) returned {shown}: mask a card number as [card]"
    for email in _EMAILS:
        local = email.split("@")[0]
        for text in (f"Write to {email}.", f"<{email}>", f"copy {email}, thanks", email):
            got = redact(text)
            shown, got = _shown(got), got.value
            assert email not in got and local not in got and "@" not in got, \
                f"redact({text!r}) returned {shown}: the email address is still (partly) readable"
            assert "[email]" in got, f"redact({text!r}) returned {shown}: mask an email address as [email]"
        text = f"Write to {email}."
        got = redact(text)
        if got.value != "Write to [email].":
            partly = str(got.value).endswith(".") and not str(got.value).endswith("[email].")
            raise AssertionError(f"redact({text!r}) returned {_shown(got)}: " +
                                 ("the email address is still (partly) readable" if partly else
                                  "the full stop ends the sentence, it is not part of the address"))
    text = "Card 4111 1111 1111 1111 and 5500-0000-0000-0004; mail grace.liu.work@example.com or david.liu@example.org."
    got = redact(text)
    shown, got = _shown(got), got.value
    assert got.count("[card]") == 2 and got.count("[email]") == 2, \
        f"redact({text!r}) returned {shown}: every card number and every address should be masked"


@hidden.test("redact_keeps_everything_else")
def _(redact):
    keep = [
        "Please refund $24.00 on order 1088.",
        "Orders 1042, 1057 and 1063 were placed on 2026-10-05 and 2026-10-12.",
        "Tracking number 9400111899561234567890, case reference 55120-KT.",
        "Ship to 12 Birch Court, Madison, WI 53703 or 2150 Larimer St Unit 5B, Denver, CO 80205-1234.",
        "Call 608-555-0134 before 17:30; the TV cost $899.00 (order #1057), expiry 09/28.",
        "A refund of $1,234.56 needs approval; the limit is $100.00.",
        "Reply to the email on your account, not to this one.",
    ]
    for text in keep:
        got = redact(text)
        assert got.isa("str") and got.value == text, f"nothing in {text!r} is sensitive, but redact changed it to {_shown(got)}"
    text = "Order 1088: card 4111 1111 1111 1111, refund $24.00 on 2026-11-02, tracking 9400111899561234567890."
    got = redact(text)
    shown, got = _shown(got), got.value
    for part in ("Order 1088", "$24.00", "2026-11-02", "9400111899561234567890"):
        assert part in got, f"redact({text!r}) returned {shown}: {part!r} should survive next to a masked card"


# --- 3.2 render_event ----------------------------------------------------------------------------

@hidden.test("render_event_shows_every_kind")
@_standing_in(redact=_unredacted)
def _(render_event, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
    cases = [
        (Earlier(sender="agent", sent_on="2026-10-21", body="The blanket is on backorder."),
         ["The blanket is on backorder.", "agent", "2026-10-21"]),
        (TicketReceived(subject="Pillowcases missing", body="Please refund the $24.", customer_email="g@example.com"),
         ["Pillowcases missing", "Please refund the $24."]),
        (ToolRequested(name="check_refund_policy", arguments='{"order_id": 1088, "amount": 24.0}'),
         ["check_refund_policy", "1088", "24.0"]),
        (ToolResult(name="track_shipment", result='{"carrier": "USPS", "status": "in_transit", "eta": "2026-11-05"}'),
         ["track_shipment", "USPS", "in_transit", "2026-11-05"]),
        (ToolFailed(name="issue_refund", error="Refunds are only possible within 30 days of delivery."),
         ["issue_refund", "Refunds are only possible within 30 days of delivery."]),
        (Finished(summary="Refunded $24.00 on order 1088."), ["Refunded $24.00 on order 1088."]),
    ]
    for event, parts in cases:
        got = render_event(event)
        shown, value = _shown(got), got.value
        assert got.isa("str") and isinstance(value, str) and value.strip(), \
            f"render_event should return the event as text; for a {event.type} it returned {shown}"
        for part in parts:
            assert part in value, f"a rendered {event.type} should show {part!r}; got {shown}"
    error = render_event(ToolFailed(name="get_order", error="No order 1603."))
    result = render_event(ToolResult(name="get_order", result='{"order_id": 1603}'))
    assert error.value != result.value, "a failed tool call and a tool result should not render the same way"


@hidden.test("render_event_is_compact_and_redacted")
@_standing_in(redact=_scripted_redact)
def _(render_event, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
    with Shop.create() as db, use_shop(db):
        order = shop_tools.get_order(1088).model_dump_json()
        decision = shop_tools.check_refund_policy(1088, 24.0).model_dump_json()
    for name, result in (("get_order", order), ("check_refund_policy", decision)):
        got = render_event(ToolResult(name=name, result=result)).value
        assert name in got, f"a rendered {name} result should name its tool; got {got[:120]!r}"
        assert '"' not in got and "{" not in got, \
            f"a tool result should be rendered compactly (key: value lines, no JSON quotes or braces); got {got[:160]!r}"
        for key, value in json.loads(result).items():
            if value in (None, "", [], {}):
                assert f"{key}:" not in got, f"empty fields are left out of a tool result; {key!r} is there"
            elif not isinstance(value, (dict, list)) and key != "customer_email":
                assert f"{key}: {value}" in got, f"the {name} result should show `{key}: {value}`; got {got[:200]!r}"
    assert "grace.liu@example.com" not in render_event(ToolResult(name="get_order", result=order)).value, \
        "the email address in a get_order result reached the rendered text"
    card, email = "4111-1111-1111-1111", "david.liu@example.org"
    events = [
        Earlier(sender="customer", sent_on="2026-10-15", body=f"The card is {card}; copy {email}."),
        TicketReceived(subject=f"Card {card}", body=f"Refund to {card}, receipt to {email}.", customer_email=email),
        ToolRequested(name="send_message", arguments=json.dumps({"customer_email": email, "body": f"card {card}"})),
        ToolResult(name="lookup_customer", result=json.dumps({"email": email, "note": f"card {card}"})),
        ToolFailed(name="send_message", error=f"Could not deliver to {email} (card {card})."),
        Finished(summary=f"Told {email} about card {card}."),
    ]
    for event in events:
        got = render_event(event)
        shown, got = _shown(got), got.value
        assert not _card_leaks(got, [card]) and email not in got and not _EMAIL_LIKE.search(got), \
            f"a rendered {event.type} still shows a card number or an email address: {shown}"


# --- 3.3 build_context ---------------------------------------------------------------------------

@hidden.test("context_never_over_budget")
@_standing_in(render_event=_render_stand_in)
def _(rng, build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
      Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    fresh = kit.thread(_GRACE.ticket, _grace_after_the_run(kit).events[:41])
    for label, thread in [("Grace's new thread", fresh), *_threads(kit)]:
        required = _required_size(build_context, kit, thread)
        full = _size(_build(build_context, None, thread, _HUGE))
        for budget in _budgets(required, full, rng):
            messages = _build(build_context, ContextTooLong, thread, budget)
            if messages is None:
                assert budget < required + _NOTE_ROOM, \
                    (f"for {label}, build_context(thread, {budget}) raised ContextTooLong, but the ticket and the "
                     f"events since it take only {required} tokens: drop earlier messages until the rest fits")
                continue
            used = _size(messages)
            assert used <= budget, f"for {label} and a budget of {budget} tokens, the context took {used} tokens"


@hidden.test("ticket_and_later_events_kept")
@_standing_in(render_event=_render_stand_in)
def _(rng, build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
      Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for seed, n in ((1, 40), (2, 25), (3, 60), (4, 8)):
        case = _Synthetic(kit, seed, n)
        required = _required_size(build_context, kit, case.thread)
        full = _size(_build(build_context, None, case.thread, _HUGE))
        for budget in [*_budgets(required, full, rng), _HUGE]:
            messages = _build(build_context, ContextTooLong, case.thread, budget)
            if messages is None:
                continue  # judged by context_never_over_budget
            text = _text(messages)
            missing = [mark for mark in case.required_marks if mark not in text]
            assert not missing, (f"for {case.label} and a budget of {budget}, the context lost "
                                 f"{len(missing)} of the ticket and the {len(case.required_marks) - 1} events after it")
            found = _positions(text, case.required_marks)
            assert found == sorted(found), \
                f"for {case.label} and a budget of {budget}, the ticket and the events after it are out of order"
    grace = _grace_after_the_run(kit)
    text = _text(_build(build_context, None, grace, 1_800))
    for part in ("please just refund the $24 for the pillowcases", "check_refund_policy", "Linen Pillowcase Set",
                 "I've refunded $24.00 for the pillowcases", "Refunded $24.00 on order 1088"):
        assert part in text, f"with a budget of 1,800 tokens, the context for Grace's finished thread lacks {part!r}"


@hidden.test("history_dropped_oldest_first")
@_standing_in(render_event=_render_stand_in)
def _(rng, build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
      Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for seed, n in ((1, 40), (2, 25), (3, 60)):
        case = _Synthetic(kit, seed, n)
        required = _required_size(build_context, kit, case.thread)
        text = _text(_build(build_context, None, case.thread, _HUGE))
        kept = [i for i, mark in enumerate(case.history_marks) if mark in text]
        assert len(kept) == n, f"for {case.label} with room for everything, the context kept only {len(kept)} of them"
        found = _positions(text, case.history_marks + case.required_marks)
        assert found == sorted(found), f"for {case.label}, the context does not keep the events in the thread's order"
        full = _size(_build(build_context, None, case.thread, _HUGE))
        budget = required + 150
        text = _text(_build(build_context, None, case.thread, budget))
        kept = [i for i, mark in enumerate(case.history_marks) if mark in text]
        assert kept, \
            (f"for {case.label} and a budget of {budget}, {budget - required} tokens more than the ticket and the "
             "events since it need, the context kept none of the earlier messages: keep as many as fit")
        assert case.history_marks[-1] in text, \
            (f"for {case.label} and a budget of {budget}, the context kept earlier messages "
             f"{[i + 1 for i in kept][:8]}… of 1-{n} but not the newest one: drop the oldest first and keep the newest")
        previous = -1
        for budget in _budgets(required, full, rng):
            messages = _build(build_context, ContextTooLong, case.thread, budget)
            if messages is None:
                continue
            text = _text(messages)
            kept = [i for i, mark in enumerate(case.history_marks) if mark in text]
            assert kept == list(range(n - len(kept), n)), \
                (f"for {case.label} and a budget of {budget}, the context kept earlier messages "
                 f"{[i + 1 for i in kept][:8]}… of 1-{n}: drop the oldest first and keep the newest")
            assert len(kept) >= previous, \
                f"for {case.label}, a bigger budget ({budget}) kept fewer earlier messages than a smaller one"
            previous = len(kept)
            found = _positions(text, case.history_marks + case.required_marks)
            assert found == sorted(found), \
                f"for {case.label} and a budget of {budget}, the context does not keep the events in order"
            dropped = n - len(kept)
            if dropped:
                first_kept = (case.history_marks[kept[0]] if kept else case.required_marks[0])
                before = _DATE.sub(" ", text[:text.find(first_kept)])
                assert re.search(rf"(?<![\d.]){dropped}(?![\d.])", before), \
                    (f"for {case.label} and a budget of {budget}, {dropped} earlier messages were dropped but no note "
                     "where they were says how many")


@hidden.test("context_is_deterministic")
@_standing_in(render_event=_render_stand_in)
def _(build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for label, thread in _threads(kit):
        for budget in (1_200, 1_800, 3_000, _HUGE):
            try:
                first = build_context(thread.remote, budget)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                if not error.isa(ContextTooLong):
                    raise
                continue
            value = first.value
            if value != value:  # no plain form to compare (NO_VALUE equals nothing): say what it should return
                _messages(first)
            again = build_context(thread.remote, budget).value
            copy = build_context(thread.remote.model_copy(deep=True), budget).value
            assert value == again, f"for {label} and a budget of {budget}, two calls gave different contexts"
            assert value == copy, \
                f"for {label} and a budget of {budget}, an identical copy of the thread gave a different context"


def _stored_events(thread: Remote) -> str:
    """The events a thread in the learner's process holds now, each as its stored JSON."""
    return "\n".join(event.model_dump_json().value for event in thread.events)


@hidden.test("sensitive_data_stays_in_the_thread")
@_standing_in(render_event=_render_stand_in)
def _(build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    cases = [_Synthetic(kit, seed, n, sensitive=True) for seed, n in ((5, 12), (6, 30))]
    grace = _grace_after_the_run(kit)
    checks = [(c.label + " (with card numbers and emails)", c.thread, c.cards, c.emails) for c in cases]
    checks.append(("Grace's finished thread", grace, ["4111 1111 1111 1111"],
                   ["grace.liu@example.com", "grace.liu.work@example.com", "david.liu@example.org"]))
    for label, thread, cards, emails in checks:
        stored = thread.remote.model_dump_json().value
        for budget in (_HUGE, 1_800):
            messages = _build(build_context, ContextTooLong, thread, budget)
            if messages is None:
                continue
            text = _text(messages)
            leaked = _card_leaks(text, cards) + [e for e in emails if e in text] + _EMAIL_LIKE.findall(text)
            assert not leaked, f"for {label} and a budget of {budget}, the context shows {leaked[0]!r}"
        assert thread.remote.model_dump_json().value == stored, \
            (f"build_context changed the stored thread ({label}): the thread is the record and must keep every "
             "event as it was; redact only the text you render")
        events = _stored_events(thread.remote)
        for secret in [*cards, *emails]:
            assert secret in events, f"the test thread lost {secret!r}"  # sanity: the secrets were there to find


@hidden.test("context_too_long_is_an_error")
@_standing_in(render_event=_render_stand_in)
def _(build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    long_body = " ".join(_WORDS[i % len(_WORDS)] for i in range(2_400))  # about 4,000 tokens
    ticket = Ticket(ticket_id=990, customer_email="vela.quist@example.com", customer_name="Vela Quist",
                    subject="A very long letter", body=long_body)
    big_ticket = kit.thread(ticket, [
        kit.event("Earlier", sender="customer", sent_on="2026-10-01", body="Hello."),
        kit.event("TicketReceived", subject="A very long letter", body=long_body, customer_email=ticket.customer_email)])
    big_result = kit.thread(ticket, [
        kit.event("TicketReceived", subject="Short", body="Where is order 1088?", customer_email=ticket.customer_email),
        kit.event("ToolRequested", name="get_order", arguments='{"order_id": 1088}'),
        kit.event("ToolResult", name="get_order", result=json.dumps({"order_id": 1088, "notes": long_body}))])
    grace = _grace_after_the_run(kit)
    for label, thread, budget in (("a ticket of about 4,000 tokens", big_ticket, 1_800),
                                  ("a tool result of about 4,000 tokens", big_result, 1_800),
                                  ("Grace's finished thread", grace, 300)):
        try:
            got = build_context(thread.remote, budget)
        except LearnerNotImplemented:
            raise
        except LearnerError as error:
            if not error.isa(ContextTooLong):
                raise
            continue
        raise AssertionError(f"for {label} and a budget of {budget}, build_context returned a context of "
                             f"{_size(_messages(got))} tokens instead of raising ContextTooLong")


# --- the stage-3 agent ---------------------------------------------------------------------------

def _stage_2_messages(thread: _Thread) -> list[dict]:
    """What the stage-2 agent sent for this thread: the rendered ticket, then each tool call and raw result."""
    messages: list[dict] = [{"role": "user", "content": thread.ticket.render()}]
    for i, event in enumerate(thread.events):
        if event.kind == "ToolRequested":
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call_{i}", "type": "function",
                 "function": {"name": event.fields["name"], "arguments": event.fields["arguments"]}}]})
        elif event.kind == "ToolResult":
            messages.append({"role": "tool", "tool_call_id": f"call_{i - 1}", "content": event.fields["result"]})
        elif event.kind == "ToolFailed":
            messages.append({"role": "tool", "tool_call_id": f"call_{i - 1}", "content": f"Error: {event.fields['error']}"})
    return messages


@hidden.test("context_smaller_than_stage_2_messages")
def _(build_context, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished):
    kit = _Kit(Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    grace = _grace_after_the_run(kit)
    before = count_message_tokens(_stage_2_messages(grace))
    now = _size(_build(build_context, None, grace, 1_800))
    assert now < before, (f"for Grace's finished thread the context takes {now} tokens, the stage-2 message list "
                          f"{before}: the context should be the smaller one")


def _run(run_agent: Remote, scenario, model: FakeModel, *, drawn: tuple[random.Random, Any] | None = None, **kwargs):
    """Run the agent on `scenario` in a fresh shop, or on a ticket drawn into it (`drawn`: the random source and the
    outcome it should reach); return (thread, outcome). Every effect must follow a call of the model."""
    with Shop.create() as db, use_shop(db), use_model(model):
        if drawn is not None:
            scenario = draw_scenario(db, *drawn)
        before = Records.of(db)
        try:
            thread = run_agent(scenario.ticket, **kwargs)
        except LearnerNotImplemented:
            raise
        except LearnerError as error:
            if not error.isa("APIStatusError"):
                raise
            # the rejection the model sent, as this process's fake model recorded it
            refused = [ex.error.message for ex in model.transcript.exchanges if ex.error is not None]
            message = refused[-1] if refused else error.message
            raise AssertionError(f"on {scenario.name}, the model rejected a request: {message}") from None
        outcome = outcome_of(db, scenario, called=[name for name, _ in model.transcript.tool_calls()])
        effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"on {scenario.name}")
    if drawn is not None:
        assert outcome == scenario.expected.outcome, (
            f"on a drawn ticket (#{scenario.ticket.ticket_id}) the outcome was {outcome!r}, "
            f"not {scenario.expected.outcome!r}")
    return thread, outcome


@hidden.test("long_thread_completes_on_a_small_model")
def _(run_agent):
    model = FakeModel(shop_brain, context_window=3_000)
    _thread, outcome = _run(run_agent, _GRACE, model)
    assert outcome == "refunded", f"on Grace's long thread with a 3,000-token model the outcome was {outcome!r}, not 'refunded'"
    largest = max(model.transcript.prompt_tokens())
    assert largest <= 3_000, f"a request took {largest} tokens on a 3,000-token model"


@hidden.test("agent_never_sends_cards_or_emails")
def _(run_agent):
    model = FakeModel(shop_brain, context_window=16_000)
    thread, outcome = _run(run_agent, _GRACE, model, budget=12_000)
    sent = "\n".join(request.text(include_system=True) for request in model.transcript.requests)
    assert "bank statement" in sent, "with a budget of 12,000 tokens the agent should send Grace's whole thread"
    leaked = _card_leaks(sent, ["4111 1111 1111 1111"]) + _EMAIL_LIKE.findall(sent)
    assert not leaked, f"the model received {leaked[0]!r}"
    stored = _stored_events(thread)
    for secret in ("4111 1111 1111 1111", "grace.liu.work@example.com", "david.liu@example.org"):
        assert secret in stored, \
            f"the events of the thread run_agent returned no longer hold {secret!r}: the record must stay complete"
    assert outcome == "refunded", f"with the whole history in the context, the outcome was {outcome!r}, not 'refunded'"


@hidden.test("short_tickets_still_work")
def _(run_agent, rng):
    for name in ("damaged_item", "unknown_order", "out_of_window", "where_is_my_order", "change_address"):
        scenario = SCENARIOS[name]
        _, outcome = _run(run_agent, scenario, FakeModel(shop_brain, context_window=3_000))
        assert outcome == scenario.expected.outcome, \
            f"on {name} the outcome was {outcome!r}, not {scenario.expected.outcome!r}"
    for _name, outcome in runs([], rng, ("refunded", "refused", "ask_customer", "answered", "address_updated")):
        _run(run_agent, None, FakeModel(shop_brain, context_window=3_000), drawn=(rng, outcome))

__all__ = ["hidden"]
