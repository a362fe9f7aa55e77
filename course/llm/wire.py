"""Turn a `Reply` into the exact Chat Completions wire format: a completion or SSE chunks.

Ids and timestamps are derived from the call number and seed, so two runs produce identical
bytes; tests check these shapes against the `openai` SDK's own types with strict validation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from .reply import Reply
from .tokens import count_tokens

__all__ = ["completion", "sse_chunks", "stable_id"]

_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: a fixed "created" so outputs are reproducible
_FINGERPRINT = "fp_course_fake"


def stable_id(prefix: str, *parts: object, length: int = 24) -> str:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return f"{prefix}{digest[:length]}"


def _tool_calls(reply: Reply, seed: int, call: int) -> list[dict[str, Any]]:
    return [
        {
            "id": tool_call.id or stable_id("call_", seed, call, position),
            "type": "function",
            "function": {"name": tool_call.name, "arguments": tool_call.arguments_json()},
        }
        for position, tool_call in enumerate(reply.tool_calls)
    ]


def _completion_tokens(reply: Reply) -> int:
    text = (reply.content or "") + (reply.refusal or "")
    return max(1, count_tokens(text) + sum(count_tokens(c.name + c.arguments_json()) for c in reply.tool_calls))


def _usage(prompt_tokens: int, reply: Reply) -> dict[str, int]:
    completion_tokens = _completion_tokens(reply)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(reply: Reply, *, model: str, prompt_tokens: int, seed: int, call: int) -> dict[str, Any]:
    """A `chat.completion` object answering call number `call`."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply, seed, call)
    return {
        "id": stable_id("chatcmpl-", seed, call),
        "object": "chat.completion",
        "created": _EPOCH + call,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.resolved_finish_reason, "logprobs": None}],
        "usage": _usage(prompt_tokens, reply),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}


def sse_chunks(
    reply: Reply, *, model: str, prompt_tokens: int, seed: int, call: int, include_usage: bool = False
) -> Iterator[bytes]:
    """Server-sent events for a streamed reply: role, content pieces, tool-call deltas, finish, [DONE]."""
    base = {
        "id": stable_id("chatcmpl-", seed, call),
        "object": "chat.completion.chunk",
        "created": _EPOCH + call,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }
    events: list[dict[str, Any]] = [_chunk(base, {"role": "assistant", "content": "", "refusal": None})]
    if reply.content:
        words = reply.content.split(" ")
        pieces = [word + (" " if i < len(words) - 1 else "") for i, word in enumerate(words)]
        events += [_chunk(base, {"content": piece}) for piece in pieces if piece]
    if reply.refusal:
        events.append(_chunk(base, {"refusal": reply.refusal}))
    for index, call_json in enumerate(_tool_calls(reply, seed, call)):
        head = {"index": index, "id": call_json["id"], "type": "function", "function": {"name": call_json["function"]["name"], "arguments": ""}}
        events.append(_chunk(base, {"tool_calls": [head]}))
        arguments = call_json["function"]["arguments"]
        for start in range(0, len(arguments), 16):
            events.append(_chunk(base, {"tool_calls": [{"index": index, "function": {"arguments": arguments[start : start + 16]}}]}))
    events.append(_chunk(base, {}, reply.resolved_finish_reason))
    if include_usage:
        events.append({**base, "choices": [], "usage": _usage(prompt_tokens, reply)})
    for event in events:
        yield f"data: {json.dumps(event)}\n\n".encode()
    yield b"data: [DONE]\n\n"
