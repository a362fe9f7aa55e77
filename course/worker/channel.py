"""Length-prefixed JSON frames over a socket: the only way in or out of a grading worker.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. Frames above `MAX_FRAME`
are refused on both sides, so a flood from the worker costs the grader a bounded read and an error,
never its memory. Frames nested more than `MAX_DEPTH` deep are refused: json's own parser stops a
deeper nesting with a RecursionError (caught here), and the parsed value is measured without
recursion, so `[[[[...]]]]` is a `ChannelError`, never a crash, in time linear in the frame. No
honest message comes near the limit (values.plain stops at 40).

With a `deadline` (time.monotonic()), sending or receiving a whole frame must end before it: a
peer that trickles a frame a byte at a time gets `TimeoutError` at the deadline, not a fresh
timeout per byte. Nothing received is evaluated or unpickled: `json.loads` only.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_FRAME", "ChannelClosed", "ChannelError", "receive", "send"]

MAX_FRAME = 8 * 1024 * 1024
MAX_DEPTH = 100
_HEADER = struct.Struct(">I")


class ChannelError(RuntimeError):
    """The other side sent something that is not a frame of JSON."""


class ChannelClosed(ChannelError):
    """The other side went away (exited, crashed or closed the socket)."""


def send(sock: socket.socket, message: Any, deadline: float | None = None) -> None:
    data = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise ChannelError(f"a message of {len(data):,} bytes is over the {MAX_FRAME:,}-byte limit")
    frame = memoryview(_HEADER.pack(len(data)) + data)
    while frame:
        _wait(sock, deadline)
        sent = sock.send(frame)
        frame = frame[sent:]


def receive(sock: socket.socket, deadline: float | None = None) -> Any:
    (size,) = _HEADER.unpack(_read(sock, _HEADER.size, deadline))
    if size > MAX_FRAME:
        raise ChannelError(f"a message of {size:,} bytes is over the {MAX_FRAME:,}-byte limit")
    data = _read(sock, size, deadline)
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ChannelError(f"a message nested more than {MAX_DEPTH} deep") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ChannelError(f"a message that is not JSON ({error})") from None
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _too_deep(value):  # fewer brackets: never that deep
        raise ChannelError(f"a message nested more than {MAX_DEPTH} deep")
    return value


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            if level > MAX_DEPTH:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _wait(sock: socket.socket, deadline: float | None) -> None:
    """Give the next send or recv only the time left before `deadline` (blocking as before without one)."""
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)


def _read(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        _wait(sock, deadline)
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
