"""Length-prefixed JSON frames over a socket: the only way in or out of a grading worker.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. Frames above `MAX_FRAME`
are refused on both sides, so a flood from the worker costs the grader a bounded read and an error,
never its memory. Frames nested more than `MAX_DEPTH` deep are refused before they are parsed (a
scan that counts brackets outside strings, without recursion), so `[[[[...]]]]` is a `ChannelError`,
not a RecursionError in the grader; no honest message comes near the limit (values.plain stops at
40). Nothing received is evaluated or unpickled: `json.loads` only.
"""

from __future__ import annotations

import json
import re
import socket
import struct
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_FRAME", "ChannelClosed", "ChannelError", "receive", "send"]

MAX_FRAME = 8 * 1024 * 1024
MAX_DEPTH = 100
_HEADER = struct.Struct(">I")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', flags=re.S)  # a JSON string, escapes included
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


class ChannelError(RuntimeError):
    """The other side sent something that is not a frame of JSON."""


class ChannelClosed(ChannelError):
    """The other side went away (exited, crashed or closed the socket)."""


def send(sock: socket.socket, message: Any) -> None:
    data = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise ChannelError(f"a message of {len(data):,} bytes is over the {MAX_FRAME:,}-byte limit")
    sock.sendall(_HEADER.pack(len(data)) + data)


def receive(sock: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_read(sock, _HEADER.size))
    if size > MAX_FRAME:
        raise ChannelError(f"a message of {size:,} bytes is over the {MAX_FRAME:,}-byte limit")
    data = _read(sock, size)
    _check_depth(data)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ChannelError(f"a message that is not JSON ({error})") from None


def _check_depth(data: bytes) -> None:
    """Refuse JSON nested deeper than `MAX_DEPTH`; exact for valid JSON (strings hold no brackets that count)."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:  # cannot nest deeper than it opens: most frames
        return
    depth = 0
    for bracket in _STRING.sub(b"", data).translate(None, _NOT_BRACKET):
        depth += 1 if bracket in b"[{" else -1
        if depth > MAX_DEPTH:
            raise ChannelError(f"a message nested more than {MAX_DEPTH} deep")


def _read(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
