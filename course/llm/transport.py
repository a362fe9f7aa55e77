"""Carry the fake model over httpx2's `MockTransport`: real HTTP semantics, no socket.

openai 3.x is built on httpx2, so an `httpx2.Client` with this transport is all the `openai`
client needs to talk to the fake exactly as it talks to a real endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx2

if TYPE_CHECKING:
    from .fake import FakeModel

__all__ = ["fake_http_client"]


def fake_http_client(fake: FakeModel) -> httpx2.Client:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET" and request.url.path.endswith("/models"):
            return httpx2.Response(200, json={"object": "list", "data": [_model_card()]})
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx2.Response(
                404,
                json={"error": {"message": f"Unknown request URL: {request.method} {request.url.path}. "
                                "The fake model serves POST /v1/chat/completions.",
                                "type": "invalid_request_error", "param": None, "code": "unknown_url"}},
            )
        answer = fake.handle(request.read())
        if answer.timeout:
            raise httpx2.ReadTimeout("The fake model did not answer (injected timeout).", request=request)
        if answer.stream is not None:
            return httpx2.Response(answer.status, headers=answer.headers, content=b"".join(answer.stream))
        return httpx2.Response(answer.status, headers=answer.headers, json=answer.body)

    return httpx2.Client(transport=httpx2.MockTransport(handler))


def _model_card() -> dict[str, object]:
    return {"id": "course-fake", "object": "model", "created": 1_767_225_600, "owned_by": "twelve-factor-agents-course"}
