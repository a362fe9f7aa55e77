"""A record of every request the fake model answered, and how — what hidden tests assert on.

A test can say exactly what a learner's agent sent without the learner's cooperation:
`fake.transcript.last_request.system_prompt`, `fake.transcript.tools_offered()`,
`fake.transcript.prompt_tokens()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .reply import ErrorReply, Reply
from .request import ChatRequest, message_text

__all__ = ["Exchange", "Transcript"]


@dataclass(frozen=True)
class Exchange:
    """One call: the request, and either the reply given or the error returned."""

    call: int
    request: ChatRequest | None
    reply: Reply | None = None
    error: ErrorReply | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Transcript:
    exchanges: list[Exchange] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.exchanges)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.exchanges)

    def __getitem__(self, index: int) -> Exchange:
        return self.exchanges[index]

    @property
    def requests(self) -> list[ChatRequest]:
        return [exchange.request for exchange in self.exchanges if exchange.request is not None]

    @property
    def last_request(self) -> ChatRequest:
        if not self.requests:
            raise AssertionError("The model was never called: the transcript is empty.")
        return self.requests[-1]

    def tools_offered(self, index: int = -1) -> list[str]:
        """Tool names offered in request `index` (default: the last one)."""
        return self._request(index).tool_names

    def messages_sent(self, index: int = -1) -> list[dict[str, Any]]:
        return self._request(index).messages

    def prompt_tokens(self) -> list[int]:
        """Prompt size of every request, in course tokens."""
        return [request.prompt_tokens for request in self.requests]

    def tool_calls(self) -> list[tuple[str, str]]:
        """Every (name, arguments JSON) the model asked for, in order."""
        return [(call.name, call.arguments_json()) for ex in self.exchanges if ex.reply for call in ex.reply.tool_calls]

    def _request(self, index: int) -> ChatRequest:
        try:
            return self.requests[index]
        except IndexError:
            raise AssertionError(f"No request {index}: the model was called {len(self.requests)} time(s).") from None

    def render(self, last: int | None = None) -> str:
        """A short readable transcript, for failure messages."""
        lines: list[str] = []
        for exchange in self.exchanges[-last:] if last else self.exchanges:
            lines.append(f"--- call {exchange.call}")
            for message in exchange.request.messages if exchange.request else []:
                text = message_text(message).replace("\n", " ")
                calls = [c.get("function", {}).get("name") for c in message.get("tool_calls") or []]
                shown = text[:117] + "..." if len(text) > 120 else text
                lines.append(f"  {message.get('role')}: {shown}" + (f" [calls {', '.join(calls)}]" if calls else ""))
            if exchange.reply:
                answer = exchange.reply.content or exchange.reply.refusal or ""
                calls = [f"{c.name}({c.arguments_json()})" for c in exchange.reply.tool_calls]
                lines.append(f"  => {answer[:120]}" + (" ".join(calls) if calls else ""))
            if exchange.error:
                lines.append(f"  => HTTP {exchange.error.status}: {exchange.error.message[:200]}")
        return "\n".join(lines) or "(no calls)"

    def to_json(self) -> str:
        return json.dumps(
            [
                {
                    "call": ex.call,
                    "request": ex.request.model_dump(exclude_none=True) if ex.request else None,
                    "reply": ex.reply.model_dump(exclude_none=True) if ex.reply else None,
                    "error": ex.error.model_dump() if ex.error else None,
                }
                for ex in self.exchanges
            ],
            indent=2,
        )
