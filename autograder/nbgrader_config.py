"""nbgrader configuration of the Twelve-Factor Agents course (course id `twelve-factor-agents`).

The course root is the repository root; every option is set by `autograder.gradebook.config.apply`,
shared with the in-process runners. nbgrader reads nbgrader_config.py from the working directory,
so either run it from here (`cd autograder && nbgrader autograde 01-tools --force`) or name this
file, from the repository root:

    CONFIG=--JupyterApp.config_file=autograder/nbgrader_config.py   # (nbgrader has no --config)
    nbgrader generate_assignment 01-tools --force $CONFIG
    nbgrader autograde 01-tools --force $CONFIG
    nbgrader generate_feedback 01-tools --force $CONFIG   # sanitised: no hidden test source

`course release`, `course autograde DIR` and `course check NOTEBOOK` do the same in-process.
Loading this file sets COURSE_OFFLINE=1 for the nbgrader process, so kernels it starts refuse
real model endpoints.
"""

import os
from pathlib import Path

from autograder.gradebook.config import apply

os.environ["COURSE_OFFLINE"] = "1"
c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by traitlets when it loads this file
apply(c, Path(__file__).resolve().parent.parent)
