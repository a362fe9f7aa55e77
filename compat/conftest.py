"""Shared set-up for the compatibility tests: the fake served over loopback, and in-process.

These run in compat/.venv (or compat/.venv-instructor), never in the course's own environment:
`make compat` creates them. `COURSE` names the course's own `course` command, so the server under
test is exactly what a learner starts with `course llm serve`; the in-process fake is imported
from the repository (PYTHONPATH), so both are the fake of this checkout.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({
    "COURSE_OFFLINE": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm otherwise fetches its price list at import
    "OPENAI_AGENTS_DISABLE_TRACING": "1",
    "OPENAI_API_KEY": "fake-key",  # libraries that insist on a key get one; the fake ignores it
})
for _name in ("COURSE_MODEL", "OPENAI_BASE_URL"):
    os.environ.pop(_name, None)

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"Compatibility tests may only connect to loopback, not {host!r}.")
    _real_connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _loopback_only  # type: ignore[method-assign]

TICKET = "Hi, I'm Ada Lovelace (ada@example.com). The mug from order 1042 arrived broken; I paid $18.50. Please refund it."


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """`course llm serve --port 0`, started as a learner would, for the whole session."""
    command = os.environ.get("COURSE") or str(ROOT / ".venv" / "bin" / "course")
    process = subprocess.Popen([command, "llm", "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline() if process.stdout else ""
        assert "serving at " in banner, f"course llm serve did not start: {banner!r}"
        yield banner.split("serving at ")[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    """A fresh in-process fake driven by the shop brain, as `course.llm.client()` gives by default."""
    from course.brain import shop_brain
    from course.llm import FakeModel

    return FakeModel(shop_brain)

