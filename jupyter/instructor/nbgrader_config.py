"""nbgrader's configuration for formgrader in `make instructor-lab`.

Formgrader reads nbgrader_config.py from Jupyter's configuration path, not from autograder/, so the Makefile puts
this folder on JUPYTER_CONFIG_PATH and this file loads the course's own (autograder/nbgrader_config.py): the same
course id, course root and gradebook as `course release` and `course autograde`.
"""

from pathlib import Path

load_subconfig(str(Path(__file__).resolve().parents[2] / "autograder" / "nbgrader_config.py"))  # type: ignore[name-defined]  # noqa: F821
