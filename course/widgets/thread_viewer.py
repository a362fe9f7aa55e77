"""The thread viewer (lessons 05–06): a thread's events as a timeline, its status, where it paused.

    thread_viewer(load_thread(thread_id), status_of(load_thread(thread_id)))   # the widget
    thread_timeline(thread, status)                                          # the same, as data

It takes the thread and its status as arguments: the status is derived by the lesson (lesson 05's
`status_of`), never stored or guessed here, so the viewer works with any lesson's store and
imports none of them. A thread that is "waiting" (for a person) or "interrupted" (a tool chosen,
its result never stored) paused at its last event, unless `paused_at` names another position.
Any event with a `kind` works: lesson 03's six kinds get a one-line summary each, others show
their fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import ipywidgets as widgets
from pydantic import BaseModel

from ._view import ReportWidget, badge, esc, shorten

__all__ = ["PAUSED_STATUSES", "ThreadTimeline", "ThreadViewer", "TimelineEntry", "summarise_event",
           "thread_timeline", "thread_viewer"]

PAUSED_STATUSES = ("waiting", "interrupted")
_COLOURS = {"earlier": "#888", "ticket": "#1f6feb", "tool_call": "#8250df", "tool_result": "#1a7f37",
            "tool_error": "#cf222e", "finished": "#000", "done": "#1a7f37", "waiting": "#bf8700",
            "interrupted": "#cf222e", "working": "#1f6feb"}


class _Thread(Protocol):
    @property
    def events(self) -> Sequence[Any]: ...


class TimelineEntry(BaseModel):
    position: int
    kind: str
    summary: str


class ThreadTimeline(BaseModel):
    """A thread as plain data: its events in order, its status, the position it paused at."""

    entries: list[TimelineEntry]
    status: str | None = None
    paused_at: int | None = None

    def headline(self) -> str:
        status = self.status or "status not given"
        where = ""
        if self.paused_at is not None:
            where = f" · paused at #{self.paused_at} ({self.entries[self.paused_at].kind})"
        return f"Thread: {len(self.entries)} events · {status}{where}"

    def text(self) -> str:
        lines = [self.headline()]
        for entry in self.entries:
            mark = "  ⏸ paused here" if entry.position == self.paused_at else ""
            lines.append(f"  #{entry.position:<3} {entry.kind:<12} {shorten(entry.summary, 80)}{mark}")
        return "\n".join(lines)

    def html(self) -> str:
        return '<div class="course-thread-viewer">' + "<br>".join(
            [f"<b>{esc(self.headline())}</b>", *(_row_html(e, e.position == self.paused_at) for e in self.entries)]
        ) + "</div>"


def summarise_event(event: Any) -> str:
    """One line for an event: what a person reading the timeline needs first."""
    data: dict[str, Any] = event.model_dump() if isinstance(event, BaseModel) else dict(vars(event))
    kind = data.pop("kind", "?")
    match kind:
        case "earlier":
            return f"{data.get('sender')} on {data.get('sent_on')}: {data.get('body')}"
        case "ticket":
            return f"{data.get('subject')}: {data.get('body')}"
        case "tool_call":
            return f"{data.get('name')}({data.get('arguments')})"
        case "tool_result":
            return f"{data.get('name')} → {data.get('result')}"
        case "tool_error":
            return f"{data.get('name')} failed: {data.get('error')}"
        case "finished":
            return str(data.get("summary"))
    return ", ".join(f"{key}={value}" for key, value in data.items())


def thread_timeline(thread: _Thread, status: str | None = None, paused_at: int | None = None) -> ThreadTimeline:
    """The timeline of `thread`; `status` is the lesson's derived status (e.g. `status_of(thread)`)."""
    entries = [TimelineEntry(position=i, kind=str(getattr(event, "kind", type(event).__name__)),
                             summary=summarise_event(event)) for i, event in enumerate(thread.events)]
    if paused_at is None and status in PAUSED_STATUSES and entries:
        paused_at = len(entries) - 1
    if paused_at is not None and not 0 <= paused_at < len(entries):
        raise ValueError(f"paused_at={paused_at} is not a position in this thread of {len(entries)} events.")
    return ThreadTimeline(entries=entries, status=status, paused_at=paused_at)


def _row_html(entry: TimelineEntry, paused: bool) -> str:
    mark = " " + badge("⏸ paused here", _COLOURS["waiting"]) if paused else ""
    return (f'<span style="font-family:monospace">#{entry.position:<3}</span> '
            f"{badge(entry.kind, _COLOURS.get(entry.kind, '#555'))} {esc(shorten(entry.summary, 110))}{mark}")


class ThreadViewer(ReportWidget):
    """A header with the status, then one row per event (scrolls when long), the pause marked."""

    def __init__(self, timeline: ThreadTimeline) -> None:
        status = timeline.status or "status not given"
        header = widgets.HTML(f"{badge(status, _COLOURS.get(status, '#555'))} <b>{esc(timeline.headline())}</b>")
        rows = [widgets.HTML(_row_html(entry, entry.position == timeline.paused_at)) for entry in timeline.entries]
        events = widgets.VBox(rows, layout=widgets.Layout(max_height="360px", overflow="auto"))
        super().__init__(timeline, [header, events])
        self.header, self.events = header, events
        self.add_class("course-thread-viewer")


def thread_viewer(thread: _Thread, status: str | None = None, paused_at: int | None = None) -> ThreadViewer:
    """The thread viewer widget: pass the thread and its derived status, `thread_viewer(t, status_of(t))`."""
    return ThreadViewer(thread_timeline(thread, status, paused_at))
