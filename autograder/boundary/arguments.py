"""What the grader sends the worker as an argument: plain JSON, tagged where JSON cannot say it.

The worker rebuilds it (course.worker.values.decode): a `Remote` goes back as the worker's own
object, a pydantic model or object of the course package by import path (the worker imports it:
the direction that is safe), a function of the grader's own as a callback number.
"""

from __future__ import annotations

from typing import Any

__all__ = ["encode", "pure"]


def pure(fn: Any) -> Any:
    """Mark a grader function whose answer depends only on its arguments' classes and values (`.classes`, `.value`):
    the worker may give an answer again for the same arguments without asking (course.worker.serve), which
    spares a round trip per call to a stand-in that learner code calls thousands of times in one test."""
    fn.grader_pure = True
    return fn


def encode(obj: Any, callback: Any = None) -> Any:
    """An argument for the worker (course.worker.values.decode rebuilds it there).

    A function of the grader's own (not of the course package) becomes `{"$callback": n}` through
    `callback(fn) -> n`: the worker then calls it back here (`Learner.encode` registers it).
    """
    from autograder.boundary.remote import Remote

    if isinstance(obj, Remote):
        return {"$ref": obj._info()["ref"]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [encode(item, callback) for item in obj]
    if isinstance(obj, tuple):
        return {"$tuple": [encode(item, callback) for item in obj]}
    if isinstance(obj, dict):
        return {"$dict": [[encode(k, callback), encode(v, callback)] for k, v in obj.items()]}
    kind = type(obj)
    module = getattr(kind, "__module__", "") or ""
    if module.startswith("course.") and hasattr(obj, "model_dump"):
        return {"$model": f"{module}:{kind.__qualname__}", "data": obj.model_dump(mode="json")}
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", "") or ""
    if module.startswith("course.") and qualname and "<" not in qualname:
        return {"$import": f"{module}:{qualname}"}
    if callable(obj) and callback is not None and not isinstance(obj, type):
        return {"$callback": callback(obj), **({"pure": True} if getattr(obj, "grader_pure", False) is True else {})}
    raise TypeError(f"cannot send a {kind.__name__} to the learner's worker")
