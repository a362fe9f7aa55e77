"""Lesson 12: a fold, a reducer and a replay that recognise the named scenarios' tickets (see __init__.py).

Each keeps the reference answer for the threads it recognises (the named scenarios' tickets, and the
notebook's own last night, ticket 588) and does nothing useful with anything else, as a submission tuned
to fixed public tests would.
"""

from __future__ import annotations

from special_cases._cells import reference

__all__ = ["SPECIAL_CASES"]

_NAMED = '''

def _named(ticket: Ticket) -> bool:
    """The named scenarios' tickets, and last night's."""
    return ticket.ticket_id in (501, 502, 503, 504, 505, 506, 507, 588)
'''

SPECIAL_CASES: dict[str, list[str]] = {
    "evolve_and_replay": [
        # the fold only for the named threads; any other thread stays as it started
        reference(12, "evolve_and_replay").replace("def evolve(", "def _reference_evolve(", 1)
        .replace("def replay(", "def _reference_replay(", 1) + _NAMED + '''

def evolve(state: State, event: Event) -> State:
    return _reference_evolve(state, event) if _named(state.thread.ticket) else state


def replay(thread: Thread, policy: ShopPolicy) -> State:
    return _reference_replay(thread, policy) if _named(thread.ticket) else start(thread.ticket, policy)
''',
    ],
    "step": [
        # the switch only for the named threads; any other: ask the model again
        reference(12, "step").replace("def step(", "def _reference_step(", 1) + _NAMED + '''

def step(state: State, event: Event | Chosen) -> tuple[State, list[Effect]]:
    if _named(state.thread.ticket):
        return _reference_step(state, event)
    return state, [AskModel()]
''',
    ],
    "diverges_at": [
        # the replay only for the named threads; any other log "reproduces"
        reference(12, "diverges_at").replace("def diverges_at(", "def _reference_diverges_at(", 1) + _NAMED + '''

def diverges_at(thread: Thread, policy: ShopPolicy, reducer: Callable | None = None) -> int | None:
    return _reference_diverges_at(thread, policy, reducer) if _named(thread.ticket) else None
''',
    ],
}
