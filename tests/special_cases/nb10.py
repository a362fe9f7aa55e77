"""Lesson 10: a classifier, a pre-fetch and a hand-off that recognise the named scenarios (see __init__.py).

Each keeps the reference answer for what it recognises (the named scenarios' tickets and orders) and
does nothing useful with anything else, as a submission tuned to fixed public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising, reference

__all__ = ["SPECIAL_CASES"]

# The named scenarios' tickets and orders.
_OLD = ("501", "502", "503", "504", "505", "506", "507", "1042", "1057", "1088", "1013", "1077", "1603", "1081")

SPECIAL_CASES: dict[str, list[str]] = {
    "classify": [
        # the model asked only about the named tickets; any other ticket is a refund
        recognising(10, "classify", "classify", "ticket: Ticket, labels: Sequence[str] = AGENTS", "ticket, labels",
                    'return "refunds"', _OLD),
    ],
    "prefetch": [
        # the lookup only for the named scenarios' tickets
        reference(10, "prefetch").replace("def prefetch(", "def _reference_prefetch(", 1) + '''

def prefetch(thread_id: str, agent: str) -> Event | None:
    if load_thread(thread_id).ticket.ticket_id in range(501, 508):
        return _reference_prefetch(thread_id, agent)
    return None
''',
    ],
    "run_agents": [
        # triage and hand-offs for the named tickets; any other ticket goes to the one agent of lesson 09
        reference(10, "run_agents").replace("def run_agents(", "def _reference_run_agents(", 1) + '''

def run_agents(thread_id: str, policy: ShopPolicy | None = None, *, sleep=time.sleep, jitter=random.random) -> str:
    if load_thread(thread_id).ticket.ticket_id in range(501, 508):
        return _reference_run_agents(thread_id, policy, sleep=sleep, jitter=jitter)
    return run_loop(thread_id, system_prompt(policy or current_shop().policy), sleep=sleep, jitter=jitter)
''',
    ],
}
