"""The decks as an instructor presents them: every lesson's deck, with the reference run's outputs, in
headless Chromium at reveal.js's 1280×800, and no slide taller than that (no scrolling in front of a room).

Measured where it shows: reveal.js lays each slide out at 1280×800; a slide whose content is taller
scrolls. The deck is derived from the release (course.publish.decks), long prose in speaker notes.
"""

from __future__ import annotations

import pytest
from lab_harness import Browser, why_no_browser

from course.grading.layout import lessons
from course.publish.decks import build_decks

pytestmark = pytest.mark.skipif(why_no_browser() is not None, reason=str(why_no_browser()))
LESSONS = [lesson for lesson in lessons() if lesson.release.exists()]

_MEASURE = """() => Array.from(document.querySelectorAll('.reveal .slides section'))
    .filter(s => !s.querySelector('section'))
    .map((s, i) => ({index: i, over: s.scrollHeight - s.clientHeight, title: (s.querySelector('h1,h2,h3') || {}).textContent || ''}))"""


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decks")
    return {deck.name.removesuffix(".slides.html"): deck for deck in build_decks(folder, LESSONS)}


@pytest.fixture(scope="module")
def browser():
    with Browser() as running:
        yield running
    assert running.off_machine == [], f"a deck tried to reach beyond the machine: {running.off_machine[:5]}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_no_slide_is_taller_than_the_deck(decks, browser, lesson):
    page = browser.context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(decks[lesson.slug].as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()")
    slides = page.evaluate(_MEASURE)
    page.close()
    over = [f"slide {s['index'] + 1} ({s['title'].strip()[:40] or 'untitled'}): {s['over']} px too tall"
            for s in slides if s["over"] > 1]
    assert len(slides) > 5 and over == [], "\n".join(over)
