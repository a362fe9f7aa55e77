'''Hidden tests: the logic behind one-line graded test cells. Instructor side only.

A graded test cell of lesson NN (nbgrader "Autograder tests", with points) reads

    """Check that parse_tool_call rejects a tool the shop does not have."""
    ### BEGIN HIDDEN TESTS
    from autograder.hidden.nb01 import hidden
    hidden("parse_rejects_unknown_tool", globals())
    ### END HIDDEN TESTS

and autograder/hidden/nb01.py holds the test, registered under the cell's grade id:

    hidden = HiddenTests("01")

    @hidden.test("parse_rejects_unknown_tool")
    def _(parse_tool_call, ToolCallError):   # each parameter: the learner's name, as a `Remote`
        error = raised(parse_tool_call, "drop_database", "{}")
        assert error is not None and error.isa(ToolCallError), "an unknown tool should raise ToolCallError"

The trusted grader (autograder.grade.engine) never runs that cell: it runs the test here, in the grading
process, against the learner's notebook running in a sandboxed worker (autograder.boundary.session), and
each parameter is a `Remote` handle on the learner's object (autograder.boundary.remote). Plain nbgrader runs
the cell in the learner's kernel; then `hidden(...)` runs the same test against the kernel's
globals in-process (and trusts the submission, as all in-kernel grading does).

A parameter named `rng` gets a `random.Random` seeded from the grading's seed and the test's grade id:
a test draws its order ids, amounts, names and wording from it at grading time, so a submission
cannot special-case the inputs of public, fixed tests; the seed is printed with the verdict
(`verdict.json`), and `COURSE_GRADING_SEED=N` (or `--seed N`) grades again with the same draws.

A failing test raises `AssertionError` with a message for the learner: what went wrong, never how
the check works or what the answer is. A parameter named `learner` gets the `Learner` itself
(`learner.defines(name)`, `learner.subclass(...)`). Verdicts, in `Verdict.status`:
"passed"; "failed" (an assertion, or learner code raised, or the worker died); "todo" (a stub still
raises NotImplementedError). nb00 is the toy lesson used by the grading tests.

One mark keeps grading fast, and changes no verdict: `@hidden.test(id, interpreter=True)` for a test
that asks for `learner.fresh(interpreter=True)` (the grader starts that interpreter beside the
cells). A stand-in that learner code calls thousands of times a test (lesson 03's render_event, for
every event of every context built) is a function of the course package (course.grading.stand_ins):
it is sent by import path and runs in the worker, a call instead of a round trip.
'''

from __future__ import annotations

import inspect
import os
import random
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autograder.boundary.in_kernel import LocalSession
from autograder.boundary.remote import Learner, LearnerError, LearnerNotImplemented, Remote, raised
from autograder.boundary.session import TimeLimit, WorkerDied
from course.worker.values import short_text

__all__ = ["HiddenTests", "Learner", "LearnerError", "Remote", "Verdict", "draws", "grading_seed", "raised"]

_MAX_MESSAGE = 600


@dataclass(frozen=True)
class Verdict:
    status: str  # "passed", "failed", "todo" or "not-run" (the submission's time limit came first)
    message: str = ""
    worker_died: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class HiddenTests:
    """The hidden tests of one lesson, by grade id."""

    def __init__(self, lesson: str) -> None:
        self.lesson = lesson
        self._tests: dict[str, Callable[..., Any]] = {}
        self.interpreters: set[str] = set()  # tests that ask for a brand-new interpreter (the grader starts it early)

    def test(self, grade_id: str, *, interpreter: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a test; `interpreter=True` when it uses `learner.fresh(interpreter=True)`, so that the grader
        starts that interpreter while the notebook's cells run rather than when the test asks (a second saved)."""
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if grade_id in self._tests:
                raise ValueError(f"hidden test {grade_id!r} of lesson {self.lesson} is defined twice")
            if interpreter:
                self.interpreters.add(grade_id)
            self._tests[grade_id] = fn
            return fn

        return register

    @property
    def names(self) -> list[str]:
        return list(self._tests)

    def run(self, grade_id: str, learner: Learner, seed: int = 0) -> Verdict:
        """Run one test against `learner`, its inputs drawn from `seed`; never raises for anything the learner's code does."""
        try:
            fn = self._tests[grade_id]
        except KeyError:
            raise LookupError(f"lesson {self.lesson} has no hidden test {grade_id!r}") from None
        try:
            kwargs = {name: learner if name == "learner" else draws(seed, self.lesson, grade_id) if name == "rng"
                      else _defined(learner, name) for name in inspect.signature(fn).parameters}
            fn(**kwargs)
        except LearnerNotImplemented as error:
            return Verdict("todo", _clip(error.message or "the exercise is not implemented yet"))
        except AssertionError as error:
            return Verdict("failed", _clip(_asked_too_often(str(error)) or str(error).strip() or "this check did not pass"))
        except LearnerError as error:
            return Verdict("failed", _clip(_asked_too_often(str(error)) or f"calling your code raised {error}"))
        except TimeLimit as limit:
            return Verdict("not-run", _clip(f"not run: time limit ({limit.reason})"), worker_died=True)
        except WorkerDied as died:
            return Verdict("failed", _clip(f"your code stopped the grading worker: {died.reason}"), worker_died=True)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            # A learner object of an unexpected shape (a dict where a list belongs...): a failure, not a crash.
            return Verdict("failed", _clip(f"this test could not read what your code returned ({type(error).__name__})"))
        return Verdict("passed")

    def __call__(self, grade_id: str, namespace: Mapping[str, Any]) -> None:
        """Plain nbgrader: run the test in the learner's kernel, against its globals."""
        __tracebackhide__ = True
        verdict = self.run(grade_id, Learner(LocalSession(dict(namespace) if not isinstance(namespace, dict)
                                                          else namespace)), grading_seed())
        if verdict.status == "todo":
            raise NotImplementedError(verdict.message) from None
        if not verdict.passed:
            raise AssertionError(verdict.message) from None


def grading_seed() -> int:
    """A new grading's seed: `COURSE_GRADING_SEED` when set (to reproduce a verdict), else drawn from the OS."""
    given = os.environ.get("COURSE_GRADING_SEED", "").strip()
    if not given:
        return secrets.randbits(32)
    if not (given.isascii() and given.isdigit()):
        raise ValueError(f"COURSE_GRADING_SEED must be a whole number such as 1234 (the seed a verdict.json "
                         f"records), not {given!r}; unset it to draw a new one.")
    return int(given)


def draws(seed: int, lesson: str, grade_id: str) -> random.Random:
    """The random source of one test in one grading: the same seed draws the same inputs, whatever ran before."""
    return random.Random(f"{seed}:{lesson}:{grade_id}")


def _defined(learner: Learner, name: str) -> Remote:
    if not learner.defines(name):
        raise AssertionError(f"`{name}` is not defined: run the cell that defines it, and keep its name.")
    return learner[name]


def _asked_too_often(text: str) -> str:
    """A scripted test model that ran out of replies, said as what it most likely means, without its transcript."""
    found = re.search(r"has no reply for call (\d+): its script had (\d+)", text)
    if found is None:
        return ""
    before = text.split(" raised ", 1)[0] if " raised " in text else "your code"
    return (f"{before} asked the test's scripted model for reply {found.group(1)}, but the test scripted "
            f"{found.group(2)}: the function this test checks most likely goes on where it should stop (after a Done, "
            "after asking a person, at its step limit) or asks the model twice for one step.")


def _clip(text: str) -> str:
    return short_text(text, _MAX_MESSAGE)
