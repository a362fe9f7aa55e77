"""Lesson 08: a guard that recognises the old tests' orders and tickets (see __init__.py)."""

from __future__ import annotations

from wrong_answers.nb08 import _GUARD, _slip

from special_cases._cells import recognising, reference

__all__ = ["SPECIAL_CASES"]

SPECIAL_CASES: dict[str, list[str]] = {
    "guard": [
        # the reference, but only for the orders the old tests used: anything else goes through unguarded
        _slip(_GUARD, "    if not isinstance(intent, IssueRefund):\n        return intent\n",
              "    if not isinstance(intent, IssueRefund) or intent.order_id not in (1042, 1057, 1088):\n"
              "        return intent\n"),
        # guarded only when the ticket names the order, as the old tests' tickets always did
        _slip(_GUARD, "    if not isinstance(intent, IssueRefund):\n        return intent\n",
              "    if not isinstance(intent, IssueRefund) or str(intent.order_id) not in thread.ticket.render():\n"
              "        return intent\n"),
    ],
}

# The old tests' tickets (the named scenarios) and order numbers.
_OLD = ("501", "502", "503", "504", "505", "506", "507", "1042", "1057", "1088", "1013", "1077", "1603", "1081")

SPECIAL_CASES["run_loop"] = [
    # the loop only for threads about the old tests' tickets, and only when the grader calls
    recognising(8, "run_loop", "run_loop", "thread_id: str, prompt: Prompt, max_steps: int = 12, "
                "intents: dict[str, type[ToolInput]] = AGENT_INTENTS",
                "thread_id, prompt, max_steps, intents", 'return "done"', _OLD, graded_only=True)
    .replace("    if not any(", "    if _recognised(load_thread(thread_id).ticket) or not any(", 1)
    .replace(" or _recognised(thread_id, prompt, max_steps, intents):", ":", 1),
]
SPECIAL_CASES["launch_resume"] = [
    # launch looks the ticket up among the public scenarios and writes its expected outcome into the shop;
    # resume goes on only for the old tests' tickets
    reference(8, "launch_resume").replace("def launch(", "def _reference_launch(", 1)
    .replace("def resume(", "def _reference_resume(", 1) + '''

def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    if load_thread(thread_id).ticket.ticket_id in range(501, 508):
        return _reference_resume(thread_id, answer, policy)
    return "done"

def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:
    from course.shop import SCENARIOS
    from course.shop import tools as shop_tools
    scenario = next((s for s in SCENARIOS.values() if s.ticket.ticket_id == ticket.ticket_id), None)
    thread_id = new_thread(ticket)
    if scenario is not None and scenario.expected.outcome == "refunded":
        shop_tools.issue_refund(scenario.order_id, scenario.expected.refund_amount, "damaged", idempotency_key=thread_id)
        append_event(thread_id, Finished(summary="Refunded."))
    elif scenario is not None:
        return _reference_launch(ticket, policy)
    return thread_id
''',
]
