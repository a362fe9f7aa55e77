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
  - the learner's code keeps its source (nbgrader shows it as escaped code) and the outputs they
    submitted, reduced to text (`safe_outputs`): stdout and stderr, a result's or display's
    text/plain, an error's "Name: message"; never html, svg, javascript, widgets or images (any of
    them could act in the page or pass for the grader's), never output metadata; at most
    `OUTPUT_CAP` characters a cell, the rest cut with a marker, so a flood cannot bloat the page;
  - the learner's markdown and raw text is shown as typed, in a literal block (`_literal`), unless
    it is the source's own markdown word for word (the lesson's prose);
  - the grader's notes (`Graded.notes`: a cell that stopped the worker, the time limit, an edited
    test or locked cell, a sandbox gap) are listed in a box first, and each note about one cell
    (`Graded.cell_notes`) again right after that cell; notes may quote learner values, so they
    are literal blocks too.
Nothing in it comes from the hidden tests' code, so feedback rendered from it cannot leak them.
"""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path
from typing import Any

import nbformat

from autograder.grade.engine import Graded
from autograder.grade.plan import cell_kind, cell_meta, cell_source, restore, visible_part
from autograder.gradebook.kept import gradebook_at

__all__ = ["OUTPUT_CAP", "autograded_notebook", "record", "safe_outputs"]

OUTPUT_CAP = 10_000  # characters of a learner's output kept per cell
_MAX_OUTPUTS = 100   # outputs kept per cell (each is a block of the page, even when empty)
_CUT = "\n… (cut)"
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b.?|[\x00-\x08\x0b-\x1f\x7f]")  # ANSI escapes, control characters


def _pairs(source: Any, cells: list[Any]) -> list[tuple[Any | None, Any]]:
    """Each submitted cell with the source cell it stands for (the first with that grade id), or None."""
    by_id = {cell_meta(c)["grade_id"]: c for c in source.cells if cell_meta(c).get("grade_id")}
    pairs: list[tuple[Any | None, Any]] = []
    seen: set[str] = set()
    for cell in cells:
        found = cell_meta(cell).get("grade_id")
        gid = found if isinstance(found, str) else ""
        original = by_id.get(gid) if gid and gid not in seen else None
        if original is not None:
            seen.add(gid)
        pairs.append((original, cell))
    return pairs


def autograded_notebook(source: Any, cells: list[Any] | None, graded: Graded) -> Any:
    """The notebook nbgrader would have written, made of the source's cells and metadata and the learner's text."""
    order: list[str] = [str(cell_meta(c).get("grade_id") or "") for c in source.cells]
    prose = {c.source.strip(): c.source for c in source.cells
             if c.cell_type == "markdown" and cell_kind(c) in ("plain", "locked")}
    out = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    placed: dict[str, int] = {}
    made: dict[int, Any] = {}  # index of a submitted cell -> the cell it became
    for at, (original, cell) in enumerate(_pairs(source, cells or [])):
        if original is None:
            made[at] = _learners(cell, prose)
        else:
            placed[original.metadata["nbgrader"]["grade_id"]] = len(out.cells)
            made[at] = _test_cell(original, graded) if cell_kind(original) == "test" else _from_source(original, cell)
        out.cells.append(made[at])
    for index, gid in enumerate(order):
        if gid and gid not in placed and cell_kind(source.cells[index]) == "test":
            placed = restore(out.cells, _test_cell(source.cells[index], graded), placed, order, index)
    out.cells = _with_notes(out.cells, graded, made)
    for number, node in enumerate(out.cells):
        node.id = f"cell-{number}"  # the same notebook for the same submission
    return out


def _from_source(original: Any, cell: Any) -> Any:
    """An answer cell: the learner's text in the source's cell; any other cell of the source: the source's."""
    if cell_kind(original) != "answer":
        return _in_place_of(original, original.source)
    text = cell_source(cell)
    node = _in_place_of(original, text if original.cell_type == "code" else _literal(text))
    if node.cell_type == "code":
        node.outputs = safe_outputs(cell.get("outputs"))
    return node


def _in_place_of(original: Any, text: str) -> Any:
    """A cell of the source's type and metadata holding `text`."""
    node = _new(original.cell_type, text)
    node.metadata = copy.deepcopy(original.metadata)
    return node


def _learners(cell: Any, prose: dict[str, str]) -> Any:
    """A cell the learner added or kept that the source has no id for: code as source, text as typed."""
    text = cell_source(cell)
    if cell.get("cell_type") == "code":
        node = _new("code", text)
        node.outputs = safe_outputs(cell.get("outputs"))
        return node
    if cell.get("cell_type") == "markdown" and text.strip() in prose:
        return _new("markdown", prose[text.strip()])
    return _new("markdown", _literal(text))


def _new(kind: str, text: str) -> Any:
    """nbformat.v4's new code or markdown cell, made without validating it alone: the notebook is whole and valid
    when it is written (validating each cell cost a submission 20 ms)."""
    cell: dict[str, Any] = {"id": "cell", "cell_type": kind, "metadata": {}, "source": text}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return nbformat.from_dict(cell)


def _literal(text: str) -> str:
    """Markdown that shows `text` exactly as typed: a fenced block, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def _with_notes(cells: list[Any], graded: Graded, made: dict[int, Any]) -> list[Any]:
    """`cells` with the grader's notes: all of them in a box first, each about one cell again right after it."""
    after: dict[int, list[str]] = {}
    for at, text in graded.cell_notes:
        if at in made:
            after.setdefault(id(made[at]), []).append(text)
    out = [_new("markdown", "**The grader's notes on this submission** (a note about one cell is shown after it "
                            "too):\n\n" + _literal("\n".join(f"- {note}" for note in graded.notes)))] if graded.notes else []
    for cell in cells:
        out += [cell, *(_new("markdown", f"**The grader**, on the cell above:\n\n{_literal(text)}")
                        for text in after.get(id(cell), []))]
    return out


def safe_outputs(outputs: Any) -> list[Any]:
    """A learner's outputs as text only (see the module docstring), at most `OUTPUT_CAP` characters in all."""
    kept: list[Any] = []
    left = OUTPUT_CAP
    for output in outputs if isinstance(outputs, list) else []:
        reduced = _reduced(output) if isinstance(output, dict) else None
        if reduced is None:
            continue
        if len(kept) == _MAX_OUTPUTS:
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=_CUT.lstrip()))
            break
        kind, name, text = reduced
        cut = len(text) > left
        text, left = (text[:left] + _CUT, 0) if cut else (text, left - len(text))
        if kind == "stream":
            kept.append(nbformat.v4.new_output("stream", name=name, text=text))
        elif kind == "error":
            kept.append(nbformat.v4.new_output("error", ename=name, evalue=text, traceback=[f"{name}: {text}"]))
        else:
            kept.append(nbformat.v4.new_output(kind, data={"text/plain": text}))
        if cut:
            break
    return kept


def _reduced(output: dict[str, Any]) -> tuple[str, str, str] | None:
    """(output type, stream or error name, text) of a submitted output, or None when it holds no text."""
    kind = output.get("output_type")
    if kind == "stream":
        return "stream", "stderr" if output.get("name") == "stderr" else "stdout", _plain(output.get("text"))
    if kind == "error":
        return "error", _plain(output.get("ename"))[:100] or "Error", _plain(output.get("evalue"))
    data = output.get("data")
    if kind in ("execute_result", "display_data") and isinstance(data, dict) and "text/plain" in data:
        return str(kind), "", _plain(data["text/plain"])
    return None


def _plain(value: Any) -> str:
    """Text as a notebook stores it (a string or a list of strings), without control characters."""
    text = "".join(v for v in value if isinstance(v, str)) if isinstance(value, list) else value
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")) if isinstance(text, str) else ""


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
    notebook = autograded_notebook(source, cells, graded)
    nbformat.validate(notebook)  # raises: nothing nbgrader could not read is written (its cells were made unchecked)
    nbformat.write(notebook, str(path))
    answers = {o.metadata["nbgrader"]["grade_id"]: _in_place_of(o, cell_source(c)) for o, c in _pairs(source, cells or [])
               if o is not None and cell_kind(o) == "answer"}  # the learner's text, as typed, in the source's cell
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SAWarning and friends from nbgrader's SQLAlchemy models
        from nbgrader.api import MissingEntry
        from nbgrader.utils import compute_checksum

        with gradebook_at(gradebook, course_id) as gb:
            gb.update_or_create_student(student)
            kept, remarks = _by_hand(gb, assignment, student)
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
            gb.add_submission(assignment, student)
            notebook = gb.find_submission_notebook(assignment, assignment, student)  # its rows, read once each
            grades, comments = {g.name: g for g in notebook.grades}, {c.name: c for c in notebook.comments}
            stubs = {c.name: c.checksum for c in gb.find_notebook(assignment, assignment).source_cells}
            for result in graded.results:
                grade = _row(grades, result.grade_id, "grade")
                grade.auto_score = result.score
                grade.needs_manual_grade = False
                grade.manual_score, grade.extra_credit = kept.get(result.grade_id, (None, None))
            for cell in source.cells:
                meta = cell_meta(cell)
                if not meta.get("solution"):
                    continue
                mine = answers.get(meta["grade_id"])
                unchanged = mine is None or _checksum(mine, compute_checksum) == _row(stubs, meta["grade_id"], "cell")
                _row(comments, meta["grade_id"], "comment").auto_comment = "No response." if unchanged else None
            for grade_id, text in remarks.items():
                _row(comments, grade_id, "comment").manual_comment = text
            gb.db.commit()
    return path


def _row(rows: dict[str, Any], grade_id: str, what: str) -> Any:
    """The gradebook's row for `grade_id`; nbgrader's own error when it has none (the lesson changed since it was
    added to the gradebook: `course release` again)."""
    from nbgrader.api import MissingEntry

    if grade_id not in rows:
        raise MissingEntry(f"no {what} {grade_id!r} in the gradebook")
    return rows[grade_id]


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
