"""Score wrong answers fast: one kernel runs the solution notebook, then tries each variant in turn.

A full autograde per wrong answer costs a kernel start and a whole notebook run (~5 s each). Here
the solution notebook (hidden tests included) runs once; then, for each variant of a solution
cell, the variant is defined in the same kernel, the graded cells of that exercise (those after the
solution cell, up to the next one) run again and are scored exactly as nbgrader scores them
(`nbgrader.utils.determine_grade`: an error or any stderr output is 0), and the right solution is
defined again. Used by tests/test_grading_wrong_answers.py; handy for an author trying a wrong answer:

    from course.grading.layout import find_lesson
    from autograder.variants import grade_variants
    grade_variants(find_lesson(2), {"render": ["def render(template, values):\\n    return template"]})
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass

import nbformat

from .config import CELL_TIMEOUT
from course.grading.layout import Lesson
from .nbgrader_run import _quiet, grading_environment

__all__ = ["VariantResult", "exercises", "grade_variants"]


@dataclass(frozen=True)
class VariantResult:
    solution: str  # grade id of the solution cell replaced
    index: int  # which variant of that cell
    scores: dict[str, tuple[float, float]]  # graded cell -> (score, max score)
    messages: dict[str, str]  # graded cell -> error line or stderr text, for failed cells

    @property
    def lost(self) -> float:
        return sum(top - got for got, top in self.scores.values())


def exercises(nb) -> dict[str, list[int]]:
    """Solution grade id -> indices of the graded cells after it, up to the next solution cell."""
    out: dict[str, list[int]] = {}
    current = None
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
            out[current] = []
        elif meta.get("grade") and current is not None:
            out[current].append(index)
    return out


def _fresh(cell):
    copy = nbformat.from_dict(cell)
    copy.outputs, copy.execution_count = [], None
    return copy


def _message(cell) -> str:
    for output in cell.outputs:
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"
        if output.output_type == "stream" and output.name == "stderr":
            return f"stderr: {output.text[:200]}"
    return ""


def grade_variants(lesson: Lesson, variants: dict[str, list[str]], *, timeout: int = CELL_TIMEOUT) -> list[VariantResult]:
    """Score each variant (solution grade id -> replacement sources) of `lesson`'s solution cells."""
    from nbclient import NotebookClient

    with _quiet():
        from nbgrader.utils import determine_grade
    nb = nbformat.read(str(lesson.source), as_version=4)
    by_exercise = exercises(nb)
    cell_of = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    unknown = sorted(set(variants) - set(by_exercise))
    if unknown:
        raise KeyError(f"lesson {lesson.slug} has no solution cell {', '.join(unknown)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="course-variants-") as scratch:
        shutil.copytree(lesson.source_dir, scratch, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb", "__pycache__", ".ipynb_checkpoints"))
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": scratch}},
                                extra_arguments=["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"])
        with grading_environment(), client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
            for solution, sources in variants.items():
                for k, source in enumerate(sources):
                    wrong = _fresh(nb.cells[cell_of[solution]])
                    wrong.source = source.strip("\n")
                    client.execute_cell(wrong, cell_of[solution])
                    scores, messages = {}, {}
                    for index in by_exercise[solution]:
                        test = _fresh(nb.cells[index])
                        client.execute_cell(test, index)
                        score, top = determine_grade(test)
                        grade_id = test.metadata["nbgrader"]["grade_id"]
                        scores[grade_id] = (float(score or 0), float(top))
                        if (score or 0) < top:
                            messages[grade_id] = _message(test)
                    results.append(VariantResult(solution, k, scores, messages))
                    client.execute_cell(_fresh(nb.cells[cell_of[solution]]), cell_of[solution])
    return results
