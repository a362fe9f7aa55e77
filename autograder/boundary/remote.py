"""What a hidden test holds of the learner's code: `Remote` handles, plain data, `LearnerError`.

A hidden test reads like a few lines of behaviour, and every line that touches learner code is a
round trip to the worker that comes back as data the grader judges itself:

    got = parse_tool_call("get_order", '{"order_id": 1042}')   # a call in the worker -> Remote
    got.isa(GetOrder)              # its classes' names, as the worker described them
    got.value == {"order_id": 1042}  # its JSON rendering (plain dicts, lists, str, numbers)
    got.order_id.value             # an attribute: one more round trip
    f"returned {got}"              # its repr, capped and stripped of control characters (also got.shown)
    got.attr("__doc__").value      # a dunder attribute (plain attribute access never reaches dunders)

Meta-data lives in `value`, `type`, `classes`, `is_class`, `shown`, `isa` and `attr`; any other
attribute name is the learner object's own (`prompt.text`, `event.kind`).

A call that raises in the worker raises `LearnerError` here (`LearnerNotImplemented` for an
unfinished stub), with the exception's type, classes and a capped message; never its traceback.
A Remote refuses `==`, `bool()` and `hash()`, so a test cannot compare a learner object by accident:
it compares `.value`, which is plain data made in this process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from autograder.boundary import shared_shop
from autograder.boundary.arguments import encode
from autograder.boundary.outcomes import (
    NO_VALUE,
    FreshWorkerUnavailable,
    LearnerError,
    LearnerNotImplemented,
    NoValue,
    RaiseInWorker,
    raised,
)
from autograder.boundary.session import WorkerDied
from course.worker.values import short_text

__all__ = ["NO_VALUE", "FreshWorkerUnavailable", "Learner", "LearnerError", "LearnerNotImplemented", "NoValue",
           "RaiseInWorker", "Remote", "class_name", "raised"]


def class_name(cls: Remote | str) -> str:
    """The name `isa` matches: a class's own name, or an object's type name (or the string given)."""
    if isinstance(cls, Remote):
        info = cls._info()
        return str(info["classes"][0] if info.get("is_class") else info["type"])
    return cls


class Remote:
    """A learner object in the worker (see the module docstring)."""

    __slots__ = ("_described", "_learner", "_target")

    def __init__(self, learner: Learner, target: dict[str, Any], described: dict[str, Any] | None = None) -> None:
        self._learner = learner
        self._target = target
        self._described = described

    # -- what it is -------------------------------------------------------------------------------

    def _info(self) -> dict[str, Any]:
        if self._described is None:
            self._described = self._learner._ask({"op": "get", "target": self._target})
            self._target = {"ref": self._described["ref"]}
        return self._described

    @property
    def value(self) -> Any:
        """The object's JSON rendering, made plain in this process; `NO_VALUE` if it has none."""
        info = self._info()
        return info["value"] if "value" in info else NoValue(self.shown)

    @property
    def type(self) -> str:
        return str(self._info()["type"])

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self._info()["classes"])

    @property
    def is_class(self) -> bool:
        return bool(self._info()["is_class"])

    @property
    def shown(self) -> str:
        """Its repr, capped and stripped of control characters (`.text` is the learner's attribute `text`)."""
        return short_text(str(self._info()["text"]))

    def isa(self, cls: Remote | str) -> bool:
        """isinstance (or, for a class, issubclass) by the names of the classes, as the worker reports them."""
        return class_name(cls) in self.classes

    # -- using it ---------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        target = self._target if self._described is None else {"ref": self._described["ref"]}
        return Remote(self._learner, {**target, "path": [*target.get("path", []), name]})

    def attr(self, name: str) -> Remote:
        """Any attribute, dunders included (`model.attr("__doc__")`); `.name` is one of them."""
        target = self._reference()
        return Remote(self._learner, {**target, "path": [*target.get("path", []), name]})

    def __call__(self, *args: Any, **kwargs: Any) -> Remote:
        learner = self._learner
        return learner._remote({"op": "call", "target": self._reference(), "args": learner.encode(list(args)),
                                "kwargs": {k: learner.encode(v) for k, v in kwargs.items()},
                                "context": learner.context()})

    def __getitem__(self, key: Any) -> Remote:
        return self._learner._remote({"op": "getitem", "target": self._reference(), "key": self._learner.encode(key)})

    def __iter__(self) -> Iterator[Remote]:
        answer = self._learner._ask({"op": "iter", "target": self._reference()}, key="items")
        return iter([Remote(self._learner, {"ref": item["ref"]}, item) for item in answer])

    def _reference(self) -> dict[str, Any]:
        return {"ref": self._described["ref"]} if self._described is not None else self._target

    # -- what it refuses --------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        raise TypeError("compare a learner object's .value, not the object")

    def __bool__(self) -> bool:
        raise TypeError("test a learner object's .value, not the object")

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return self.shown

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(self.shown, spec)


class Learner:
    """The learner's notebook as a hidden test sees it: names, calls, and a few helpers."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._callbacks: dict[int, Callable[..., Any]] = {}
        session.on_callback = self._on_callback

    def encode(self, obj: Any) -> Any:
        """`encode`, with the grader's own functions sent as callbacks."""
        return encode(obj, self._register)

    def _register(self, fn: Callable[..., Any]) -> int:
        number = len(self._callbacks) + 1
        self._callbacks[number] = fn
        return number

    def _on_callback(self, question: dict[str, Any]) -> dict[str, Any]:
        """The worker called one of our functions: run it on Remotes of its arguments, send back its result."""
        number = question.get("id")
        fn = self._callbacks.get(number) if type(number) is int else None
        if fn is None:
            return {"failed_callback": "no such grader function"}
        try:
            args = [Remote(self, {"ref": int(info["ref"])}, info) for info in question.get("args", [])]
            kwargs = {str(k): Remote(self, {"ref": int(info["ref"])}, info)
                      for k, info in (question.get("kwargs") or {}).items()}
        except (TypeError, KeyError, ValueError, AttributeError):
            return {"failed_callback": "a question the grader cannot read"}
        try:
            return {"returned": self.encode(fn(*args, **kwargs))}
        except RaiseInWorker as order:
            return {"raise": self.encode(order.cls), "message": order.message}
        except Exception as error:  # a stand-in that fails makes the learner's call fail, visibly
            return {"failed_callback": f"{type(error).__name__}: {error}"}

    @contextlib.contextmanager
    def stand_ins(self, **functions: Callable[..., Any]) -> Iterator[None]:
        """Inside the block, the notebook's `name` is the grader's function (called with Remotes), then the
        learner's own again: score one exercise with a simple stand-in for an earlier one, never the reference."""
        saved: dict[str, Remote | None] = {}
        for name, fn in functions.items():
            original = self[name] if self.defines(name) else None
            if original is not None:
                original._info()  # hold a reference to the learner's object before replacing it
            saved[name] = original
            self._ask({"op": "assign", "name": name, "value": self.encode(fn)}, key="ok")
        try:
            yield
        finally:
            for name, original in saved.items():
                message: dict[str, Any] = {"op": "assign", "name": name}
                if original is not None:
                    message["value"] = {"$ref": original._info()["ref"]}
                self._ask(message, key="ok")

    def __getitem__(self, name: str) -> Remote:
        return Remote(self, {"name": name})

    def each(self, calls: list[tuple[Remote, dict[str, Any]]]) -> list[Remote]:
        """`[fn(**kwargs) for fn, kwargs in calls]` in one round trip (a test's thread of fifty events); the first
        that raises raises here, as it would alone. With no shop: they build objects, they run no tools."""
        wire = [{"target": fn._reference(), "kwargs": {k: self.encode(v) for k, v in kwargs.items()}}
                for fn, kwargs in calls]
        return [Remote(self, {"ref": info["ref"]}, info) for info in self._ask({"op": "each", "calls": wire}, "items")]

    def course(self, path: str) -> Remote:
        """An object of the course package as the worker has it: `learner.course("course.grading.visible:run_exercise")`."""
        return Remote(self, {"value": {"$import": path}})

    def defines(self, name: str) -> bool:
        return bool(self._ask({"op": "defines", "name": name}, key="ok"))

    def subclass(self, base: Remote, name: str, doc: str, fields: dict[str, dict[str, Any]]) -> Remote:
        """A pydantic subclass of a learner class, made in the worker: fields {name: {"type", "description"}}."""
        return self._remote({"op": "subclass", "base": base._reference(), "name": name, "doc": doc, "fields": fields})

    @contextlib.contextmanager
    def fresh(self, *, interpreter: bool = False) -> Iterator[Learner]:
        """The same notebook in another worker process, in the same folder: a fork of the notebook as its cells
        left it, or with `interpreter=True` a brand-new interpreter (its own hash salt) that replays them.

        Raises `FreshWorkerUnavailable` under plain nbgrader, where there is no worker to copy.
        """
        clone = getattr(self.session, "clone", None)
        if clone is None:
            raise FreshWorkerUnavailable("no worker to copy: the hidden tests run in the learner's kernel")
        other = clone(interpreter=interpreter)
        try:
            yield Learner(other)
        finally:
            other.close()

    def context(self) -> dict[str, Any]:
        """What a call runs with: the grader's current shop, by path (the worker opens the same file).

        Only a shop in the worker's folder can be opened there (`LearnerSession` puts the grader's
        temporary files there while it runs); any other shop stays the grader's alone. Its planned
        failures travel by name (course.worker.faults); what comes back is counts (`_remote`).
        """
        from course.shop import current_shop

        shop = current_shop()
        workdir = getattr(self.session, "workdir", None)
        if workdir is None or shop.path.parent != workdir:
            return {}
        from course.worker.faults import FAULT_KINDS

        plan = shop.faults.to_data()
        unknown = sorted({str(kind) for _, kind, *_ in plan} - set(FAULT_KINDS))
        if unknown:  # a hidden test's mistake: the worker could not rebuild these
            raise TypeError(f"planned failures must be one of {sorted(FAULT_KINDS)}, not {unknown}")
        self.session.share(shop.path)
        shared_shop.guard(shop)
        return {"shop": self.session.path_inside(shop.path), "faults": plan}

    def _ask(self, message: dict[str, Any], key: str = "value") -> Any:
        return self._unpack(self.session.request(message), message, key)

    def _unpack(self, answer: dict[str, Any], message: dict[str, Any], key: str) -> Any:
        if "raised" in answer:
            raise LearnerError.of(answer["raised"])
        if "missing" in answer:
            name = short_text(str(answer["missing"]), 80)
            raise AssertionError(f"`{name}` is not defined: run the cell that defines it, and keep its name.")
        if key not in answer:
            if "failed" not in answer:  # not an answer to this question: whatever sent it is not our worker
                getattr(self.session, "kill", lambda: None)()
                raise WorkerDied("it sent an answer that does not fit the question")
            raise RuntimeError(f"the worker could not do {message.get('op')}: {short_text(str(answer['failed']))}")
        return answer[key]

    def _remote(self, message: dict[str, Any]) -> Remote:
        answer = self.session.request(message)
        if message.get("context", {}).get("shop"):
            from course.shop import current_shop

            shop = current_shop()
            shop.faults.consume(answer.get("faults_used"))  # counts only: data from the worker is data
            shared_shop.check(shop)
        info = self._unpack(answer, message, "value")
        return Remote(self, {"ref": info["ref"]}, info)

