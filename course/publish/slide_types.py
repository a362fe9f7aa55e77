"""Slide types for every cell of a lesson, from its headings: the notebooks are the slides.

A lesson's source notebook stores each cell's `metadata.slideshow.slide_type` (nbformat's field,
which RISE in JupyterLab and `jupyter nbconvert --to slides` read, and nbgrader keeps in the
release). The stored types are the one source of truth; they are written by `course slides tag`
from this rule, and a test fails when a source and the rule disagree:

    # Title / ## Section          slide       (one horizontal step per section; the first cell too)
    ### Subsection                subslide    (a vertical step inside the section)
    text after code               subslide    (each explain/show pair is one step)
    code right after the title    subslide    (the title slide stays a title slide)
    hidden-test cells             skip        (empty in the release; nothing to show)
    anything else                 -           (continues the current slide)

A cell tagged `slide-manual` keeps whatever type its author gave it. The notebook's `rise` metadata
(RISE's settings in JupyterLab) is written too: long slides scroll, nothing is centred, and the
theme is one whose fonts ship with reveal.js (the default one fetches its fonts from the web).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["MANUAL_TAG", "RISE_SETTINGS", "SLIDE_TYPES", "derive_slide_types", "stale_slide_types", "tag_notebook"]

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
MANUAL_TAG = "slide-manual"
RISE_SETTINGS = {"theme": "white", "transition": "none", "scroll": True, "center": False,
                 "start_slideshow_at": "selected"}


def _heading(cell: Any) -> int:
    """The level of the markdown heading a cell opens with (0: none)."""
    if cell.get("cell_type") != "markdown":
        return 0
    first = (cell.get("source") or "").lstrip().split("\n", 1)[0]
    level = len(first) - len(first.lstrip("#"))
    return level if 0 < level <= 6 and first[level:level + 1] == " " else 0


def _rule(cells: Sequence[Any], index: int) -> str:
    cell = cells[index]
    if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
        return "skip"
    level = _heading(cell)
    if index == 0 or level in (1, 2):
        return "slide"
    if level >= 3:
        return "subslide"
    previous = next((c for c in reversed(cells[:index]) if not c.get("metadata", {}).get("nbgrader", {}).get("grade")), None)
    if previous is None:
        return "-"
    if cell.get("cell_type") == "markdown" and previous.get("cell_type") == "code":
        return "subslide"
    if cell.get("cell_type") == "code" and _heading(previous) == 1:
        return "subslide"
    return "-"


def _stored(cell: Any) -> str | None:
    value = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    return value if isinstance(value, str) else None


def derive_slide_types(cells: Sequence[Any]) -> list[str]:
    """Each cell's slide type by the rule above (a `slide-manual` cell: its stored type)."""
    return [(_stored(cell) or "-") if MANUAL_TAG in cell.get("metadata", {}).get("tags", []) else _rule(cells, i)
            for i, cell in enumerate(cells)]


def stale_slide_types(path: Path) -> list[str]:
    """Where the notebook's stored slide types differ from the rule: one line per cell, empty when in step."""
    nb = nbformat.read(str(path), as_version=4)
    stale = [f"{path.name} cell {i} ({cell.get('id', '?')}): stored {_stored(cell)!r}, the headings give {wanted!r}"
             for i, (cell, wanted) in enumerate(zip(nb.cells, derive_slide_types(nb.cells), strict=True))
             if _stored(cell) != wanted]
    if nb.metadata.get("rise") != RISE_SETTINGS:
        stale.append(f"{path.name}: the notebook's RISE settings are not the course's")
    return stale


def tag_notebook(path: Path) -> bool:
    """Write the derived slide types into the notebook, leaving every other byte of metadata as it was.

    Returns whether anything changed. The file is written the way the course's notebooks are stored
    (nbformat, one-space indent, a final newline), so a clean diff shows only the slideshow fields.
    """
    nb = nbformat.read(str(path), as_version=4)
    changed = False
    for cell, wanted in zip(nb.cells, derive_slide_types(nb.cells), strict=True):
        if _stored(cell) != wanted:
            cell.metadata.setdefault("slideshow", {})["slide_type"] = wanted
            changed = True
    if nb.metadata.get("rise") != RISE_SETTINGS:
        nb.metadata["rise"] = dict(RISE_SETTINGS)
        changed = True
    if changed:
        nbformat.write(nb, str(path))
    return changed
