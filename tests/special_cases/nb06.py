"""Lesson 06: a loop, a launch and a resume that recognise the old tests' threads and tickets (see __init__.py).

Each keeps the reference answer for what it recognises (the ids new_thread gives the named tickets,
the old tests' own ids, the named customers) and does nothing useful with anything else, as a
submission tuned to public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The ids new_thread gives the named tickets (501-507) in a fresh shop, and the old tests' unknown ids.
_THREADS = (*(f"ticket-{ticket}-{n}" for ticket in range(501, 508) for n in (1, 2, 3)), "ticket-999-1", "no-such-thread")
# The named scenarios' customers: what every old ticket was about.
_CUSTOMERS = ("maya.chen@example.com", "daniel.okafor@example.com", "priya.raman@example.net", "tom.becker@example.org",
              "aisha.karim@example.com", "luis.ortega@example.com", "grace.liu@example.com")

_GRADER = "any('course/worker' in frame.filename for frame in __import__('inspect').stack())"
_LOOP = ("thread_id: str, prompt: Prompt, max_steps: int = 12, intents: dict[str, type[ToolInput]] = AGENT_INTENTS",
         "thread_id, prompt, max_steps, intents")


def _resume_too(source: str, graded: bool) -> str:
    """`source` (record_answer behind the table) with resume behind it as well."""
    test = f"not {_GRADER} or _recognised(thread_id)" if graded else "_recognised(thread_id)"
    return source.replace("def resume(", "def _reference_resume(", 1) + f'''

def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    if {test}:
        return _reference_resume(thread_id, answer, policy)
    return "done"
'''


SPECIAL_CASES: dict[str, list[str]] = {
    "run_until_paused": [
        # runs the old tests' threads; any other thread is said to be done, and nothing runs
        recognising(6, "run_until_paused", "run_until_paused", *_LOOP, 'return "done"', _THREADS),
        # the reference in the notebook, and only the old tests' threads under the grader
        recognising(6, "run_until_paused", "run_until_paused", *_LOOP, 'return "done"', _THREADS, graded_only=True),
    ],
    "launch": [
        # launches the named tickets; any other ticket gets a thread that never runs
        recognising(6, "launch", "launch", "ticket: Ticket, policy: ShopPolicy | None = None", "ticket, policy",
                    "return new_thread(ticket)", _CUSTOMERS),
        # the reference in the notebook, and only the named tickets under the grader
        recognising(6, "launch", "launch", "ticket: Ticket, policy: ShopPolicy | None = None", "ticket, policy",
                    "return new_thread(ticket)", _CUSTOMERS, graded_only=True),
    ],
    "record_answer": [
        # records and resumes on the old tests' threads; any other answer is taken without a word, and nothing runs
        _resume_too(recognising(6, "record_answer", "record_answer", "thread_id: str, answer: Answer | None",
                                "thread_id, answer", "return None", _THREADS), graded=False),
        # the reference in the notebook, and only the old tests' threads under the grader
        _resume_too(recognising(6, "record_answer", "record_answer", "thread_id: str, answer: Answer | None",
                                "thread_id, answer", "return None", _THREADS, graded_only=True), graded=True),
    ],
}
