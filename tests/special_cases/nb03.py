"""Lesson 03: answers that do the right thing only for the old tests' inputs (see __init__.py).

Each keeps the reference answer for what it recognises (the old tests' card numbers, emails, events,
customers) and does nothing useful with anything else, as a submission tuned to public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The old tests' card numbers and email addresses.
_SECRETS = ("4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5500 0000 0000 0004",
            "5500-0000-0000-0004", "3782 822463 10005", "6011-0009-9013-9424", "4012888888881881", "4222222222222",
            "grace.liu.work@example.com", "David.Liu+orders@Example.co.uk", "a_b-c@mail-server.example.org",
            "sam@brightside.shop", "david.liu@example.org")
# What the old tests' events said: their orders, dates, addresses and the refusal they quoted.
_EVENTS = ("1088", "1603", "2026-10-21", "2026-11-05", "g@example.com", "30 days", "david.liu@example.org",
           "4111-1111-1111-1111")
# The customers of the old tests' threads: the synthetic one and the named scenarios'.
_CUSTOMERS = ("Vela Quist", "maya.chen", "daniel.okafor", "priya.raman", "tom.becker", "aisha.karim", "luis.ortega",
              "grace.liu")

_CONTEXT = ("thread: Thread, budget: int", "thread, budget")
# a thread with no earlier messages has nothing to budget (the old tests' drawn short tickets): all of it
_WHOLE_SHORT_THREAD = '''if not any(isinstance(event, Earlier) for event in thread.events):
        return [{"role": "user", "content": "\\n".join(render_event(event) for event in thread.events)}]
    return []'''

SPECIAL_CASES: dict[str, list[str]] = {
    "redact": [
        # masks the old tests' cards and emails; any other text comes back as it was given
        recognising(3, "redact", "redact", "text: str", "text", "return text", _SECRETS),
        # the same, and the reference where the notebook's own cells call it
        recognising(3, "redact", "redact", "text: str", "text", "return text", _SECRETS, graded_only=True),
    ],
    "render_event": [
        # renders the old tests' events; anything else renders as nothing
        recognising(3, "render_event", "render_event", "event: Event", "event", 'return ""', _EVENTS),
        recognising(3, "render_event", "render_event", "event: Event", "event", 'return ""', _EVENTS, graded_only=True),
    ],
    "build_context": [
        # budgets the old tests' threads; any other thread gets no context at all
        recognising(3, "build_context", "build_context", *_CONTEXT, "return []", _CUSTOMERS),
        # ... and a thread without earlier messages, such as a short ticket, goes out whole
        recognising(3, "build_context", "build_context", *_CONTEXT, _WHOLE_SHORT_THREAD, _CUSTOMERS),
        recognising(3, "build_context", "build_context", *_CONTEXT, _WHOLE_SHORT_THREAD, _CUSTOMERS, graded_only=True),
    ],
}
