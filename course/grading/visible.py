"""Visible checks: `check("1.1")` after an exercise, otter-grader style.

Checks of lesson NN live in `course/checks/nbNN.py`, one small function per case:

    from course.grading import visible

    @visible("1.1", hint="Build the model from the tool's arguments; an unknown name is an error.")
    def parses_a_refund(parse_tool_call):            # parameters are looked up by name in the notebook
        intent = parse_tool_call("issue_refund", '{"order_id": 1042, "amount": 20}')
        assert intent.order_id == 1042, f"order_id came back as {intent.order_id!r}"

    @visible("1.1")
    def reads_the_whole_namespace(ns):               # a parameter called `ns` gets the whole namespace
        assert "TOOLS" in ns, "define TOOLS first"

In the notebook, `check("1.1")` finds the learner's functions in the caller's globals, runs every
case of exercise 1.1 (importing `course.checks.nb01` on first use) and returns a `CheckResult`
that renders as "✅ 1.1 passed" or lists each failed case's message and hint. It never raises
for a failing, missing or unfinished answer, so a release runs top to bottom; it never shows
the check's source. An unknown exercise id is an authoring bug and raises `LookupError`.

A case fails with the `AssertionError` message it raises (write what went wrong, not the
answer); any other exception becomes "… raised KeyError: 'x'"; `NotImplementedError` means
"not implemented yet"; a parameter missing from the namespace means "define it first".
Visible checks are cheap and worth 0 points; the points are on the hidden tests.
"""

from __future__ import annotations

import html
import importlib
import inspect
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CaseResult", "CheckResult", "check", "exercises", "run_exercise", "visible"]

_REGISTRY: dict[str, list[tuple[Callable[..., Any], str]]] = {}
_ICONS = {"passed": "✅", "failed": "❌", "todo": "⏳"}


def visible(exercise: str, *, hint: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as one visible check case of `exercise` ("1.1")."""
    _notebook_of(exercise)

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        cases = _REGISTRY.setdefault(exercise, [])
        cases[:] = [(f, h) for f, h in cases if f.__qualname__ != fn.__qualname__]  # re-registering replaces
        cases.append((fn, hint))
        return fn

    return register


@dataclass(frozen=True)
class CaseResult:
    name: str
    status: str  # "passed" | "failed" | "todo"
    message: str = ""
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """What `check()` returns: renders in Jupyter (HTML) and as plain text."""

    exercise: str
    cases: tuple[CaseResult, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        if any(c.status == "todo" for c in self.cases):
            return "todo"
        return "failed" if any(c.status == "failed" for c in self.cases) else "passed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def lines(self) -> list[str]:
        if self.status == "passed":
            return [f"✅ {self.exercise} passed ({len(self.cases)} check{'s' if len(self.cases) != 1 else ''})"]
        if self.status == "todo":
            todo = next(c for c in self.cases if c.status == "todo")
            return [f"⏳ {self.exercise} not implemented yet: {todo.message}"]
        failed = [c for c in self.cases if c.status == "failed"]
        out = [f"❌ {self.exercise}: {len(failed)} of {len(self.cases)} checks failed"]
        for case in failed:
            out.append(f"   • {case.message}")
            if case.hint:
                out.append(f"     hint: {case.hint}")
        return out

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "failed": "#cf222e", "todo": "#9a6700"}[self.status]
        head = self.lines()[0]
        items = "".join(
            f"<li>{html.escape(c.message)}" + (f"<br><em>hint: {html.escape(c.hint)}</em>" if c.hint else "") + "</li>"
            for c in self.cases if c.status == "failed"
        ) if self.status == "failed" else ""
        body = f"<ul style='margin:0.3em 0'>{items}</ul>" if items else ""
        return f"<div class='course-check' style='color:{colour}'><strong>{html.escape(head)}</strong>{body}</div>"

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "status": self.status, "cases": [c.__dict__ for c in self.cases]}


def _notebook_of(exercise: str) -> int:
    head, dot, tail = exercise.partition(".")
    if not (dot and head.isdigit() and tail):
        raise ValueError(f"exercise ids look like '1.1' (lesson.exercise), not {exercise!r}")
    return int(head)


def _load(exercise: str) -> list[tuple[Callable[..., Any], str]]:
    if exercise not in _REGISTRY:
        try:
            importlib.import_module(f"course.checks.nb{_notebook_of(exercise):02d}")
        except ModuleNotFoundError as error:
            if not (error.name or "").startswith("course.checks"):
                raise
    if exercise not in _REGISTRY:
        raise LookupError(f"no visible checks registered for exercise {exercise!r}")
    return _REGISTRY[exercise]


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _unfinished(error: BaseException, namespace: Mapping[str, Any]) -> str:
    """The notebook function the NotImplementedError came from (the innermost one), or "" if none."""
    names, tb = [], error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if tb.tb_frame.f_globals is namespace and namespace.get(code.co_name) is not None:
            names.append(code.co_name)
        tb = tb.tb_next
    return f"`{names[-1]}`" if names else ""


def _asked_too_often(error: BaseException, exercise: str, names: list[str]) -> str:
    """For a scripted check model that ran out of replies: which exercise most likely asked it too often."""
    found = re.search(r"has no reply for call (\d+): its script had (\d+)", str(error))
    if found is None:
        return ""
    who = " or ".join(f"`{name}`" for name in names) or "your code"
    return (f"{who} asked the check's scripted model for reply {found.group(1)}, but the check scripted "
            f"{found.group(2)}: Exercise {exercise} most likely goes on where it should stop (after a Done, after "
            "asking a person, at its step limit) or asks the model twice for one step.")


def _run_case(fn: Callable[..., Any], hint: str, namespace: Mapping[str, Any], exercise: str = "") -> CaseResult:
    name = fn.__name__
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters:
        if param == "ns":
            kwargs[param] = namespace
        elif param in namespace:
            kwargs[param] = namespace[param]
        else:
            return CaseResult(name, "failed", f"`{param}` is not defined: run the cell that defines it (keep its name).", hint)
    try:
        fn(**kwargs)
    except NotImplementedError as error:
        missing = _unfinished(error, namespace) or ", ".join(f"`{p}`" for p in kwargs if p != "ns") or "the exercise"
        return CaseResult(name, "todo", f"{missing} still raises NotImplementedError; replace it with your code.", hint)
    except AssertionError as error:
        return CaseResult(name, "failed", str(error).strip() or f"{name.replace('_', ' ')}: not yet", hint)
    except Exception as error:
        too_often = _asked_too_often(error, exercise, [p for p in kwargs if p != "ns"])
        return CaseResult(name, "failed", too_often or f"your code raised {_describe(error)}", hint)
    return CaseResult(name, "passed")


def run_exercise(exercise: str, namespace: Mapping[str, Any]) -> CheckResult:
    """Run every visible case of `exercise` against `namespace`."""
    return CheckResult(exercise, tuple(_run_case(fn, hint, namespace, exercise) for fn, hint in _load(exercise)))


def check(exercise: str, namespace: Mapping[str, Any] | None = None) -> CheckResult:
    """Run the visible checks of `exercise` against the calling notebook's globals (or `namespace`)."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    return run_exercise(exercise, namespace)


def exercises(notebook: int) -> list[str]:
    """The exercise ids with visible checks for lesson `notebook`, in order."""
    try:
        importlib.import_module(f"course.checks.nb{notebook:02d}")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("course.checks"):
            raise
    ids = [e for e in _REGISTRY if _notebook_of(e) == notebook]
    return sorted(ids, key=lambda e: [int(p) if p.isdigit() else p for p in e.split(".")])


def report_json(notebook: int, namespace: Mapping[str, Any]) -> str:
    """Every exercise of lesson `notebook` checked, as JSON (used by `course check` without hidden tests)."""
    return json.dumps([run_exercise(e, namespace).to_dict() for e in exercises(notebook)])
