"""A static reveal.js deck per lesson: `course slides build` (`make slides`), offline.

    build/slides/index.html                      the list of decks
    build/slides/NN-slug.slides.html             one deck per lesson, from its release notebook
    build/slides/reveal.js/                      reveal.js, local (see `course.publish.offline`)

Decks come from the releases as learners get them (no solutions, no hidden tests), cut into
slides by the `slideshow` types stored in each cell (`course.publish.slide_types`), long prose moved
to speaker notes (`course.publish.lecture`). A deck shows the code with the outputs of the reference
run (`--no-outputs`: the code alone, to run live).
To lecture, open a deck in a browser (S: speaker view, F: full screen, Esc: overview), or open
the notebook in JupyterLab and press Alt+R (RISE) to present it live, running each cell.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from course.grading.layout import REPO_ROOT, Lesson, lessons

from .lecture import lecture_cells
from .offline import TEMPLATES, copy_reveal, static_outputs

__all__ = ["build_decks", "deck_html", "lesson_title", "write_index"]


def lesson_title(nb: Any) -> str:
    """The text of the notebook's first heading ("03 · Own your context window")."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return str(line).lstrip("#").strip()
    return "Untitled"


def deck_html(nb: Any, *, footer: str = "", reveal_prefix: str = "reveal.js") -> str:
    """One deck, as HTML text: `nb` cut into slides by its cells' slide types, long prose in speaker notes."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(template_name="course-reveal", extra_template_basedirs=[str(TEMPLATES)],
                              reveal_url_prefix=reveal_prefix, reveal_theme="white", reveal_transition="none", reveal_number="c/t",
                              reveal_width="1280", reveal_height="800", exclude_input_prompt=True,
                              exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(lecture_cells(static_outputs(nb)), resources={"course_deck_footer": footer})
    return str(body)


def write_index(target: Path, title: str, entries: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
                intro: str = "") -> Path:
    """A plain index page: `entries` are (link, title, further links as (href, label)); `intro` is HTML."""
    def item(link: str, name: str, more: Sequence[tuple[str, str]]) -> str:
        extra = "".join(f' · <a href="{html.escape(href)}">{html.escape(label)}</a>' for href, label in more)
        return f'<li><a href="{html.escape(link)}">{html.escape(name)}</a>{extra}</li>'

    items = "\n".join(item(*entry) for entry in entries)
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            '<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.5}</style></head>\n'
            f"<body><h1>{html.escape(title)}</h1>\n{intro}\n<ul>\n{items}\n</ul>\n</body></html>\n")
    path = target / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def build_decks(target: Path, chosen: Sequence[Lesson] | None = None, root: Path = REPO_ROOT, *,
                outputs: bool = True) -> list[Path]:
    """Write a deck for each lesson (default: every lesson with a release) and an index; returns the decks.

    With `outputs` (the default) each deck shows the outputs of the reference run, as the site's do
    (each lesson is run once to build its deck); without, the code alone, to be run live.
    """
    from .site import executed_release

    target.mkdir(parents=True, exist_ok=True)
    copy_reveal(target)
    decks: list[Path] = []
    entries: list[tuple[str, str, Sequence[tuple[str, str]]]] = []
    for lesson in chosen if chosen is not None else [item for item in lessons(root) if item.release.exists()]:
        nb = executed_release(lesson) if outputs else nbformat.read(str(lesson.release), as_version=4)
        title = lesson_title(nb)
        deck = target / f"{lesson.slug}.slides.html"
        deck.write_text(deck_html(nb, footer=f"Twelve-Factor Agents · {title}"), encoding="utf-8")
        decks.append(deck)
        entries.append((deck.name, title, []))
    write_index(target, "Twelve-Factor Agents: slides", entries,
                "<p>One deck per lesson. Arrows or Space to move, S: speaker view, F: full screen, Esc: overview.</p>")
    return decks
