"""What runs when a submission is graded: its cells read as data, and the steps the lesson's source makes of them.

    cells, problem = read_submission(path)      # the submission's cells, or a sentence on what is wrong
    steps, notes = plan(source_nb, cells)       # code to run and tests to run, in order

The rules these follow are autograder.grade.engine's: the source decides which cells are tests, locked
or visible checks; the submission gives only the learner's own code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.worker.values import short_text

__all__ = ["Step", "cell_kind", "cell_meta", "cell_source", "plan", "read_submission", "restore", "visible_checks",
           "visible_part"]

_HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", flags=re.S)
_VISIBLE_CHECK = re.compile(r"""check\(\s*(["'])[\w.]+\1\s*\)""")


@dataclass(frozen=True)
class Step:
    kind: str  # "code" or "test"
    source: str = ""
    grade_id: str = ""
    restored: bool = False  # the submission had lost this cell; it comes from the source
    cell: int = -1  # its index in the submission's cells (-1: restored from the source)


def cell_meta(cell: Any) -> dict[str, Any]:
    """A cell's nbgrader metadata, or {} for a cell whose metadata is not the shape a notebook's is."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def cell_kind(cell: Any) -> str:
    meta = cell_meta(cell)
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("solution"):
        return "answer"
    if meta.get("locked"):
        return "locked"
    return "plain"


def cell_source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_submission(path_or_nb: Path | str | Any) -> tuple[list[Any] | None, str | None]:
    """The submission's cells, or None and what is wrong with it (in a sentence)."""
    if not isinstance(path_or_nb, (str, Path)):
        return list(path_or_nb.cells), None
    path = Path(path_or_nb)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "the submission has no notebook file"
    except (UnicodeDecodeError, ValueError) as error:
        return None, f"the submitted file is not a valid notebook (not JSON: {short_text(str(error), 100)})"
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        return None, "the submitted file is JSON but not a notebook (it has no list of cells)"
    return cells, None


def plan(source: Any, cells: list[Any], *, checks: bool = True) -> tuple[list[Step], list[tuple[int, str]]]:
    """The steps to run for a submission (see the module docstring), and notes on what was repaired, each with the
    index of the submitted cell it is about. `checks=False` leaves out the lesson's visible-check cells."""
    by_id: dict[str, Any] = {cell_meta(c)["grade_id"]: c for c in source.cells if cell_meta(c).get("grade_id")}
    order: list[str] = [str(cell_meta(c).get("grade_id") or "") for c in source.cells]
    steps: list[Step] = []
    placed: dict[str, int] = {}
    notes: list[tuple[int, str]] = []
    for at, cell in enumerate(cells):
        found = cell_meta(cell).get("grade_id")
        gid = found if isinstance(found, str) else ""
        original = by_id.get(gid) if gid else None
        if original is None or gid in placed:
            if gid and gid in placed:
                notes.append((at, f"a second cell with the id {short_text(gid, 60)!r} ran as ordinary code"))
            elif gid and cell_kind(cell) == "test":
                notes.append((at, f"a test cell with the unknown id {short_text(gid, 60)!r} ran as ordinary code"))
            if cell.get("cell_type") == "code":
                steps.append(Step("code", cell_source(cell), cell=at))
            continue
        kind = cell_kind(original)
        placed[gid] = len(steps)
        if kind == "test":
            if visible_part(cell_source(cell)).strip() != visible_part(cell_source(original)).strip() or cell.get("cell_type") != "code":
                notes.append((at, f"the test cell {gid!r} had been edited; the original test was used"))
            steps.append(Step("test", grade_id=gid, cell=at))
        elif kind == "locked":
            if cell_source(cell).strip() != cell_source(original).strip():
                notes.append((at, f"the locked cell {gid!r} had been edited; it ran as the lesson has it"))
            if original.cell_type == "code":
                steps.append(Step("code", cell_source(original), gid, cell=at))
        elif original.cell_type == "code":
            steps.append(Step("code", cell_source(cell), gid, cell=at))
    for index, gid in enumerate(order):  # restore what the submission lost, after its nearest kept neighbour
        if not gid or gid in placed or cell_kind(by_id[gid]) not in ("test", "locked"):
            continue
        original = by_id[gid]
        if original.cell_type != "code":
            continue
        step = (Step("test", grade_id=gid, restored=True) if cell_kind(original) == "test"
                else Step("code", cell_source(original), gid, restored=True))
        placed = restore(steps, step, placed, order, index)
    if not checks:
        feedback = visible_checks(source)
        steps = [step for step in steps if not (step.kind == "code" and step.grade_id in feedback)]
    return steps, notes


def restore(items: list[Any], item: Any, placed: dict[str, int], order: list[str], index: int) -> dict[str, int]:
    """Put back the source's cell number `index` (an item of `items`) after its nearest earlier neighbour that is
    present, or first; returns the updated positions of the placed grade ids (`placed`: grade id -> index)."""
    earlier = [placed[g] for g in order[:index] if g in placed]
    at = max(earlier) + 1 if earlier else 0
    items.insert(at, item)
    moved = {g: (i + 1 if i >= at else i) for g, i in placed.items()}
    moved[order[index]] = at
    return moved


def visible_checks(source: Any) -> set[str]:
    """The grade ids of the lesson's locked cells that only run its visible checks: `check("N.k")`."""
    return {cell_meta(c)["grade_id"] for c in source.cells if c.cell_type == "code" and cell_kind(c) == "locked"
            and cell_meta(c).get("grade_id") and _VISIBLE_CHECK.fullmatch(cell_source(c).strip())}


def visible_part(source: str) -> str:
    """A test cell's source as a learner may see it (as the release has it): hidden-test regions removed."""
    return _HIDDEN.sub("", source).rstrip()
