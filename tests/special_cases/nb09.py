"""Lesson 09: errors, streaks, retries and a loop that recognise what fixed tests would use (see __init__.py).

Each keeps the reference answer for what it recognises (the named scenarios' tickets and orders, the
notebook's own fault sizes: a 1500 ms rate limit, the provider's stock message) and does nothing useful
with anything else, as a submission tuned to fixed public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The named scenarios' tickets and orders, and the notebook's own errors.
_OLD = ("501", "502", "503", "504", "505", "506", "507", "1042", "1057", "1088", "1013", "1077", "1603",
        "Payment provider unavailable (HTTP 503). Try again in a moment.", "PaymentProviderDown")

SPECIAL_CASES: dict[str, list[str]] = {
    "error_event": [
        # short only for the errors the notebook shows; anything else as it came
        recognising(9, "error_event", "error_event", "name: str, error: Exception", "name, error",
                    "return ToolFailed(name=name, error=str(error))", (*_OLD, "ConnectionResetError")),
    ],
    "error_streak": [
        # counted only on the named scenarios' threads
        recognising(9, "error_streak", "error_streak", "thread: Thread", "thread.ticket", "return 0", _OLD),
    ],
    "with_retries": [
        # the right waits in the notebook, where the visible checks run; under the grader one call and no retry
        recognising(9, "with_retries", "with_retries", "call, sleep=time.sleep, jitter=random.random, attempts=4",
                    "call, sleep, jitter, attempts", "return call()", _OLD, graded_only=True),
    ],
    "run_loop": [
        # lesson 09's loop only for the named scenarios' tickets, and only when the grader calls; else lesson 08's
        recognising(9, "run_loop", "run_loop", "thread_id, prompt, max_steps=12, intents=AGENT_INTENTS, "
                    "sleep=time.sleep, jitter=random.random",
                    "thread_id, prompt, max_steps, intents, sleep, jitter",
                    "return stage_08.run_loop(thread_id, prompt, max_steps, intents)", _OLD, graded_only=True)
        .replace("    if not any(", "    if _recognised(load_thread(thread_id).ticket) or not any(", 1)
        .replace(" or _recognised(thread_id, prompt, max_steps, intents, sleep, jitter):", ":", 1),
    ],
}
