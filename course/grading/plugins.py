"""The one seam between the learner's side and the grader: an entry point, never an import.

The repository's package declares, in pyproject.toml,

    [project.entry-points."twelve_factor_course.grader"]
    grader = "autograder.cli"

and `grader()` loads that module where it is installed: it adds the instructor commands to `course`
and grades `course check` on the trusted path. The student edition declares no such entry point,
so there the learner's side runs alone (visible checks only) and nothing in `course/` names the
grader's modules.
"""

from __future__ import annotations

from importlib import metadata
from types import ModuleType

__all__ = ["GROUP", "grader"]

GROUP = "twelve_factor_course.grader"


def grader() -> ModuleType | None:
    """The grader's command module, or None where it is not installed."""
    for entry in metadata.entry_points(group=GROUP):
        try:
            loaded: ModuleType = entry.load()
            return loaded
        except ImportError:  # declared by a stale install but not present: the learner's side alone
            return None
    return None
