"""`course.widgets`: what a learner would rather look at than read, as ipywidgets 8.

- `context_meter` (lesson 03): the next call's tokens per event kind against the budget, what was dropped, what redacted;
- `thread_viewer` (lessons 05–06): a thread's events as a timeline, its derived status, where it paused;
- `run_trace` (any lesson): the model calls of a run, with prompt version, tokens, tool calls and results.

Each has a plain function giving the same as data, whose `text()` prints anywhere (`context_report`,
`thread_timeline`, `trace_of`), and each widget shows that report as HTML and text wherever no widget
manager runs (nbconvert, the course site, static slides), so the flow works outside JupyterLab too.
A lesson's own widget gets the same by subclassing `ReportWidget(report, children)`, with any `report`
that has `text()` and `html()`.
"""

from ._view import Report, ReportWidget
from .context_meter import ContextMeter, ContextReport, context_meter, context_report
from .run_trace import RunTrace, Trace, run_trace, trace_of
from .thread_viewer import ThreadTimeline, ThreadViewer, thread_timeline, thread_viewer

__all__ = [
    "ContextMeter",
    "ContextReport",
    "Report",
    "ReportWidget",
    "RunTrace",
    "ThreadTimeline",
    "ThreadViewer",
    "Trace",
    "context_meter",
    "context_report",
    "run_trace",
    "thread_timeline",
    "thread_viewer",
    "trace_of",
]
