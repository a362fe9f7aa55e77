"""`RemoteModel`: inside a grading worker, every model request goes to the grader's fake model.

It is a `FakeModel` whose `handle` asks the grader over the channel, so the learner's code reaches
it through `course.llm.client()` exactly as it reaches any fake, with the `openai` client of its
choice. The transcript a verdict reads is then the grader's, in the grader's process: nothing the
learner's code does to this object changes what the grader recorded.
"""

from __future__ import annotations

import socket
from typing import Any

from course.llm.fake import FakeModel, FakeResponse

from . import channel

__all__ = ["RemoteModel"]


class RemoteModel(FakeModel):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def handle(self, raw: bytes | str | dict[str, object]) -> FakeResponse:
        body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        channel.send(self._sock, {"op": "model", "body": body})
        answer: dict[str, Any] = channel.receive(self._sock)
        stream = answer.get("stream")
        return FakeResponse(
            status=int(answer.get("status", 500)),
            headers=dict(answer.get("headers") or {}),
            body=answer.get("body"),
            stream=iter([chunk.encode("utf-8") for chunk in stream]) if stream is not None else None,
            timeout=bool(answer.get("timeout")),
        )
