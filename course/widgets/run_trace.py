"""The run trace (any lesson): every model call of a run, from the fake model's transcript.

    run_trace(small_model.transcript, calls)   # the widget: one fold per model call
    trace_of(small_model.transcript, calls)    # the same, as data (print it)

Each call shows the prompt version when the run recorded one (lesson 02's `ModelCall` log, passed
as `calls`: matched to the transcript's answered calls from the last one back, since a log covers
one run and a transcript may hold several), its prompt tokens, the tools offered, the tool calls
the model asked for, and their results as the next call carried them: as `tool` messages
(lessons 01–02) or as `<name_result>` / `<name_error>` tags in the context (lesson 03 on).
With no transcript it traces the model `course.llm.client()` uses now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
from pydantic import BaseModel

from course.llm import Transcript, current_fake
from course.llm.request import ChatRequest, message_text

from ._view import ReportWidget, esc, shorten, table

__all__ = ["RunTrace", "Trace", "TraceCall", "TraceToolCall", "run_trace", "trace_of"]


class TraceToolCall(BaseModel):
    name: str
    arguments: str
    result: str | None = None  # as the next call carried it; None if no later call did


class TraceCall(BaseModel):
    call: int
    prompt_version: str | None = None
    prompt_tokens: int = 0
    tools_offered: list[str] = []
    tool_calls: list[TraceToolCall] = []
    answer: str | None = None
    error: str | None = None

    def title(self) -> str:
        version = f"prompt {self.prompt_version}" if self.prompt_version else "prompt version not recorded"
        did = (", ".join(c.name for c in self.tool_calls) or ("error" if self.error else "answer"))
        return f"call {self.call} · {version} · {self.prompt_tokens:,} tokens · {did}"


class Trace(BaseModel):
    calls: list[TraceCall]

    def headline(self) -> str:
        tokens = sum(call.prompt_tokens for call in self.calls)
        tools = sum(len(call.tool_calls) for call in self.calls)
        return f"Run trace: {len(self.calls)} model calls · {tokens:,} prompt tokens · {tools} tool calls"

    def text(self) -> str:
        lines = [self.headline()]
        for call in self.calls:
            lines.append("  " + call.title())
            for tool in call.tool_calls:
                lines.append(f"    → {tool.name}({shorten(tool.arguments, 60)})")
                lines.append(f"      ← {shorten(tool.result, 70) if tool.result is not None else '(no later call carried it)'}")
            if call.answer:
                lines.append(f"    answer: {shorten(call.answer, 80)}")
            if call.error:
                lines.append(f"    error: {call.error}")
        return "\n".join(lines)

    def html(self) -> str:
        rows = [(c.call, c.prompt_version or "—", f"{c.prompt_tokens:,}", _did_html(c)) for c in self.calls]
        return (f'<div class="course-run-trace"><b>{esc(self.headline())}</b>'
                + table(["call", "prompt version", "tokens", "what the model did"], rows, raw=True) + "</div>")


def _did_html(call: TraceCall) -> str:
    parts = [f"<code>{esc(t.name)}({esc(shorten(t.arguments, 50))})</code> → {esc(shorten(t.result or '—', 60))}"
             for t in call.tool_calls]
    if call.answer:
        parts.append(f"answered: <i>{esc(shorten(call.answer, 80))}</i>")
    if call.error:
        parts.append(f"<b>error</b>: {esc(call.error)}")
    return "<br>".join(parts)


def _tagged_result(request: ChatRequest | None, name: str) -> str | None:
    """The last `<name_result>` or `<name_error>` in `request`'s user messages (lessons 03 on), if any."""
    if request is None:
        return None
    text = "\n".join(message_text(m) for m in request.messages if m.get("role") == "user")
    found = re.findall(rf"<{re.escape(name)}_(?:result|error)>(.*?)</{re.escape(name)}_(?:result|error)>", text, re.S)
    return " ".join(found[-1].split()) if found else None


def _tool_results(request: ChatRequest | None, count: int) -> list[str] | None:
    """The last `count` tool messages of `request`, in order, if it carries results as tool messages."""
    if request is None:
        return None
    results = [message_text(m) for m in request.messages if m.get("role") == "tool"]
    return results[-count:] if results and count else None


def trace_of(transcript: Transcript | None = None, calls: Sequence[Any] = (), last: int | None = None) -> Trace:
    """The trace of `transcript` (default: the current fake's); `calls` is the run's ModelCall log, if any."""
    if transcript is None:
        fake = current_fake()
        transcript = fake.transcript if fake is not None else Transcript()
    exchanges = list(transcript)
    answered = [i for i, exchange in enumerate(exchanges) if exchange.ok]
    versions: dict[int, str] = {}
    for index, call in zip(reversed(answered), reversed(list(calls)), strict=False):
        version = getattr(call, "prompt_version", None)
        if version:
            versions[index] = str(version)
    traced: list[TraceCall] = []
    for i, exchange in enumerate(exchanges):
        request = exchange.request
        following = exchanges[i + 1].request if i + 1 < len(exchanges) else None
        wanted = exchange.reply.tool_calls if exchange.reply else []
        as_messages = _tool_results(following, len(wanted))
        tools = [TraceToolCall(name=t.name, arguments=t.arguments_json(),
                               result=as_messages[k] if as_messages and k < len(as_messages)
                               else _tagged_result(following, t.name)) for k, t in enumerate(wanted)]
        error = f"HTTP {exchange.error.status}: {shorten(exchange.error.message, 160)}" if exchange.error else None
        traced.append(TraceCall(
            call=exchange.call, prompt_version=versions.get(i), tools_offered=request.tool_names if request else [],
            prompt_tokens=request.prompt_tokens if request else 0, tool_calls=tools, error=error,
            answer=(exchange.reply.content or exchange.reply.refusal) if exchange.reply else None))
    return Trace(calls=traced[-last:] if last else traced)


class RunTrace(ReportWidget):
    """A headline, then one fold per model call (titled with version, tokens, tools), details inside."""

    def __init__(self, trace: Trace) -> None:
        folds = widgets.Accordion(children=[widgets.HTML(_detail_html(call)) for call in trace.calls])
        folds.titles = tuple(call.title() for call in trace.calls)
        super().__init__(trace, [widgets.HTML(f"<b>{esc(trace.headline())}</b>"), folds])
        self.folds = folds
        self.add_class("course-run-trace")


def _detail_html(call: TraceCall) -> str:
    offered = ", ".join(call.tools_offered) or "none"
    return (f"<b>prompt version</b> {esc(call.prompt_version or 'not recorded')} · <b>{call.prompt_tokens:,}</b> "
            f"prompt tokens · tools offered: {esc(offered)}<br>{_did_html(call) or 'no reply'}")


def run_trace(transcript: Transcript | None = None, calls: Sequence[Any] = (), last: int | None = None) -> RunTrace:
    """The run trace widget; `last=N` shows only the last N calls."""
    return RunTrace(trace_of(transcript, calls, last))
