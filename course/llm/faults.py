"""Faults a real model endpoint produces, ready to inject into the fake.

Two kinds: `ErrorReply`s (the HTTP call fails: 429, 500, timeout, context too long) and odd
`Reply`s (the call succeeds but the model misbehaves: broken JSON arguments, a tool that does
not exist, arguments that break the schema, truncation, empty content, a refusal). Inject them
at chosen calls (`FakeModel(policy, faults={2: rate_limit()})`) or at a seeded rate
(`FaultRate(0.2, seed=7)`). Wording and status codes follow the OpenAI API.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .reply import ErrorReply, Reply, ToolCall

__all__ = [
    "FaultRate",
    "context_length_exceeded",
    "empty_reply",
    "malformed_arguments",
    "overloaded",
    "rate_limit",
    "refusal",
    "schema_violation",
    "server_error",
    "timeout",
    "truncated",
    "unknown_tool",
]


def rate_limit(retry_after_ms: int = 20, model: str = "gpt-4o-mini") -> ErrorReply:
    """429 with `retry-after-ms`, which the openai client honours exactly (no jittered wait)."""
    seconds = retry_after_ms / 1000
    return ErrorReply(
        status=429,
        type="tokens",
        code="rate_limit_exceeded",
        message=(
            f"Rate limit reached for {model} in organization org-course on tokens per min (TPM): "
            f"Limit 30000, Used 29750, Requested 1200. Please try again in {seconds:g}s."
        ),
        headers={"retry-after-ms": str(retry_after_ms), "retry-after": str(max(0, round(seconds)))},
    )


def server_error() -> ErrorReply:
    return ErrorReply(status=500, type="server_error", message="The server had an error while processing your request. Sorry about that!")


def overloaded(retry_after_ms: int = 20) -> ErrorReply:
    return ErrorReply(
        status=503,
        type="server_error",
        code="overloaded",
        message="The engine is currently overloaded, please try again later.",
        headers={"retry-after-ms": str(retry_after_ms)},
    )


def timeout() -> ErrorReply:
    """No answer at all: in process the client raises its timeout; over HTTP the connection drops."""
    return ErrorReply(status=0, timeout=True, message="The request timed out.")


def context_length_exceeded(limit: int, used: int) -> ErrorReply:
    return ErrorReply(
        status=400,
        type="invalid_request_error",
        code="context_length_exceeded",
        param="messages",
        message=(
            f"This model's maximum context length is {limit} tokens. However, your messages resulted in "
            f"{used} tokens. Please reduce the length of the messages."
        ),
    )


def malformed_arguments(name: str, raw: str = '{"order_id": 1042, "amount": 18.5') -> Reply:
    """A tool call whose arguments are not valid JSON (truncated mid-object)."""
    return Reply(tool_calls=[ToolCall(name=name, arguments=raw)])


def unknown_tool(name: str = "delete_all_orders", arguments: dict[str, object] | None = None) -> Reply:
    """A call to a tool that was never offered."""
    return Reply(tool_calls=[ToolCall(name=name, arguments=arguments or {})])


def schema_violation(name: str, arguments: dict[str, object] | None = None) -> Reply:
    """Well-formed JSON that breaks the tool's schema (wrong types, missing fields)."""
    return Reply(tool_calls=[ToolCall(name=name, arguments=arguments or {"order_id": "the blue one"})])


def truncated(content: str = "I'll refund order 1042 for the broken mu") -> Reply:
    return Reply(content=content, finish_reason="length")


def empty_reply() -> Reply:
    return Reply(content="")


def refusal(message: str = "I'm sorry, but I can't help with that request.") -> Reply:
    return Reply(refusal=message)


_DEFAULT_KINDS: tuple[Callable[[], ErrorReply | Reply], ...] = (rate_limit, server_error, timeout)


@dataclass
class FaultRate:
    """Inject a fault at a seeded rate: the same seed fails the same calls, every run."""

    rate: float
    seed: int = 0
    kinds: Sequence[Callable[[], ErrorReply | Reply]] = _DEFAULT_KINDS
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"FaultRate.rate must be between 0 and 1, got {self.rate}")
        self._rng = random.Random(self.seed)

    def draw(self) -> ErrorReply | Reply | None:
        """A fault for the next call, or None; draws the same number of values every call."""
        hit = self._rng.random() < self.rate
        kind = self._rng.choice(list(self.kinds))
        return kind() if hit else None
