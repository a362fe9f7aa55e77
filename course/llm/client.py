"""The one way the course reaches a model: `client()` and `model_name()`.

Agent code asks for the current client on every call (or takes one as a parameter), so a test
swaps the model in one line without the learner's cooperation:

    with use_model(FakeModel.scripted(Reply.text("hi"))) as fake:
        run_agent(ticket)
    fake.transcript.last_request.system_prompt

By default the current model is a fake driven by the shop brain: offline, free, deterministic.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx2

from .fake import FakeModel
from .reply import ErrorReply
from .settings import FAKE_MODEL_NAME, ConfigError, Settings, read_settings

if TYPE_CHECKING:
    import openai

__all__ = ["RealCallsForbidden", "api_error", "async_client", "client", "current_fake", "model_name", "ping",
           "real_client", "use_model"]

_active: contextvars.ContextVar[FakeModel | None] = contextvars.ContextVar("course_active_model", default=None)
_default: FakeModel | None = None


class RealCallsForbidden(RuntimeError):
    """A real model call was attempted where the course forbids them (tests, grading)."""


def _default_fake() -> FakeModel:
    global _default
    if _default is None:
        from course.brain import shop_brain

        _default = FakeModel(shop_brain)
    return _default


def current_fake() -> FakeModel | None:
    """The fake model `client()` would use now, or None when a real endpoint is configured."""
    active = _active.get()
    if active is not None:
        return active
    return None if read_settings().uses_real else _default_fake()


def client() -> openai.OpenAI:
    """The current model client: the fake in use, else a configured real endpoint, else the shop brain.

    A new client each call: closing one (`with client() as c:`) never breaks another.
    """
    fake = current_fake()
    return fake.client() if fake is not None else real_client()


def async_client() -> openai.AsyncOpenAI:
    """`client()` as an `openai.AsyncOpenAI`, for async frameworks: the same fake, or the same endpoint."""
    fake = current_fake()
    if fake is not None:
        return fake.async_client()
    import openai

    sync = real_client()  # the same checks and settings; its configuration, not its connection
    sync.close()
    return openai.AsyncOpenAI(api_key=sync.api_key, base_url=sync.base_url, max_retries=sync.max_retries,
                              timeout=sync.timeout)


def model_name() -> str:
    """The model name to send: `COURSE_MODEL` on a real endpoint, `course-fake` otherwise."""
    settings = read_settings()
    return settings.model if settings.uses_real and _active.get() is None and settings.model else FAKE_MODEL_NAME


def ping() -> str:
    """One small chat call to the current model; its reply's text, and any error the client raises.

    It has no effect anywhere, so calling it again is always safe: lesson 09 retries it, on an injected clock.
    """
    with client() as model:
        response = model.chat.completions.create(model=model_name(), messages=[{"role": "user", "content": "ping"}])
    return response.choices[0].message.content or ""


def api_error(reply: ErrorReply) -> openai.APIError:
    """The exception the openai client raises when an endpoint answers `reply` (a 429, a 503, a timeout...).

    Made by one call to a fake that answers it, so it is exactly what agent code meets: its class, its message
    and, for an HTTP error, its `response` with the headers (`retry-after-ms`...).
    """
    import openai

    try:
        with use_model(FakeModel.scripted(reply)):
            ping()
    except openai.APIError as error:
        return error
    raise ValueError(f"{reply!r} is not an error the client raises")


@contextlib.contextmanager
def use_model(fake: FakeModel) -> Iterator[FakeModel]:
    """Make `fake` the current model inside the block (per thread/context; nests)."""
    token = _active.set(fake)
    try:
        yield fake
    finally:
        _active.reset(token)


def real_client(settings: Settings | None = None, *, max_retries: int = 2, timeout: float = 60.0) -> openai.OpenAI:
    """A client for the configured real endpoint. Raises if none is configured or calls are forbidden."""
    import openai

    settings = settings or read_settings()
    if settings.offline:
        raise RealCallsForbidden(
            "Real model calls are forbidden here (COURSE_OFFLINE=1, as in tests and grading). "
            "Use course.llm.client(), which gives the fake model."
        )
    if not settings.wants_real:
        raise ConfigError("No real model is configured: set COURSE_MODEL (and OPENAI_API_KEY or OPENAI_BASE_URL).")
    base_url = settings.base_url or "https://api.openai.com/v1"
    return openai.OpenAI(
        api_key=settings.api_key or "not-needed",  # local servers such as Ollama ignore the key
        base_url=base_url,
        max_retries=max_retries,
        timeout=timeout,
        http_client=httpx2.Client(transport=_ExplainingTransport(base_url), timeout=timeout),
    )


class _ExplainingTransport(httpx2.HTTPTransport):
    """Turns "connection refused" into a message that says which setting to check."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base_url = base_url

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return super().handle_request(request)
        except httpx2.ConnectError as error:
            raise httpx2.ConnectError(
                f"Could not reach the model endpoint at {self._base_url} ({error}). Is the server running? "
                "Check OPENAI_BASE_URL, or unset COURSE_MODEL to use the built-in fake model.",
                request=request,
            ) from error
