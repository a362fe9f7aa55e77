"""What a fake model answers: a `Reply` (the model spoke) or an `ErrorReply` (the endpoint failed).

Scripts and policies build these with the constructors below; the fake turns them into exact
OpenAI Chat Completions wire format, so the code under test cannot tell it from a real endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ApiError", "ErrorReply", "FinishReason", "Reply", "ToolCall"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]


class ToolCall(BaseModel):
    """One function call in an assistant reply.

    `arguments` may be a string so that a fault can send JSON that does not parse, exactly as a
    real model sometimes does.
    """

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


class Reply(BaseModel):
    """An assistant message: text, tool calls, or both, with the finish reason a real model gives.

    `expect`, when set, is called with the request this reply answers and must return True (or
    raise AssertionError with a message); a scripted test uses it to assert on what was sent.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    refusal: str | None = None
    finish_reason: FinishReason | None = None
    expect: Callable[[Any], object] | None = Field(default=None, exclude=True, repr=False)

    @property
    def resolved_finish_reason(self) -> FinishReason:
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        """A plain text answer."""
        return cls(content=content, **kwargs)

    @classmethod
    def tool_call(cls, name: str, arguments: dict[str, Any] | str | None = None, **kwargs: Any) -> Reply:
        """A single tool call: `Reply.tool_call("get_order", {"order_id": 1042})`."""
        return cls(tool_calls=[ToolCall(name=name, arguments={} if arguments is None else arguments)], **kwargs)

    @classmethod
    def calls(cls, *calls: tuple[str, dict[str, Any] | str], **kwargs: Any) -> Reply:
        """Several tool calls in one reply (parallel tool calling)."""
        return cls(tool_calls=[ToolCall(name=name, arguments=args) for name, args in calls], **kwargs)

    @classmethod
    def structured(cls, value: BaseModel | dict[str, Any], **kwargs: Any) -> Reply:
        """Structured output for `response_format`: the JSON of a pydantic model or a dict."""
        data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        return cls(content=json.dumps(data), **kwargs)

    def expecting(self, check: Callable[[Any], object]) -> Reply:
        """The same reply, asserting `check(request)` before it is given."""
        return self.model_copy(update={"expect": check})


class ErrorReply(BaseModel):
    """An HTTP error reply from the endpoint, with the OpenAI error body real servers send.

    It is an answer to return (from a script, a policy or a fault), not an exception to raise:
    the client under test sees the status and body and raises its own error.
    `timeout=True` means no response at all: the client sees its own timeout.
    """

    status: int = 500
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: bool = False

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


ApiError = ErrorReply
"""The old name of `ErrorReply`, kept so existing scripts and graders go on working."""
