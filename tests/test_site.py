"""The read-only site: a lesson as the learner gets it, with the outputs of the reference run, and
nothing that gives the answers away; an index; nothing fetched from the network."""

from __future__ import annotations

import re

import pytest

from course.grading.layout import lessons
from course.publish.site import BANNER, build_site

LESSON_03 = [lesson for lesson in lessons() if lesson.number == 3 and lesson.release.exists()]
pytestmark = pytest.mark.skipif(not LESSON_03, reason="lesson 03 is not released")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    build_site(folder, LESSON_03)
    return folder


def test_the_site_has_an_index_linking_each_lesson_and_its_deck(site):
    index, page = (site / "index.html").read_text(), (site / "03-own-your-context-window.html").read_text()
    assert 'href="03-own-your-context-window.html"' in index and "03 · Own your context window" in index
    styles = lambda text: {c for attr in re.findall(r'class="([^"]+)"', text) for c in attr.split()}  # noqa: E731
    assert {"course-site-nav", "jp-RenderedMarkdown"} <= styles(index) & styles(page), \
        "the index is not made like the lesson pages"
    assert (site / "slides" / "03-own-your-context-window.slides.html").exists()


def test_a_lesson_page_shows_the_outputs_of_the_reference_run(site):
    page = (site / "03-own-your-context-window.html").read_text()
    assert BANNER.split("*")[1] in page
    assert "1800 tokens" in page and "✅" in page  # the build_context demo ran; the visible checks passed
    assert "course-context-meter" in page and "36 of 41 events sent" in page  # the widget, as its static report


def test_a_lesson_page_shows_the_exercises_as_the_learner_gets_them(site):
    page = (site / "03-own-your-context-window.html").read_text()
    assert "NotImplementedError" in page  # the stubs
    assert "BEGIN SOLUTION" not in page and "BEGIN HIDDEN TESTS" not in page and "autograder" not in page
    assert 'EMAIL.sub(' not in page  # the reference redact() stays in the source


def test_the_site_loads_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        loaded = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="([^"]+)"', page.read_text())
        assert all(not re.match(r"(https?:)?//", url) for url in loaded), (page.name, loaded)
