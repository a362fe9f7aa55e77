"""Hidden tests of lesson 03, own your context window. Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell (`hidden("grade_id", globals())`);
its parameters are the learner's names, as `Remote` handles on the learner's objects. They check
behaviour: what `redact` and `render_event` return, the messages `build_context` returns (sizes by
this process's `count_message_tokens`, which events they show, in which order), what the stored
thread still holds afterwards, and — for the agent — what the fake model received and what happened
in the shop (both the grader's own). Threads are built in the learner's process from the learner's
event classes: Grace's long thread with real tool results, a drawn customer's refund after a long
drawn thread, and synthetic threads whose every event carries a unique letters-only marker.
Everything judged is plain data: the `.value` of what the learner's code returned.

Inputs are drawn from the grading's seed (`rng`), so no table of known inputs passes: card numbers
(every shape, drawn digits), email addresses, the texts redact must leave alone, the events
render_event shows, the synthetic threads (customer, markers, lengths, secrets), the budgets, and
for the agent drawn tickets (`course.shop.draw_scenario`) after drawn earlier messages, next to
Grace's thread and the named scenarios; every refund or address change must follow a model call.

Each exercise is scored on its own: the tests of 3.2 call the learner's `render_event` with a
scripted stand-in for `redact` (it masks only the secrets of the test's own inputs), and the tests
of 3.3 call `build_context` with a few-line stand-in for `render_event` (the event's fields on one
line, long digit runs and addresses masked: course.grading.stand_ins, which runs in the worker), so an
unfinished or wrong 3.1 or 3.2 costs nothing in 3.3. The agent's tests (`context_smaller_than_stage_2_messages`
and the three after it) score the whole stage-3 agent and use all of the learner's functions.
"""

from __future__ import annotations

import inspect
import itertools
import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from autograder.boundary.remote import Learner, LearnerError, LearnerNotImplemented, Remote
from autograder.hidden import HiddenTests
from autograder.hidden.drawn import Records, effects_follow_calls, runs, words
from course.brain import shop_brain
from course.grading.stand_ins import EMAIL_LIKE as _EMAIL_LIKE
from course.grading.stand_ins import render_fields
from course.llm import FakeModel, count_message_tokens, use_model
from course.shop import (
    DEFAULT_TODAY,
    SCENARIOS,
    HistoryMessage,
    Outcome,
    Scenario,
    Shop,
    Ticket,
    draw_scenario,
    outcome_of,
    use_shop,
)
from course.shop import tools as shop_tools
from course.shop.drawn import draw_address
from course.shop.seed import FIRST_NAMES, LAST_NAMES

hidden = HiddenTests("03")

_GRACE = SCENARIOS["long_thread"]
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


@dataclass(eq=False)
class _Event:
    """One event of a test thread: its class's name, the fields it was made with, the learner's object (made in
    the learner's process with the rest of its thread, in one round trip: `_Kit.thread`)."""

    kind: str
    fields: dict[str, Any]
    made: Remote | None = None

    @property
    def remote(self) -> Remote:
        assert self.made is not None, "a test event is made in the learner's process with its thread"
        return self.made


@dataclass(frozen=True)
class _Thread:
    """A test thread: its ticket and events as this process made them, and the learner's Thread object."""

    ticket: Ticket
    events: list[_Event]
    remote: Remote


class _Kit:
    """The learner's event classes, to build threads with (in the learner's process)."""

    def __init__(self, learner: Learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
                 Finished):
        self.learner = learner
        self.Thread = Thread
        self.classes = {"Earlier": Earlier, "TicketReceived": TicketReceived, "ToolRequested": ToolRequested,
                        "ToolResult": ToolResult, "ToolFailed": ToolFailed, "Finished": Finished}

    def event(self, kind: str, **fields: Any) -> _Event:
        return _Event(kind, fields)

    def thread(self, ticket: Ticket, events: list[_Event]) -> _Thread:
        """The learner's Thread of these events: the ones not made yet are made first, all in one round trip."""
        waiting = [e for e in events if e.made is None]
        for event, made in zip(waiting, self.learner.each([(self.classes[e.kind], e.fields) for e in waiting]),
                               strict=True):
            event.made = made
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

# Card numbers the tests draw digits for, as (digit groups, separator): 16 digits in fours with spaces, dashes or
# nothing, American Express's 4-6-5, and 13 and 19 digits in one run.
_CARD_SHAPES: tuple[tuple[tuple[int, ...], str], ...] = (
    ((4, 4, 4, 4), " "), ((4, 4, 4, 4), "-"), ((16,), ""), ((4, 6, 5), " "), ((13,), ""), ((19,), ""))


def _card(rng: random.Random, shape: tuple[tuple[int, ...], str] | None = None) -> str:
    """A card number of `shape` (else a drawn one) with drawn digits."""
    groups, separator = shape or rng.choice(_CARD_SHAPES)
    digits = str(rng.randint(3, 6)) + "".join(str(rng.randrange(10)) for _ in range(sum(groups) - 1))
    ends = [sum(groups[:i]) for i in range(len(groups) + 1)]
    return separator.join(digits[a:b] for a, b in itertools.pairwise(ends))


def _emails(rng: random.Random) -> list[str]:
    """Email addresses of every shape, drawn: dots in the name, capitals and a plus, underscores and hyphens,
    a plain one."""
    a, b, c, d = words(rng, 4).split("_")
    return [f"{a}.{b}.work@example.com", f"{c.capitalize()}.{a.capitalize()}+orders@{d.capitalize()}.co.uk",
            f"{b}_{c}-{d}@mail-{a}.example.org", f"{d}@{b}.shop"]


def _day(rng: random.Random) -> str:
    return (DEFAULT_TODAY - timedelta(days=rng.randrange(1, 120))).isoformat()


def _money(rng: random.Random, low: int = 5, high: int = 400) -> float:
    return rng.randrange(low * 100, high * 100) / 100


class _Synthetic:
    """A drawn thread whose every event carries a unique marker (letters only, so no redaction touches it)."""

    def __init__(self, kit: _Kit, rng: random.Random, n_history: int, sensitive: bool = False):
        tag = "".join(rng.choice(string.ascii_lowercase) for _ in range(4))
        self.tag = tag
        self.history_marks = [f"mkhist{_letters(i)}{tag}mk" for i in range(n_history)]
        self.required_marks: list[str] = []
        self.cards: list[str] = []
        self.emails: list[str] = []
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{tag}@example.com".lower()
        order, thing = rng.randrange(2000, 10_000), rng.choice(_WORDS)
        ticket = Ticket(ticket_id=rng.randrange(10_000, 100_000), customer_email=email, customer_name=f"{first} {last}",
                        subject=f"Re: the {thing}", body="See below.")
        events: list[_Event] = []
        secret_at = {n_history - 1, n_history - 3, 2}
        for i, mark in enumerate(self.history_marks):
            count = 6 if i == n_history - 1 else rng.randint(15, 110)
            body = f"{mark} " + " ".join(rng.choice(_WORDS) for _ in range(count)) + "."
            if sensitive and i in secret_at:
                card = _card(rng)
                other = f"{rng.choice(_WORDS)}.{_letters(i)}+home@mail-{tag}.example.org"
                body += f" Card {card}, copy {other}."
                self.cards.append(card)
                self.emails.append(other)
            events.append(kit.event("Earlier", sender="customer" if i % 2 == 0 else "agent",
                                    sent_on=f"2026-09-{1 + i % 28:02d}", body=body))
        mark = self._required("ticket")
        body = f"{mark} where is my {thing}? " + " ".join(rng.choice(_WORDS) for _ in range(40))
        if sensitive:
            card = _card(rng)
            body += f" My card {card}, my email " + email
            self.cards.append(card)
            self.emails.append(email)
        events.append(kit.event("TicketReceived", subject=ticket.subject, body=body, customer_email=email))
        price = _money(rng)
        for step in range(rng.randint(1, 3)):
            mark = self._required(f"args{_letters(step)}")
            events.append(kit.event("ToolRequested", name="get_order",
                                    arguments=json.dumps({"order_id": order, "note": mark})))
            mark = self._required(f"result{_letters(step)}")
            result = {"order_id": order, "status": "delivered", "note": mark, "cancelled_on": None,
                      "items": [{"name": rng.choice(_WORDS), "price": price}]}
            if sensitive:
                card = _card(rng)
                result["customer_email"] = email
                result["payment"] = f"card {card}"
                self.cards.append(card)
            events.append(kit.event("ToolResult", name="get_order", result=json.dumps(result)))
        mark = self._required("error")
        args = {"customer_email": email, "body": f"{mark} hello"} if sensitive else {"body": f"{mark} hello"}
        events.append(kit.event("ToolRequested", name="send_message", arguments=json.dumps(args)))
        mark = self._required("failed")
        events.append(kit.event("ToolFailed", name="send_message", error=f"{mark} the mail server timed out" +
                                (f" for {email}" if sensitive else "")))
        mark = self._required("finished")
        events.append(kit.event("Finished", summary=f"{mark} told the customer" + (f" at {email}" if sensitive else "")))
        self.thread = kit.thread(ticket, events)
        self.label = f"a test thread with {n_history} earlier messages"

    def _required(self, what: str) -> str:
        mark = f"mkreq{what}{self.tag}mk"
        self.required_marks.append(mark)
        return mark


# Words of small talk for drawn earlier messages: none names a product, an order, money or a refund, so the shop
# brain reads the ticket after them as it would read it alone.
_CHATTER = ("thanks", "weather", "garden", "neighbour", "weekend", "morning", "holiday", "patience", "friendly",
            "question", "kindly", "cheerful", "sunny", "visiting", "family", "evening", "lovely", "quiet", "village",
            "music", "travel", "cousin", "library", "bicycle", "cinema", "picnic", "meadow", "harbour", "lantern",
            "festival", "orchestra", "sister", "birthday", "postcard", "journey", "pleasant", "gentle", "wonderful")


@dataclass(frozen=True)
class _History:
    """Drawn earlier messages for a ticket, the card numbers and emails written in them, and a phrase of the oldest."""

    messages: tuple[HistoryMessage, ...]
    cards: list[str]
    emails: list[str]
    phrase: str

    def on(self, scenario: Scenario) -> Scenario:
        """`scenario` with these messages as its ticket's earlier thread."""
        return scenario.model_copy(update={"ticket": scenario.ticket.model_copy(update={"history": self.messages})})


def _history(rng: random.Random, n: int, *, shortest: int = 25, longest: int = 70, secrets: int = 0) -> _History:
    """`n` earlier messages of small talk, `secrets` of them carrying a card number and an email address."""
    phrase = " ".join(rng.sample(_CHATTER, 3))
    carrying = set(rng.sample(range(n), min(secrets, n)))
    messages, cards, emails = [], [], []
    day = DEFAULT_TODAY - timedelta(days=n + 10)
    for i in range(n):
        body = " ".join(rng.choice(_CHATTER) for _ in range(rng.randint(shortest, longest)))
        body = (f"{phrase.capitalize()}, " if i == 0 else "") + body.capitalize() + "."
        if i in carrying:
            card, email = _card(rng), f"{words(rng, 2).replace('_', '.')}.{_letters(i)}@{words(rng)}-mail.example.org"
            body += f" My payment details: {card}, expiry {rng.randint(1, 12):02d}/{rng.randint(27, 33)}. " \
                    f"Please copy {email} on everything."
            cards.append(card)
            emails.append(email)
        day += timedelta(days=rng.randint(0, 1))
        messages.append(HistoryMessage(sender="customer" if i % 2 == 0 else "agent", sent_on=day, body=body))
    return _History(tuple(messages), cards, emails, phrase.capitalize())


def _after_the_run(kit: _Kit, db: Shop, scenario: Scenario, reason: str, message: str, summary: str) -> _Thread:
    """A refund's thread as the agent leaves it: the history, the ticket, four real tool calls and results, the end."""
    ticket, amount = scenario.ticket, scenario.expected.refund_amount
    events = [kit.event("Earlier", sender=m.sender, sent_on=m.sent_on.isoformat(), body=m.body) for m in ticket.history]
    events.append(kit.event("TicketReceived", subject=ticket.subject, body=ticket.body,
                            customer_email=ticket.customer_email))
    order = scenario.order_id
    calls = [("get_order", {"order_id": order}),
             ("check_refund_policy", {"order_id": order, "amount": amount}),
             ("issue_refund", {"order_id": order, "amount": amount, "reason": reason, "idempotency_key": f"hidden-{order}"}),
             ("send_message", {"customer_email": ticket.customer_email, "body": message})]
    with use_shop(db):
        for name, args in calls:
            result = getattr(shop_tools, name)(**args)
            events.append(kit.event("ToolRequested", name=name, arguments=json.dumps(args)))
            events.append(kit.event("ToolResult", name=name, result=result.model_dump_json()))
    events.append(kit.event("Finished", summary=summary))
    return kit.thread(ticket, events)


def _grace_after_the_run(kit: _Kit) -> _Thread:
    """Grace's thread as the agent leaves it: her history, the ticket, four real tool calls and results, the end."""
    with Shop.create() as db:
        return _after_the_run(kit, db, _GRACE, "not_received",
                              "Hi Grace,\n\nI've refunded $24.00 for the pillowcases on order 1088.\n\nBrightside Goods support",
                              "Refunded $24.00 on order 1088 and told the customer.")


@dataclass(frozen=True)
class _Finished:
    """A drawn refund's finished thread, what it should show, and the secrets in it."""

    thread: _Thread
    parts: list[str]
    cards: list[str]
    emails: list[str]


def _drawn_after_the_run(kit: _Kit, rng: random.Random) -> _Finished:
    """A drawn customer's refund, finished, after a long drawn thread with card numbers and emails in it."""
    history = _history(rng, rng.randint(30, 45), secrets=rng.randint(2, 4))
    with Shop.create() as db, use_shop(db):
        scenario = history.on(draw_scenario(db, rng, "refunded"))
        amount, order = scenario.expected.refund_amount or 0.0, scenario.order_id
        item = shop_tools.get_order(order).items[0].name
        first = scenario.ticket.customer_name.split()[0]
        message = f"Hi {first},\n\nI've refunded ${amount:.2f} for the {item} on order {order}.\n\nBrightside Goods support"
        summary = f"Refunded ${amount:.2f} on order {order} and told {first}."
        thread = _after_the_run(kit, db, scenario, rng.choice(("damaged", "other")), message, summary)
    ask = scenario.ticket.body.split("\n\n")[1].split(". ")[0]
    return _Finished(thread, [ask, "check_refund_policy", item, message.split("\n\n")[1], summary], history.cards,
                     [*history.emails, scenario.ticket.customer_email])


def _threads(kit: _Kit, rng: random.Random) -> list[tuple[str, _Thread]]:
    synthetic = [_Synthetic(kit, rng, n) for n in (rng.randint(30, 50), rng.randint(15, 35), rng.randint(50, 70))]
    return [("Grace's finished thread", _grace_after_the_run(kit)),
            ("a drawn customer's finished thread", _drawn_after_the_run(kit, rng).thread),
            *((s.label, s.thread) for s in synthetic)]


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

def _scripted_redact(secrets: dict[str, str]) -> Callable[[Remote], str]:
    """Stand-in for the learner's redact in the tests of 3.2: masks only `secrets`, the ones the test drew."""
    def redact(text: Remote) -> str:
        value = text.value
        assert isinstance(value, str), f"render_event passed redact a {text.type}, not the rendered text"
        for secret, mask in secrets.items():
            value = value.replace(secret, mask)
        return value

    return redact


def _unredacted(text: Remote) -> str:
    """Stand-in for the learner's redact where nothing secret is rendered: the text as it is."""
    return text.value if isinstance(text.value, str) else text.shown


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

def _cards(rng: random.Random) -> list[str]:
    """A card number of every shape, and two more, with drawn digits, in a drawn order."""
    cards = [_card(rng, shape) for shape in _CARD_SHAPES] + [_card(rng) for _ in range(2)]
    rng.shuffle(cards)
    return cards


@hidden.test("redact_masks_cards_and_emails")
def _(redact, rng):
    expiry = f"{rng.randint(1, 12):02d}/{rng.randint(27, 33)}"
    for card in _cards(rng):
        for text in (f"The card is {card}, expiry {expiry}.", f"({card})", f"card:{card}.", card):
            got = redact(text)
            assert got.isa("str") and isinstance(got.value, str), f"redact should return a str, not {got.type}"
            shown, got = _shown(got), got.value
            assert not _card_leaks(got, [card]), f"redact({text!r}) returned {shown}: the card number is still readable"
            assert "[card]" in got, f"redact({text!r}) returned {shown}: mask a card number as [card]"
    emails = _emails(rng)
    rng.shuffle(emails)
    for email in emails:
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
    (one, two), (three, four) = rng.sample(_cards(rng), 2), rng.sample(_emails(rng), 2)
    text = f"Card {one} and {two}; mail {three} or {four}."
    got = redact(text)
    shown, got = _shown(got), got.value
    assert got.count("[card]") == 2 and got.count("[email]") == 2, \
        f"redact({text!r}) returned {shown}: every card number and every address should be masked"


def _plain_texts(rng: random.Random) -> list[str]:
    """Texts with nothing sensitive in them, drawn: order numbers, amounts, dates, ZIP codes, tracking numbers."""
    first, second, third = rng.sample(range(1000, 10_000), 3)
    tracking = "9400" + "".join(str(rng.randrange(10)) for _ in range(18))
    reference = f"{rng.randrange(10_000, 100_000)}-{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}"
    phone = f"{rng.randrange(200, 1000)}-555-{rng.randrange(10_000):04d}"
    at = f"{rng.randrange(8, 20)}:{rng.choice(('00', '15', '30', '45'))}"
    return [
        f"Please refund ${_money(rng):.2f} on order {first}.",
        f"Orders {first}, {second} and {third} were placed on {_day(rng)} and {_day(rng)}.",
        f"Tracking number {tracking}, case reference {reference}.",
        f"Ship to {draw_address(rng)} or {draw_address(rng)}-{rng.randrange(1000, 10_000)}.",
        f"Call {phone} before {at}; the TV cost ${_money(rng, 100, 1000):.2f} (order #{second}), "
        f"expiry {rng.randint(1, 12):02d}/{rng.randint(27, 33)}.",
        f"A refund of ${rng.randint(1, 9)},{rng.randrange(1000):03d}.{rng.randrange(100):02d} needs approval; "
        f"the limit is ${rng.choice((50, 100, 150, 200))}.00.",
        "Reply to the email on your account, not to this one.",
    ]


@hidden.test("redact_keeps_everything_else")
def _(redact, rng):
    for text in _plain_texts(rng):
        got = redact(text)
        assert got.isa("str") and got.value == text, f"nothing in {text!r} is sensitive, but redact changed it to {_shown(got)}"
    order, card = rng.randrange(1000, 10_000), _card(rng, ((4, 4, 4, 4), " "))
    tracking = "9400" + "".join(str(rng.randrange(10)) for _ in range(18))
    amount, day = f"${_money(rng):.2f}", _day(rng)
    text = f"Order {order}: card {card}, refund {amount} on {day}, tracking {tracking}."
    got = redact(text)
    shown, got = _shown(got), got.value
    assert isinstance(got, str) and not _card_leaks(got, [card]) and "[card]" in got, \
        f"redact({text!r}) returned {shown}: the card number should be masked, and only the card number"
    for part in (f"Order {order}", amount, day, tracking):
        assert part in got, f"redact({text!r}) returned {shown}: {part!r} should survive next to a masked card"


# --- 3.2 render_event ----------------------------------------------------------------------------

_TOOL_NAMES = ("get_order", "check_refund_policy", "issue_refund", "track_shipment", "update_address", "send_message")


@hidden.test("render_event_shows_every_kind")
@_standing_in(redact=_unredacted)
def _(render_event, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished, rng):
    order, amount, day, eta = rng.randrange(2000, 10_000), _money(rng), _day(rng), _day(rng)
    note = f"The {words(rng)} is on {rng.choice(('backorder', 'its way', 'hold'))}."
    subject = f"{words(rng).capitalize()} missing"
    ask = f"Please refund the ${rng.randrange(5, 400)}."
    asked, failed = rng.choice(("check_refund_policy", "issue_refund")), rng.choice(_TOOL_NAMES)
    looked = rng.choice(("track_shipment", "get_order"))
    carrier, status = rng.choice(("UPS", "USPS", "FedEx", "DHL")), rng.choice(("in_transit", "label_created", "delayed"))
    refusal = f"Refunds are only possible within {rng.choice((14, 21, 45, 60, 90))} days of delivery."
    summary, sender = f"Refunded ${amount:.2f} on order {order}.", rng.choice(("agent", "customer"))
    cases = [
        (Earlier(sender=sender, sent_on=day, body=note), [note, sender, day]),
        (TicketReceived(subject=subject, body=ask, customer_email=f"{words(rng)}@example.com"), [subject, ask]),
        (ToolRequested(name=asked, arguments=json.dumps({"order_id": order, "amount": amount})),
         [asked, str(order), str(amount)]),
        (ToolResult(name=looked, result=json.dumps({"carrier": carrier, "status": status, "eta": eta})),
         [looked, carrier, status, eta]),
        (ToolFailed(name=failed, error=refusal), [failed, refusal]),
        (Finished(summary=summary), [summary]),
    ]
    rng.shuffle(cases)
    for event, parts in cases:
        got = render_event(event)
        shown, value = _shown(got), got.value
        assert got.isa("str") and isinstance(value, str) and value.strip(), \
            f"render_event should return the event as text; for a {event.type} it returned {shown}"
        for part in parts:
            assert part in value, f"a rendered {event.type} should show {part!r}; got {shown}"
    unknown = rng.randrange(2000, 10_000)
    error = render_event(ToolFailed(name="get_order", error=f"No order {unknown}."))
    result = render_event(ToolResult(name="get_order", result=json.dumps({"order_id": unknown})))
    assert error.value != result.value, "a failed tool call and a tool result should not render the same way"


@hidden.test("render_event_is_compact_and_redacted")
def _(render_event, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished, learner, rng):
    with Shop.create() as db, use_shop(db):
        scenario = draw_scenario(db, rng, rng.choice(("refunded", "refused")))
        order = shop_tools.get_order(scenario.order_id).model_dump_json()
        decision = shop_tools.check_refund_policy(scenario.order_id, _money(rng, 5, 150)).model_dump_json()
    customer = scenario.ticket.customer_email
    card, email = _card(rng, ((4, 4, 4, 4), "-")), rng.choice(_emails(rng))
    with learner.stand_ins(redact=_scripted_redact({card: "[card]", email: "[email]", customer: "[email]"})):
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
        assert customer not in render_event(ToolResult(name="get_order", result=order)).value, \
            "the email address in a get_order result reached the rendered text"
        events = [
            Earlier(sender="customer", sent_on=_day(rng), body=f"The card is {card}; copy {email}."),
            TicketReceived(subject=f"Card {card}", body=f"Refund to {card}, receipt to {email}.", customer_email=email),
            ToolRequested(name="send_message", arguments=json.dumps({"customer_email": email, "body": f"card {card}"})),
            ToolResult(name=f"lookup_{words(rng)}", result=json.dumps({"email": email, "note": f"card {card}"})),
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
@_standing_in(render_event=render_fields)
def _(rng, build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
      Finished, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    fresh = kit.thread(_GRACE.ticket, _grace_after_the_run(kit).events[:41])
    for label, thread in [("Grace's new thread", fresh), *_threads(kit, rng)]:
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
@_standing_in(render_event=render_fields)
def _(rng, build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
      Finished, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for n in (rng.randint(30, 50), rng.randint(15, 35), rng.randint(50, 70), rng.randint(5, 12)):
        case = _Synthetic(kit, rng, n)
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
    drawn = _drawn_after_the_run(kit, rng)
    grace = ("Grace's finished thread", _grace_after_the_run(kit),
             ["please just refund the $24 for the pillowcases", "check_refund_policy", "Linen Pillowcase Set",
              "I've refunded $24.00 for the pillowcases", "Refunded $24.00 on order 1088"])
    for label, thread, parts in (grace, ("a drawn customer's finished thread", drawn.thread, drawn.parts)):
        text = _text(_build(build_context, None, thread, 1_800))
        for part in parts:
            assert part in text, f"with a budget of 1,800 tokens, the context for {label} lacks {part!r}"


@hidden.test("history_dropped_oldest_first")
@_standing_in(render_event=render_fields)
def _(rng, build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed,
      Finished, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for n in (rng.randint(30, 50), rng.randint(15, 35), rng.randint(50, 70)):
        case = _Synthetic(kit, rng, n)
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
@_standing_in(render_event=render_fields)
def _(build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished,
      rng, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for label, thread in _threads(kit, rng):
        for budget in (1_200, 1_800, rng.randrange(1_000, 4_000), _HUGE):
            try:
                first = build_context(thread.remote, budget)
            except LearnerNotImplemented:
                raise
            except LearnerError as error:
                if not error.isa(ContextTooLong):
                    raise
                continue
            _messages(first)  # something to compare: a list of chat messages
            value = first.value
            again = build_context(thread.remote, budget).value
            copy = build_context(thread.remote.model_copy(deep=True), budget).value
            assert value == again, f"for {label} and a budget of {budget}, two calls gave different contexts"
            assert value == copy, \
                f"for {label} and a budget of {budget}, an identical copy of the thread gave a different context"


def _stored_events(thread: Remote) -> str:
    """The events a thread in the learner's process holds now, each as its stored JSON."""
    return "\n".join(event.model_dump_json().value for event in thread.events)


@hidden.test("sensitive_data_stays_in_the_thread")
@_standing_in(render_event=render_fields)
def _(build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished,
      rng, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    cases = [_Synthetic(kit, rng, n, sensitive=True) for n in (rng.randint(8, 16), rng.randint(24, 36))]
    grace, drawn = _grace_after_the_run(kit), _drawn_after_the_run(kit, rng)
    checks = [(c.label + " (with card numbers and emails)", c.thread, c.cards, c.emails) for c in cases]
    checks.append(("Grace's finished thread", grace, ["4111 1111 1111 1111"],
                   ["grace.liu@example.com", "grace.liu.work@example.com", "david.liu@example.org"]))
    checks.append(("a drawn customer's finished thread", drawn.thread, drawn.cards, drawn.emails))
    rng.shuffle(checks)
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
@_standing_in(render_event=render_fields)
def _(build_context, ContextTooLong, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished,
      rng, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    long_body = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2_300, 2_600)))  # about 4,000 tokens
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email, order = f"{first}.{last}.{rng.randrange(100, 1000)}@example.com".lower(), rng.randrange(2000, 10_000)
    ticket = Ticket(ticket_id=rng.randrange(10_000, 100_000), customer_email=email, customer_name=f"{first} {last}",
                    subject="A very long letter", body=long_body)
    big_ticket = kit.thread(ticket, [
        kit.event("Earlier", sender="customer", sent_on=_day(rng), body=f"Hello, {words(rng)}."),
        kit.event("TicketReceived", subject="A very long letter", body=long_body, customer_email=email)])
    big_result = kit.thread(ticket, [
        kit.event("TicketReceived", subject="Short", body=f"Where is order {order}?", customer_email=email),
        kit.event("ToolRequested", name="get_order", arguments=json.dumps({"order_id": order})),
        kit.event("ToolResult", name="get_order", result=json.dumps({"order_id": order, "notes": long_body}))])
    grace = _grace_after_the_run(kit)
    cases = [("a ticket of about 4,000 tokens", big_ticket, rng.randrange(1_200, 2_400)),
             ("a tool result of about 4,000 tokens", big_result, rng.randrange(1_200, 2_400)),
             ("Grace's finished thread", grace, rng.randrange(100, 300))]
    rng.shuffle(cases)
    for label, thread, budget in cases:
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
def _(build_context, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished, rng, learner):
    kit = _Kit(learner, Thread, Earlier, TicketReceived, ToolRequested, ToolResult, ToolFailed, Finished)
    for label, thread in (("Grace's finished thread", _grace_after_the_run(kit)),
                          ("a drawn customer's finished thread", _drawn_after_the_run(kit, rng).thread)):
        before = count_message_tokens(_stage_2_messages(thread))
        now = _size(_build(build_context, None, thread, 1_800))
        assert now < before, (f"for {label} the context takes {now} tokens, the stage-2 message list "
                              f"{before}: the context should be the smaller one")


# Outcomes the stage-3 agent can reach on a drawn ticket (it has no way to ask for approval yet).
_AGENT_OUTCOMES: tuple[Outcome, ...] = ("refunded", "refused", "ask_customer", "answered", "address_updated")


def _drawn(rng: random.Random, outcome: Outcome, history: _History) -> Callable[[Shop], Scenario]:
    """A ticket to draw into the agent's shop, after `history`, that should end with `outcome`."""
    return lambda db: history.on(draw_scenario(db, rng, outcome))


def _label(scenario: Scenario) -> str:
    return scenario.name if SCENARIOS.get(scenario.name) == scenario else f"a drawn ticket (#{scenario.ticket.ticket_id})"


def _run(run_agent: Remote, scenario: Scenario | Callable[[Shop], Scenario], model: FakeModel,
         **kwargs: Any) -> tuple[Remote, str]:
    """Run the agent on `scenario` in a fresh shop, or on a ticket `scenario(shop)` draws into it; return (thread,
    outcome). Every effect must follow a call of the model, and a drawn ticket must reach its expected outcome."""
    with Shop.create() as db, use_shop(db), use_model(model):
        drawn = not isinstance(scenario, Scenario)
        if drawn:
            scenario = scenario(db)
        where = _label(scenario)
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
            raise AssertionError(f"on {where}, the model rejected a request: {message}") from None
        outcome = outcome_of(db, scenario, called=[name for name, _ in model.transcript.tool_calls()])
        effects_follow_calls(db, model.transcript.tool_calls(), before, where=f"on {where}")
    if drawn:
        assert outcome == scenario.expected.outcome, \
            f"on {where} the outcome was {outcome!r}, not {scenario.expected.outcome!r}"
    return thread, outcome


@hidden.test("long_thread_completes_on_a_small_model")
def _(run_agent, rng):
    model = FakeModel(shop_brain, context_window=3_000)
    _thread, outcome = _run(run_agent, _GRACE, model)
    assert outcome == "refunded", f"on Grace's long thread with a 3,000-token model the outcome was {outcome!r}, not 'refunded'"
    largest = max(model.transcript.prompt_tokens())
    assert largest <= 3_000, f"a request took {largest} tokens on a 3,000-token model"
    history = _history(rng, rng.randint(35, 50))
    model = FakeModel(shop_brain, context_window=3_000)
    # an outcome that needs the ticket read (an agent that reads nothing can still ask which order it is about)
    outcome = rng.choice([outcome for outcome in _AGENT_OUTCOMES if outcome != "ask_customer"])
    _run(run_agent, _drawn(rng, outcome, history), model)
    largest = max(model.transcript.prompt_tokens())
    assert largest <= 3_000, f"on a drawn long thread, a request took {largest} tokens on a 3,000-token model"


def _nothing_secret_sent(run_agent: Remote, scenario: Scenario | Callable[[Shop], Scenario], label: str,
                         phrase: str, cards: list[str], emails: list[str]) -> str:
    """Run the agent with room for the whole thread; check the model saw it all, but no card or email; the outcome."""
    model = FakeModel(shop_brain, context_window=16_000)
    thread, outcome = _run(run_agent, scenario, model, budget=12_000)
    sent = "\n".join(request.text(include_system=True) for request in model.transcript.requests)
    assert phrase in sent, f"with a budget of 12,000 tokens the agent should send {label} whole"
    leaked = _card_leaks(sent, cards) + _EMAIL_LIKE.findall(sent)
    assert not leaked, f"the model received {leaked[0]!r}"
    stored = _stored_events(thread)
    for secret in [*cards, *emails]:
        assert secret in stored, \
            f"the events of the thread run_agent returned no longer hold {secret!r}: the record must stay complete"
    return outcome


@hidden.test("agent_never_sends_cards_or_emails")
def _(run_agent, rng):
    outcome = _nothing_secret_sent(run_agent, _GRACE, "Grace's thread", "bank statement", ["4111 1111 1111 1111"],
                                   ["grace.liu.work@example.com", "david.liu@example.org"])
    assert outcome == "refunded", f"with the whole history in the context, the outcome was {outcome!r}, not 'refunded'"
    history = _history(rng, rng.randint(20, 35), secrets=rng.randint(2, 4))
    _nothing_secret_sent(run_agent, _drawn(rng, rng.choice(_AGENT_OUTCOMES), history), "a drawn ticket's thread",
                         history.phrase, history.cards, history.emails)


@hidden.test("short_tickets_still_work")
def _(run_agent, rng):
    for name in ("damaged_item", "unknown_order", "out_of_window", "where_is_my_order", "change_address"):
        scenario = SCENARIOS[name]
        _, outcome = _run(run_agent, scenario, FakeModel(shop_brain, context_window=3_000))
        assert outcome == scenario.expected.outcome, \
            f"on {name} the outcome was {outcome!r}, not {scenario.expected.outcome!r}"
    for _name, outcome in runs([], rng, _AGENT_OUTCOMES):  # drawn tickets, each after a few short earlier messages
        history = _history(rng, rng.randint(1, 3), shortest=8, longest=25)
        _run(run_agent, _drawn(rng, outcome, history), FakeModel(shop_brain, context_window=3_000))

__all__ = ["hidden"]
