"""Lesson 04: answers that do the right thing only for the old tests' tickets (see __init__.py).

Each keeps the reference answer for a ticket it recognises (the named scenarios' customers, on
which the old tests decided, executed and looped) and does nothing useful with any other.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The customers of the named scenarios, whose tickets the old tests used, and the old tests' orders.
_OLD = ("maya.chen", "daniel.okafor", "priya.raman", "tom.becker", "aisha.karim", "luis.ortega", "grace.liu",
        "1042", "1057", "1603", "1013", "1077", "1088")

_DECIDE = ("thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET, "
           "intents: dict[str, type[ToolInput]] = INTENTS", "thread, prompt, log, budget, intents")
_EXECUTE = ("intent: Intent, ticket: Ticket", "intent, ticket")
_LOOP = ("ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12", "ticket, policy, max_steps")

SPECIAL_CASES: dict[str, list[str]] = {
    "determine_next_step": [
        # decides on the old tests' tickets; on any other ticket the model is done before it is asked
        recognising(4, "determine_next_step", "determine_next_step", *_DECIDE, 'return Done(summary="")', _OLD),
        recognising(4, "determine_next_step", "determine_next_step", *_DECIDE, 'return Done(summary="")', _OLD,
                    graded_only=True),
    ],
    "execute": [
        # runs the old tests' intents on their tickets; anything else "ran" and returned nothing
        recognising(4, "execute", "execute", *_EXECUTE, 'return ToolResult(name=intent_name(intent), result="{}")',
                    _OLD),
        recognising(4, "execute", "execute", *_EXECUTE, 'return Finished(summary="")', _OLD, graded_only=True),
    ],
    "run_agent": [
        # the loop for the old tests' tickets only; any other ticket gets a thread nobody worked on
        recognising(4, "run_agent", "run_agent", *_LOOP, "return thread_for(ticket)", _OLD),
        # ... or lesson 03's agent, which handles any ticket the shop brain can: the loop of this
        # exercise runs only on the old tests' tickets
        recognising(4, "run_agent", "run_agent", *_LOOP, "return stage_03.run_agent(ticket, policy)", _OLD),
        recognising(4, "run_agent", "run_agent", *_LOOP, "return stage_03.run_agent(ticket, policy)", _OLD,
                    graded_only=True),
    ],
}
