"""What a worker imports before its hello, for the lesson it will grade.

    warmup.shows_widgets(release_dir)   # True: the lesson's code imports ipywidgets (course.widgets, an approval card)

A worker imports what every notebook needs before it says it is ready (course.worker), so that a worker
started ahead of its submission (autograder.boundary.warm) has it behind it and the submission's clock
does not. The widgets are a sixth of that start (0.1 s of CPU, ipywidgets), and most lessons show none:
on a machine whose two cores are busy with a cohort, each worker that skips them leaves that CPU to
grading. So a worker warms them only for a lesson whose own code imports them: a code cell of its
notebook, or a module of its folder (a stage module that draws an approval card). A learner's cell
that imports them in another lesson pays the import when it runs, as it would in a kernel; nothing
else changes, because this decides only when an import happens, never what runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["shows_widgets"]

_WIDGETS = re.compile(r"^\s*(?:import|from)\s+(?:ipywidgets|course\.widgets)\b", re.MULTILINE)


def shows_widgets(files: Path | None) -> bool:
    """Whether the lesson in `files` (its release folder) imports widgets; True when there is no such folder or
    it cannot be listed, since then nothing says it does not."""
    if files is None:
        return True
    try:
        items = sorted(item for item in Path(files).iterdir() if item.is_file())  # no FIFO, no folder named x.py
    except OSError:
        return True
    for item in items:
        if item.suffix == ".py" and _WIDGETS.search(_text(item)):
            return True
        if item.suffix == ".ipynb" and any(_WIDGETS.search(code) for code in _code_cells(item)):
            return True
    return False


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _code_cells(path: Path) -> list[str]:
    """The code cells' text of a notebook; none when it cannot be read (the worker then starts without widgets)."""
    try:
        cells = json.loads(_text(path)).get("cells", [])
    except (ValueError, AttributeError, RecursionError):
        return []
    out = []
    for cell in cells if isinstance(cells, list) else []:
        source = cell.get("source", "") if isinstance(cell, dict) and cell.get("cell_type") == "code" else ""
        out.append("".join(map(str, source)) if isinstance(source, list) else str(source))
    return out
