"""What the grader sends the worker as an argument: plain JSON, tagged where JSON cannot say it.

The worker rebuilds it (course.worker.values.decode): a `Remote` goes back as the worker's own
object, a pydantic model or object of the course package by import path (the worker imports it:
the direction that is safe), a function of the grader's own as a callback number.
"""

from __future__ import annotations

from typing import Any

__all__ = ["encode"]


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
        return {"$callback": callback(obj)}
    raise TypeError(f"cannot send a {kind.__name__} to the learner's worker")
