"""Carry the fake model over httpx2's `MockTransport`: real HTTP semantics, no socket.

openai 3.x is built on httpx2, so an `httpx2.Client` (or `AsyncClient`) with this transport is
all the `openai` client needs to talk to the fake exactly as it talks to a real endpoint. The
routing lives in `FakeModel.respond`; this adapter only turns httpx2 requests into its calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx2

if TYPE_CHECKING:
    from .fake import FakeModel

__all__ = ["fake_async_http_client", "fake_http_client", "fake_transport"]


def fake_transport(fake: FakeModel) -> httpx2.MockTransport:
    """A transport answering every request with `fake.respond` (sync and async clients alike)."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        answer = fake.respond(request.method, request.url.raw_path.decode("ascii"), request.read())
        if answer.timeout:
            raise httpx2.ReadTimeout("The fake model did not answer (injected timeout).", request=request)
        if answer.stream is not None:
            return httpx2.Response(answer.status, headers=answer.headers, content=b"".join(answer.stream))
        return httpx2.Response(answer.status, headers=answer.headers, json=answer.body)

    return httpx2.MockTransport(handler)


def fake_http_client(fake: FakeModel) -> httpx2.Client:
    return httpx2.Client(transport=fake_transport(fake))


def fake_async_http_client(fake: FakeModel) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=fake_transport(fake))
