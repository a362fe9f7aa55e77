"""The fake model over real HTTP on loopback: `course llm serve --port 8765`.

Point any OpenAI-compatible client at `http://127.0.0.1:8765/v1` (any API key) and it talks to
the same fake the notebooks use in-process. Standard library only: one thread per request. The
endpoint itself (routes, `/models`, the 404) is `FakeModel.respond`; this is only its carrier.
"""

from __future__ import annotations

import errno
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .fake import FakeModel

__all__ = ["FakeModelServer", "serve"]

_MAX_BODY = 8 * 1024 * 1024


class FakeModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeModel, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        super().__init__((host, port), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1" if isinstance(host, str) else f"http://{host.decode()}:{port}/v1"

    def start_background(self) -> threading.Thread:
        """Serve on a daemon thread (for tests and notebooks); stop with `shutdown()`."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-model-server", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: FakeModelServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: object) -> None:  # quiet: the CLI prints its own lines
        pass

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > _MAX_BODY:
            self._send_error(413, f"Request body of {length} bytes is larger than {_MAX_BODY}.", "invalid_request_error")
            return
        self._answer(self.rfile.read(length))

    def _answer(self, body: bytes) -> None:
        """Carry `FakeModel.respond`'s answer: routing, errors and replies are all the fake's."""
        answer = self.server.fake.respond(self.command, self.path, body)
        if answer.timeout:  # drop the connection: the client sees no answer
            self.close_connection = True
            self.connection.close()
            return
        if answer.stream is not None:
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            self.end_headers()
            for chunk in answer.stream:
                self.wfile.write(chunk)
            self.close_connection = True
            return
        self._send_json(answer.status, answer.body or {}, answer.headers)

    def _send_error(self, status: int, message: str, type_: str, code: str | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": type_, "param": None, "code": code}})

    def _send_json(self, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else None)
        for key, value in (headers or {}).items():
            if key.lower() not in ("content-length", "content-type"):
                self.send_header(key, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(fake: FakeModel, host: str = "127.0.0.1", port: int = 8765) -> FakeModelServer:
    """Bind the server (port 0 picks a free one). Call `serve_forever()` on the result.

    Raises OSError when the port cannot be had, out of range included (the socket module raises
    OverflowError for that, which would reach the user as a traceback).
    """
    if not 0 <= port <= 65535:
        raise OSError(errno.EINVAL, f"port {port} is out of range (0-65535)")
    return FakeModelServer(fake, host, port)
