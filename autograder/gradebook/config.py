"""The course's nbgrader configuration, as one function of the course root.

`autograder/nbgrader_config.py` (for the `nbgrader` command line) and the in-process runners in
`autograder.gradebook.nbgrader_run` both build their configuration here, so the two never drift.

    source_directory   solutions/            release_directory   notebooks/
    submitted          var/submitted/        autograded          var/autograded/
    feedback           var/feedback/         gradebook           var/gradebook.db

Autograde restores deleted or edited test cells from the source (`add_missing_cells`, with
autograder.gradebook.preprocessors.RestoreMissingCells in place of nbgrader's OverwriteCells), runs
each cell for at most `CELL_TIMEOUT` seconds, and its kernel sees `COURSE_OFFLINE=1` (set by
the runners, and by the config file for the command line), so no real model is ever called.
`nbgrader generate_feedback` with this configuration strips hidden tests and their tracebacks
(autograder.gradebook.preprocessors.SanitiseFeedback). Late penalties follow the policy `course term late`
keeps in the gradebook (autograder.gradebook.deadlines).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from course.grading.layout import WORKING_FILES

__all__ = ["CELL_TIMEOUT", "COURSE_ID", "DIRECTORIES", "GRADEBOOK", "apply", "nbgrader_config"]

COURSE_ID = "twelve-factor-agents"
GRADEBOOK = "var/gradebook.db"
CELL_TIMEOUT = 60
STARTUP_TIMEOUT = 60
DIRECTORIES = {
    "source_directory": "solutions",
    "release_directory": "notebooks",
    "submitted_directory": "var/submitted",
    "autograded_directory": "var/autograded",
    "feedback_directory": "var/feedback",
    "solution_directory": "var/solution",
    "source_with_tests_directory": "var/source_with_tests",
}
_IGNORE = [*WORKING_FILES, "feedback", "*.db", ".DS_Store", "var"]


def apply(c: Any, root: Path | str, *, gradebook: Path | str | None = None) -> Any:
    """Set the course's options on the traitlets config `c` (a `Config` or `get_config()`)."""
    root = Path(root).resolve()
    db = Path(gradebook) if gradebook else root / GRADEBOOK
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    for name, value in DIRECTORIES.items():
        setattr(c.CourseDirectory, name, value)
    c.CourseDirectory.db_url = f"sqlite:///{db}"
    c.CourseDirectory.ignore = list(_IGNORE)
    c.Execute.timeout = CELL_TIMEOUT
    c.Execute.startup_timeout = STARTUP_TIMEOUT
    c.Execute.interrupt_on_timeout = True
    c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
    c.OverwriteCells.add_missing_cells = True
    c.AssignLatePenalties.plugin_class = "autograder.gradebook.deadlines.CourseLatePolicy"  # `course term late`
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Autograde.sanitize_preprocessors = [  # nbgrader's list, with OverwriteCells made robust
        "nbgrader.preprocessors.ClearOutput",
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "autograder.gradebook.preprocessors.RestoreMissingCells",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    c.GenerateFeedback.preprocessors = [  # nbgrader's, plus: no hidden test source, no traceback
        "nbgrader.preprocessors.GetGrades",
        "autograder.gradebook.preprocessors.SanitiseFeedback",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    from autograder.gradebook.preprocessors import FEEDBACK_TEMPLATE, FEEDBACK_TEMPLATE_DIRS  # nbgrader's, tests named
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = list(FEEDBACK_TEMPLATE_DIRS)
    c.GenerateFeedback.HTMLExporter.template_file = FEEDBACK_TEMPLATE
    return c


def nbgrader_config(root: Path | str, *, gradebook: Path | str | None = None) -> Any:
    """A fresh traitlets `Config` for the course rooted at `root`."""
    from traitlets.config import Config

    return apply(Config(), root, gradebook=gradebook)
