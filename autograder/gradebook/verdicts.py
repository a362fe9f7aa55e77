"""Write a trusted verdict where nbgrader keeps grades: its gradebook, and an "autograded" notebook.

    record(root, "01-tools", "maya", graded, submission_cells, gradebook=db)

Scores go into nbgrader's gradebook through nbgrader's own API (`Gradebook.add_submission`,
`find_grade(...).auto_score`, `find_comment(...).auto_comment`), exactly the fields nbgrader's
`SaveAutoGrades` fills, so formgrader, `nbgrader export` and `nbgrader generate_feedback` work
as after `nbgrader autograde`. The assignment must be in the gradebook already (generate_assignment).

The autograded notebook (var/autograded/<student>/<lesson>/<lesson>.ipynb) is what nbgrader's
feedback page and formgrader render, for the learner and the instructor, so what the learner wrote
is in it as data, never as markup or metadata:
  - its notebook metadata, each graded, answer or locked cell's type and every nbgrader field come
    from the source; submitted cells are matched to the source by grade id as autograder.grade.engine
    matches them (the first cell with a source's id is that cell), any other cell has no metadata;
  - test cells and locked cells are the source's (test cells minus their hidden region), and a test
    cell's only output is the verdict: an error holding the grader's message for a failed test;
  - the learner's code keeps its source (nbgrader shows it as escaped code) and loses its outputs:
    the grader did not make them, and an html, svg or javascript output would run in the page;
  - the learner's markdown and raw text is shown as typed, in a literal block (`_literal`), unless
    it is the source's own markdown word for word (the lesson's prose).
Nothing in it comes from the hidden tests' code, so feedback rendered from it cannot leak them.
"""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path
from typing import Any

import nbformat

from autograder.grade.engine import Graded, _kind, _meta, _source, restore, visible_part

__all__ = ["autograded_notebook", "record"]


def _pairs(source: Any, cells: list[Any]) -> list[tuple[Any | None, Any]]:
    """Each submitted cell with the source cell it stands for (the first with that grade id), or None."""
    by_id = {_meta(c)["grade_id"]: c for c in source.cells if _meta(c).get("grade_id")}
    pairs: list[tuple[Any | None, Any]] = []
    seen: set[str] = set()
    for cell in cells:
        found = _meta(cell).get("grade_id")
        gid = found if isinstance(found, str) else ""
        original = by_id.get(gid) if gid and gid not in seen else None
        if original is not None:
            seen.add(gid)
        pairs.append((original, cell))
    return pairs


def autograded_notebook(source: Any, cells: list[Any] | None, graded: Graded) -> Any:
    """The notebook nbgrader would have written, made of the source's cells and metadata and the learner's text."""
    order: list[str] = [str(_meta(c).get("grade_id") or "") for c in source.cells]
    prose = {c.source.strip(): c.source for c in source.cells
             if c.cell_type == "markdown" and _kind(c) in ("plain", "locked")}
    out = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    placed: dict[str, int] = {}
    for original, cell in _pairs(source, cells or []):
        if original is None:
            out.cells.append(_learners(cell, prose))
            continue
        placed[original.metadata["nbgrader"]["grade_id"]] = len(out.cells)
        out.cells.append(_test_cell(original, graded) if _kind(original) == "test" else _from_source(original, cell))
    for index, gid in enumerate(order):
        if gid and gid not in placed and _kind(source.cells[index]) == "test":
            placed = restore(out.cells, _test_cell(source.cells[index], graded), placed, order, index)
    for number, node in enumerate(out.cells):
        node.id = f"cell-{number}"  # the same notebook for the same submission
    return out


def _from_source(original: Any, cell: Any) -> Any:
    """An answer cell: the learner's text in the source's cell; any other cell of the source: the source's."""
    if _kind(original) != "answer":
        return _in_place_of(original, original.source)
    text = _source(cell)
    return _in_place_of(original, text if original.cell_type == "code" else _literal(text))


def _in_place_of(original: Any, text: str) -> Any:
    """A cell of the source's type and metadata holding `text`."""
    node = _new(original.cell_type, text)
    node.metadata = copy.deepcopy(original.metadata)
    return node


def _learners(cell: Any, prose: dict[str, str]) -> Any:
    """A cell the learner added or kept that the source has no id for: code as source, text as typed."""
    text = _source(cell)
    if cell.get("cell_type") == "code":
        return _new("code", text)
    if cell.get("cell_type") == "markdown" and text.strip() in prose:
        return _new("markdown", prose[text.strip()])
    return _new("markdown", _literal(text))


def _new(kind: str, text: str) -> Any:
    return nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text)


def _literal(text: str) -> str:
    """Markdown that shows `text` exactly as typed: a fenced block, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


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
    answers = {o.metadata["nbgrader"]["grade_id"]: _in_place_of(o, _source(c)) for o, c in _pairs(source, cells or [])
               if o is not None and _kind(o) == "answer"}  # the learner's text, as typed, in the source's cell
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SAWarning and friends from nbgrader's SQLAlchemy models
        from nbgrader.api import Gradebook, MissingEntry
        from nbgrader.utils import compute_checksum

        with Gradebook(f"sqlite:///{gradebook}", course_id) as gb:
            gb.update_or_create_student(student)
            kept, remarks = _by_hand(gb, assignment, student)
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
            gb.add_submission(assignment, student)
            for result in graded.results:
                grade = gb.find_grade(result.grade_id, assignment, assignment, student)
                grade.auto_score = result.score
                grade.needs_manual_grade = False
                grade.manual_score, grade.extra_credit = kept.get(result.grade_id, (None, None))
            for cell in source.cells:
                meta = _meta(cell)
                if not meta.get("solution"):
                    continue
                comment = gb.find_comment(meta["grade_id"], assignment, assignment, student)
                mine = answers.get(meta["grade_id"])
                stub = gb.find_source_cell(meta["grade_id"], assignment, assignment).checksum
                unchanged = mine is None or _checksum(mine, compute_checksum) == stub
                comment.auto_comment = "No response." if unchanged else None
            for grade_id, text in remarks.items():
                gb.find_comment(grade_id, assignment, assignment, student).manual_comment = text
            gb.db.commit()
    return path


def _by_hand(gb: Any, assignment: str, student: str) -> tuple[dict[str, Any], dict[str, str]]:
    """What an instructor set in formgrader on the submission being replaced: {grade id: (manual score, extra
    credit)} and {grade id: manual comment}. A regrade writes the grader's scores and keeps these: nbgrader
    counts a manual score in place of the automatic one, in formgrader, exports and feedback alike."""
    from nbgrader.api import MissingEntry

    try:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
    except MissingEntry:
        return {}, {}
    return ({g.name: (g.manual_score, g.extra_credit) for g in notebook.grades
             if g.manual_score is not None or g.extra_credit},
            {c.name: c.manual_comment for c in notebook.comments if c.manual_comment})


def _checksum(cell: Any, compute: Any) -> str | None:
    try:
        return str(compute(nbformat.from_dict(cell)))
    except Exception:
        return None
