"""The fake model: an OpenAI-compatible Chat Completions endpoint that runs in-process.

Drive it three ways, combinable:

- scripted: `FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042}), Reply.text("Done"))`
  answers calls in order; a call past the end fails loudly with the transcript, and
  `assert_complete()` checks the script was used up;
- a policy: `FakeModel(policy)` where `policy(request) -> Reply | ErrorReply` is plain Python
  (the shop brain is one), so a deterministic "model" can carry an agent through a whole task;
- faults: `FakeModel(policy, faults={2: rate_limit()})` or `faults=FaultRate(0.2, seed=1)`.

Scripted replies come first; the policy answers once the script is used up. Every request is
validated as a real endpoint would (see `validate`) and recorded in `transcript`. Every reply
keeps the API's promises (see `contract`): a policy's is brought into line with `tool_choice` and
the schemas, a scripted one that breaks them fails loudly; faults break them on purpose.

`respond(method, path, body)` is the whole endpoint (routing, `/models`, the 404); the in-process
transports (`transport`) and the loopback server (`server`) only carry its answers.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .contract import conform, script_problem
from .faults import FaultRate
from .reply import ErrorReply, Reply
from .request import ChatRequest
from .transcript import Exchange, Transcript
from .validate import validate_body, validate_request
from .wire import completion, sse_chunks

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_CONTEXT_WINDOW", "FakeModel", "FakeResponse", "Policy"]

Policy = Callable[[ChatRequest], "Reply | ErrorReply"]
DEFAULT_CONTEXT_WINDOW = 16_000
FAKE_BASE_URL = "http://fake-model.invalid/v1"
MODEL_CARD: dict[str, object] = {
    "id": "course-fake", "object": "model", "created": 1_767_225_600, "owned_by": "twelve-factor-agents-course",
}


@dataclass
class FakeResponse:
    """What the fake answers, independent of how it is carried (in-process or over HTTP)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] | None = None
    stream: Iterator[bytes] | None = None
    timeout: bool = False

    @classmethod
    def json(cls, status: int, body: dict[str, object]) -> FakeResponse:
        return cls(status=status, headers={"content-type": "application/json"}, body=body)

    @classmethod
    def error(cls, error: ErrorReply) -> FakeResponse:
        headers = {"content-type": "application/json", **error.headers}
        return cls(status=error.status, headers=headers, body=error.body(), timeout=error.timeout)


class FakeModel:
    """A deterministic, inspectable stand-in for an OpenAI-compatible model."""

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        script: Iterable[Reply | ErrorReply] = (),
        faults: Mapping[int, Reply | ErrorReply] | FaultRate | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        seed: int = 0,
    ) -> None:
        self.policy = policy
        self.context_window = context_window
        self.seed = seed
        self.transcript = Transcript()
        self.problems: list[str] = []
        self._script: deque[Reply | ErrorReply] = deque(script)
        self._scripted = len(self._script)
        self._faults = faults
        self._calls = 0
        self._lock = threading.Lock()

    @classmethod
    def scripted(cls, *replies: Reply | ErrorReply, **kwargs: object) -> FakeModel:
        """A fake that answers with `replies`, in order, and nothing else."""
        return cls(script=replies, **kwargs)  # type: ignore[arg-type]

    # -- answering ------------------------------------------------------------------------

    def respond(self, method: str, path: str, body: bytes = b"") -> FakeResponse:
        """Answer one HTTP request to the endpoint: `GET /models`, `POST /chat/completions`, else 404.

        Chat completions go through `self.handle`, so a subclass that overrides `handle` (to
        forward to another process, say) is used by every client and the server alike.
        """
        route = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and route.endswith("/models"):
            return FakeResponse.json(200, {"object": "list", "data": [MODEL_CARD]})
        if method == "GET" and route.endswith("/models/course-fake"):
            return FakeResponse.json(200, MODEL_CARD)
        if method == "POST" and route.endswith("/chat/completions"):
            return self.handle(body)
        return FakeResponse.json(404, {"error": {
            "message": f"Unknown request URL: {method} {path}. The fake model serves POST /v1/chat/completions.",
            "type": "invalid_request_error", "param": None, "code": "unknown_url"}})

    def handle(self, raw: bytes | str | dict[str, object]) -> FakeResponse:
        """Answer one `POST /chat/completions` body. Thread-safe; never raises."""
        with self._lock:
            self._calls += 1
            call = self._calls
            body: object = raw
            if isinstance(raw, (bytes, str)):
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
            parsed = validate_body(body)
            if isinstance(parsed, ErrorReply):
                return self._fail(call, None, parsed)
            request = parsed
            tokens = request.prompt_tokens
            error = validate_request(request, self.context_window, tokens)
            if error:
                return self._fail(call, request, error)
            answer = self._answer(call, request)
            if isinstance(answer, ErrorReply):
                return self._fail(call, request, answer)
            problem = _expectation_problem(answer, request)
            if problem:
                return self._misuse(call, request, f"Call {call} did not match what the script expected: {problem}")
            self.transcript.exchanges.append(Exchange(call, request, reply=answer))
            return self._render(answer, request, call, tokens)

    def _answer(self, call: int, request: ChatRequest) -> Reply | ErrorReply:
        """The next reply, keeping the API's promises: a fault as is, a script checked, a policy conformed."""
        fault = self._fault(call)
        if fault is not None:
            return fault
        if self._script:
            answer = self._script.popleft()
            problem = script_problem(answer, request) if isinstance(answer, Reply) else None
            return self._misuse_error(call, f"Call {call} contradicts the request: {problem}") if problem else answer
        if self.policy is None:
            return self._misuse_error(
                call,
                f"The fake model has no reply for call {call}: its script had {self._scripted} "
                f"repl{'y' if self._scripted == 1 else 'ies'} and it has no policy.",
            )
        try:
            answer = self.policy(request)
            return conform(answer, request) if isinstance(answer, Reply) else answer
        except Exception as error:  # a bug in a policy is recorded and reported, never escapes unrecorded
            name = getattr(self.policy, "__name__", type(self.policy).__name__)
            return self._misuse_error(
                call, f"The policy {name} raised {type(error).__name__}: {error} (call {call}).",
                code="policy_error", status=500)

    def _fault(self, call: int) -> Reply | ErrorReply | None:
        if isinstance(self._faults, FaultRate):
            return self._faults.draw()
        if self._faults:
            return self._faults.get(call)
        return None

    def _misuse_error(self, call: int, message: str, *, code: str = "unscripted_call", status: int = 400) -> ErrorReply:
        message = f"{message}\nTranscript so far:\n{self.transcript.render(last=5)}"
        self.problems.append(message)
        # x-should-retry: the openai client would otherwise retry a 500 that fails the same way again
        return ErrorReply(status=status, type="fake_model_error", code=code, message=message,
                          headers={"x-should-retry": "false"})

    def _misuse(self, call: int, request: ChatRequest, message: str) -> FakeResponse:
        return self._fail(call, request, self._misuse_error(call, message))

    def _fail(self, call: int, request: ChatRequest | None, error: ErrorReply) -> FakeResponse:
        self.transcript.exchanges.append(Exchange(call, request, error=error))
        return FakeResponse.error(error)

    def _render(self, reply: Reply, request: ChatRequest, call: int, tokens: int) -> FakeResponse:
        common = {"model": request.model, "prompt_tokens": tokens, "seed": self.seed, "call": call}
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
        """A new `openai.OpenAI` client wired to this fake in-process: no port, no key, no network.

        Each call gives an independent client (cheap: no connection), so closing one, or
        `with fake.client() as c:`, never breaks another. `max_retries` defaults to 0 because
        the course teaches owning retries (lesson 09).
        """
        import openai

        from .transport import fake_http_client

        return openai.OpenAI(
            api_key="fake-key",
            base_url=FAKE_BASE_URL,
            http_client=fake_http_client(self),
            max_retries=max_retries,
            timeout=timeout,
            _strict_response_validation=strict,
        )

    def async_client(self, *, max_retries: int = 0, strict: bool = False, timeout: float = 30.0) -> openai.AsyncOpenAI:
        """The same as `client()`, as an `openai.AsyncOpenAI` (for async frameworks), still in-process."""
        import openai

        from .transport import fake_async_http_client

        return openai.AsyncOpenAI(
            api_key="fake-key",
            base_url=FAKE_BASE_URL,
            http_client=fake_async_http_client(self),
            max_retries=max_retries,
            timeout=timeout,
            _strict_response_validation=strict,
        )


def _expectation_problem(reply: Reply, request: ChatRequest) -> str | None:
    if reply.expect is None:
        return None
    try:
        verdict = reply.expect(request)
    except AssertionError as error:
        return str(error) or "an assertion failed"
    except Exception as error:  # a broken expectation is reported like a failed one, never escapes
        return f"the expectation raised {type(error).__name__}: {error}"
    return None if verdict is None or verdict else "the expectation returned False"
