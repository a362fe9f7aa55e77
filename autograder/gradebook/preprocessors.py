"""Two nbgrader preprocessors the course configures in place of (or next to) nbgrader's own.

`RestoreMissingCells` replaces nbgrader's `OverwriteCells` in autograde. nbgrader 0.9.6 re-adds a
deleted graded cell after "the previous source cell", and crashes (KeyError) when that previous
cell is a read-only cell such as a `check("1.1")` cell, or a solution cell that was deleted too.
This version inserts it after the nearest earlier cell of the source that is still present.

`SanitiseFeedback` runs in `nbgrader generate_feedback` (configured in autograder.gradebook.config):
graded test cells keep only their docstring (the hidden test source is dropped) and their
errors keep only "AssertionError: message" (no traceback into autograder/hidden/).
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells
from traitlets import Bool

from autograder.grade.engine import visible_part

__all__ = ["RestoreMissingCells", "SanitiseFeedback", "visible_part"]



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
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
