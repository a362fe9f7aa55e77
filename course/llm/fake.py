"""The fake model: an OpenAI-compatible Chat Completions endpoint that runs in-process.

Drive it three ways, combinable:

- scripted: `FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042}), Reply.text("Done"))`
  answers calls in order; a call past the end fails loudly with the transcript, and
  `assert_complete()` checks the script was used up;
- a policy: `FakeModel(policy)` where `policy(request) -> Reply | ApiError` is plain Python
  (the shop brain is one), so a deterministic "model" can carry an agent through a whole task;
- faults: `FakeModel(policy, faults={2: rate_limit()})` or `faults=FaultRate(0.2, seed=1)`.

Scripted replies come first; the policy answers once the script is used up. Every request is
validated as a real endpoint would (see `validate`) and recorded in `transcript`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .faults import FaultRate
from .reply import ApiError, Reply
from .request import ChatRequest
from .transcript import Exchange, Transcript
from .validate import validate_body, validate_request
from .wire import completion, sse_chunks

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_CONTEXT_WINDOW", "FakeModel", "FakeResponse", "Policy"]

Policy = Callable[[ChatRequest], "Reply | ApiError"]
DEFAULT_CONTEXT_WINDOW = 16_000
FAKE_BASE_URL = "http://fake-model.invalid/v1"


@dataclass
class FakeResponse:
    """What the fake answers, independent of how it is carried (in-process or over HTTP)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] | None = None
    stream: Iterator[bytes] | None = None
    timeout: bool = False

    @classmethod
    def error(cls, error: ApiError) -> FakeResponse:
        headers = {"content-type": "application/json", **error.headers}
        return cls(status=error.status, headers=headers, body=error.body(), timeout=error.timeout)


class FakeModel:
    """A deterministic, inspectable stand-in for an OpenAI-compatible model."""

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        script: Iterable[Reply | ApiError] = (),
        faults: Mapping[int, Reply | ApiError] | FaultRate | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        seed: int = 0,
    ) -> None:
        self.policy = policy
        self.context_window = context_window
        self.seed = seed
        self.transcript = Transcript()
        self.problems: list[str] = []
        self._script: deque[Reply | ApiError] = deque(script)
        self._scripted = len(self._script)
        self._faults = faults
        self._calls = 0
        self._lock = threading.Lock()
        self._default_client: openai.OpenAI | None = None

    @classmethod
    def scripted(cls, *replies: Reply | ApiError, **kwargs: object) -> FakeModel:
        """A fake that answers with `replies`, in order, and nothing else."""
        return cls(script=replies, **kwargs)  # type: ignore[arg-type]

    # -- answering ------------------------------------------------------------------------

    def handle(self, raw: bytes | str | dict[str, object]) -> FakeResponse:
        """Answer one `POST /chat/completions` body. Thread-safe; never raises."""
        with self._lock:
            self._calls += 1
            call = self._calls
            body = raw
            if isinstance(raw, (bytes, str)):
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
            parsed = validate_body(body)
            if isinstance(parsed, ApiError):
                return self._fail(call, None, parsed)
            request = parsed
            error = validate_request(request, self.context_window)
            if error:
                return self._fail(call, request, error)
            answer = self._fault(call) or self._next(call, request)
            if isinstance(answer, ApiError):
                return self._fail(call, request, answer)
            problem = _expectation_problem(answer, request)
            if problem:
                return self._misuse(call, request, f"Call {call} did not match what the script expected: {problem}")
            self.transcript.exchanges.append(Exchange(call, request, reply=answer))
            return self._render(answer, request, call)

    def _fault(self, call: int) -> Reply | ApiError | None:
        if isinstance(self._faults, FaultRate):
            return self._faults.draw()
        if self._faults:
            return self._faults.get(call)
        return None

    def _next(self, call: int, request: ChatRequest) -> Reply | ApiError:
        if self._script:
            return self._script.popleft()
        if self.policy is not None:
            return self.policy(request)
        return self._misuse_error(
            call,
            f"The fake model has no reply for call {call}: its script had {self._scripted} "
            f"repl{'y' if self._scripted == 1 else 'ies'} and it has no policy.",
        )

    def _misuse_error(self, call: int, message: str) -> ApiError:
        message = f"{message}\nTranscript so far:\n{self.transcript.render(last=5)}"
        self.problems.append(message)
        return ApiError(status=400, type="fake_model_error", code="unscripted_call", message=message)

    def _misuse(self, call: int, request: ChatRequest, message: str) -> FakeResponse:
        return self._fail(call, request, self._misuse_error(call, message))

    def _fail(self, call: int, request: ChatRequest | None, error: ApiError) -> FakeResponse:
        self.transcript.exchanges.append(Exchange(call, request, error=error))
        return FakeResponse.error(error)

    def _render(self, reply: Reply, request: ChatRequest, call: int) -> FakeResponse:
        common = {"model": request.model, "prompt_tokens": request.prompt_tokens, "seed": self.seed, "call": call}
        if request.stream:
            include_usage = bool((request.stream_options or {}).get("include_usage"))
            stream = sse_chunks(reply, include_usage=include_usage, **common)  # type: ignore[arg-type]
            return FakeResponse(200, {"content-type": "text/event-stream"}, stream=stream)
        return FakeResponse(200, {"content-type": "application/json"}, body=completion(reply, **common))  # type: ignore[arg-type]

    # -- checking -------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        return self._calls

    def assert_complete(self) -> None:
        """Fail if scripted replies were left unused or any call went off-script."""
        if self.problems:
            raise AssertionError(self.problems[0])
        if self._script:
            used = self._scripted - len(self._script)
            raise AssertionError(
                f"The script was not used up: {used} of {self._scripted} replies were given.\n"
                f"Transcript:\n{self.transcript.render()}"
            )

    # -- clients --------------------------------------------------------------------------

    def client(self, *, max_retries: int = 0, strict: bool = False, timeout: float = 30.0) -> openai.OpenAI:
        """An `openai.OpenAI` client wired to this fake in-process: no port, no key, no network.

        `max_retries` defaults to 0 because the course teaches owning retries (lesson 09).
        """
        import openai

        from .transport import fake_http_client

        default = (max_retries, strict, timeout) == (0, False, 30.0)
        if default and self._default_client is not None:
            return self._default_client  # agents ask for the client on every call; build it once
        made = openai.OpenAI(
            api_key="fake-key",
            base_url=FAKE_BASE_URL,
            http_client=fake_http_client(self),
            max_retries=max_retries,
            timeout=timeout,
            _strict_response_validation=strict,
        )
        if default:
            self._default_client = made
        return made


def _expectation_problem(reply: Reply, request: ChatRequest) -> str | None:
    if reply.expect is None:
        return None
    try:
        verdict = reply.expect(request)
    except AssertionError as error:
        return str(error) or "an assertion failed"
    return None if verdict is None or verdict else "the expectation returned False"
