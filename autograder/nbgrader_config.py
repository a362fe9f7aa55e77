"""nbgrader configuration of the Twelve-Factor Agents course (course id `twelve-factor-agents`).

The course root is the repository root; every option is set by `course.grading.config.apply`,
shared with the in-process runners. From the repository root:

    nbgrader generate_assignment 01-tools --force --config autograder/nbgrader_config.py
    nbgrader autograde 01-tools --config autograder/nbgrader_config.py
    course feedback 01-tools            # sanitised feedback; do not use `nbgrader generate_feedback`

`course release`, `course autograde DIR` and `course check NOTEBOOK` do the same in-process.
Loading this file sets COURSE_OFFLINE=1 for the nbgrader process, so kernels it starts refuse
real model endpoints.
"""

import os
from pathlib import Path

from course.grading.config import apply

os.environ["COURSE_OFFLINE"] = "1"
c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
apply(c, Path(__file__).resolve().parent.parent)
