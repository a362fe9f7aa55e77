"""Scores and learner-facing messages of an autograded notebook.

Scores come from the gradebook (what nbgrader recorded); messages come from the outputs of each
graded cell in the autograded notebook: the error's "Name: message" line only (never its
traceback, never the cell's source), or the stderr text that cost the points: nbgrader gives 0
to a graded cell that writes anything to stderr, a warning included, so a correct answer that
emits a DeprecationWarning loses the cell's points and the report says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["CellGrade", "NotebookGrade", "read_grades"]

_MISSING = "was missing from the submission"


@dataclass(frozen=True)
class CellGrade:
    grade_id: str
    score: float
    max_score: float
    message: str = ""  # why points were lost ("" when full marks)
    restored: bool = False  # the test cell had been deleted or edited and was restored

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass(frozen=True)
class NotebookGrade:
    assignment: str
    student: str
    cells: tuple[CellGrade, ...]
    notes: tuple[str, ...] = ()  # what the grader repaired or noticed (edited test cells, a crashed cell...)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)

    def cell(self, grade_id: str) -> CellGrade:
        return next(c for c in self.cells if c.grade_id == grade_id)

    def lines(self) -> list[str]:
        width = max((len(c.grade_id) for c in self.cells), default=10)
        out = []
        for c in self.cells:
            mark = "✅" if c.passed else "❌"
            line = f"  {mark} {c.grade_id:<{width}}  {_num(c.score)} / {_num(c.max_score)}"
            if c.message:
                line += f"   {c.message}"
            out.append(line)
        out += [f"  note: {note}" for note in self.notes]
        out.append(f"  Score: {_num(self.score)} / {_num(self.max_score)}")
        return out


def _num(x: float) -> str:
    return f"{x:g}"


def _message(cell: nbformat.NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            if output.ename == "NotImplementedError":
                return "not implemented yet (NotImplementedError)"
            text = str(output.evalue).strip()
            return f"{output.ename}: {text}" if text else output.ename
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            text = " ".join(str(output.text).split())
            return f"the cell wrote to stderr, which scores 0 (warnings count too): {text[:300]}"
    return ""


def read_grades(root: Path | str, assignment: str, student: str, *, gradebook: Path | str | None = None) -> NotebookGrade:
    """The grades of `student`'s notebook `assignment` after `nbgrader_run.autograde`."""
    from autograder.gradebook.config import GRADEBOOK, nbgrader_config
    from autograder.gradebook.nbgrader_run import _quiet

    root = Path(root)
    config = nbgrader_config(root, gradebook=gradebook)
    autograded = root / config.CourseDirectory.autograded_directory / student / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(str(autograded), as_version=4)
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    with _quiet():
        from nbgrader.api import Gradebook

        db = gradebook or root / GRADEBOOK
        with Gradebook(f"sqlite:///{db}", config.CourseDirectory.course_id) as gb:
            submission = gb.find_submission_notebook(assignment, assignment, student)
            scores = {g.name: (float(g.score), float(g.max_score)) for g in submission.grades}
            order = [c.name for c in gb.find_notebook(assignment, assignment).source_cells if c.name in scores]
    verdict_file = autograded.parent / "verdict.json"  # written by the trusted grader (autograder.grade.trusted)
    verdict = json.loads(verdict_file.read_text(encoding="utf-8")) if verdict_file.exists() else {}
    cells = []
    for grade_id in order:
        score, max_score = scores[grade_id]
        cell = by_id.get(grade_id)
        message = _message(cell) if cell is not None and score < max_score else ""
        restored = grade_id in verdict.get("restored", []) or (cell is not None and _MISSING in cell.source)
        if restored:
            message = (message + " " if message else "") + "(this test cell had been deleted; it was restored)"
        cells.append(CellGrade(grade_id, score, max_score, message, restored))
    return NotebookGrade(assignment, student, tuple(cells), tuple(verdict.get("notes", [])))
