"""Instant feedback in the notebook: `check("1.2")` after each exercise.

Visible checks are cheap, public and worth no points (the hidden tests carry the points). Each
is a plain function registered for an exercise; its parameter names are the names the learner
defines, so `check` finds them in the notebook's globals:

    @visible("1.2", hint="Start from model.model_json_schema().")
    def schema_is_strict(tool_schema, GetOrder):
        assert tool_schema("get_order", GetOrder)["function"]["strict"] is True, "..."

`check` never raises for a failed check, so a notebook runs top to bottom; it returns a result
that renders as a short report: passed, or each failure's message and a hint. It shows no check
source and no answer.
"""

from __future__ import annotations

import html
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CheckResult", "check", "visible"]

_REGISTRY: dict[str, list[tuple[Callable[..., object], str]]] = {}


def visible(exercise: str, *, hint: str = "") -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Register a visible check for `exercise` ("1.2"); `hint` is shown when it fails."""

    def register(function: Callable[..., object]) -> Callable[..., object]:
        _REGISTRY.setdefault(exercise, []).append((function, hint))
        return function

    return register


@dataclass
class CheckResult:
    exercise: str
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def __repr__(self) -> str:
        if self.ok:
            return f"✅ {self.exercise} passed ({self.passed} check{'s' if self.passed != 1 else ''})"
        lines = [f"❌ {self.exercise}: {len(self.failures)} of {len(self.failures) + self.passed} checks failed"]
        lines += [f"   - {failure}" for failure in self.failures]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self.ok:
            return f"<p style='color:#176f2c'><b>✅ {self.exercise} passed</b></p>"
        items = "".join(f"<li>{html.escape(failure)}</li>" for failure in self.failures)
        return f"<div style='color:#a4262c'><b>❌ {self.exercise}</b><ul>{items}</ul></div>"


def check(exercise: str, namespace: dict[str, Any] | None = None) -> CheckResult:
    """Run the visible checks of `exercise` against the caller's definitions (or `namespace`)."""
    if namespace is None:
        frame = inspect.currentframe()
        namespace = frame.f_back.f_globals if frame and frame.f_back else {}
    notebook = exercise.split(".")[0].zfill(2)
    try:
        importlib.import_module(f"course.checks.nb{notebook}")
    except ModuleNotFoundError:
        pass
    checks = _REGISTRY.get(exercise)
    if not checks:
        return CheckResult(exercise, [f"There is no exercise {exercise!r}. Check the number in the cell above."])
    result = CheckResult(exercise)
    for function, hint in checks:
        failure = _run(function, hint, namespace)
        if failure is None:
            result.passed += 1
        else:
            result.failures.append(failure)
    return result


def _run(function: Callable[..., object], hint: str, namespace: dict[str, Any]) -> str | None:
    names = list(inspect.signature(function).parameters)
    missing = [name for name in names if name not in namespace]
    if missing:
        return f"Define {', '.join(missing)} first (run the cell with your answer)."
    hint_text = f" Hint: {hint}" if hint else ""
    try:
        function(*(namespace[name] for name in names))
    except NotImplementedError:
        return f"Not implemented yet: replace `raise NotImplementedError()` with your code.{hint_text}"
    except AssertionError as error:
        return f"{error or 'A check failed.'}{hint_text}"
    except Exception as error:  # noqa: BLE001 - the learner's code raised: say what, not where
        return f"Your code raised {type(error).__name__}: {error}.{hint_text}"
    return None
