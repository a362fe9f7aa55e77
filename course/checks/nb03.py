"""Visible checks of lesson 03, own your context window: `check("3.1")` … `check("3.3")` in the notebook.

Cheap and public, worth no points: they catch the obvious before the hidden tests run.
"""

from __future__ import annotations

from course.grading import visible
from course.llm import count_message_tokens
from course.shop import SCENARIOS

_GRACE = SCENARIOS["long_thread"].ticket


def _given(ns, name):
    """A name the notebook gives (not the learner's answer), so an unfinished exercise names only the learner's function."""
    assert name in ns, f"`{name}` is not defined: run the cell above that defines it."
    return ns[name]


# --- 3.1 redact ----------------------------------------------------------------------------------

@visible("3.1", hint="Two re.sub calls: CARD.sub('[card]', ...) and EMAIL.sub('[email]', ...).")
def redact_masks_a_card_and_an_email(redact):
    text = "My card is 4111 1111 1111 1111; send the receipt to grace.liu.work@example.com please."
    got = redact(text)
    assert isinstance(got, str), f"redact should return a str, not {type(got).__name__}"
    assert "4111 1111 1111 1111" not in got, f"the card number is still there: {got!r}"
    assert "grace.liu.work@example.com" not in got, f"the email address is still there: {got!r}"
    assert "[card]" in got and "[email]" in got, f"mask them as [card] and [email]: got {got!r}"


@visible("3.1", hint="Only runs of 13 to 19 digits are card numbers; \\b keeps a pattern from matching inside a number.")
def redact_keeps_order_numbers_and_amounts(redact):
    text = "Please refund $24.00 on order 1088, delivered 2026-10-30."
    got = redact(text)
    assert got == text, f"nothing in {text!r} is sensitive, but redact changed it to {got!r}"


# --- 3.2 render_event ----------------------------------------------------------------------------

@visible("3.2", hint="case Earlier(sender=sender, sent_on=sent_on, body=body): f'<earlier from=\"{sender}\" on=\"{sent_on}\">{body}</earlier>'")
def renders_an_earlier_message(render_event, ns):
    Earlier = _given(ns, "Earlier")
    got = render_event(Earlier(sender="customer", sent_on="2026-10-05", body="Could you gift wrap it?"))
    assert isinstance(got, str), f"render_event should return a str, not {type(got).__name__}"
    for part in ("Could you gift wrap it?", "customer", "2026-10-05"):
        assert part in got, f"an earlier message should show its {part!r}: got {got!r}"


@visible("3.2", hint="For a ToolResult: compact(json.loads(result)) between <name_result> tags.")
def renders_a_tool_result_compactly(render_event, ns):
    ToolResult = _given(ns, "ToolResult")
    result = '{"order_id": 1088, "status": "delivered", "cancelled_on": null}'
    got = render_event(ToolResult(name="get_order", result=result))
    assert "get_order" in got, f"a tool result should name its tool: got {got!r}"
    assert "order_id: 1088" in got and "status: delivered" in got, f"write the result with compact(...): got {got!r}"
    assert '"' not in got and "{" not in got, f"no JSON quotes or braces in a compact result: got {got!r}"
    assert "cancelled_on" not in got, f"empty fields are left out: got {got!r}"


@visible("3.2", hint="Pass the whole rendered text through redact before returning it.")
def rendered_events_are_redacted(render_event, ns):
    Earlier = _given(ns, "Earlier")
    got = render_event(Earlier(sender="customer", sent_on="2026-10-15", body="The card is 4111 1111 1111 1111."))
    assert "4111 1111 1111 1111" not in got, f"the card number reached the rendered text: {got!r}"


# --- 3.3 build_context ---------------------------------------------------------------------------

@visible("3.3", hint="Try dropping 0, 1, 2, ... earlier messages; return the first list of messages that fits.")
def grace_fits_the_budget(build_context, ns):
    thread = _given(ns, "thread_for")(_GRACE)
    messages = build_context(thread, 1_800)
    assert isinstance(messages, list) and messages and all(isinstance(m, dict) and "role" in m and "content" in m
                                                           for m in messages), \
        "build_context should return a list of chat messages: dicts with 'role' and 'content'"
    used = count_message_tokens(messages)
    assert used <= 1_800, f"Grace's thread took {used} tokens with a budget of 1,800"
    text = "\n".join(str(m.get("content") or "") for m in messages)
    assert "please just refund the $24 for the pillowcases" in text, "the context should hold Grace's ticket"


@visible("3.3", hint="When even the ticket and the events since it do not fit, raise ContextTooLong(...).")
def too_small_a_budget_is_an_error(build_context, ns):
    thread = _given(ns, "thread_for")(_GRACE)
    ContextTooLong = _given(ns, "ContextTooLong")
    try:
        messages = build_context(thread, 100)
    except ContextTooLong:
        return
    raise AssertionError(f"with a budget of 100 tokens build_context returned {count_message_tokens(messages)} tokens "
                         "instead of raising ContextTooLong")
