"""Slides from the same notebooks: slide types stored in the sources, kept through release, and an
offline reveal.js deck per lesson with a title slide and the lesson's diagram."""

from __future__ import annotations

import html
import re

import nbformat
import pytest

from course.grading.layout import lessons
from course.publish.decks import build_decks, lesson_title
from course.publish.slide_types import RISE_SETTINGS, derive_slide_types, stale_slide_types

LESSONS = [lesson for lesson in lessons() if lesson.release.exists()]
pytestmark = pytest.mark.skipif(not LESSONS, reason="no released lesson yet")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_the_slide_types_in_each_source_are_the_ones_its_headings_give(lesson):
    assert stale_slide_types(lesson.source) == [], "run `make release` (it runs `course slides tag` first)"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_the_slide_types_survive_the_release(lesson):
    def types(path):
        return [cell.metadata.get("slideshow", {}).get("slide_type") for cell in nbformat.read(str(path), 4).cells]

    assert types(lesson.release) == types(lesson.source)
    assert nbformat.read(str(lesson.release), 4).metadata.get("rise") == RISE_SETTINGS


def test_course_slides_tag_check_says_whether_the_sources_are_in_step(capsys):
    from course.cli import main

    assert main(["slides", "tag", "--check"]) == 0
    assert "in step" in capsys.readouterr().out


def test_headings_start_slides_and_hidden_tests_are_skipped():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    hidden = code('"""Check that…"""', metadata={"nbgrader": {"grade": True, "grade_id": "x", "points": 1}})
    manual = md("An aside", metadata={"tags": ["slide-manual"], "slideshow": {"slide_type": "notes"}})
    cells = [md("# 01 · Title\nWhy"), code("from stage_00 import *"), md("## The problem"), code("run()"),
             md("You should see 3:"), code("3"), hidden, md("### Detail"), manual, md("More text")]
    assert derive_slide_types(cells) == ["slide", "subslide", "slide", "-", "subslide", "-", "skip", "subslide",
                                         "notes", "-"]


def _diagram(nb) -> str:
    """The first line of the lesson's diagram: a mermaid chart or text art, the one under "The idea" if there is one."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for language, body in re.findall(r"^```(\w*)\n(.*?)^```", cell.source, re.M | re.S):
                if language in ("", "text", "mermaid"):
                    found.append((not cell.source.startswith("## The idea"), next(line for line in body.splitlines() if line.strip())))
    assert found, "the lesson has no diagram"
    return min(found, key=lambda item: item[0])[1]


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slides")
    decks = build_decks(folder, LESSONS, outputs=False)  # with outputs: tests/browser/test_decks.py
    return folder, {deck.name.removesuffix(".slides.html"): deck.read_text() for deck in decks}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_each_deck_has_a_title_slide_and_the_lessons_diagram(decks, lesson):
    _, built = decks
    deck, nb = built[lesson.slug], nbformat.read(str(lesson.release), 4)
    sections = re.findall(r"<section\b.*?</section>", deck, re.S)
    assert len(sections) > 5
    title = html.escape(lesson_title(nb), quote=False)
    assert re.search(rf"<h1[^>]*>{re.escape(title)}", sections[0]), "the first slide is not the lesson's title"
    assert html.escape(_diagram(nb).strip(), quote=False) in deck


def test_the_decks_load_nothing_from_the_network(decks):
    folder, built = decks
    for deck in built.values():
        loaded = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', deck)
        assert loaded and all(not re.match(r"(https?:)?//", url) for url in loaded), loaded
        assert all((folder / url).exists() for url in loaded), "a deck refers to a file it was not given"
    assert (folder / "index.html").read_text().count(".slides.html") == len(LESSONS)
