"""What lets a deck or a page open with no network: local templates, a local reveal.js, static outputs.

nbconvert's own templates load reveal.js, jQuery, require.js, MathJax, Mermaid and the widget
manager from CDNs. The course's templates (`templates/course-reveal`, `templates/course-lab`)
load none of them; reveal.js is copied next to the decks from the copy the `sphinx-revealjs`
package ships (a dependency installed from PyPI with the rest of the course, so building needs
no network either). Mermaid diagrams stay as their source text, which reads as a diagram; RISE
in JupyterLab draws them. Widget outputs keep their HTML report (see `course.widgets`).
"""

from __future__ import annotations

import copy
import importlib.util
import shutil
from pathlib import Path
from typing import Any

__all__ = ["TEMPLATES", "WIDGET_VIEW", "RevealMissing", "copy_reveal", "reveal_source", "static_outputs"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class RevealMissing(RuntimeError):
    """No local copy of reveal.js: the environment lacks `sphinx-revealjs` (run `make env`)."""


def reveal_source() -> Path:
    """The folder holding reveal.js's `dist/` and `plugin/` in the installed sphinx-revealjs."""
    spec = importlib.util.find_spec("sphinx_revealjs")
    if spec is None or not spec.submodule_search_locations:
        raise RevealMissing("reveal.js is not installed: `make env` installs it (the sphinx-revealjs package).")
    folder = Path(next(iter(spec.submodule_search_locations))) / "_static" / "revealjs"
    if not (folder / "dist" / "reveal.js").exists():
        raise RevealMissing(f"no reveal.js in {folder}: reinstall sphinx-revealjs (`make env`).")
    return folder


def copy_reveal(target: Path) -> Path:
    """Copy reveal.js (dist, the notes plugin) to `target/reveal.js`, once; returns that folder."""
    source, folder = reveal_source(), target / "reveal.js"
    for part in ("dist", "plugin/notes"):
        if not (folder / part).exists():
            shutil.copytree(source / part, folder / part, ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
    return folder


def static_outputs(nb: Any) -> Any:
    """A copy of `nb` whose widget outputs show their HTML report (`course.widgets.ReportWidget`), or a note."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                if "text/html" not in data:  # a widget with no report of its own: its repr says nothing useful
                    data["text/plain"] = "(an interactive widget: run the notebook in JupyterLab to use it)"
    return nb
