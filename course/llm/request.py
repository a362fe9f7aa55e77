"""The request a fake model answers: a Chat Completions body, with helpers to read it.

Policies (functions from request to reply) and tests read requests through this one type, so a
hidden test can say `fake.transcript.last_request.tool_names` instead of digging through dicts.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from .tokens import count_message_tokens

__all__ = ["ChatRequest"]


class ChatRequest(BaseModel):
    """A `POST /chat/completions` body. Unknown fields are kept, as a server would accept them."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    n: int | None = None

    @property
    def tool_names(self) -> list[str]:
        """Names of the functions offered in `tools`, in order."""
        return [tool.get("function", {}).get("name", "") for tool in self.tools or []]

    def tool_schema(self, name: str) -> dict[str, Any] | None:
        """The JSON schema of the parameters of the offered tool `name`, or None."""
        for tool in self.tools or []:
            function = tool.get("function", {})
            if function.get("name") == name:
                return function.get("parameters") or {}
        return None

    @property
    def system_prompt(self) -> str | None:
        """The text of the first system (or developer) message, if any."""
        for message in self.messages:
            if message.get("role") in ("system", "developer"):
                return message_text(message)
        return None

    @property
    def last_user_text(self) -> str | None:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message_text(message)
        return None

    @property
    def prompt_tokens(self) -> int:
        """Prompt size in course tokens (see `course.llm.tokens`)."""
        return count_message_tokens(self.messages, self.tools)

    @property
    def response_schema(self) -> dict[str, Any] | None:
        """The JSON schema asked for with `response_format={"type": "json_schema", ...}`, if any."""
        if self.response_format and self.response_format.get("type") == "json_schema":
            schema = self.response_format.get("json_schema", {}).get("schema")
            return schema if isinstance(schema, dict) else None
        return None

    def text(self, *, include_system: bool = False) -> str:
        """Every message's text and every tool call, in order, as one string (for policies)."""
        parts: list[str] = []
        for message in self.messages:
            if message.get("role") in ("system", "developer") and not include_system:
                continue
            parts.append(message_text(message))
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                parts.append(f"{function.get('name')}({function.get('arguments')})")
        return "\n".join(part for part in parts if part)


def message_text(message: dict[str, Any]) -> str:
    """The text of one message, whether its content is a string or a list of parts."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return json.dumps(content)
