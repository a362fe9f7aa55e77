"""Reaching learner code from a hidden test: one round trip, and a failure that names the call.

Every lesson's tests call learner functions the same way: an unfinished stub stays "not implemented
yet", and anything else the learner's code raises becomes an AssertionError that says which call
raised what, in the learner's terms, instead of a traceback from the grading process.
"""

from __future__ import annotations

from typing import Any

from autograder.boundary.remote import LearnerError, LearnerNotImplemented, Remote

__all__ = ["attr", "call", "value"]


def call(what: str, fn: Remote, *args: Any, **kwargs: Any) -> Remote:
    """`fn(*args, **kwargs)` in the worker; `what` names the call in the failure message if it raises."""
    try:
        return fn(*args, **kwargs)
    except LearnerNotImplemented:
        raise
    except LearnerError as error:
        text = error.message.strip()
        raise AssertionError(f"{what} raised {error.type}" + (f": {text}" if text else "")) from None


def attr(obj: Remote, name: str) -> Remote:
    """`obj.name` in the worker, even for a name a Remote has of its own (`text`, `value`, `type`...)."""
    return Remote.__getattr__(obj, name)


def value(obj: Remote, name: str) -> Any:
    """The plain value of `obj.name` (a learner object without it raises, as `obj.name` would)."""
    return attr(obj, name).value
