"""Visible checks of each lesson: `course/checks/nbNN.py`, registered with `@visible("N.k")`.

The machinery (`check`, `visible`, `CheckResult`) lives in `course.grading.visible`; it is
re-exported here so a check module reads `from course.checks import visible`.
"""

from course.grading.visible import CheckResult, check, visible

__all__ = ["CheckResult", "check", "visible"]
