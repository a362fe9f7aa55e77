"""Two nbgrader preprocessors the course configures in place of (or next to) nbgrader's own.

`RestoreMissingCells` replaces nbgrader's `OverwriteCells` in autograde. nbgrader 0.9.6 re-adds a
deleted graded cell after "the previous source cell", and crashes (KeyError) when that previous
cell is a read-only cell such as a `check("1.1")` cell, or a solution cell that was deleted too.
This version inserts it after the nearest earlier cell of the source that is still present.

`SanitiseFeedback` runs in `nbgrader generate_feedback` (configured in autograder.gradebook.config):
graded test cells keep only their docstring (the hidden test source is dropped) and their
errors keep only "AssertionError: message" (no traceback into autograder/hidden/); every other
code cell's outputs are reduced to text (autograder.gradebook.verdicts.safe_outputs: the trusted
path's autograded notebook holds nothing else, and plain `nbgrader autograde`'s gets the same).
It also names each test for the page's list of tests (`resources["feedback_tests"]`: grade id ->
{"name": the sentence its docstring opens with, or its grade id in words; "message": its error}).
The course's feedback template (templates/feedback/course_feedback.html.j2, `FEEDBACK_TEMPLATE`)
extends nbgrader's and shows them, escaped, with each test's score.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbgrader
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells
from traitlets import Bool

from autograder.grade.plan import visible_part
from autograder.gradebook.verdicts import safe_outputs

__all__ = ["FEEDBACK_TEMPLATE", "FEEDBACK_TEMPLATE_DIRS", "RestoreMissingCells", "SanitiseFeedback", "behaviour",
           "visible_part"]

FEEDBACK_TEMPLATE = "course_feedback.html.j2"
FEEDBACK_TEMPLATE_DIRS = [str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
                          str(Path(__file__).with_name("templates"))]  # nbgrader's `feedback` first: ours extends it


class RestoreMissingCells(OverwriteCells):  # type: ignore[misc]  # nbgrader is untyped
    def add_missing_grade_cells(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        solutions = {cell.name for cell in source_nb.solution_cells}

        def present() -> dict[str, int]:
            return {c.metadata["nbgrader"]["grade_id"]: i for i, c in enumerate(nb.cells)
                    if c.metadata.get("nbgrader", {}).get("grade_id")}

        for grade_cell in source_nb.grade_cells:
            where = present()
            if grade_cell.name in where:
                continue
            self.log.warning("Missing grade cell %s encountered, adding it back", grade_cell.name)
            index = order.index(grade_cell.name)
            source_cell = source_nb.source_cells[index]
            cell = self.missing_cell_transform(source_cell, grade_cell.max_score,
                                               is_solution=grade_cell.name in solutions)
            before = [where[name] for name in order[:index] if name in where]
            nb.cells.insert(max(before) + 1 if before else 0, cell)
        return nb, resources


class SanitiseFeedback(Preprocessor):
    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type == "code" and "### BEGIN HIDDEN TESTS" in cell.source:
            cell.source = visible_part(cell.source)
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            errors = [output for output in cell.get("outputs", []) if output.output_type == "error"]
            for output in errors:
                output.traceback = [f"{output.ename}: {output.evalue}"]
            gid = cell.metadata["nbgrader"]["grade_id"]
            message = str(errors[0].get("evalue", "")) if errors else ""
            resources.setdefault("feedback_tests", {})[gid] = {
                "name": behaviour(cell.source, gid), "message": message[:600] + ("…" if len(message) > 600 else "")}
        elif cell.cell_type == "code":
            cell.outputs = safe_outputs(cell.get("outputs"))
        return cell, resources


def behaviour(source: str, grade_id: str) -> str:
    """What a test cell checks, for a learner: the first paragraph of its docstring on one line ("Check that ..."),
    or, without one, its grade id in words (`refund_is_idempotent` -> "Refund is idempotent")."""
    try:
        doc = ast.get_docstring(ast.parse(source)) or ""
    except (SyntaxError, ValueError, RecursionError):
        doc = ""
    sentence = " ".join(doc.strip().split("\n\n")[0].split())
    if sentence:
        return sentence if len(sentence) <= 200 else sentence[:199] + "…"
    words = grade_id.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]
