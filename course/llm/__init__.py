"""`course.llm`: the one way the course reaches a model.

`client()` gives an `openai.OpenAI` (`async_client()` an `openai.AsyncOpenAI`): by default a fake model in-process (no key, no network),
driven by the shop brain; with `COURSE_MODEL` set, a real OpenAI-compatible endpoint.
Tests and graders swap in their own fake with `use_model(FakeModel(...))`.
"""

from . import faults
from .client import (
    RealCallsForbidden,
    api_error,
    async_client,
    client,
    current_fake,
    model_name,
    ping,
    real_client,
    use_model,
)
from .fake import DEFAULT_CONTEXT_WINDOW, FakeModel, Policy
from .faults import FaultRate
from .reply import ApiError, ErrorReply, Reply, ToolCall
from .request import ChatRequest
from .settings import ConfigError, Settings, read_settings, real_model_configured
from .tokens import count_message_tokens, count_tokens
from .transcript import Exchange, Transcript

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "ApiError",
    "ChatRequest",
    "ConfigError",
    "ErrorReply",
    "Exchange",
    "FakeModel",
    "FaultRate",
    "Policy",
    "RealCallsForbidden",
    "Reply",
    "Settings",
    "ToolCall",
    "Transcript",
    "api_error",
    "async_client",
    "client",
    "count_message_tokens",
    "count_tokens",
    "current_fake",
    "faults",
    "model_name",
    "ping",
    "read_settings",
    "real_client",
    "real_model_configured",
    "use_model",
]
