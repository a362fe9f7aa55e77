"""The failures a grader may plan for a learner call, by name: a fixed table, never an import path.

The grader sends its shop's fault plan with each call (course.shop.FaultPlan.to_data); the worker
rebuilds it from this table, and sends back only counts of what the call used up.
"""

from __future__ import annotations

from course.llm import ConfigError
from course.shop import errors

__all__ = ["FAULT_KINDS"]

FAULT_KINDS: dict[str, type[Exception]] = {
    cls.__name__: cls for cls in (ConfigError, *(getattr(errors, name) for name in errors.__all__),
                                  ConnectionResetError, TimeoutError)  # a library's own errors (lesson 09)
}
