"""Token counting for the fake model and the context-window lesson.

The course needs one token count that works offline on a fresh laptop. tiktoken downloads its
BPE files on first use, which fails without a network, so the course uses the well-known
approximation of one token per four characters (within about 10% of cl100k on English prose,
code and JSON). Every part of the course — the fake model's `usage`, its context-window check and
the learner's `build_context(thread, budget)` — counts with this one function, so budgets agree.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["count_message_tokens", "count_tokens"]

_PER_MESSAGE = 4  # role and separators, as chat formats spend a few tokens on each message


def count_tokens(text: str) -> int:
    """Approximate tokens in `text`: ceil(characters / 4)."""
    return math.ceil(len(text) / 4)


def count_message_tokens(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """Approximate prompt tokens of a chat request: every message plus the tool schemas offered."""
    total = 0
    for message in messages:
        total += _PER_MESSAGE
        content = message.get("content")
        if isinstance(content, str):
            total += count_tokens(content)
        elif isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
            total += sum(count_tokens(part.get("text", "")) for part in content if isinstance(part, dict))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            total += count_tokens(function.get("name", "")) + count_tokens(function.get("arguments", ""))
    if tools:
        total += count_tokens(json.dumps(tools, separators=(",", ":")))
    return total
