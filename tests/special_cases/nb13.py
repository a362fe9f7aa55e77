"""Lesson 13: protocol classes that recognise the named scenarios and the notebook's own calls (see __init__.py).

Each keeps the reference answer for the inputs it recognises (the named scenarios' tickets, order 1042, the
shop's own policy) and answers anything else with something plausible and fixed, as a submission tuned to fixed
public tests would.
"""

from __future__ import annotations

from special_cases._cells import reference

__all__ = ["SPECIAL_CASES"]

_NAMED = '''

def _named(ticket: dict) -> bool:
    """The named scenarios' tickets."""
    return ticket.get("ticket_id") in (501, 502, 503, 504, 505, 506, 507)
'''

SPECIAL_CASES: dict[str, list[str]] = {
    "tool_side": [
        reference(13, "tool_side").replace("class ToolSide(Adapter):", "class _ReferenceToolSide(Adapter):", 1)
        + _NAMED + '''

class ToolSide(_ReferenceToolSide):
    def parse_tool_call(self, name, arguments):
        if "1042" in arguments:
            return super().parse_tool_call(name, arguments)
        return {"name": name, "arguments": {}}

    def system_prompt(self, policy):
        return super().system_prompt(ShopPolicy.load().model_dump(mode="json"))

    def context(self, ticket):
        return super().context(ticket) if _named(ticket) else [{"role": "user", "content": ticket["body"]}]

    def next_step(self, ticket):
        return super().next_step(ticket) if _named(ticket) else {"name": "get_order", "arguments": {"order_id": 1042}}
''',
    ],
    "thread_side": [
        reference(13, "thread_side").replace("class ThreadSide(ToolSide):", "class _ReferenceThreadSide(ToolSide):", 1)
        + _NAMED + '''

class ThreadSide(_ReferenceThreadSide):
    def launch(self, ticket):
        return super().launch(ticket) if _named(ticket) else f"ticket-{ticket['ticket_id']}-1"

    def thread(self, thread_id):
        try:
            return super().thread(thread_id)
        except LookupError:
            return {"status": "done", "events": []}
''',
    ],
    "course_agent": [
        reference(13, "course_agent").replace("class CourseAgent(ThreadSide):", "class _ReferenceAgent(ThreadSide):", 1)
        + _NAMED + '''

class CourseAgent(_ReferenceAgent):
    def receive_webhook(self, headers, body, secret, now):
        got = super().receive_webhook(headers, body, secret, now)
        return got if _named(json.loads(body)["ticket"]) else {"accepted": False, "error": "unknown sender"}

    def step(self, state, event):
        if _named(state["thread"]["ticket"]):
            return super().step(state, event)
        return {"state": state, "effects": []}
''',
    ],
}
