"""The course as people see it: JupyterLab in headless Chromium runs a lesson and shows its widgets, RISE
presents it as slides, and Approve on lesson 07's card resumes the paused agent (the shop refunds; the
card, the thread viewer and the run trace say so).

One JupyterLab (loopback, a token) serves copies of the lessons for the whole module, so a run
changes nothing in the repository. A failure keeps a screenshot and JupyterLab's log in
var/test-artefacts/. Without Chromium (/usr/bin/chromium, Debian's package) the tests skip.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from approval import AFTER_CELL, stage_07_available, write_notebook
from lab_harness import (
    TOKEN,
    Browser,
    Lab,
    artefacts_on_failure,
    copy_lesson,
    error_outputs,
    run_notebook,
    why_no_browser,
)

from course.grading.layout import lessons

pytestmark = pytest.mark.skipif(why_no_browser() is not None, reason=str(why_no_browser()))

# What each lesson's notebook shows once run: (widget, its CSS class, a text it shows). Lessons 05 and 06 show the
# thread viewer once their demo cells land (`thread_viewer(thread, status_of(thread))`): uncomment their line then.
WIDGETS_BY_LESSON: dict[int, list[tuple[str, str, str]]] = {
    3: [("context meter", "course-context-meter", "36 of 41 events sent")],
    5: [("thread viewer", "course-thread-viewer", "events ·")],
    6: [("thread viewer", "course-thread-viewer", "paused at #")],
}
LESSONS = [lesson for lesson in lessons() if lesson.number in WIDGETS_BY_LESSON]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    served = tmp_path_factory.mktemp("served")
    for lesson in LESSONS:
        copy_lesson(lesson.source_dir, served / "lessons" / lesson.slug)
    if stage_07_available():
        write_notebook(served / "approval")
    with Lab(served, tmp_path_factory.mktemp("logs") / "jupyterlab.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser(lab):
    with Browser() as running:
        yield running
    assert running.off_machine == [], f"the page tried to reach beyond the machine: {running.off_machine[:5]}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_the_lessons_widgets_render_when_its_cells_run(lab, browser, lesson):
    from playwright.sync_api import expect

    page = browser.context.new_page()
    with artefacts_on_failure(page, f"lesson-{lesson.slug}", lab):
        run_notebook(page, lab, f"lessons/{lesson.slug}/{lesson.slug}.ipynb")
        assert error_outputs(page) == []
        # JupyterLab asks about its news on a first start unless the learner config says not to
        expect(page.get_by_text("official Jupyter news")).to_have_count(0)
        assert page.evaluate("() => window.jupyterapp.commands.hasCommand('RISE:preview')"), "RISE is not in JupyterLab"
        for what, css_class, text in WIDGETS_BY_LESSON[lesson.number]:
            widget = page.locator(f".jupyter-widgets.{css_class}")  # the live widget, not its static HTML report
            expect(widget, f"the {what} did not render").to_have_count(1)
            expect(widget).to_contain_text(text)
            expect(widget.locator(".widget-progress, .widget-html").first).to_be_visible()
    page.close()


def _refunds(shop: str, order_id: int) -> list[int]:
    with sqlite3.connect(f"file:{shop}?mode=ro", uri=True) as conn:
        return [cents for (cents,) in conn.execute("SELECT amount_cents FROM refunds WHERE order_id = ?", (order_id,))]


@pytest.mark.skipif(not stage_07_available(), reason="no stages/stage_07.py (lesson 07's agent): run make release")
def test_approve_on_the_card_resumes_the_paused_agent(lab, browser):
    from playwright.sync_api import expect

    page = browser.context.new_page()
    with artefacts_on_failure(page, "approval-card", lab):
        run_notebook(page, lab, "approval/approval.ipynb")
        assert error_outputs(page) == []
        printed = page.locator(".jp-OutputArea-output", has_text="shop:").first.inner_text()
        thread_id, status, shop = re.search(r"(\S+) (\w+) shop: (\S+)", printed).groups()
        assert status == "waiting" and _refunds(shop, 1057) == []  # paused before any money moved
        card = page.locator(".jp-OutputArea-output").filter(has=page.get_by_role("button", name="Approve"))
        expect(card).to_contain_text("1057")
        page.get_by_role("button", name="Approve").click()
        expect(card).to_contain_text("done")  # the card reports the resumed agent's status
        expect(page.get_by_role("button", name="Approve")).to_be_disabled()
        assert _refunds(shop, 1057) == [89_900]  # the agent resumed and refunded the $899
        page.evaluate("""code => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.model.sharedModel.insertCell(panel.content.widgets.length, {cell_type: 'code', source: code});
            panel.content.activeCellIndex = panel.content.widgets.length - 1;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""", AFTER_CELL)
        viewer = page.locator(".jupyter-widgets.course-thread-viewer")
        expect(viewer).to_contain_text("done")
        expect(viewer).to_contain_text("finished")
        expect(viewer).to_contain_text("request_approval")
        trace = page.locator(".jupyter-widgets.course-run-trace")
        expect(trace).to_contain_text("Run trace: 2 model calls")
        expect(trace.locator(".widget-accordion, .jp-AccordionPanel, .lm-AccordionPanel").first).to_be_visible()
        assert thread_id.startswith("ticket-") and error_outputs(page) == []
    page.close()


@pytest.mark.parametrize("lesson", LESSONS[:1], ids=lambda lesson: lesson.slug)
def test_rise_presents_the_lesson_as_its_slide_types_say(lab, browser, lesson):
    import nbformat
    from playwright.sync_api import expect

    cells = nbformat.read(str(lesson.source), as_version=4).cells
    slides = sum(cell.metadata.get("slideshow", {}).get("slide_type") == "slide" for cell in cells)
    page = browser.context.new_page()
    with artefacts_on_failure(page, f"rise-{lesson.slug}", lab):
        page.goto(f"{lab.base}/rise/lessons/{lesson.slug}/{lesson.slug}.ipynb?token={TOKEN}")
        expect(page.locator(".reveal .slides > section")).to_have_count(slides, timeout=60_000)
        expect(page.locator(".reveal .slides > section").first.locator("h1")).to_contain_text(f"{lesson.number:02d} ·")
    page.close()
