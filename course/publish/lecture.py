"""A lesson as a deck to lecture from: the slide keeps what the room looks at, the rest goes to the notes.

A notebook's prose is written to be read alone, so a deck made of it verbatim is a wall of text. The
deck is derived, never written by hand: each long markdown cell is cut in two, the slide keeping its
headings, its first sentences, its diagram, a short list or a small table; every other paragraph
becomes a speaker note (a `notes` cell, which reveal.js shows in its speaker view, key S). A slide that
would still be taller than the deck is continued on a subslide. The notebook itself is not changed:
learners read it whole, RISE presents it whole.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["SLIDE_WORDS", "lecture_cells"]

SLIDE_WORDS = 45
"""A slide's prose, at most: about two sentences; the rest is said, not shown."""

_LIST_ITEMS, _LIST_WORDS, _TABLE_ROWS, _CODE_LINES = 6, 18, 9, 12
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*`(\"'])")


def lecture_cells(nb: Any) -> Any:
    """A copy of `nb` whose long markdown cells are split into the slide's part and a speaker note."""
    out = copy.deepcopy(nb)
    cells: list[Any] = []
    for cell in out.cells:
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if cell.cell_type != "markdown" or slide_type in ("skip", "notes"):
            cells.append(cell)
            continue
        title = not any(c.cell_type == "markdown" for c in cells)  # the title slide: the lesson's name alone
        shown, said = _split(cell.source, 0 if title else SLIDE_WORDS)
        cell.source = shown
        cells.append(cell)
        if said:
            note = copy.deepcopy(cell)
            note.source, note.metadata = said, {**note.metadata, "slideshow": {"slide_type": "notes"}}
            if "id" in note:
                note["id"] = f"{cell['id']}-notes"[:64]
            cells.append(note)
    out.cells = _paginate([cell for cell in cells if cell.source.strip() or cell.cell_type != "markdown"])
    return out


_SLIDE_LINES = 24  # lines of text a 1280×800 slide holds at the deck's font size
_BOX_LINES = 13    # a code cell's input, or its output, scrolls past this many (the deck's CSS)


def _paginate(cells: list[Any]) -> list[Any]:
    """Cells that would overflow their slide start a subslide of their own (below it: Down arrow)."""
    height = 0.0
    for cell in cells:
        slideshow = cell.metadata.setdefault("slideshow", {})
        kind = slideshow.get("slide_type", "-")
        if kind in ("notes", "skip"):
            continue
        if kind in ("slide", "subslide"):
            height = 0.0
        size = _height(cell)
        if kind in ("-", "fragment") and height and height + size > _SLIDE_LINES:
            slideshow["slide_type"], height = "subslide", 0.0
        height += size
    return cells


def _height(cell: Any) -> float:
    """About how many lines of text `cell` takes on a slide."""
    if cell.cell_type == "markdown":
        return sum(0.5 if not line.strip() else 2 if line.startswith("#") else 1 + len(line) // 110
                   for line in cell.source.splitlines())
    shown = min(len(cell.source.splitlines()), _BOX_LINES) + 1
    for output in cell.get("outputs", []):
        text = output.get("text") or "".join(str(v) for k, v in output.get("data", {}).items() if k == "text/plain")
        shown += min(str(text).count("\n") + 1, _BOX_LINES) + 1
    return float(shown)


def _split(source: str, budget: int) -> tuple[str, str]:
    """(what the slide shows, what the speaker says) for one markdown cell, at most `budget` words of prose shown."""
    shown: list[str] = []
    said: list[str] = []
    words = 0
    for block in _blocks(source):
        kind = _kind(block)
        if kind in ("heading", "diagram", "image") or (kind == "code" and block.count("\n") <= _CODE_LINES) or (kind == "list" and _small_list(block)) or (kind == "table" and block.count("\n") < _TABLE_ROWS):
            shown.append(block)
        elif kind == "prose" and not words and budget:  # one paragraph's first sentences: the rest is said
            head, tail = _first_sentences(block, budget - words)
            shown.append(head)
            words += len(head.split())
            if tail:
                said.append(tail)
        else:
            said.append(block)
    return "\n\n".join(shown), "\n\n".join(said)


def _blocks(source: str) -> list[str]:
    """Paragraphs, with a fenced block (```...```) kept whole even where it holds blank lines."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in source.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
            current = []
        elif line.startswith("#") and not fenced:  # a heading is a block of its own
            if current:
                blocks.append("\n".join(current))
            blocks.append(line)
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _kind(block: str) -> str:
    first = block.lstrip().splitlines()[0] if block.strip() else ""
    if first.startswith("#"):
        return "heading"
    if first.startswith("```"):
        return "diagram" if re.match(r"```(mermaid|text)?\s*$", first) else "code"
    if first.startswith("!["):
        return "image"
    if first.startswith("|"):
        return "table"
    if re.match(r"(\s*[-*+] |\s*\d+[.)] )", first):
        return "list"
    return "prose"


def _small_list(block: str) -> bool:
    items = [line for line in block.splitlines() if re.match(r"\s*([-*+]|\d+[.)]) ", line)]
    return len(items) <= _LIST_ITEMS and all(len(item.split()) <= _LIST_WORDS for item in items) \
        and len(block.splitlines()) == len(items)


def _first_sentences(block: str, budget: int) -> tuple[str, str]:
    """As many whole sentences as fit in `budget` words (at least one), and the rest of the paragraph."""
    sentences = _SENTENCE_END.split(" ".join(block.split()))
    kept: list[str] = []
    for sentence in sentences:
        if kept and len(" ".join([*kept, sentence]).split()) > budget:
            break
        kept.append(sentence)
    return " ".join(kept), " ".join(sentences[len(kept):])
