"""Serve an ASGI app on loopback for one block, and deliver requests to it over a real TCP socket.

A webhook is only proven by an HTTP request that crosses a socket: headers as a server parses them,
a body as bytes, a status code as a client reads it. So the notebook, the repository's tests and the
grading worker all go through the same two functions:

    with serving(app) as url:              # uvicorn on 127.0.0.1, a port the system picks
        httpx2.post(f"{url}/webhook", content=body, headers=headers)

    deliver(app, [{"headers": {...}, "body": "..."}])   # -> [{"status": 202, "json": {...}}, ...]

No sleeping to wait for the server: the listening socket is bound here before the server starts, so
a connection made early waits in the socket's backlog until uvicorn accepts it. The server runs in a
background thread inside a copy of the caller's context, so the app sees the caller's shop and model
(`use_shop`, `use_model` are context variables). Leaving the block stops it deterministically: uvicorn
finishes the responses and the background tasks it started (the agent's run after a 202), then the
thread is joined. Requests are sent one at a time, in order.

Stopping is prompt, too: uvicorn looks at its `should_exit` flag every 0.1 s and then waits a fixed
0.1 s more for open connections, 0.2 s on every `deliver` (the webhook lesson and its grading call it
a dozen times). `_Server` waits for an event instead, and for exactly the work still running.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["ServerError", "as_bytes", "deliver", "serving"]

_HOST = "127.0.0.1"
_TIMEOUT = 60  # seconds a request may take, and the agent's run after a 202


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the ASGI `app` on 127.0.0.1 inside the block; yield its base URL (`http://127.0.0.1:<port>`)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((_HOST, 0))
    sock.listen(64)  # from here on, connections queue until the server accepts them
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", loop="asyncio", http="h11",
                            ws="none", timeout_graceful_shutdown=_TIMEOUT)
    server = _server(config)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as error:  # reported when the block ends, never swallowed
            failed.append(error)

    context = contextvars.copy_context()  # the caller's shop and model, for the server's thread
    thread = threading.Thread(target=context.run, args=(run,), name="course-triggers-server", daemon=True)
    thread.start()
    try:
        yield f"http://{_HOST}:{port}"
    finally:
        server.should_exit = True
        server.stopping.set()
        thread.join()
        sock.close()
    if failed:
        raise RuntimeError(f"the server stopped with {type(failed[0]).__name__}: {failed[0]}") from failed[0]


def deliver(app: Any, requests: Sequence[Mapping[str, Any]], path: str = "/webhook", *,
            strict: bool = False) -> list[dict[str, Any]]:
    """POST each request (`{"headers": {...}, "body": str}`, optional `"path"`) to `app` served on loopback.

    Returns plain data, one per request: `{"status": int, "json": <the parsed body, or None>, "text": str}`.
    The server is stopped (its background work finished) before this returns. With `strict` (the notebook's
    demos), an answer 500 is raised here as the error its body names: a bug behind the endpoint shows as one.
    """
    import httpx2

    answers: list[dict[str, Any]] = []
    with serving(app) as url:
        for request in requests:  # a connection each: a server that failed on one request may close it
            headers = {str(k): str(v) for k, v in dict(request.get("headers") or {}).items()}
            body = request.get("body", "")
            content = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            with httpx2.Client(base_url=url, timeout=_TIMEOUT, trust_env=False) as client:
                response = client.post(str(request.get("path", path)), content=content, headers=headers)
            answers.append({"status": response.status_code, "json": _json(response.text), "text": response.text[:2000]})
    if strict:
        for answer in answers:
            if answer["status"] == 500:
                error = str((answer["json"] or {}).get("error", "")) if isinstance(answer["json"], dict) else ""
                name, _, message = error.partition(": ")
                raise (NotImplementedError if name == "NotImplementedError" else ServerError)(message or error)
    return answers


def _server(config: Any) -> Any:
    """A uvicorn server that stops as soon as `stopping` is set, once the work in flight is done."""
    import uvicorn

    class _Server(uvicorn.Server):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.stopping = threading.Event()

        async def main_loop(self) -> None:
            await self.on_tick(0)  # the default headers (its Date), as uvicorn's own loop starts
            await asyncio.to_thread(self.stopping.wait)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            for listening in self.servers:
                listening.close()
            for connection in list(self.server_state.connections):
                connection.shutdown()  # an idle one closes now; one mid-response closes when it is sent
            running = set(self.server_state.tasks)  # each request's task: its response, then its background work
            if running:
                _, late = await asyncio.wait(running, timeout=self.config.timeout_graceful_shutdown)
                for task in late:
                    task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
            for listening in self.servers:
                await listening.wait_closed()

    return _Server(config)


class ServerError(RuntimeError):
    """The app answered 500: its code raised (`deliver(..., strict=True)` says what)."""


def as_bytes(text: str) -> bytes:
    """`text` as UTF-8 bytes: how a grader hands a raw body or an .eml to code that takes bytes (JSON has none)."""
    return text.encode("utf-8")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
