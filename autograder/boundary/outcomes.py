"""What comes back from learner code that is not an ordinary value: errors, and values with no plain form.

A hidden test sees learner code through `Remote` handles (autograder.boundary.remote); these are the rest
of its vocabulary. `LearnerError` carries what the learner's code raised (type, classes, a capped
message; never a traceback), `LearnerNotImplemented` an unfinished stub, `NoValue` the `.value` of an
object that has no JSON form (equal to nothing, so no comparison passes by accident).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from course.worker.values import short_text

if TYPE_CHECKING:
    from autograder.boundary.remote import Remote

__all__ = ["NO_VALUE", "FreshWorkerUnavailable", "LearnerError", "LearnerNotImplemented", "NoValue", "RaiseInWorker",
           "raised"]


class NoValue:
    """The `.value` of an object that has no JSON form: equal to nothing."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return self.text


NO_VALUE = NoValue("<no plain value>")


class LearnerError(Exception):
    """Learner code raised: `type`, `classes` (its MRO's names) and a capped `message`."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.type = short_text(str(info.get("type", "Exception")), 80)
        self.classes = tuple(short_text(str(c), 80) for c in info.get("classes", [])) or (self.type,)
        self.message = short_text(str(info.get("message", "")))
        super().__init__(f"{self.type}: {self.message}" if self.message else self.type)

    def isa(self, cls: Remote | str) -> bool:
        from autograder.boundary.remote import class_name

        return class_name(cls) in self.classes

    @classmethod
    def of(cls, info: dict[str, Any]) -> LearnerError:
        names = info.get("classes", [])
        return LearnerNotImplemented(info) if "NotImplementedError" in names else cls(info)


class FreshWorkerUnavailable(RuntimeError):
    """`Learner.fresh()` where there is no worker to start again (plain nbgrader)."""


class LearnerNotImplemented(LearnerError, NotImplementedError):
    """Learner code raised NotImplementedError: the exercise is not done yet."""


def raised(fn: Remote, *args: Any, **kwargs: Any) -> LearnerError | None:
    """Call `fn`; the error it raised, or None if it returned. NotImplementedError is re-raised (a stub)."""
    try:
        fn(*args, **kwargs)
    except LearnerNotImplemented:
        raise
    except LearnerError as error:
        return error
    return None


class RaiseInWorker(Exception):
    """Raised by a stand-in (`Learner.stand_ins`): the learner's code that called it sees `cls(message)`.

    So a stand-in for the learner's `determine_next_step` can raise the learner's own `ToolCallError`.
    """

    def __init__(self, cls: Remote, message: str) -> None:
        super().__init__(message)
        self.cls, self.message = cls, message
