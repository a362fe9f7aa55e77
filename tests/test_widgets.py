"""The widgets, in Python: each is built from the lesson's own objects and read through its children,
and each has the same information as plain data that prints outside JupyterLab."""

from __future__ import annotations

import importlib
from pathlib import Path

import ipywidgets as widgets
import pytest

from course.brain import shop_brain
from course.llm import FakeModel, Reply, use_model
from course.shop import SCENARIOS, Shop, use_shop
from course.widgets import (
    context_meter,
    context_report,
    run_trace,
    thread_timeline,
    thread_viewer,
    trace_of,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stage():
    """Lesson 03's reference agent (stage_03 and the stages it imports), as notebook 04 starts from it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT / "stages"))
        yield importlib.import_module("stage_03")


@pytest.fixture(scope="module")
def grace(stage):
    return stage.thread_for(SCENARIOS["long_thread"].ticket)


def _texts(widget: widgets.Widget) -> list[str]:
    """Every HTML value, label and progress description inside `widget`, depth first."""
    found: list[str] = []
    for child in getattr(widget, "children", ()):
        if isinstance(child, (widgets.HTML, widgets.Label)):
            found.append(child.value)
        elif isinstance(child, widgets.IntProgress):
            found.append(child.description)
        found.extend(_texts(child))
    return found


def test_the_context_meter_shows_tokens_per_kind_against_the_budget(stage, grace):
    meter = context_meter(grace, stage.CONTEXT_BUDGET, stage.render_event, stage.build_context)
    total = meter.children[1]
    assert isinstance(total, widgets.IntProgress) and total.max == stage.CONTEXT_BUDGET
    assert total.value == meter.report.used <= stage.CONTEXT_BUDGET
    kinds = {row.children[0].description: row.children[1].value for row in meter.children[2:-1]}
    assert set(kinds) == {"earlier", "ticket"}
    assert kinds["ticket"].startswith("1/1 sent")


def test_the_context_meter_says_what_was_dropped_and_redacted(stage, grace):
    report = context_report(grace, stage.CONTEXT_BUDGET, stage.render_event, stage.build_context)
    assert [position for position, _, _ in report.dropped] == list(range(len(report.dropped)))  # oldest first
    assert report.dropped and report.redactions
    words = " ".join(_texts(context_meter(grace, stage.CONTEXT_BUDGET, stage.render_event, stage.build_context)))
    assert f"{len(report.dropped)} events, oldest first" in words
    assert "[card]" in words or "[email]" in words


def test_with_room_for_everything_nothing_is_dropped_and_every_card_is_masked(stage, grace):
    report = context_report(grace, 10_000, stage.render_event, stage.build_context)
    assert report.dropped == [] and report.redactions["[card]"] >= 1
    assert sum(kind.sent for kind in report.kinds) == len(grace.events)


def test_the_context_meter_shows_an_unfinished_exercise_instead_of_raising(stage, grace):
    def stub(*args):
        raise NotImplementedError

    meter = context_meter(grace, 1_800, stub, stub)
    assert "finish render_event and build_context" in meter.children[0].value
    def buggy(thread, budget):
        return [{"role": "user", "content": thread.events["last"]}]

    assert "TypeError" in context_report(grace, 1_800, stage.render_event, buggy).text()
    too_small = context_report(grace, 100, stage.render_event, stage.build_context)
    assert too_small.used is None and "ContextTooLong" in too_small.text()


def test_every_widget_shows_its_report_where_no_widget_manager_runs(stage, grace):
    meter = context_meter(grace, stage.CONTEXT_BUDGET, stage.render_event, stage.build_context)
    bundle = meter._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == meter.report.text() and "course-context-meter" in bundle["text/html"]
    assert bundle["text/plain"].startswith("Context: ") and "tokens" in bundle["text/plain"]


def test_the_thread_viewer_shows_each_event_in_order(grace):
    viewer = thread_viewer(grace, "working")
    rows = viewer.events.children
    assert len(rows) == len(grace.events)
    assert "earlier" in rows[0].value and "ticket" in rows[-1].value
    assert "working" in viewer.header.value and "paused" not in viewer.header.value


def test_the_thread_viewer_marks_where_a_waiting_thread_paused(stage):
    thread = stage.thread_for(SCENARIOS["large_refund"].ticket)
    thread.events.append(stage.ToolRequested(name="request_approval", arguments='{"order_id": 1057, "amount": 899}'))
    viewer = thread_viewer(thread, "waiting")
    assert "paused at #1" in viewer.header.value and "waiting" in viewer.header.value
    assert "paused here" in viewer.events.children[-1].value
    assert "request_approval" in viewer.events.children[-1].value
    assert "⏸ paused here" in thread_timeline(thread, "waiting").text().splitlines()[-1]


def test_the_thread_viewer_takes_the_status_it_is_given_and_checks_the_pause(stage, grace):
    assert thread_timeline(grace).paused_at is None and "status not given" in thread_timeline(grace).headline()
    assert thread_timeline(grace, "done", paused_at=3).paused_at == 3
    with pytest.raises(ValueError, match="not a position"):
        thread_timeline(grace, "waiting", paused_at=len(grace.events))


def test_the_run_trace_shows_each_call_with_its_prompt_version_tokens_and_tools(stage):
    import stage_02

    fake = FakeModel(shop_brain)
    with Shop.create() as db, use_shop(db), use_model(fake):
        run = stage_02.run_agent(SCENARIOS["large_refund"].ticket)
    trace = run_trace(fake.transcript, run.calls)
    titles = trace.folds.titles
    assert len(titles) == len(fake.transcript) == len(run.calls)
    assert all(f"prompt {run.calls[0].prompt_version}" in title for title in titles)
    assert "get_order" in titles[0] and titles[-1].endswith("answer")
    first = trace.folds.children[0].value
    assert f"{fake.transcript.prompt_tokens()[0]:,}</b> prompt tokens" in first and "1057" in first


def test_the_run_trace_finds_tool_results_in_the_context_from_lesson_03_on(stage):
    fake = FakeModel(shop_brain)
    with Shop.create() as db, use_shop(db), use_model(fake):
        stage.run_agent(SCENARIOS["large_refund"].ticket)
    calls = trace_of(fake.transcript).calls
    assert calls[0].tool_calls[0].name == "get_order" and "1057" in (calls[0].tool_calls[0].result or "")
    assert calls[0].prompt_version is None and "not recorded" in calls[0].title()


def test_the_run_trace_shows_errors_and_the_last_calls_only():
    import openai

    from course.llm import ErrorReply

    fake = FakeModel.scripted(ErrorReply(status=429, message="Rate limit reached", type="rate_limit"), Reply.text("Hello"))
    model = fake.client().with_options(max_retries=0)
    for _ in range(2):
        try:
            model.chat.completions.create(model="course-fake", messages=[{"role": "user", "content": "hi"}])
        except openai.RateLimitError:
            pass
    log = [type("Call", (), {"prompt_version": "v1"})()]  # what a lesson-02 run records: one answered call
    trace = trace_of(fake.transcript, calls=log)
    assert trace.calls[0].error == "HTTP 429: Rate limit reached" and trace.calls[0].prompt_version is None
    assert trace.calls[1].answer == "Hello" and trace.calls[1].prompt_version == "v1"  # matched to the answered call
    assert trace_of(fake.transcript, log, last=1).calls == trace.calls[-1:]
    assert "error" in trace.text() and "answer: Hello" in trace.text()


def test_a_lessons_own_widget_shows_its_report_outside_jupyterlab_by_subclassing_report_widget():
    import nbformat

    from course.publish.offline import WIDGET_VIEW, static_outputs
    from course.widgets import ReportWidget

    class Card:
        def text(self) -> str:
            return "Refund $899.00 on order 1057?"

        def html(self) -> str:
            return "<b>Refund $899.00 on order 1057?</b>"

    card = ReportWidget(Card(), [widgets.Button(description="Approve")])
    bundle = card._repr_mimebundle_()
    plain = widgets.VBox([widgets.Button(description="Approve")])._repr_mimebundle_()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data=bundle), nbformat.v4.new_output("display_data", data=plain)])])
    shown = [output["data"] for output in static_outputs(nb).cells[0].outputs]
    assert all(WIDGET_VIEW not in data for data in shown)
    assert shown[0]["text/html"] == "<b>Refund $899.00 on order 1057?</b>"
    assert "interactive widget" in shown[1]["text/plain"]
