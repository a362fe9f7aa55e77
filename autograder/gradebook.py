"""Write a trusted verdict where nbgrader keeps grades: its gradebook, and an "autograded" notebook.

    record(root, "01-tools", "maya", graded, submission_cells, gradebook=db)

Scores go into nbgrader's gradebook through nbgrader's own API (`Gradebook.add_submission`,
`find_grade(...).auto_score`, `find_comment(...).auto_comment`), exactly the fields nbgrader's
`SaveAutoGrades` fills, so formgrader, `nbgrader export` and `nbgrader generate_feedback` work
as after `nbgrader autograde`. The assignment must be in the gradebook already (generate_assignment).

The autograded notebook (var/autograded/<student>/<lesson>/<lesson>.ipynb) is the submission with
every test cell as the source has it, minus its hidden region, and the verdict as its output: an
error output holding the grader's message for a failed test, nothing for a passed one. Nothing in
it comes from the hidden tests' code, so feedback rendered from it cannot leak them.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import nbformat

from .engine import Graded, _kind, _meta, restore, visible_part

__all__ = ["autograded_notebook", "record"]


def autograded_notebook(source: Any, cells: list[Any] | None, graded: Graded) -> Any:
    """The notebook nbgrader would have written: the submission's cells, the source's test cells, verdicts."""
    by_id = {_meta(c)["grade_id"]: c for c in source.cells if _meta(c).get("grade_id")}
    order: list[str] = [str(_meta(c).get("grade_id") or "") for c in source.cells]
    out = nbformat.v4.new_notebook(metadata=source.metadata)
    placed: dict[str, int] = {}
    for cell in cells if cells is not None else []:
        gid = _meta(cell).get("grade_id")
        if isinstance(gid, str) and gid in by_id and gid not in placed and _kind(by_id[gid]) == "test":
            placed[gid] = len(out.cells)
            out.cells.append(_test_cell(by_id[gid], graded))
            continue
        try:
            node = nbformat.from_dict(cell)
            nbformat.validate(nbformat.v4.new_notebook(cells=[node]))
        except Exception:
            continue
        if isinstance(gid, str) and gid in by_id and gid not in placed:
            placed[gid] = len(out.cells)
        elif isinstance(gid, str) and (gid in placed or gid not in by_id):
            node.metadata.pop("nbgrader", None)  # a duplicate or unknown id is an ordinary cell now
        out.cells.append(node)
    for index, gid in enumerate(order):
        if gid and gid not in placed and _kind(by_id[gid]) == "test":
            placed = restore(out.cells, _test_cell(by_id[gid], graded), placed, order, index)
    return out


def _test_cell(original: Any, graded: Graded) -> Any:
    gid = original.metadata["nbgrader"]["grade_id"]
    cell = nbformat.v4.new_code_cell(visible_part(original.source), metadata=nbformat.from_dict(original.metadata))
    result = next((r for r in graded.results if r.grade_id == gid), None)
    if result is not None and result.score < result.max_score:
        name = "NotImplementedError" if result.status == "todo" else "AssertionError"
        cell.outputs = [nbformat.v4.new_output("error", ename=name, evalue=result.message,
                                               traceback=[f"{name}: {result.message}"])]
    return cell


def record(root: Path | str, assignment: str, student: str, graded: Graded, cells: list[Any] | None, *,
           source: Any, gradebook: Path | str, course_id: str, autograded_dir: str = "var/autograded") -> Path:
    """Put `graded` into the gradebook and write the autograded notebook; returns its path."""
    path = Path(root) / autograded_dir / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(autograded_notebook(source, cells, graded), str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SAWarning and friends from nbgrader's SQLAlchemy models
        from nbgrader.api import Gradebook, MissingEntry
        from nbgrader.utils import compute_checksum

        submitted = {(_meta(c).get("grade_id")): c for c in cells or [] if _meta(c).get("grade_id")}
        with Gradebook(f"sqlite:///{gradebook}", course_id) as gb:
            gb.update_or_create_student(student)
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
            gb.add_submission(assignment, student)
            for result in graded.results:
                grade = gb.find_grade(result.grade_id, assignment, assignment, student)
                grade.auto_score = result.score
                grade.needs_manual_grade = False
            for cell in source.cells:
                meta = _meta(cell)
                if not meta.get("solution"):
                    continue
                comment = gb.find_comment(meta["grade_id"], assignment, assignment, student)
                mine = submitted.get(meta["grade_id"])
                stub = gb.find_source_cell(meta["grade_id"], assignment, assignment).checksum
                unchanged = mine is None or _checksum(mine, compute_checksum) == stub
                comment.auto_comment = "No response." if unchanged else None
            gb.db.commit()
    return path


def _checksum(cell: Any, compute: Any) -> str | None:
    try:
        return str(compute(nbformat.from_dict(cell)))
    except Exception:
        return None
