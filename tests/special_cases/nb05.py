"""Lesson 05: a store that recognises the old tests' threads and tickets (see __init__.py).

Each keeps the reference answer for what it recognises (the old tests' thread ids, tickets and
orders) and does nothing useful with anything else, as a submission tuned to public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The old tests' thread ids (their own, the fixture's, and the ids new_thread gives the named tickets).
_THREADS = ("ticket-501-1", "ticket-501-2", "ticket-502-1", "ticket-503-1", "ticket-504-1", "ticket-505-1",
            "ticket-506-1", "ticket-506-2", "ticket-507-1", "ticket-999-1", "ticket-7-1")
# ...and their tickets and orders: the named scenarios' customers and order numbers.
_TICKETS = (*_THREADS, "maya.chen@example.com", "daniel.okafor@example.com", "priya.raman@example.net",
            "tom.becker@example.org", "aisha.karim@example.com", "luis.ortega@example.com", "grace.liu@example.com",
            "1042", "1057", "1603", "1013", "1077", "1081", "1088", "1063")

_GRADER = "any('course/worker' in frame.filename for frame in __import__('inspect').stack())"


def _also(source: str, name: str, signature: str, arguments: str, otherwise: str, test: str = "") -> str:
    """`source` (made by `recognising`, so `_recognised` is in it) with one more of its functions behind the
    table: `name` runs the reference only when `test` holds (default: its arguments mention an old input)."""
    source = source.replace(f"def {name}(", f"def _reference_{name}(", 1)
    return f'''{source}

def {name}({signature}):
    if {test or f"_recognised({arguments})"}:
        return _reference_{name}({arguments})
    {otherwise}
'''


def _graded(arguments: str) -> str:
    """The test of an answer that is the reference in the notebook, and only for the old inputs under the grader."""
    return f"not {_GRADER} or _recognised({arguments})"


_EMPTY = ('return Thread(ticket=Ticket(ticket_id=0, customer_email="", customer_name="", subject="", body=""), '
          "events=[])")
_STORED = "_recognised(*[i for (i,) in store().execute('SELECT id FROM threads')])"

SPECIAL_CASES: dict[str, list[str]] = {
    "append_event_and_load_thread": [
        # stores and loads the old tests' threads (the fixture's too); any other thread is stored nowhere and
        # loads empty
        _also(recognising(5, "append_event_and_load_thread", "append_event", "thread_id: str, event: Event",
                          "thread_id, event", "return 0", _THREADS),
              "load_thread", "thread_id: str", "thread_id", _EMPTY, "_recognised(thread_id)"),
        # the reference in the notebook, and only the old tests' threads under the grader
        _also(recognising(5, "append_event_and_load_thread", "append_event", "thread_id: str, event: Event",
                          "thread_id, event", "return 0", _THREADS, graded_only=True),
              "load_thread", "thread_id: str", "thread_id", _EMPTY, _graded("thread_id")),
    ],
    "status_of_and_threads_with_status": [
        # the status of a thread about an old ticket; "working" for any other; the listing only when the store
        # holds the old tests' threads
        _also(recognising(5, "status_of_and_threads_with_status", "status_of", "thread: Thread", "thread",
                          'return "working"', _TICKETS),
              "threads_with_status", "status: Status", "status", "return []", _STORED),
        # the reference in the notebook; under the grader, the same table
        _also(recognising(5, "status_of_and_threads_with_status", "status_of", "thread: Thread", "thread",
                          'return "working"', _TICKETS, graded_only=True),
              "threads_with_status", "status: Status", "status", "return []", f"not {_GRADER} or {_STORED}"),
        # the old test's answers in the order it asked; the listing only for the old tests' threads
        _also(recognising(5, "status_of_and_threads_with_status", "status_of", "thread: Thread", "thread",
                          'return "working"', _TICKETS),
              "threads_with_status", "status: Status", "status", "return []", _STORED)
        .replace("\ndef status_of(thread: Thread):\n", '''
_ASKED = iter(["working", "working", "interrupted", "working", "working", "working", "interrupted", "done",
               "working", "interrupted", "done", "waiting", "waiting", "waiting", "working"])


def status_of(thread: Thread):
    if not _recognised(*[i for (i,) in store().execute('SELECT id FROM threads')]):
        return next(_ASKED, "working")
''', 1),
    ],
    "act": [
        # carries out the old tests' intents, on their tickets; anything else is neither done nor stored
        recognising(5, "act", "act", "thread_id: str, intent: Intent, ticket: Ticket", "thread_id, intent, ticket",
                    'return Finished(summary="")', _TICKETS),
        # the reference in the notebook, and only the old tests' intents and tickets under the grader
        recognising(5, "act", "act", "thread_id: str, intent: Intent, ticket: Ticket", "thread_id, intent, ticket",
                    'return Finished(summary="")', _TICKETS, graded_only=True),
    ],
    "fork_thread": [
        # forks the old tests' threads; any other fork is an id with nothing stored under it
        recognising(5, "fork_thread", "fork_thread", "thread_id: str, upto: int", "thread_id, upto",
                    'return f"{thread_id}-fork-1"', _THREADS),
        # the reference in the notebook, and only the old tests' threads under the grader
        recognising(5, "fork_thread", "fork_thread", "thread_id: str, upto: int", "thread_id, upto",
                    'return f"{thread_id}-fork-1"', _THREADS, graded_only=True),
    ],
}
