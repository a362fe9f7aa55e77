"""Visible checks of lesson 03, own your context window: `check("3.1")` … `check("3.3")` in the notebook.

Cheap and public, worth no points: they try each behaviour the exercise asks for, on inputs of their
own (Omar's order 1091, a short thread of numbered messages), and say what to fix. The hidden tests
carry the points and try many more inputs. Where a check needs an earlier exercise it runs with a
simple stand-in of its own (the notebook's function is put back afterwards): `redact` in the format
checks of 3.2, `render_event` in the checks of 3.3; so each exercise can be checked on its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from course.grading import visible
from course.llm import count_message_tokens
from course.shop import HistoryMessage, Ticket

_CARDS = ["5105 1051 0510 5100", "5105-1051-0510-5100", "5105105105105100", "3714 496353 98431", "371449635398431",
          "6011000000000004", "4000056655665"]
_EMAILS = ["omar.haddad@example.net", "Omar.Haddad+returns@Shop-Mail.Example.com"]
_PLAIN = "Order 1091 of 2026-11-14: $36.50 for the lamp, tracking 9205590175547700027199, ZIP 94110-2211."
_SECRET_CARD, _SECRET_EMAIL = "5105-1051-0510-5100", "omar.haddad@example.net"


def _given(ns, name):
    """A name the notebook gives (not the learner's answer), so an unfinished exercise names only the learner's function."""
    assert name in ns, f"`{name}` is not defined: run the cell above that defines it."
    return ns[name]


@contextmanager
def _standing_in(ns, **functions: Callable[..., Any]) -> Iterator[None]:
    """Run with these functions in place of the notebook's, then put the notebook's own back."""
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


def _masked(text: str) -> str:
    """A stand-in for redact: masks the card number and the address these checks use, nothing else."""
    return text.replace(_SECRET_CARD, "[card]").replace(_SECRET_EMAIL, "[email]")


def _plain_render(event) -> str:
    """A stand-in for render_event: the event's fields on one line, masked."""
    fields = event.model_dump(mode="json")
    return _masked(f"<{fields.pop('kind', '?')} " + " ".join(str(v) for v in fields.values()) + ">")


def _ready(ns, name: str, exercise: str, *args):
    """Call an earlier exercise's function, saying which exercise to finish first if it still raises NotImplementedError."""
    try:
        return _given(ns, name)(*args)
    except NotImplementedError:
        raise AssertionError(f"`{name}` still raises NotImplementedError: finish Exercise {exercise} first") from None


# --- 3.1 redact ----------------------------------------------------------------------------------

@visible("3.1", hint="A card is 13 to 19 digits, each maybe followed by one space or dash: see the hint above the exercise.")
def redact_masks_cards_in_every_spacing(redact):
    for card in _CARDS:
        text = f"I paid with {card} last week."
        got = redact(text)
        assert isinstance(got, str), f"redact should return a str, not {type(got).__name__}"
        assert got == "I paid with [card] last week.", \
            f"redact({text!r}) returned {got!r}: mask the whole card number as [card]"


@visible("3.1", hint="Letters of either case, digits, dots, + and - before the @; a domain of labels joined by dots.")
def redact_masks_emails_of_every_shape(redact):
    for email in _EMAILS:
        text = f"Reply to {email}, please."
        got = redact(text)
        assert got == "Reply to [email], please.", f"redact({text!r}) returned {got!r}: mask the whole address as [email]"


@visible("3.1", hint="The full stop after an address ends the sentence: a domain label never ends with a dot.")
def redact_keeps_the_full_stop_after_an_email(redact):
    text = f"My address is {_EMAILS[0]}."
    got = redact(text)
    assert got == "My address is [email].", f"redact({text!r}) returned {got!r}: keep the full stop that ends the sentence"


@visible("3.1", hint="\\b at both ends keeps CARD from matching inside a longer number; dates, amounts and ZIP codes stay.")
def redact_keeps_numbers_that_are_not_cards(redact):
    got = redact(_PLAIN)
    assert got == _PLAIN, f"nothing in {_PLAIN!r} is sensitive, but redact changed it to {got!r}"
    text = f"Card {_CARDS[0]}, mail {_EMAILS[0]}; {_PLAIN}"
    got = redact(text)
    assert got == f"Card [card], mail [email]; {_PLAIN}", \
        f"redact({text!r}) returned {got!r}: mask the card and the address, and leave the rest as it was"


# --- 3.2 render_event ----------------------------------------------------------------------------

def _events(ns) -> list:
    """One event of each kind, with Omar's card number and address in every one."""
    card, email = _SECRET_CARD, _SECRET_EMAIL
    return [
        _given(ns, "Earlier")(sender="agent", sent_on="2026-11-02", body=f"The lamp ships today; card {card}, {email}."),
        _given(ns, "TicketReceived")(subject=f"Lamp for {email}", body=f"The lamp is bent. Card {card}.",
                                     customer_email=email),
        _given(ns, "ToolRequested")(name="send_message", arguments=json.dumps({"body": f"card {card}, {email}"})),
        _given(ns, "ToolResult")(name="lookup_customer", result=json.dumps({"email": email, "note": f"card {card}"})),
        _given(ns, "ToolFailed")(name="track_shipment", error=f"No shipment for {email} (card {card})."),
        _given(ns, "Finished")(summary=f"Wrote to {email} about card {card}."),
    ]


@visible("3.2", hint="One case per event class, each returning its tag with the event's fields, as in the table.")
def renders_every_kind_of_event(render_event, ns):
    with _standing_in(ns, redact=_masked):
        _renders_every_kind_of_event(render_event, ns)


def _renders_every_kind_of_event(render_event, ns):
    cases = [
        (_given(ns, "Earlier")(sender="agent", sent_on="2026-11-02", body="The lamp ships today."),
         ["The lamp ships today.", "agent", "2026-11-02", "<earlier"]),
        (_given(ns, "TicketReceived")(subject="Bent lamp", body="The lamp arrived bent.", customer_email="o@example.net"),
         ["Bent lamp", "The lamp arrived bent.", "<ticket"]),
        (_given(ns, "ToolRequested")(name="track_shipment", arguments='{"order_id": 1091}'),
         ["<track_shipment>", '{"order_id": 1091}']),
        (_given(ns, "ToolFailed")(name="track_shipment", error="No shipment for order 1091."),
         ["<track_shipment_error>", "No shipment for order 1091."]),
        (_given(ns, "Finished")(summary="Told Omar his lamp ships today."), ["<finished>", "Told Omar his lamp ships today."]),
    ]
    for event, parts in cases:
        got = render_event(event)
        assert isinstance(got, str) and got.strip(), \
            f"render_event should return the event as text; for a {type(event).__name__} it returned {got!r}"
        for part in parts:
            assert part in got, f"a rendered {type(event).__name__} should show {part!r}: got {got!r}"


@visible("3.2", hint="For a ToolResult: compact(json.loads(result)) between <name_result> tags.")
def renders_a_tool_result_compactly(render_event, ns):
    with _standing_in(ns, redact=_masked):
        _renders_a_tool_result_compactly(render_event, ns)


def _renders_a_tool_result_compactly(render_event, ns):
    result = json.dumps({"order_id": 1091, "status": "shipped", "carrier": "UPS", "refunded_on": None, "items": [],
                         "total": 36.5})
    got = render_event(_given(ns, "ToolResult")(name="track_shipment", result=result))
    assert "<track_shipment_result>" in got, f"a tool result should sit in <track_shipment_result> tags: got {got!r}"
    for line in ("order_id: 1091", "status: shipped", "carrier: UPS", "total: 36.5"):
        assert line in got, f"write the result with compact(...), one `key: value` per line: {line!r} is missing from {got!r}"
    assert '"' not in got and "{" not in got, f"no JSON quotes or braces in a compact result: got {got!r}"
    assert "refunded_on" not in got and "items" not in got, f"empty fields are left out: got {got!r}"


@visible("3.2", hint="Build the whole text first, whatever the kind, then return redact(text).")
def every_kind_of_event_is_redacted(render_event, ns):
    probe = _ready(ns, "redact", "3.1", f"card {_SECRET_CARD}, {_SECRET_EMAIL}")
    assert _SECRET_CARD not in probe and _SECRET_EMAIL not in probe, \
        f"redact(...) does not mask {_SECRET_CARD} and {_SECRET_EMAIL} yet: finish Exercise 3.1 first"
    for event in _events(ns):
        got = render_event(event)
        assert isinstance(got, str) and got.strip(), f"a {type(event).__name__} rendered as {got!r}"
        assert _SECRET_CARD not in got and _SECRET_EMAIL not in got, \
            f"a rendered {type(event).__name__} still shows the card number or the address: {got!r}"


# --- 3.3 build_context ---------------------------------------------------------------------------

_MARKS = [f"note{i:02d}" for i in range(1, 21)]


def _omar_thread(ns):
    """Omar's thread: 20 numbered earlier messages (the 5th has his card and address), the ticket, one tool call."""
    history = [HistoryMessage(sender="customer" if i % 2 else "agent", sent_on=dt.date(2026, 10, 1 + i),
                              body=f"{mark}: " + "the lamp order, the shade and the bulb, " * (2 + i % 3) +
                                   (f"card {_SECRET_CARD}, {_SECRET_EMAIL}" if i == 4 else "thanks"))
               for i, mark in enumerate(_MARKS)]
    ticket = Ticket(ticket_id=731, customer_email=_SECRET_EMAIL, customer_name="Omar Haddad",
                    subject="Re: order 1091", body="ticketmark: the lamp arrived bent, please replace it.",
                    history=history)
    thread = _given(ns, "thread_for")(ticket)
    thread.events.append(_given(ns, "ToolRequested")(name="get_order", arguments='{"order_id": 1091}'))
    thread.events.append(_given(ns, "ToolResult")(name="get_order", result='{"order_id": 1091, "status": "delivered", '
                                                                           '"resultmark": "yes"}'))
    return thread


def _context(build_context, thread, budget: int) -> str:
    messages = build_context(thread, budget)
    assert isinstance(messages, list) and messages and all(isinstance(m, dict) and "role" in m and "content" in m
                                                           for m in messages), \
        "build_context should return a list of chat messages: dicts with 'role' and 'content'"
    used = count_message_tokens(messages)
    assert used <= budget, f"Omar's thread took {used} tokens with a budget of {budget}"
    return "\n".join(str(m.get("content") or "") for m in messages)


def _kept(text: str) -> list[int]:
    return [i for i, mark in enumerate(_MARKS) if mark in text]


@visible("3.3", hint="Render the TicketReceived event and every event after it with render_event; they always go in.")
def ticket_and_later_events_fit_the_budget(build_context, ns):
    with _standing_in(ns, render_event=_plain_render):  # 3.3 is checked on its own
        thread, ContextTooLong = _omar_thread(ns), _given(ns, "ContextTooLong")
        for budget in range(100, 1_000, 3):
            try:
                used = count_message_tokens(build_context(thread, budget))
            except ContextTooLong:
                raise AssertionError(f"build_context(thread, {budget}) raised ContextTooLong, but Omar's ticket and the "
                                     "events since it, each rendered with render_event, fit in 100 tokens: drop earlier messages until the rest fits") from None
            assert used <= budget, (f"with a budget of {budget}, Omar's context took {used} tokens, as count_message_tokens "
                                    "counts them (4 more per message than its text)")
        text = _context(build_context, thread, 400)
        found = [text.find(mark) for mark in ("ticketmark", "get_order", "resultmark")]
        assert -1 not in found, "with a budget of 400 the context lacks the ticket or the tool call and result after it"
        assert found == sorted(found), "the ticket and the events after it are out of order"


@visible("3.3", hint="With room for everything, every earlier message goes in, oldest first, and no note.")
def room_for_everything_keeps_everything(build_context, ns):
    with _standing_in(ns, render_event=_plain_render):  # 3.3 is checked on its own
        text = _context(build_context, _omar_thread(ns), 100_000)
        kept = _kept(text)
        assert kept == list(range(20)), f"with room for everything the context kept earlier messages {[i + 1 for i in kept]} of 1-20"
        assert [text.find(m) for m in _MARKS] == sorted(text.find(m) for m in _MARKS), "the earlier messages are out of order"


@visible("3.3", hint="Drop 0, 1, 2, ... of the oldest; return the first context that fits, with <omitted>N earlier messages</omitted>.")
def oldest_history_is_dropped_first_with_a_note(build_context, ns):
    with _standing_in(ns, render_event=_plain_render):  # 3.3 is checked on its own
        text = _context(build_context, _omar_thread(ns), 500)
        kept = _kept(text)
        assert kept, "with a budget of 500 there is room for some earlier messages, but the context kept none"
        assert kept == list(range(20 - len(kept), 20)), \
            f"with a budget of 500 the context kept earlier messages {[i + 1 for i in kept]} of 1-20: drop the oldest first"
        assert len(kept) < 20, "with a budget of 500 not all 20 earlier messages fit, but the context kept them all"
        dropped = 20 - len(kept)
        before = text[:text.find(_MARKS[kept[0]])]
        assert str(dropped) in before, f"{dropped} earlier messages were dropped, but no note where they were says how many"


@visible("3.3", hint="Build from the events, change nothing in them, and use nothing that changes between calls.")
def the_thread_stays_as_it_was(build_context, ns):
    with _standing_in(ns, render_event=_plain_render):  # 3.3 is checked on its own
        thread = _omar_thread(ns)
        stored = thread.model_dump_json()
        first = build_context(thread, 100_000)
        assert thread.model_dump_json() == stored, \
            "build_context changed the stored thread: the thread is the record; redact only the text you render"
        assert build_context(thread, 100_000) == first, "two calls with the same thread and budget gave different contexts"
        text = "\n".join(str(m.get("content") or "") for m in first)
        assert _SECRET_CARD not in text and _SECRET_EMAIL not in text, \
            "the context shows Omar's card number or address: render each event with render_event"


@visible("3.3", hint="When even the ticket and the events since it do not fit, raise ContextTooLong(...).")
def too_small_a_budget_is_an_error(build_context, ns):
    with _standing_in(ns, render_event=_plain_render):  # 3.3 is checked on its own
        thread = _omar_thread(ns)
        ContextTooLong = _given(ns, "ContextTooLong")
        try:
            messages = build_context(thread, 40)
        except ContextTooLong:
            return
        raise AssertionError(f"with a budget of 40 tokens build_context returned {count_message_tokens(messages)} tokens "
                             "instead of raising ContextTooLong")

__all__: list[str] = []  # the checks register themselves with course.grading.visible on import
