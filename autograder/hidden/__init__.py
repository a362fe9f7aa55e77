'''Hidden tests: the logic behind one-line graded test cells. Instructor side only.

A graded test cell of lesson NN (nbgrader "Autograder tests", with points) reads

    """Check that parse_tool_call rejects a tool the shop does not have."""
    ### BEGIN HIDDEN TESTS
    from autograder.hidden.nb01 import hidden
    hidden("parse_rejects_unknown_tool", globals())
    ### END HIDDEN TESTS

(`course.grading.authoring.hidden_test_source` writes it), and autograder/hidden/nb01.py holds

    from autograder.hidden import HiddenTests

    hidden = HiddenTests("01")

    @hidden.test("parse_rejects_unknown_tool")
    def _(parse_tool_call):        # parameters are looked up by name in the learner's namespace
        error = parse_tool_call("drop_database", "{}")
        assert isinstance(error, ToolError), "an unknown tool name should come back as a ToolError"

Name each test after the grade id of its cell (a behaviour: `refund_is_idempotent`). A failing
test raises `AssertionError` with a message for the learner: what went wrong, never how the check
works or what the answer is. `hidden()` re-raises it without the hidden test's traceback; an
exception raised inside the learner's code becomes "calling your code raised …"; an unfinished
stub stays `NotImplementedError`. Keep tests silent: a graded cell that writes anything to stderr
(a warning included) scores 0. nb00 is the toy lesson used by the grading tests.
'''

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["HiddenTests"]

class HiddenTests:
    """The hidden tests of one lesson; call it as `hidden("grade_id", globals())` in a test cell."""

    def __init__(self, lesson: str) -> None:
        self.lesson = lesson
        self._tests: dict[str, Callable[..., Any]] = {}

    def test(self, grade_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if grade_id in self._tests:
                raise ValueError(f"hidden test {grade_id!r} of lesson {self.lesson} is defined twice")
            self._tests[grade_id] = fn
            return fn

        return register

    @property
    def names(self) -> list[str]:
        return list(self._tests)

    def __call__(self, grade_id: str, namespace: Mapping[str, Any]) -> None:
        __tracebackhide__ = True  # noqa: F841 - IPython hides this frame in tracebacks
        try:
            fn = self._tests[grade_id]
        except KeyError:
            raise LookupError(f"lesson {self.lesson} has no hidden test {grade_id!r}") from None
        kwargs = {}
        for name in inspect.signature(fn).parameters:
            if name == "ns":
                kwargs[name] = namespace
            elif name in namespace:
                kwargs[name] = namespace[name]
            else:
                raise AssertionError(f"`{name}` is not defined: run the cell that defines it, and keep its name.")
        failure = _run(fn, kwargs)
        if failure is not None:
            raise failure from None


def _passed_through_learner_code(tb: Any) -> bool:
    """Did the exception pass through a function defined in the notebook (module `__main__`)?"""
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == "__main__":
            return True
        tb = tb.tb_next
    return False


def _run(fn: Callable[..., Any], kwargs: dict[str, Any]) -> BaseException | None:
    """Run one test; return the exception to show the learner, stripped of hidden frames, or None."""
    try:
        fn(**kwargs)
    except AssertionError as error:
        return AssertionError(str(error).strip() or "this check did not pass")
    except NotImplementedError as error:
        return NotImplementedError(str(error).strip() or "the exercise is not implemented yet")
    except Exception as error:  # noqa: BLE001
        if not _passed_through_learner_code(sys.exc_info()[2]):
            raise  # a bug in the hidden test itself: let the instructor see it whole
        text = str(error).strip()
        return AssertionError(f"calling your code raised {type(error).__name__}" + (f": {text}" if text else ""))
    return None
