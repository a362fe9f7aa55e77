"""Visible checks of each lesson: `course/checks/nbNN.py`, registered with `course.grading.visible`.

`check("N.k")` in a notebook imports `course.checks.nbNN` on first use and runs the cases of
exercise N.k (see `course.grading.visible`).
"""

__all__: list[str] = []  # the lesson modules register their checks on import; nothing to import from here
