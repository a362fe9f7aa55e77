"""The context meter (lesson 03): where the tokens of the next model call go, against the budget.

    context_meter(thread, CONTEXT_BUDGET, render_event, build_context)   # the widget, in JupyterLab
    context_report(thread, CONTEXT_BUDGET, render_event, build_context)  # the same, as data (print it)

It takes the lesson's own functions as arguments, so it shows the learner's `build_context`, not
a copy of the reference: which events went in (tokens per event kind), which were dropped, and
how many card numbers and email addresses were masked. An event counts as sent when its rendered
text is in the context. Tokens are the course's count (`course.llm.count_message_tokens`); what
no event accounts for (the note about dropped messages, the per-message overhead) is "other".
An unfinished exercise, `ContextTooLong` or a bug in either function is shown, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import ipywidgets as widgets
from pydantic import BaseModel

from course.llm import count_message_tokens, count_tokens

from ._view import ReportWidget, badge, esc, shorten, table

__all__ = ["REDACTION_MARKERS", "ContextMeter", "ContextReport", "KindUsage", "context_meter", "context_report"]

REDACTION_MARKERS = ("[card]", "[email]")  # what lesson 03's redact() puts in place of what it masks


class _Event(Protocol):
    @property
    def kind(self) -> str: ...


class _Thread(Protocol):
    @property
    def events(self) -> Sequence[Any]: ...


class KindUsage(BaseModel):
    """One kind of event in the context: how many are stored, how many were sent, what they cost."""

    kind: str
    stored: int
    sent: int
    tokens: int
    redacted: int


class ContextReport(BaseModel):
    """What the next model call would carry, and what was left out."""

    budget: int
    used: int | None = None  # None when no context could be built
    kinds: list[KindUsage] = []
    dropped: list[tuple[int, str, str]] = []  # (position in the thread, kind, the start of its text)
    redactions: dict[str, int] = {}
    problem: str | None = None

    @property
    def other(self) -> int:
        """Tokens no event accounts for: notes, message overhead."""
        return max((self.used or 0) - sum(kind.tokens for kind in self.kinds), 0)

    def headline(self) -> str:
        if self.used is None:
            return f"Context: not built ({self.problem})"
        sent, stored = sum(k.sent for k in self.kinds), sum(k.stored for k in self.kinds)
        masked = sum(self.redactions.values())
        return (f"Context: {self.used:,} of {self.budget:,} tokens ({self.used / self.budget:.0%}) · "
                f"{sent} of {stored} events sent · {len(self.dropped)} dropped · {masked} redacted")

    def text(self) -> str:
        lines = [self.headline()]
        for kind in self.kinds:
            lines.append(f"  {kind.kind:<12} {kind.sent:>3}/{kind.stored:<3} sent  {kind.tokens:>6,} tokens"
                         + (f"  {kind.redacted} redacted" if kind.redacted else ""))
        if self.used is not None:
            lines.append(f"  {'other':<12} {'':>7}       {self.other:>6,} tokens  (notes, message overhead)")
        if self.dropped:
            first, last = self.dropped[0][0], self.dropped[-1][0]
            lines.append(f"Dropped: {len(self.dropped)} events (positions {first}–{last}), oldest first")
        if self.redactions:
            lines.append("Redacted: " + ", ".join(f"{n} × {marker}" for marker, n in self.redactions.items()))
        return "\n".join(lines)

    def html(self) -> str:
        rows = [(k.kind, f"{k.sent}/{k.stored}", f"{k.tokens:,}", k.redacted or "") for k in self.kinds]
        if self.used is not None:
            rows.append(("other", "", f"{self.other:,}", ""))
        share = min((self.used or 0) / self.budget, 1.0)
        bar = (f'<div style="width:320px;height:10px;background:#eee"><div style="width:{share:.0%};height:10px;'
               f'background:{"#bf8700" if share > 0.9 else "#1a7f37"}"></div></div>')
        parts = [f"<b>{esc(self.headline())}</b>", bar, table(["event kind", "sent", "tokens", "redacted"], rows)]
        if self.dropped:
            parts.append("Dropped, oldest first: " + esc(", ".join(f"#{i} {kind}" for i, kind, _ in self.dropped[:8]))
                         + (" …" if len(self.dropped) > 8 else ""))
        if self.redactions:
            parts.append("Redacted: " + esc(", ".join(f"{n} × {marker}" for marker, n in self.redactions.items())))
        return '<div class="course-context-meter">' + "".join(f"<div>{part}</div>" for part in parts) + "</div>"


def context_report(thread: _Thread, budget: int, render_event: Callable[[Any], str],
                   build_context: Callable[[Any, int], list[dict[str, Any]]],
                   markers: Sequence[str] = REDACTION_MARKERS) -> ContextReport:
    """The context `build_context(thread, budget)` gives, measured event by event."""
    try:
        rendered = [str(render_event(event)) for event in thread.events]
        messages = build_context(thread, budget)
        sent_text = "\n".join(str(message.get("content") or "") for message in messages)
        used = count_message_tokens(messages)
    except NotImplementedError:
        return ContextReport(budget=budget, problem="finish render_event and build_context first")
    except Exception as error:  # ContextTooLong, or an unfinished answer's bug: shown, the notebook goes on
        return ContextReport(budget=budget, problem=f"{type(error).__name__}: {error}")
    kinds: dict[str, KindUsage] = {}
    dropped: list[tuple[int, str, str]] = []
    redactions = dict.fromkeys(markers, 0)
    for position, (event, text) in enumerate(zip(thread.events, rendered, strict=True)):
        usage = kinds.setdefault(event.kind, KindUsage(kind=event.kind, stored=0, sent=0, tokens=0, redacted=0))
        usage.stored += 1
        if text in sent_text:
            usage.sent += 1
            usage.tokens += count_tokens(text)
            for marker in markers:
                usage.redacted += text.count(marker)
                redactions[marker] += text.count(marker)
        else:
            dropped.append((position, event.kind, shorten(text, 60)))
    return ContextReport(budget=budget, used=used, kinds=list(kinds.values()),
                         dropped=dropped, redactions={m: n for m, n in redactions.items() if n})


class ContextMeter(ReportWidget):
    """A bar for the whole context against the budget, one per event kind, and what was left out."""

    def __init__(self, report: ContextReport) -> None:
        used = report.used or 0
        style = "danger" if used > report.budget else "warning" if used > 0.9 * report.budget else "success"
        total = widgets.IntProgress(value=min(used, report.budget), min=0, max=report.budget, description="total",
                                    bar_style=style if report.used is not None else "")
        rows: list[widgets.Widget] = [widgets.HTML(f"<b>{esc(report.headline())}</b>"), total]
        for kind in report.kinds:
            label = f"{kind.sent}/{kind.stored} sent · {kind.tokens:,} tokens"
            label += f" · {kind.redacted} redacted" if kind.redacted else ""
            bar = widgets.IntProgress(value=min(kind.tokens, report.budget), min=0, max=report.budget,
                                      description=kind.kind, bar_style="info")
            rows.append(widgets.HBox([bar, widgets.Label(label)]))
        details = []
        if report.dropped:
            details.append(f"{badge('dropped', '#b35900')} " + esc(
                f"{len(report.dropped)} events, oldest first: "
                + ", ".join(f"#{i} {kind}" for i, kind, _ in report.dropped[:6]) + (" …" if len(report.dropped) > 6 else "")))
        if report.redactions:
            details.append(f"{badge('redacted', '#555')} " + esc(
                ", ".join(f"{n} × {marker}" for marker, n in report.redactions.items())))
        rows.append(widgets.HTML("<br>".join(details)))
        super().__init__(report, rows)
        self.add_class("course-context-meter")


def context_meter(thread: _Thread, budget: int, render_event: Callable[[Any], str],
                  build_context: Callable[[Any, int], list[dict[str, Any]]],
                  markers: Sequence[str] = REDACTION_MARKERS) -> ContextMeter:
    """The context meter widget for `thread` under `budget`, built with the lesson's own functions."""
    return ContextMeter(context_report(thread, budget, render_event, build_context, markers))
