"""How learner objects are described to the grader, and how the grader's arguments are rebuilt.

`describe(obj)` is all the grader ever learns about an object: its type's name, the names of the
classes in its MRO, a JSON rendering of its value where one exists (plain JSON types, containers of
them, pydantic models through `model_dump(mode="json")`, enums), a short `repr`, and a reference
number to pass it back. The JSON rendering is made by `json.dumps`, which reads a `str` subclass's
characters, not its methods, so an always-equal string arrives as the plain string it holds.

Arguments from the grader are JSON too, with tagged forms for what JSON cannot say:
    {"$ref": 7}                                   an object the worker already holds
    {"$tuple": [...]}, {"$dict": [[k, v], ...]}    a tuple; a dict (any JSON keys)
    {"$model": "course.shop.scenarios:Ticket", "data": {...}}   a pydantic model of the course package
    {"$import": "course.shop.tools:get_order"}    any object of the course package, by import path
    {"$callback": 3}                              a function of the grader's: calling it asks the grader
                                                  (a stand-in for a learner function, say), which answers
                                                  in the same terms
Only objects under `course.` can be imported this way: the grader cannot make the worker import
anything the learner could not.
"""

from __future__ import annotations

import enum
import importlib
import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_TEXT", "ObjectTable", "decode", "describe", "describe_error", "plain", "short_text"]

MAX_TEXT = 200
_MAX_VALUE = 1_000_000
_SAFE = (type(None), bool, int, float, str)


class ObjectTable:
    """The worker's objects the grader refers to by number."""

    def __init__(self) -> None:
        self._objects: dict[int, Any] = {}
        self._next = 1

    def add(self, obj: Any) -> int:
        ref, self._next = self._next, self._next + 1
        self._objects[ref] = obj
        return ref

    def get(self, ref: int) -> Any:
        try:
            return self._objects[ref]
        except KeyError:
            raise LookupError(f"the worker holds no object #{ref}") from None


def short_text(text: str, limit: int = MAX_TEXT) -> str:
    """`text` made safe to show: control characters (ANSI escapes included) dropped, at most `limit` characters."""
    text = str(text)[: 8 * limit + 64]  # enough to fill `limit` however much whitespace collapses; a long repr is cut first
    cleaned = text if text.isprintable() else "".join(ch if ch.isprintable() or ch == " " else " " for ch in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _safe_repr(obj: Any) -> str:
    try:
        text = repr(obj)
        if not isinstance(text, str):
            return f"<{type(obj).__name__}>"
        return short_text(str.__str__(text))
    except BaseException:
        return f"<{type(obj).__name__} object>"


def plain(obj: Any, depth: int = 0) -> Any:
    """A JSON-able rendering of `obj`, or raise `TypeError` when it has none."""
    if depth > 40:
        raise TypeError("nested too deeply")
    if isinstance(obj, enum.Enum):
        return plain(obj.value, depth + 1)
    if isinstance(obj, _SAFE):
        if isinstance(obj, float) and not math.isfinite(obj):
            return str(obj)
        return obj
    if isinstance(obj, (list, tuple)):
        return [plain(item, depth + 1) for item in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((plain(item, depth + 1) for item in obj), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(obj, dict):
        return {str(plain(key, depth + 1)): plain(value, depth + 1) for key, value in obj.items()}
    if isinstance(obj, type):
        raise TypeError("a class")
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and hasattr(type(obj), "model_fields"):
        return plain(dump(mode="json"), depth + 1)
    raise TypeError(f"no JSON form for {type(obj).__name__}")


def describe(obj: Any, table: ObjectTable) -> dict[str, Any]:
    """What the grader learns about `obj` (see the module docstring)."""
    kind = obj if isinstance(obj, type) else type(obj)
    try:
        classes = [str.__str__(getattr(k, "__qualname__", "?")) for k in type.mro(kind)]
    except TypeError:
        classes = [type(obj).__name__]
    info: dict[str, Any] = {
        "ref": table.add(obj),
        "type": str.__str__(type(obj).__qualname__),
        "classes": classes,  # the object's classes, or the class's own MRO when it is a class
        "is_class": isinstance(obj, type),
        "callable": callable(obj),
        "text": _safe_repr(obj),
    }
    try:
        text = json.dumps(plain(obj), allow_nan=False)
        if len(text) <= _MAX_VALUE:
            info["value"] = json.loads(text)
    except Exception:
        pass
    return info


def describe_error(error: BaseException) -> dict[str, Any]:
    """An exception as the grader sees it: type, classes and a short message."""
    try:
        message = short_text(str(error))
    except BaseException:
        message = ""
    return {"type": str.__str__(type(error).__qualname__),
            "classes": [str.__str__(k.__qualname__) for k in type(error).__mro__],
            "message": message}


def decode(arg: Any, table: ObjectTable, callback: Callable[[int], Any] | None = None) -> Any:
    """Rebuild an argument the grader sent (see the module docstring); `callback(n)` makes grader functions."""
    if isinstance(arg, list):
        return [decode(item, table, callback) for item in arg]
    if not isinstance(arg, dict):
        return arg
    if "$ref" in arg:
        return table.get(int(arg["$ref"]))
    if "$tuple" in arg:
        return tuple(decode(item, table, callback) for item in arg["$tuple"])
    if "$dict" in arg:
        return {decode(k, table, callback): decode(v, table, callback) for k, v in arg["$dict"]}
    if "$callback" in arg:
        if callback is None:
            raise ValueError("this worker cannot call back the grader")
        return callback(int(arg["$callback"]))
    if "$import" in arg:
        return _import(arg["$import"])
    if "$model" in arg:
        return _import(arg["$model"]).model_validate(arg["data"])
    raise ValueError(f"an argument the worker does not understand: {sorted(arg)}")


def _import(path: str) -> Any:
    module, _, qualname = path.partition(":")
    if not (module == "course" or module.startswith("course.")):
        raise ValueError(f"the grader may only name objects of the course package, not {module!r}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split(".") if qualname else []:
        obj = getattr(obj, part)
    return obj
